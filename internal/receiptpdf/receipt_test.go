package receiptpdf

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image"
	"image/draw"
	"image/png"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/money"
)

var update = flag.Bool("update", false, "rewrite testdata/receipt.png from the current renderer")

func newRenderer(t testing.TB) *Renderer {
	t.Helper()
	r, err := NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func render(t testing.TB, r *Renderer, rc Receipt) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := r.Render(&buf, rc); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func wantText(t *testing.T, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, normalize(w)) {
			t.Errorf("extracted text lacks %q", w)
		}
	}
}

func TestReceiptTextRoundTrips(t *testing.T) {
	r := newRenderer(t)
	rc := sampleReceipt()
	text := pdfText(t, render(t, r, rc))
	wantText(t, text,
		"ঢাকা মেডিকেল কলেজ হাসপাতাল রোগীকল্যাণ সমিতি",
		"Dhaka Medical College Hospital Rogi Kalyan Samiti",
		"ঢাকা মেডিকেল কলেজ হাসপাতাল, ঢাকা",
		"দানের রসিদ", "Donation Receipt",
		"DMCH/2025-26/000123",
		"১৫ আগস্ট ২০২৫, ১০:৩০", "15 August 2025, 10:30", // 04:30 UTC shown in Asia/Dhaka
		"মোহাম্মদ আব্দুল্লাহ আল-মামুন (ক্ষ ন্ত স্থ)",
		"ক্ষ ন্ত স্থ",
		"01*******78", "123456789012",
		"যাকাত / Zakat",
		"থ্যালাসেমিয়া / Thalassaemia",
		"বিকাশ / bKash", "BHF7K2LQ9X",
		"৳১,২৫,০০০.৫০", "Tk 1,25,000.50",
		"কথায়: এক লক্ষ পঁচিশ হাজার টাকা পঞ্চাশ পয়সা মাত্র",
		"In words: One lakh twenty-five thousand taka and fifty paisa only",
		"ইলেকট্রনিকভাবে স্বাক্ষরিত", "Signed electronically", "ed25519:7f3a9c21",
		rc.VerifyURL,
	)
	for _, para := range strings.Split(DefaultCitation, "\n") {
		wantText(t, text, para)
	}
	// No stray spaces inside Bengali words: every Bengali word of the
	// citation appears intact.
	for _, w := range strings.Fields(strings.Split(DefaultCitation, "\n")[0]) {
		if !strings.Contains(text, w) {
			t.Errorf("word %q split or garbled in extracted text", w)
		}
	}
}

// TestBengaliShaping round-trips words that exercise every shaping feature
// receipts rely on, one per line, through pdftotext.
func TestBengaliShaping(t *testing.T) {
	words := []string{
		"ক্ষ ন্ত স্থ জ্ঞ ক্ত ঙ্গ",         // conjuncts
		"কি কী কে কৈ কো কৌ",               // pre-base and split vowel signs
		"বোর্ডের অন্তর্ভুক্ত পর্যন্ত",     // reph, with u-kar below
		"কল্যাণ ব্যাংক প্রজ্ঞাপন ক্র",     // ya-phala, ra-phala, anusvar
		"চাঁদ পাঁচ সাঁইত্রিশ",             // candrabindu
		"রূপ কৃষক হৃদয় শ্রী",             // ru, ri-kar, shri
		"দুঃখ র\u200d্যাব",                // visarga, ZWJ ra-ya
		"৳১,২৫,০০০.৫০ Tk 1,25,000.50 মোট", // mixed scripts in one line
	}
	r := newRenderer(t)
	p := r.newPen(a5Width, a5Height)
	defer p.release()
	for i, w := range words {
		p.left(20, 40+float64(i)*40, w, style{size: 20, bold: i%2 == 1})
	}
	var buf bytes.Buffer
	if err := p.d.finish(&buf, docInfo{title: "shaping"}); err != nil {
		t.Fatal(err)
	}
	raw := string(runTool(t, "pdftotext", "-enc", "UTF-8", writeTemp(t, buf.Bytes()), "-"))
	var got []string
	for _, l := range strings.Split(raw, "\n") {
		if l = strings.TrimSpace(strings.Trim(l, "\f")); l != "" {
			got = append(got, l)
		}
	}
	if len(got) != len(words) {
		t.Fatalf("got %d lines, want %d:\n%s", len(got), len(words), raw)
	}
	for i := range words {
		if normalize(got[i]) != normalize(words[i]) {
			t.Errorf("line %d: got %q, want %q", i, got[i], words[i])
		}
	}
	_, img := pdfPNG(t, buf.Bytes(), "72")
	if dark(img) < 0.01 {
		t.Error("shaping specimen rendered blank")
	}
}

