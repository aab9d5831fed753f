package receiptpdf

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/qrcode"
)

// Poster is a campaign link's A4 poster for a hospital's notice board: the
// unit in Bengali and English, the campaign's title, a QR code of the link,
// its short address and a bKash mark (set as coloured text: the platform
// prints no trademark image).
type Poster struct {
	UnitBN, UnitEN   string
	TitleBN, TitleEN string
	// URL is what the QR code opens; ShortURL is printed under it for
	// those who type it.
	URL, ShortURL string
	// Kind and Programme label the campaign when the link presets them.
	Kind, Programme string
	Goal            money.Amount
	EndsAt          time.Time
}

// bKash's pink (#E2136E), for the mark drawn as text.
const bkashR, bkashG, bkashB = 0xE2 / 255.0, 0x13 / 255.0, 0x6E / 255.0

// RenderPoster writes ps as a one-page A4 PDF. Safe for concurrent use.
func (r *Renderer) RenderPoster(w io.Writer, ps Poster) error {
	if strings.TrimSpace(ps.URL) == "" || (ps.UnitBN == "" && ps.UnitEN == "") {
		return fmt.Errorf("%w: poster without link or unit", ErrInvalid)
	}
	bits, err := qrcode.Modules(ps.URL)
	if err != nil {
		return err
	}
	p := r.newPen(a4Width, a4Height)
	defer p.release()
	p.poster(&ps, bits)
	if err := p.d.finish(w, docInfo{title: "Donation poster " + ps.ShortURL, subject: ps.UnitEN, created: time.Now().In(r.dhaka)}); err != nil {
		return fmt.Errorf("render poster: %w", err)
	}
	return nil
}

func (p *pen) poster(ps *Poster, bits [][]bool) {
	d := p.d
	const margin = 48.0
	mid, width := a4Width/2, a4Width-2*margin
	// The unit heads the poster in both languages.
	d.fillGray(0)
	p.center(mid, 70, "রোগীকল্যাণ সমিতি  ·  Rogi Kalyan Samiti", style{size: 12, fixed: true, maxW: width, minSize: 8})
	p.center(mid, 100, ps.UnitBN, style{size: 20, bold: true, maxW: width, minSize: 10})
	p.center(mid, 124, ps.UnitEN, style{size: 15, bold: true, maxW: width, minSize: 8})
	d.strokeGray(0)
	d.line(margin, d.height-140, a4Width-margin, d.height-140, 1.5)

	// The campaign's title, wrapped: it is the poster's message.
	top := 182.0
	for _, t := range []struct {
		text string
		size float64
	}{{ps.TitleBN, 26}, {ps.TitleEN, 20}} {
		if strings.TrimSpace(t.text) == "" {
			continue
		}
		lines := p.wrap(t.text, style{size: t.size, bold: true}, width)
		for _, l := range lines {
			p.draw(mid-l.width(t.size)/2, top, l, t.size)
			top += t.size * 1.3
		}
		top += 6
	}
	var facts []string
	if ps.Kind != "" {
		k := kindLabel(ps.Kind)
		facts = append(facts, k.bn+" · "+k.en)
	}
	if ps.Programme != "" {
		pr := programmeLabel(ps.Programme)
		facts = append(facts, pr.bn+" · "+pr.en)
	}
	if ps.Goal > 0 {
		facts = append(facts, "লক্ষ্য "+bnfmt.Taka(ps.Goal, "bn")+" · Goal "+bnfmt.Taka(ps.Goal, "en"))
	}
	if !ps.EndsAt.IsZero() {
		end := ps.EndsAt.In(p.r.dhaka)
		facts = append(facts, bnfmt.DateBN(end)+" পর্যন্ত · until "+bnfmt.DateEN(end))
	}
	d.fillGray(gray)
	for _, f := range facts {
		p.center(mid, top, f, style{size: 11, maxW: width, minSize: 7})
		top += 16
	}

	// The QR code, a quiet zone of white around it.
	const qr = 250.0
	top = max(top+20, 360)
	d.fillGray(0)
	p.drawQR(mid-qr/2, top, qr, bits)
	top += qr + 34
	p.center(mid, top, "স্ক্যান করে দান করুন  ·  Scan to give", style{size: 14, bold: true, fixed: true, maxW: width, minSize: 8})
	top += 26
	p.center(mid, top, ps.ShortURL, style{size: 16, bold: true, maxW: width, minSize: 8})

	// The bKash mark: white text on bKash's pink, no logo.
	top += 40
	const bw, bh = 230.0, 40.0
	d.op("rg", bkashR, bkashG, bkashB)
	d.rect(mid-bw/2, d.height-top-bh, bw, bh)
	d.fill()
	d.fillGray(1)
	p.center(mid, top+27, "বিকাশে দিন  ·  Pay with bKash", style{size: 15, bold: true, fixed: true, maxW: bw - 16, minSize: 8})

	d.fillGray(gray)
	// The site's one legal wording (i18n "legal.rebate"), then the receipt.
	p.center(mid, a4Height-66, i18n.BN.T("legal.rebate"), style{size: 8, fixed: true, maxW: width, minSize: 5})
	p.center(mid, a4Height-52, i18n.EN.T("legal.rebate"), style{size: 8, fixed: true, maxW: width, minSize: 5})
	p.center(mid, a4Height-38, "প্রতিটি দানের স্বাক্ষরিত রসিদ পাবেন · Every gift gets a signed receipt.", style{size: 8, fixed: true, maxW: width, minSize: 5})
	d.fillGray(0)
}
