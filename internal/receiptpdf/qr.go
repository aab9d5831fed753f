package receiptpdf

import (
	"fmt"

	qrcode "github.com/yeqown/go-qrcode/v2"
)

// matrixWriter captures the module matrix from go-qrcode, which hands it to
// a Writer rather than returning it.
type matrixWriter struct{ bits [][]bool }

func (m *matrixWriter) Write(mat qrcode.Matrix) error {
	m.bits = mat.Bitmap()
	return nil
}

func (m *matrixWriter) Close() error { return nil }

// qrModules encodes text as a QR code (error correction level M, ample for
// a printed and possibly creased receipt) and returns its dark modules,
// indexed [row][column], without quiet zone.
func qrModules(text string) ([][]bool, error) {
	q, err := qrcode.NewWith(text, qrcode.WithErrorCorrectionLevel(qrcode.ErrorCorrectionMedium))
	if err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	var w matrixWriter
	if err := q.Save(&w); err != nil {
		return nil, fmt.Errorf("encode QR code: %w", err)
	}
	return w.bits, nil
}

// drawQR draws the code as filled black rectangles (vector, so it prints
// sharp at any resolution) in a size×size square whose top-left corner is
// (x, top). The caller keeps a 4-module quiet zone clear around it.
func (p *pen) drawQR(x, top, size float64, bits [][]bool) {
	n := len(bits)
	if n == 0 {
		return
	}
	m := size / float64(n)
	d := p.d
	d.fillGray(0)
	for row, line := range bits {
		y := d.height - top - float64(row+1)*m
		for col := 0; col < len(line); {
			if !line[col] {
				col++
				continue
			}
			end := col
			for end < len(line) && line[end] {
				end++
			}
			// A hair of vertical overlap hides anti-aliasing seams between rows.
			d.rect(x+float64(col)*m, y-0.02, float64(end-col)*m, m+0.04)
			col = end
		}
	}
	d.fill()
}