func TestReceiptRendersToPNG(t *testing.T) {
	r := newRenderer(t)
	rc := sampleReceipt()
	pdf := render(t, r, rc)
	_, img := pdfPNG(t, pdf, "100")
	// A5 at 100 dpi.
	if b := img.Bounds(); b.Dx() != 583 || b.Dy() != 827 {
		t.Errorf("page is %dx%d px, want 583x827 (A5 at 100 dpi)", b.Dx(), b.Dy())
	}
	if f := dark(img); f < 0.03 || f > 0.3 {
		t.Errorf("%.3f of the page is dark; expected a printed receipt", f)
	}
	// The QR code sits in the bottom-right corner and must scan back to the
	// verification URL.
	if got := decodeQR(t, crop(img, 0.6, 0.7, 1, 1)); got != rc.VerifyURL {
		t.Errorf("QR code decodes to %q, want %q", got, rc.VerifyURL)
	}
	if *update {
		// Greyscale keeps the reference image small; receipts are printed
		// in black and white anyway.
		g := image.NewGray(img.Bounds())
		draw.Draw(g, g.Bounds(), img, img.Bounds().Min, draw.Src)
		var ref bytes.Buffer
		if err := (&png.Encoder{CompressionLevel: png.BestCompression}).Encode(&ref, g); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile("testdata/receipt.png", ref.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := os.Stat("testdata/receipt.png"); err != nil {
		t.Errorf("reference image missing (go test -run TestReceiptRendersToPNG -update): %v", err)
	}
}

// dark returns the fraction of pixels darker than mid-grey.
func dark(img image.Image) float64 {
	b := img.Bounds()
	n := 0
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if r+g+bl < 3*0x8000 {
				n++
			}
		}
	}
	return float64(n) / float64(b.Dx()*b.Dy())
}

func TestFontsEmbeddedAndSubset(t *testing.T) {
	r := newRenderer(t)
	out := string(runTool(t, "pdffonts", writeTemp(t, render(t, r, sampleReceipt()))))
	// name type encoding emb sub uni
	re := regexp.MustCompile(`(?m)^([A-Z]{6})\+(\S+)\s+CID TrueType\s+Identity-H\s+yes\s+yes\s+yes`)
	fonts := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(out, -1) {
		fonts[m[2]] = true
	}
	for _, f := range []string{"NotoSans-Regular", "NotoSans-Bold", "NotoSansBengali-Regular", "NotoSansBengali-Bold"} {
		if !fonts[f] {
			t.Errorf("%s not embedded as a subset CID TrueType font with ToUnicode:\n%s", f, out)
		}
	}
}

func TestAnonymousDonor(t *testing.T) {
	r := newRenderer(t)
	rc := sampleReceipt()
	rc.DonorName, rc.Anonymous, rc.TIN, rc.Programme, rc.TransactionID = "", true, "", "", ""
	rc.Kind, rc.PaymentMethod = "sadaqah", "cash"
	rc.Amount = money.Taka(500)
	text := pdfText(t, render(t, r, rc))
	wantText(t, text, "বেনামী / Anonymous", "সদকা / Sadaqah", "নগদ অর্থ / Cash",
		"কথায়: পাঁচ শত টাকা মাত্র", "In words: Five hundred taka only", "৳৫০০.০০", "Tk 500.00")
	for _, absent := range []string{"TIN", "Programme", "Transaction ID"} {
		if strings.Contains(text, absent) {
			t.Errorf("empty optional field %q is printed", absent)
		}
	}
	// Anonymous wins over a stored name.
	rc.DonorName = "Hidden Name"
	if text := pdfText(t, render(t, r, rc)); strings.Contains(text, "Hidden Name") {
		t.Error("anonymous receipt shows the donor's name")
	}
}

