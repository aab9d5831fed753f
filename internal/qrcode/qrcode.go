// Package qrcode renders printable QR codes (PNG and SVG) for donation links.
package qrcode

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"

	qr "github.com/yeqown/go-qrcode/v2"
)

type matrixWriter struct{ bits [][]bool }

func (m *matrixWriter) Write(mat qr.Matrix) error { m.bits = mat.Bitmap(); return nil }
func (m *matrixWriter) Close() error              { return nil }

// quiet is the blank margin, in modules, scanners need around the code.
const quiet = 4

// Modules encodes text with error correction level Q (posters get creased,
// stained and photographed at angles) and returns its dark modules.
func Modules(text string) ([][]bool, error) {
	q, err := qr.NewWith(text, qr.WithErrorCorrectionLevel(qr.ErrorCorrectionQuart))
	if err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	var w matrixWriter
	if err := q.Save(&w); err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	return w.bits, nil
}

// PNG renders text as a black-on-white PNG with scale pixels per module.
func PNG(text string, scale int) ([]byte, error) {
	bits, err := Modules(text)
	if err != nil {
		return nil, err
	}
	n := len(bits) + 2*quiet
	img := image.NewPaletted(image.Rect(0, 0, n*scale, n*scale), color.Palette{color.White, color.Black})
	for y, row := range bits {
		for x, dark := range row {
			if !dark {
				continue
			}
			for dy := 0; dy < scale; dy++ {
				for dx := 0; dx < scale; dx++ {
					img.SetColorIndex((x+quiet)*scale+dx, (y+quiet)*scale+dy, 1)
				}
			}
		}
	}
	var buf bytes.Buffer
	if err := png.Encode(&buf, img); err != nil {
		return nil, fmt.Errorf("encode png: %w", err)
	}
	return buf.Bytes(), nil
}

// SVG renders text as a scalable SVG (one path; prints sharp at any size).
func SVG(text, title string) ([]byte, error) {
	bits, err := Modules(text)
	if err != nil {
		return nil, err
	}
	n := len(bits) + 2*quiet
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 %d %d" shape-rendering="crispEdges" role="img" aria-label="%s">`, n, n, escape(title))
	fmt.Fprintf(&b, `<title>%s</title><rect width="%d" height="%d" fill="#fff"/><path fill="#000" d="`, escape(title), n, n)
	for y, row := range bits {
		for x, dark := range row {
			if dark {
				fmt.Fprintf(&b, "M%d %dh1v1h-1z", x+quiet, y+quiet)
			}
		}
	}
	b.WriteString(`"/></svg>`)
	return []byte(b.String()), nil
}

func escape(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}
