package receiptpdf

import (
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Statement is a donor's annual statement: every receipt of one fiscal year
// (July–June) across all units, with totals by gift kind.
type Statement struct {
	DonorName    string
	MobileMasked string
	TIN          string // optional
	FiscalYear   string // "2025-26"
	GeneratedAt  time.Time
	Rows         []StatementRow
	// Citation as for Receipt; empty means DefaultCitation.
	Citation string
	// Truncated: the donor has more receipts in the year than are listed;
	// the document says so above the totals.
	Truncated bool
}

// StatementRow is one receipt on a statement.
type StatementRow struct {
	// PaidAt dates the row: the gift's date for the rebate (Asia/Dhaka).
	// Zero falls back to IssuedAt.
	PaidAt    time.Time
	IssuedAt  time.Time
	Serial    string
	Unit      string // unit or samiti name as it should be printed
	Kind      string
	Programme string
	Amount    money.Amount
	// Refunded is what cancellation notes have taken back: the totals count
	// Amount-Refunded, and a fully refunded receipt is listed struck through.
	Refunded money.Amount
}

// Cancelled reports whether refunds took back the whole gift.
func (r StatementRow) Cancelled() bool { return r.Refunded >= r.Amount }

// Net is what the receipt still stands for.
func (r StatementRow) Net() money.Amount { return max(r.Amount-r.Refunded, 0) }

// A4 portrait layout, points.
const (
	sMargin   = 40.0
	sContent  = a4Width - 2*sMargin
	sRowH     = 17.0
	sBodyTop  = 206.0 // first row baseline on every page
	sFootTop  = a4Height - 36
	sTotalsHi = 250.0 // space the totals and citation need on the last page
)

// RenderStatement writes st as an A4 PDF of as many pages as its rows need.
// Safe for concurrent use.
func (r *Renderer) RenderStatement(w io.Writer, st Statement) error {
	if strings.TrimSpace(st.FiscalYear) == "" {
		return fmt.Errorf("%w: statement without fiscal year", ErrInvalid)
	}
	body := sFootTop - 20 - sBodyTop
	perPage := int(body / sRowH)
	pages := (len(st.Rows) + perPage - 1) / perPage
	if pages == 0 {
		pages = 1
	}
	lastRows := len(st.Rows) - (pages-1)*perPage
	if sBodyTop+float64(lastRows)*sRowH+sTotalsHi > sFootTop {
		pages++ // totals go on a page of their own
	}

	p := r.newPen(a4Width, a4Height)
	defer p.release()
	gen := st.GeneratedAt
	if gen.IsZero() {
		gen = time.Now()
	}
	gen = gen.In(r.dhaka)

	var totals []kindTotal
	var grand, refunded money.Amount
	for _, row := range st.Rows {
		refunded += min(row.Refunded, row.Amount)
		if row.Cancelled() {
			continue
		}
		grand += row.Net()
		k := strings.ToLower(row.Kind)
		found := false
		for i := range totals {
			if totals[i].kind == k {
				totals[i].sum += row.Net()
				totals[i].n++
				found = true
			}
		}
		if !found {
			totals = append(totals, kindTotal{kind: k, sum: row.Net(), n: 1})
		}
	}

	for page := 0; page < pages; page++ {
		if page > 0 {
			p.d.endPage()
		}
		p.statementHeader(&st, page == 0)
		lo := min(page*perPage, len(st.Rows))
		hi := min(lo+perPage, len(st.Rows))
		top := p.statementTable(st.Rows[lo:hi], lo)
		if page == pages-1 {
			if hi-lo == 0 && page > 0 {
				top = sBodyTop - 30
			}
			p.statementTotals(&st, totals, grand, refunded, top+10)
		}
		p.statementFooter(page, pages, gen)
	}
	if err := p.d.finish(w, docInfo{title: "Annual donation statement " + st.FiscalYear, created: gen}); err != nil {
		return fmt.Errorf("render statement: %w", err)
	}
	return nil
}

type kindTotal struct {
	kind string
	sum  money.Amount
	n    int
}

// fiscalPeriod turns "2025-26" into its July–June dates.
func fiscalPeriod(fy string) (from, to time.Time, ok bool) {
	a, _, found := strings.Cut(fy, "-")
	y, err := strconv.Atoi(a)
	if !found || err != nil || y < 2000 || y > 2200 {
		return time.Time{}, time.Time{}, false
	}
	return time.Date(y, time.July, 1, 0, 0, 0, 0, time.UTC), time.Date(y+1, time.June, 30, 0, 0, 0, 0, time.UTC), true
}

func (p *pen) statementHeader(st *Statement, first bool) {
	d := p.d
	mid := a4Width / 2
	p.center(mid, 52, "বার্ষিক দান বিবরণী  ·  Annual Donation Statement", style{size: 15, bold: true, fixed: true})
	fy := "অর্থবছর " + bnfmt.Digits(st.FiscalYear) + "  ·  Fiscal year " + st.FiscalYear
	if from, to, ok := fiscalPeriod(st.FiscalYear); ok {
		fy += "  (" + bnfmt.DateEN(from) + " – " + bnfmt.DateEN(to) + ")"
	}
	p.center(mid, 70, fy, style{size: 9.5})
	d.strokeGray(0)
	d.line(sMargin, d.height-80, a4Width-sMargin, d.height-80, 1)

	lbl := style{size: 8, fixed: true}
	top := 98.0
	donor := st.DonorName
	if strings.TrimSpace(donor) == "" {
		donor = "—"
	}
	fields := []struct {
		label bilingual
		value string
	}{{bilingual{"দাতা", "Donor"}, donor}, {bilingual{"মোবাইল", "Mobile"}, st.MobileMasked}}
	if st.TIN != "" {
		fields = append(fields, struct {
			label bilingual
			value string
		}{bilingual{"টিআইএন", "TIN"}, st.TIN})
	}
	for _, f := range fields {
		d.fillGray(gray)
		p.left(sMargin, top, f.label.bn+"  ·  "+f.label.en, lbl)
		d.fillGray(0)
		p.left(sMargin+110, top, f.value, style{size: 10, bold: true, maxW: sContent - 110, minSize: 6})
		top += 15
	}
	if first {
		d.fillGray(gray)
		p.left(sMargin, 150, "প্রতিটি রসিদ আলাদাভাবে যাচাইযোগ্য; বাতিল রসিদ মোট হিসাবে ধরা হয়নি।  ·  Each receipt can be verified on its own; cancelled receipts are not counted in the totals.",
			style{size: 7.5, fixed: true, maxW: sContent, minSize: 5})
		d.fillGray(0)
	}
}

// Table columns: x of each column's left edge; amount is right-aligned.
const (
	colNo     = sMargin
	colDate   = sMargin + 22
	colSerial = sMargin + 88
	colUnit   = sMargin + 215
	colKind   = sMargin + 338
	colAmtR   = a4Width - sMargin
)

func (p *pen) statementTable(rows []StatementRow, first int) float64 {
	d := p.d
	hdr := style{size: 7.5, bold: true, fixed: true}
	top := sBodyTop - 22
	d.fillGray(0.9)
	d.rect(sMargin, d.height-top-8, sContent, 20)
	d.fill()
	d.fillGray(0)
	p.left(colNo, top-1, "ক্রম", hdr)
	p.left(colNo, top+8, "No.", hdr)
	p.left(colDate, top-1, "পরিশোধ", hdr)
	p.left(colDate, top+8, "Paid on", hdr)
	p.left(colSerial, top-1, "রসিদ নং", hdr)
	p.left(colSerial, top+8, "Receipt No.", hdr)
	p.left(colUnit, top-1, "সমিতি", hdr)
	p.left(colUnit, top+8, "Samiti", hdr)
	p.left(colKind, top-1, "ধরন", hdr)
	p.left(colKind, top+8, "Gift type", hdr)
	p.right(colAmtR, top-1, "পরিমাণ (টাকা)", hdr)
	p.right(colAmtR, top+8, "Amount (Tk)", hdr)

	cell := style{size: 8.5}
	top = sBodyTop
	d.strokeGray(0.7)
	for i, row := range rows {
		p.left(colNo, top, strconv.Itoa(first+i+1), cell)
		date := row.PaidAt
		if date.IsZero() {
			date = row.IssuedAt
		}
		p.left(colDate, top, date.In(p.r.dhaka).Format("02 Jan 2006"), cell)
		p.left(colSerial, top, row.Serial, style{size: cell.size, maxW: colUnit - colSerial - 6, minSize: 5})
		p.left(colUnit, top, row.Unit, style{size: cell.size, fixed: true, maxW: colKind - colUnit - 6, minSize: 5})
		kind := kindLabel(row.Kind)
		if row.Programme != "" {
			kind.en += " (" + programmeLabel(row.Programme).en + ")"
		}
		kindText := kind.String()
		kindW := colAmtR - 70 - colKind
		switch {
		case row.Cancelled():
			// Two lines as below: the kind in both languages does not fit one.
			p.left(colKind, top-3.5, "বাতিল / Cancelled:", style{size: 7, fixed: true, maxW: kindW, minSize: 4.5})
			p.left(colKind, top+3.5, kindText, style{size: 7, fixed: true, maxW: kindW, minSize: 4.5})
			kindText = ""
		case row.Refunded > 0:
			// Both languages, as every label of the statement, on a second
			// line of the cell: on one line it would not fit its box.
			p.left(colKind, top-3.5, kindText+";", style{size: 7, fixed: true, maxW: kindW, minSize: 4.5})
			kindText = "ফেরত " + bnfmt.Taka(row.Refunded, "bn") + " / refunded Tk " + bnfmt.Taka(row.Refunded, "en")[len("Tk "):]
			p.left(colKind, top+3.5, kindText, style{size: 6, maxW: kindW, minSize: 4})
			kindText = ""
		}
		if kindText != "" {
			p.left(colKind, top, kindText, style{size: 8.5, fixed: true, maxW: kindW, minSize: 5})
		}
		amt := bnfmt.Taka(row.Net(), "en")[len("Tk "):]
		if row.Cancelled() {
			amt = bnfmt.Taka(row.Amount, "en")[len("Tk "):]
			// Struck through and grey: listed for completeness, not counted.
			d.fillGray(gray)
			s := p.get(amt, cell)
			w := s.width(cell.size)
			p.draw(colAmtR-w, top, s, cell.size)
			d.fillGray(0)
			d.strokeGray(0)
			d.line(colAmtR-w-1, d.height-top+3, colAmtR+1, d.height-top+3, 0.6)
			d.strokeGray(0.7)
		} else {
			p.right(colAmtR, top, amt, cell)
		}
		d.line(sMargin, d.height-top-5, a4Width-sMargin, d.height-top-5, 0.3)
		top += sRowH
	}
	if len(rows) == 0 && first == 0 {
		d.fillGray(gray)
		p.left(sMargin, top, "এই অর্থবছরে কোনো রসিদ নেই  ·  No receipts in this fiscal year", style{size: 9, fixed: true})
		d.fillGray(0)
		top += sRowH
	}
	return top
}

func (p *pen) statementTotals(st *Statement, totals []kindTotal, grand, refunded money.Amount, top float64) {
	d := p.d
	top += 8
	if st.Truncated {
		n := strconv.Itoa(len(st.Rows))
		p.left(sMargin, top, "এই বিবরণীতে বছরের প্রথম "+bnfmt.Digits(n)+"টি রসিদ আছে; বাকিগুলোর জন্য ইউনিটের অফিসে যোগাযোগ করুন।  ·  This statement lists the year's first "+n+
			" receipts; the totals are theirs. Ask a unit's office for the rest.", style{size: 8, bold: true, maxW: sContent, minSize: 5})
		top += 16
	}
	p.left(sMargin, top, "ধরন অনুযায়ী মোট  ·  Totals by gift kind", style{size: 10, bold: true, fixed: true})
	top += 16
	for _, t := range totals {
		l := kindLabel(t.kind)
		p.left(sMargin+10, top, l.String(), style{size: 9, fixed: true})
		p.left(sMargin+200, top, bnfmt.Digits(strconv.Itoa(t.n))+" টি / "+strconv.Itoa(t.n)+" receipt(s)", style{size: 8.5})
		p.right(colAmtR-150, top, bnfmt.Taka(t.sum, "bn"), style{size: 9})
		p.right(colAmtR, top, bnfmt.Taka(t.sum, "en"), style{size: 9})
		top += 14
	}
	d.strokeGray(0)
	d.line(sMargin, d.height-top+6, a4Width-sMargin, d.height-top+6, 0.8)
	top += 8
	p.left(sMargin+10, top, "সর্বমোট  ·  Grand total", style{size: 10, bold: true, fixed: true})
	p.right(colAmtR-150, top, bnfmt.Taka(grand, "bn"), style{size: 10, bold: true})
	p.right(colAmtR, top, bnfmt.Taka(grand, "en"), style{size: 10, bold: true})
	top += 15
	if refunded > 0 {
		// What refunds took back, not counted above (issue 13).
		p.left(sMargin+10, top, "মোট ফেরত (রেয়াতযোগ্য নয়)  ·  Total refunded (not eligible)", style{size: 8.5, fixed: true})
		p.right(colAmtR-150, top, bnfmt.Taka(refunded, "bn"), style{size: 8.5})
		p.right(colAmtR, top, bnfmt.Taka(refunded, "en"), style{size: 8.5})
		top += 14
	}
	top = p.drawLines(sMargin+10, top, p.wrap("কথায়: "+bnfmt.WordsBN(grand), style{size: 9, vocab: true}, sContent-10), 9, 12)
	top = p.drawLines(sMargin+10, top, p.wrap("In words: "+bnfmt.WordsEN(grand), style{size: 8.5, vocab: true}, sContent-10), 8.5, 11)

	top += 12
	p.left(sMargin, top, "কর রেয়াত  ·  Tax rebate", style{size: 9, bold: true, fixed: true})
	top += 13
	cit := st.Citation
	if strings.TrimSpace(cit) == "" {
		cit = DefaultCitation
	}
	for _, para := range strings.Split(cit, "\n") {
		top = p.drawLines(sMargin, top, p.wrap(para, style{size: 8, fixed: true}, sContent), 8, 11) + 3
	}
}

func (p *pen) statementFooter(page, pages int, gen time.Time) {
	d := p.d
	d.strokeGray(0.5)
	d.line(sMargin, d.height-sFootTop+10, a4Width-sMargin, d.height-sFootTop+10, 0.5)
	d.fillGray(gray)
	n, m := strconv.Itoa(page+1), strconv.Itoa(pages)
	p.left(sMargin, sFootTop+2, "প্রস্তুত: "+bnfmt.DateBN(gen)+"  ·  Generated "+bnfmt.DateEN(gen), style{size: 7})
	p.right(a4Width-sMargin, sFootTop+2, "পৃষ্ঠা "+bnfmt.Digits(n)+"/"+bnfmt.Digits(m)+"  ·  Page "+n+" of "+m, style{size: 7})
	d.fillGray(0)
}