func TestCancellationNote(t *testing.T) {
	r := newRenderer(t)
	rc := sampleReceipt()
	rc.Serial = "DMCH/2025-26/000150"
	rc.Kind = "general"
	rc.Cancellation = &Cancellation{
		OriginalSerial:   "DMCH/2025-26/000123",
		OriginalIssuedAt: time.Date(2025, time.August, 15, 4, 30, 0, 0, time.UTC),
		Reason:           "দাতার অনুরোধে ফেরত (donor request)",
		Refunded:         money.Amount(5000000),
		RefundRef:        "TR0011ABCD",
	}
	text := pdfText(t, render(t, r, rc))
	wantText(t, text, "বাতিল নোট · Cancellation note", "DMCH/2025-26/000150", "DMCH/2025-26/000123",
		"বাতিলের কারণ · Reason দাতার অনুরোধে ফেরত (donor request)", "ফেরত আইডি · bKash refund ID TR0011ABCD",
		"সাধারণ দান / General donation", "সম্পূর্ণ ফেরত — রেয়াতযোগ্য নয়", "Fully refunded — not eligible for a tax rebate",
		"কথায়: পঞ্চাশ হাজার টাকা মাত্র", "In words: Fifty thousand taka only",
		"৳১,২৫,০০০.৫০", "৳৫০,০০০.০০", "Tk 50,000.00")
	if strings.Contains(text, "Rogi Kalyan Samiti qualify") {
		t.Error("cancellation note prints the tax-rebate citation")
	}
}

// TestPartialCancellationNote (issue 23): a note that leaves part of the
// gift eligible is titled a partial cancellation note and states the
// refund and the remainder in both languages — never that the gift cannot
// be claimed. A counter gift's note names the cash reference.
func TestPartialCancellationNote(t *testing.T) {
	r := newRenderer(t)
	rc := sampleReceipt()
	rc.Amount, rc.PaymentMethod, rc.TransactionID = money.Taka(2000), "cash", ""
	rc.Cancellation = &Cancellation{OriginalSerial: "DMCH/2025-26/000123", Reason: "donor asked", Refunded: money.Taka(500),
		RefundRef: "CASH-rf_0123", Eligible: money.Taka(1500)}
	text := pdfText(t, render(t, r, rc))
	wantText(t, text, "আংশিক বাতিল নোট · Partial cancellation note",
		"৳৫০০.০০ ফেরত — রেয়াতযোগ্য ৳১,৫০০.০০", "Tk 500.00 refunded — Tk 1,500.00 eligible for a tax rebate",
		"নগদ ফেরত · Cash refund ref. CASH-rf_0123", "৳১,৫০০.০০ (Tk 1,500.00)")
	for _, absent := range []string{"cannot be claimed", "দাবি করা যাবে না", "সম্পূর্ণ ফেরত", "bKash refund ID"} {
		if strings.Contains(text, absent) {
			t.Errorf("partial note says %q:\n%s", absent, text)
		}
	}
}

