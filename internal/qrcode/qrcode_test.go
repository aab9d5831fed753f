package qrcode

import (
	"bytes"
	"image"
	"image/png"
	"strings"
	"testing"

	"github.com/makiuchi-d/gozxing"
	gzqr "github.com/makiuchi-d/gozxing/qrcode"
)

// The PNG must decode back to the URL with an independent decoder.
func TestPNGRoundTrip(t *testing.T) {
	url := "https://kalyan.example/d/ramadan-zakat-dmch"
	b, err := PNG(url, 6)
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
	bmp, err := gozxing.NewBinaryBitmapFromImage(img)
	if err != nil {
		t.Fatal(err)
	}
	res, err := gzqr.NewQRCodeReader().Decode(bmp, nil)
	if err != nil {
		t.Fatal(err)
	}
	if res.GetText() != url {
		t.Fatalf("decoded %q", res.GetText())
	}
	_ = image.Point{}
}

func TestSVG(t *testing.T) {
	b, err := SVG("https://kalyan.example/d/dmch", `Donate to "DMCH" & co`)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	if !strings.HasPrefix(s, "<svg") || !strings.Contains(s, "&quot;DMCH&quot; &amp; co") || strings.Count(s, "h1v1h-1z") < 100 {
		t.Fatalf("svg %.200s", s)
	}
}
