package receiptpdf

import (
	"bytes"
	"fmt"
	"html"
	"math"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// Issue #23: a free-text value (the donor's name) must stay inside its own
// box on one line, so that it can neither add a line that reads as a label
// or an amount nor push the real ones out of place. The checks read the
// PDF back with `pdftotext -bbox`: every word outside the name's box must
// be exactly where, and what, it is on the same document with a plain
// name, and the words inside the box must sit on its one line, with no
// gap wider than a space.

// word is one word of `pdftotext -bbox`, in points from the page's top left.
type word struct {
	page                   int
	text                   string
	xMin, yMin, xMax, yMax float64
}

var (
	bboxPage = regexp.MustCompile(`<page `)
	bboxWord = regexp.MustCompile(`<word xMin="([0-9.]+)" yMin="([0-9.]+)" xMax="([0-9.]+)" yMax="([0-9.]+)">([^<]*)</word>`)
)

func pdfWords(t testing.TB, pdf []byte) []word {
	t.Helper()
	out := string(runTool(t, "pdftotext", "-bbox", "-enc", "UTF-8", writeTemp(t, pdf), "-"))
	var words []word
	page := 0
	for _, chunk := range bboxPage.Split(out, -1)[1:] {
		page++
		for _, m := range bboxWord.FindAllStringSubmatch(chunk, -1) {
			w := word{page: page, text: normalize(html.UnescapeString(m[5]))}
			w.xMin, _ = strconv.ParseFloat(m[1], 64)
			w.yMin, _ = strconv.ParseFloat(m[2], 64)
			w.xMax, _ = strconv.ParseFloat(m[3], 64)
			w.yMax, _ = strconv.ParseFloat(m[4], 64)
			words = append(words, w)
		}
	}
	return words
}

// box is a value's cell: one line of page, from x0 to x1, at the height of
// the reference value word.
type box struct {
	page           int
	x0, x1, y0, y1 float64
}

func (b box) holds(w word) bool {
	yc := (w.yMin + w.yMax) / 2
	return w.page == b.page && yc >= b.y0 && yc <= b.y1 && w.xMin >= b.x0-0.5
}

// cellOf finds the box of the value drawn as the reference word at its
// place; the box runs to xRight.
func cellOf(t testing.TB, ref []word, value string, xRight float64) box {
	t.Helper()
	for _, w := range ref {
		if w.text == value {
			return box{page: w.page, x0: w.xMin, x1: xRight, y0: w.yMin, y1: w.yMax}
		}
	}
	t.Fatalf("reference value %q not found", value)
	return box{}
}

func near(a, b float64) bool { return math.Abs(a-b) < 0.6 }

// checkInPlace compares got with ref outside cell and checks the words
// inside it. It returns a description of the first difference ("" if none).
func checkInPlace(ref, got []word, cell box) string {
	// pdftotext's reading order follows the layout it guesses, which a
	// different name may change: compare in page, line, x order.
	outside := func(ws []word) []word {
		out := slices.DeleteFunc(slices.Clone(ws), cell.holds)
		slices.SortStableFunc(out, func(a, b word) int {
			if a.page != b.page {
				return a.page - b.page
			}
			if !near(a.yMin, b.yMin) {
				return int(math.Copysign(1, a.yMin-b.yMin))
			}
			return int(math.Copysign(1, a.xMin-b.xMin))
		})
		return out
	}
	ro, gotOut := outside(ref), outside(got)
	for i := 0; i < max(len(ro), len(gotOut)); i++ {
		if i >= len(ro) || i >= len(gotOut) {
			return fmt.Sprintf("%d words outside the name's box, want %d (first extra: %v)", len(gotOut), len(ro), append(gotOut[min(i, len(gotOut)):], ro[min(i, len(ro)):]...)[0])
		}
		r, g := ro[i], gotOut[i]
		if r.text != g.text || r.page != g.page || !near(r.xMin, g.xMin) || !near(r.yMin, g.yMin) || !near(r.xMax, g.xMax) {
			return fmt.Sprintf("outside the name's box, word %d is %q at (%.1f, %.1f) p%d, want %q at (%.1f, %.1f) p%d",
				i, g.text, g.xMin, g.yMin, g.page, r.text, r.xMin, r.yMin, r.page)
		}
	}
	var in []word
	for _, w := range got {
		if cell.holds(w) {
			in = append(in, w)
		}
	}
	slices.SortFunc(in, func(a, b word) int { return int(a.xMin*100 - b.xMin*100) })
	h := cell.y1 - cell.y0
	for i, w := range in {
		if w.xMax > cell.x1+0.5 {
			return fmt.Sprintf("name word %q ends at x=%.1f, beyond its box (%.1f)", w.text, w.xMax, cell.x1)
		}
		if i > 0 && w.xMin-in[i-1].xMax > h {
			return fmt.Sprintf("a gap of %.1f pt inside the name (%q … %q): white space not collapsed", w.xMin-in[i-1].xMax, in[i-1].text, w.text)
		}
	}
	return ""
}

const receiptValueRight = a5Width - rMargin

func forgedReceipt(name string) Receipt {
	rc := sampleReceipt()
	rc.PaidAt = rc.IssuedAt.Add(-time.Minute)
	rc.Amount = money.Taka(100)
	rc.DonorName = name
	return rc
}

func forgedStatement(name string) Statement {
	st := sampleStatement(3)
	for i := range st.Rows {
		st.Rows[i].Amount = money.Taka(300) // Tk 900 in all
	}
	st.DonorName = name
	return st
}

// TestForgedLinesStayInTheirBox reproduces the three documents of issue
// #23 (the forged names reach the renderer as stored text: the API now
// refuses them, but receipts signed before it did keep their names).
func TestForgedLinesStayInTheirBox(t *testing.T) {
	r := newRenderer(t)
	refReceipt := pdfWords(t, render(t, r, forgedReceipt("Rahim")))
	refStatement := pdfWords(t, renderStatement(t, r, forgedStatement("Rahim")))
	for _, c := range []struct {
		name, donor string
		statement   bool
	}{
		{"newline forges an Amount line", "Rahim\nপরিমাণ · Amount ৳৫,০০,০০০   Tk 5,00,000", false},
		{"CRLF forges an In words line", "Rahim\r\nIn words: Five lakh taka only", false},
		{"80 spaces put Tk 5,00,000 at the top right of a statement", "Rahim" + strings.Repeat(" ", 80) + "Tk 5,00,000", true},
	} {
		t.Run(c.name, func(t *testing.T) {
			var ref, got []word
			var cell box
			if c.statement {
				ref, got = refStatement, pdfWords(t, renderStatement(t, r, forgedStatement(c.donor)))
				cell = cellOf(t, ref, "Rahim", a4Width-sMargin)
			} else {
				ref, got = refReceipt, pdfWords(t, render(t, r, forgedReceipt(c.donor)))
				cell = cellOf(t, ref, "Rahim", receiptValueRight)
			}
			if msg := checkInPlace(ref, got, cell); msg != "" {
				t.Fatal(msg)
			}
		})
	}
	// The amount box still says Tk 100 exactly once.
	text := pdfText(t, render(t, r, forgedReceipt("Rahim\nপরিমাণ · Amount ৳৫,০০,০০০   Tk 5,00,000")))
	if n := strings.Count(text, "In words: One hundred taka only"); n != 1 {
		t.Errorf("the amount in words appears %d times", n)
	}
}

// FuzzRenderedNames feeds arbitrary donor names through the receipt and
// statement renderers: every label, the amount box and everything else
// must appear exactly once and in place, the name only in its box (make
// fuzz runs it).
func FuzzRenderedNames(f *testing.F) {
	for _, s := range []string{
		"Rahim\nপরিমাণ · Amount ৳৫,০০,০০০   Tk 5,00,000", "Rahim\r\nIn words: Five lakh taka only",
		"Rahim" + strings.Repeat(" ", 80) + "Tk 5,00,000", "মোঃ আব্দুল্লাহ", "র\u200d্যাব \u202eTk 5\u202c",
		strings.Repeat("W", 400), strings.Repeat("ক্ষ", 200), "\u2028\u2029\v\f\x00", "",
	} {
		f.Add(s)
	}
	r := newRenderer(f)
	var buf bytes.Buffer
	if err := r.Render(&buf, forgedReceipt("Rahim")); err != nil {
		f.Fatal(err)
	}
	refReceipt := pdfWords(f, buf.Bytes())
	buf.Reset()
	if err := r.RenderStatement(&buf, forgedStatement("Rahim")); err != nil {
		f.Fatal(err)
	}
	refStatement := pdfWords(f, buf.Bytes())
	receiptCell := cellOf(f, refReceipt, "Rahim", receiptValueRight)
	statementCell := cellOf(f, refStatement, "Rahim", a4Width-sMargin)
	f.Fuzz(func(t *testing.T, name string) {
		if len(name) > 2000 {
			return
		}
		var b bytes.Buffer
		if err := r.Render(&b, forgedReceipt(name)); err != nil {
			t.Fatal(err)
		}
		if msg := checkInPlace(refReceipt, pdfWords(t, b.Bytes()), receiptCell); msg != "" {
			t.Fatalf("receipt: %s", msg)
		}
		b.Reset()
		if err := r.RenderStatement(&b, forgedStatement(name)); err != nil {
			t.Fatal(err)
		}
		if msg := checkInPlace(refStatement, pdfWords(t, b.Bytes()), statementCell); msg != "" {
			t.Fatalf("statement: %s", msg)
		}
	})
}