func TestCustomCitationAndLongValues(t *testing.T) {
	r := newRenderer(t)
	rc := sampleReceipt()
	rc.Citation = "কনফিগারেশন থেকে নেওয়া উদ্ধৃতি।\nCitation taken from configuration."
	rc.DonorName = strings.Repeat("মোহাম্মদ আব্দুল্লাহ ", 8) + "Chowdhury"
	rc.VerifyURL = "https://verify.kalyan.example.org/r/" + strings.Repeat("01J9Z3K4X5Y6Z7A8B9C0", 3)
	pdf := render(t, r, rc)
	text := pdfText(t, pdf)
	wantText(t, text, "কনফিগারেশন থেকে নেওয়া উদ্ধৃতি।", "Citation taken from configuration.")
	if strings.Contains(text, "section 76(1)") {
		t.Error("default citation printed although configuration supplied one")
	}
	// A name longer than the API accepts (169 characters; the limit is
	// 120) stays on its one line: shrunk, then cut with "…" (issue #23:
	// a value never spills into another field's space). Before, it wrapped.
	wantText(t, text, "দাতা · Donor "+strings.Repeat("মোহাম্মদ আব্দুল্লাহ ", 4))
	if !strings.Contains(text, "… মোবাইল · Mobile 01*******78") {
		t.Errorf("over-long name not cut on its own line:\n%s", text)
	}
	// A name at the limit prints whole.
	rc.DonorName = strings.TrimSpace(strings.Repeat("মোহাম্মদ আব্দুল্লাহ ", 6))
	wantText(t, pdfText(t, render(t, r, rc)), "দাতা · Donor "+rc.DonorName+" মোবাইল · Mobile")
	// The long URL is broken across lines for print but still scans whole.
	_, img := pdfPNG(t, pdf, "150")
	if got := decodeQR(t, crop(img, 0.6, 0.65, 1, 1)); got != rc.VerifyURL {
		t.Errorf("QR code decodes to %q", got)
	}
}

func TestInvalidReceipt(t *testing.T) {
	r := newRenderer(t)
	for name, mod := range map[string]func(*Receipt){
		"no serial":   func(rc *Receipt) { rc.Serial = "" },
		"no time":     func(rc *Receipt) { rc.IssuedAt = time.Time{} },
		"no URL":      func(rc *Receipt) { rc.VerifyURL = " " },
		"negative":    func(rc *Receipt) { rc.Amount = -1 },
		"no original": func(rc *Receipt) { rc.Cancellation = &Cancellation{Refunded: 1} },
	} {
		rc := sampleReceipt()
		mod(&rc)
		var buf bytes.Buffer
		if err := r.Render(&buf, rc); !errors.Is(err, ErrInvalid) {
			t.Errorf("%s: err = %v, want ErrInvalid", name, err)
		}
		if buf.Len() != 0 {
			t.Errorf("%s: wrote %d bytes for an invalid receipt", name, buf.Len())
		}
	}
}

// TestConcurrentRender renders from many goroutines on one Renderer (run
// with -race) and checks every result is a complete, correct document.
func TestConcurrentRender(t *testing.T) {
	r := newRenderer(t)
	const workers, each = 8, 12
	results := make([][]byte, workers*each)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				n := w*each + i
				rc := sampleReceipt()
				rc.Serial = fmt.Sprintf("DMCH/2025-26/%06d", n)
				rc.Amount = money.Amount(100 * (n + 1))
				var buf bytes.Buffer
				if err := r.Render(&buf, rc); err != nil {
					t.Error(err)
					return
				}
				results[n] = buf.Bytes()
			}
		}()
	}
	wg.Wait()
	for _, n := range []int{0, 13, 50, workers*each - 1} {
		text := pdfText(t, results[n])
		wantText(t, text, fmt.Sprintf("DMCH/2025-26/%06d", n), bnfmt.WordsBN(money.Amount(100*(n+1))),
			"ঢাকা মেডিকেল কলেজ হাসপাতাল রোগীকল্যাণ সমিতি")
	}
	for n, pdf := range results {
		if !bytes.HasPrefix(pdf, []byte("%PDF-1.7")) || !bytes.HasSuffix(pdf, []byte("%%EOF\n")) {
			t.Fatalf("document %d is truncated", n)
		}
	}
}

func FuzzShape(f *testing.F) {
	for _, s := range []string{"", "ক্ষ", "র্\u200dয", "\u09cd\u09cd", "a\u0301", "ি", "Tk ৳ 12", "\u200d\u200c", "\x00\xff", "্র্য়্"} {
		f.Add(s)
	}
	r := newRenderer(f)
	f.Fuzz(func(t *testing.T, s string) {
		p := r.newPen(a5Width, a5Height)
		defer p.release()
		for _, line := range p.wrap(s, style{size: 10}, 100) {
			p.draw(10, 10, line, 10)
		}
		var buf bytes.Buffer
		if err := p.d.finish(&buf, docInfo{title: s}); err != nil {
			t.Fatal(err)
		}
	})
}
