package receiptpdf

import (
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
)

// TableDoc is a document of titled tables (the oversight reports, issue
// #18), set with the receipts' shaping and fonts so Bengali prints and
// extracts correctly.
type TableDoc struct {
	Title, Subtitle string
	GeneratedAt     time.Time
	Tables          []DocTable
	// Seal is printed under every page: what makes the document checkable
	// (the content's digest and the platform's seal over it).
	Seal string
}

// DocTable is one table: the first column is a label, the others are
// figures, right-aligned.
type DocTable struct {
	Title  string
	Header []string
	Rows   [][]string
}

const (
	tLabelW = 190.0
	tRowH   = 15.0
	tTop    = 110.0
)

// RenderTables writes d as an A4 PDF of as many pages as its tables need.
// Safe for concurrent use.
func (r *Renderer) RenderTables(w io.Writer, d TableDoc) error {
	if d.Title == "" {
		return fmt.Errorf("%w: document without a title", ErrInvalid)
	}
	p := r.newPen(a4Width, a4Height)
	defer p.release()
	gen := d.GeneratedAt
	if gen.IsZero() {
		gen = time.Now()
	}
	gen = gen.In(r.dhaka)
	page := 0
	header := func() {
		mid := a4Width / 2
		p.center(mid, 50, d.Title, style{size: 14, bold: true, maxW: sContent, minSize: 8})
		p.center(mid, 68, d.Subtitle, style{size: 9.5, maxW: sContent, minSize: 6})
		p.d.strokeGray(0)
		p.d.line(sMargin, p.d.height-80, a4Width-sMargin, p.d.height-80, 1)
	}
	footer := func() {
		p.d.strokeGray(0.5)
		p.d.line(sMargin, p.d.height-sFootTop+10, a4Width-sMargin, p.d.height-sFootTop+10, 0.5)
		p.d.fillGray(gray)
		n := strconv.Itoa(page + 1)
		p.left(sMargin, sFootTop+2, "প্রস্তুত: "+bnfmt.DateBN(gen)+"  ·  Generated "+bnfmt.DateEN(gen), style{size: 7})
		p.right(a4Width-sMargin, sFootTop+2, "পৃষ্ঠা "+bnfmt.Digits(n)+"  ·  Page "+n, style{size: 7})
		if d.Seal != "" {
			p.left(sMargin, sFootTop+12, d.Seal, style{size: 6, maxW: sContent, minSize: 4})
		}
		p.d.fillGray(0)
	}
	header()
	top := tTop
	newPage := func() {
		footer()
		p.d.endPage()
		page++
		header()
		top = tTop
	}
	for _, t := range d.Tables {
		if top+3*tRowH > sFootTop-20 {
			newPage()
		}
		p.left(sMargin, top, t.Title, style{size: 10, bold: true, maxW: sContent, minSize: 6})
		top += tRowH + 2
		cols := len(t.Header)
		colW := (sContent - tLabelW) / float64(max(cols-1, 1))
		row := func(cells []string, s style, shade bool) {
			if shade {
				p.d.fillGray(0.9)
				p.d.rect(sMargin, p.d.height-top-5, sContent, tRowH)
				p.d.fill()
				p.d.fillGray(0)
			}
			for i, c := range cells {
				if i == 0 {
					p.left(sMargin+2, top, c, style{size: s.size, bold: s.bold, maxW: tLabelW - 6, minSize: 4})
					continue
				}
				p.right(sMargin+tLabelW+float64(i)*colW-2, top, c, style{size: s.size, bold: s.bold, maxW: colW - 4, minSize: 4})
			}
			p.d.strokeGray(0.7)
			p.d.line(sMargin, p.d.height-top-5, a4Width-sMargin, p.d.height-top-5, 0.3)
			top += tRowH
		}
		row(t.Header, style{size: 7.5, bold: true}, true)
		for _, cells := range t.Rows {
			if top > sFootTop-30 {
				newPage()
				row(t.Header, style{size: 7.5, bold: true}, true)
			}
			row(cells, style{size: 8}, false)
		}
		top += 10
	}
	footer()
	if err := p.d.finish(w, docInfo{title: d.Title, created: gen}); err != nil {
		return fmt.Errorf("render tables: %w", err)
	}
	return nil
}
