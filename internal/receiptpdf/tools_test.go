package receiptpdf

import (
	"bytes"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	zxqr "github.com/makiuchi-d/gozxing/qrcode"
	"golang.org/x/text/unicode/norm"
)

// The PDF checks use poppler's command-line tools, the same renderer family
// as many desktop viewers. They fail rather than skip when the tools are
// missing: CI installs poppler-utils, and a skipped check would hide broken
// Bengali.
func tool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s not found: install Debian package poppler-utils (apt-get install -y poppler-utils)", name)
	}
	return p
}

func writeTemp(t testing.TB, pdf []byte) string {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	return f
}

func runTool(t testing.TB, name string, args ...string) []byte {
	t.Helper()
	var stderr bytes.Buffer
	cmd := exec.Command(tool(t, name), args...)
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, stderr.String())
	}
	if s := strings.TrimSpace(stderr.String()); s != "" {
		// poppler reports malformed objects on stderr but still exits 0.
		t.Fatalf("%s reported problems:\n%s", name, s)
	}
	return out
}

// pdfText returns the PDF's text as pdftotext extracts it, NFC-normalised
// with runs of whitespace collapsed to one space (line breaks of wrapped
// paragraphs become spaces).
func pdfText(t testing.TB, pdf []byte) string {
	t.Helper()
	return normalize(string(runTool(t, "pdftotext", "-enc", "UTF-8", writeTemp(t, pdf), "-")))
}

func normalize(s string) string {
	return strings.Join(strings.Fields(norm.NFC.String(s)), " ")
}

// pdfPNG renders page 1 at dpi with pdftoppm and decodes it.
func pdfPNG(t testing.TB, pdf []byte, dpi string) ([]byte, image.Image) {
	t.Helper()
	f := writeTemp(t, pdf)
	out := filepath.Join(filepath.Dir(f), "page")
	runTool(t, "pdftoppm", "-png", "-r", dpi, "-f", "1", "-singlefile", f, out)
	b, err := os.ReadFile(out + ".png")
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("pdftoppm output: %v", err)
	}
	return b, img
}

// decodeQR finds and decodes a QR code in img.
func decodeQR(t testing.TB, img image.Image) string {
	t.Helper()
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := zxqr.NewQRCodeReader().Decode(bmp, map[gozxing.DecodeHintType]any{gozxing.DecodeHintType_TRY_HARDER: true})
	if err != nil {
		t.Fatalf("decode QR code: %v", err)
	}
	return res.GetText()
}

type subImager interface {
	SubImage(r image.Rectangle) image.Image
}

// crop returns the part of img within the given fractions of its size.
func crop(img image.Image, x0, y0, x1, y1 float64) image.Image {
	b := img.Bounds()
	r := image.Rect(b.Min.X+int(x0*float64(b.Dx())), b.Min.Y+int(y0*float64(b.Dy())),
		b.Min.X+int(x1*float64(b.Dx())), b.Min.Y+int(y1*float64(b.Dy())))
	return img.(subImager).SubImage(r)
}
