package receiptpdf

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/money"
)

func sampleStatement(rows int) Statement {
	st := Statement{
		DonorName:    "ফাতেমা খাতুন",
		MobileMasked: "01*******78",
		TIN:          "123456789012",
		FiscalYear:   "2025-26",
		GeneratedAt:  time.Date(2026, time.July, 2, 9, 0, 0, 0, time.UTC),
	}
	kinds := []string{"zakat", "sadaqah", "general"}
	units := []string{"DMCH Rogi Kalyan Samiti", "RMCH Rogi Kalyan Samiti", "UHC Debidwar RKS"}
	for i := 0; i < rows; i++ {
		st.Rows = append(st.Rows, StatementRow{
			IssuedAt: time.Date(2025, time.July, 1, 10, 0, 0, 0, time.UTC).Add(time.Duration(i) * 24 * time.Hour),
			Serial:   fmt.Sprintf("DMCH/2025-26/%06d", i+1),
			Unit:     units[i%3],
			Kind:     kinds[i%3],
			Amount:   money.Taka(int64(100 * (i + 1))),
		})
	}
	return st
}

func renderStatement(t *testing.T, r *Renderer, st Statement) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := r.RenderStatement(&buf, st); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func pageCount(t *testing.T, pdf []byte) int {
	t.Helper()
	m := regexp.MustCompile(`(?m)^Pages:\s+(\d+)`).FindSubmatch(runTool(t, "pdfinfo", writeTemp(t, pdf)))
	if m == nil {
		t.Fatal("pdfinfo printed no page count")
	}
	var n int
	fmt.Sscan(string(m[1]), &n)
	return n
}

func TestStatementMultiPage(t *testing.T) {
	r := newRenderer(t)
	st := sampleStatement(80)
	st.Rows[5].Refunded = st.Rows[5].Amount // 600 taka general donation, refunded
	st.Rows[6].Refunded = money.Taka(200)   // 700 taka gift, 200 refunded
	pdf := renderStatement(t, r, st)
	pages := pageCount(t, pdf)
	if pages < 3 {
		t.Fatalf("80 rows on %d pages; expected at least 3", pages)
	}
	text := pdfText(t, pdf)
	for _, row := range st.Rows {
		if !strings.Contains(text, row.Serial) {
			t.Errorf("row %s missing", row.Serial)
		}
	}
	byKind, count := map[string]money.Amount{}, map[string]int{}
	var grand money.Amount
	for _, row := range st.Rows {
		if !row.Cancelled() {
			byKind[row.Kind] += row.Net()
			count[row.Kind]++
			grand += row.Net()
		}
	}
	total := func(kind, label string) string {
		n := fmt.Sprint(count[kind])
		return label + " " + bnfmt.Digits(n) + " টি / " + n + " receipt(s) " + bnfmt.Taka(byKind[kind], "bn") + " " + bnfmt.Taka(byKind[kind], "en")
	}
	wantText(t, text,
		"বার্ষিক দান বিবরণী", "Annual Donation Statement", "অর্থবছর ২০২৫-২৬", "1 July 2025 – 30 June 2026",
		"ফাতেমা খাতুন", "বাতিল / Cancelled: সাধারণ দান / General donation", "refunded Tk 200.00",
		fmt.Sprintf("Page %d of %d", pages, pages), fmt.Sprintf("পৃষ্ঠা %s/%s", bnfmt.Digits(fmt.Sprint(pages)), bnfmt.Digits(fmt.Sprint(pages))),
		total("zakat", "যাকাত / Zakat"), total("sadaqah", "সদকা / Sadaqah"), total("general", "সাধারণ দান / General donation"),
		bnfmt.Taka(grand, "bn"), bnfmt.Taka(grand, "en"),
		"কথায়: "+bnfmt.WordsBN(grand), "In words: "+bnfmt.WordsEN(grand),
	)
	if grand != money.Taka(100*80*81/2-600-200) {
		t.Fatalf("test arithmetic: grand %v", grand)
	}
	for _, para := range strings.Split(DefaultCitation, "\n") {
		wantText(t, text, para)
	}
	_, img := pdfPNG(t, pdf, "50")
	if dark(img) < 0.02 {
		t.Error("first statement page rendered blank")
	}
}

func TestStatementEmptyAndShort(t *testing.T) {
	r := newRenderer(t)
	empty := renderStatement(t, r, sampleStatement(0))
	if n := pageCount(t, empty); n != 1 {
		t.Errorf("empty statement has %d pages", n)
	}
	wantText(t, pdfText(t, empty), "No receipts in this fiscal year", "Page 1 of 1", "শূন্য টাকা মাত্র")

	short := renderStatement(t, r, sampleStatement(3))
	if n := pageCount(t, short); n != 1 {
		t.Errorf("3-row statement has %d pages", n)
	}
	var buf bytes.Buffer
	if err := r.RenderStatement(&buf, Statement{}); err == nil {
		t.Error("statement without fiscal year accepted")
	}
}

// TestStatementRefundsInBothLanguages (issue 13): a refunded row keeps its
// gift type in Bengali as well as English, says what was refunded in both,
// and the totals state the year's refunded amount in both languages.
func TestStatementRefundsInBothLanguages(t *testing.T) {
	r := newRenderer(t)
	st := sampleStatement(10)
	st.Rows[5].Refunded = st.Rows[5].Amount // 600 taka general donation, refunded
	st.Rows[6].Refunded = money.Taka(200)   // 700 taka zakat, 200 refunded
	text := pdfText(t, renderStatement(t, r, st))
	wantText(t, text,
		"বাতিল / Cancelled: সাধারণ দান / General donation", "যাকাত / Zakat;", "ফেরত ৳২০০.০০ / refunded Tk 200.00",
		"মোট ফেরত (রেয়াতযোগ্য নয়) · Total refunded (not eligible)", "৳৮০০.০০ Tk 800.00")
}
