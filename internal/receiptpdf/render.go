// Package receiptpdf renders donation receipts, cancellation notes and annual
// donor statements as PDF with correctly shaped Bengali.
//
// No Go PDF library both shapes Bengali and keeps it extractable, so this
// package writes PDF itself: text is shaped with go-text/typesetting
// (HarfBuzz port), fonts are embedded as subsetted CIDFontType2 with
// Identity-H, and every cluster that is not a one-to-one glyph/character
// mapping (conjuncts, reordered vowel signs, reph) carries ActualText, so
// pdftotext and copy-paste return the original Unicode.
package receiptpdf

import (
	"fmt"
	"strings"
	"sync"
	"time"
)

// Renderer renders PDFs. It loads the embedded fonts once and is safe for
// concurrent use.
type Renderer struct {
	fonts   *fontSet
	shapers shaperPool
	docs    sync.Pool
	zlibs   sync.Pool
	labels  labelCache
	dhaka   *time.Location
}

// NewRenderer parses the embedded fonts. Create one and share it.
func NewRenderer() (*Renderer, error) {
	fs, err := loadFonts()
	if err != nil {
		return nil, fmt.Errorf("receipt renderer: %w", err)
	}
	return &Renderer{
		fonts:   fs,
		shapers: shaperPool{fs: fs},
		// Bangladesh has kept UTC+6 without daylight saving since 2009; a
		// fixed zone avoids depending on tzdata in minimal images.
		dhaka: time.FixedZone("Asia/Dhaka", 6*60*60),
	}, nil
}

// pen is one render call's drawing context: a document and a shaper, both
// owned by the calling goroutine until release.
type pen struct {
	r  *Renderer
	d  *doc
	sh *shaper
}

func (r *Renderer) newPen(width, height float64) *pen {
	d, _ := r.docs.Get().(*doc)
	if d == nil {
		d = &doc{fs: r.fonts, zpool: &r.zlibs}
	}
	d.reset(width, height)
	return &pen{r: r, d: d, sh: r.shapers.get()}
}

func (p *pen) release() {
	p.r.shapers.put(p.sh)
	p.r.docs.Put(p.d)
	p.d, p.sh = nil, nil
}

// fixed shapes a string that is the same on every document (labels,
// citation) through the shared cache.
func (p *pen) fixed(text string, bold bool) *shaped {
	k := labelKey{text, bold}
	if s, ok := p.r.labels.get(k); ok {
		return s
	}
	s := p.sh.shape(text, bold)
	p.r.labels.put(k, s)
	return s
}

// shape shapes per-document text (names, amounts, serials).
func (p *pen) shape(text string, bold bool) *shaped { return p.sh.shape(text, bold) }

// style selects regular or bold text and whether to use the label cache.
type style struct {
	size  float64
	bold  bool
	fixed bool
}

func (p *pen) get(text string, f style) *shaped {
	if f.fixed {
		return p.fixed(text, f.bold)
	}
	return p.shape(text, f.bold)
}

// Coordinates passed to the draw helpers below are measured from the top of
// the page, which is how the layouts are written; they convert to PDF's
// bottom-up y.

func (p *pen) draw(x, top float64, s *shaped, size float64) {
	p.d.text(x, p.d.height-top, size, s)
}

func (p *pen) left(x, top float64, text string, f style) float64 {
	s := p.get(text, f)
	p.draw(x, top, s, f.size)
	return s.width(f.size)
}

func (p *pen) right(xRight, top float64, text string, f style) {
	s := p.get(text, f)
	p.draw(xRight-s.width(f.size), top, s, f.size)
}

func (p *pen) center(xMid, top float64, text string, f style) {
	s := p.get(text, f)
	p.draw(xMid-s.width(f.size)/2, top, s, f.size)
}

// fit returns the largest size ≤ f.size (down to min) at which text fits
// in width.
func (p *pen) fit(text string, f style, width, min float64) style {
	w := p.get(text, f).width(f.size)
	if w > width {
		f.size = max(min, f.size*width/w)
	}
	return f
}

// wrap breaks text into lines no wider than width, at spaces, and inside
// words (at cluster boundaries) only when a word alone is too wide, as long
// URLs are. "\n" forces a break.
func (p *pen) wrap(text string, f style, width float64) []*shaped {
	var lines []*shaped
	for _, para := range strings.Split(text, "\n") {
		if s := p.get(para, f); s.width(f.size) <= width {
			lines = append(lines, s)
			continue
		}
		space := p.fixed(" ", f.bold).width(f.size)
		var cur []string
		curW := 0.0
		flush := func() {
			if len(cur) > 0 {
				lines = append(lines, p.get(strings.Join(cur, " "), f))
				cur, curW = cur[:0], 0
			}
		}
		for _, word := range strings.Fields(para) {
			ww := p.get(word, f).width(f.size)
			if len(cur) > 0 && curW+space+ww > width {
				flush()
			}
			if ww > width {
				flush()
				for _, piece := range p.splitWord(word, f, width) {
					lines = append(lines, p.get(piece, f))
				}
				continue
			}
			if len(cur) > 0 {
				curW += space
			}
			cur = append(cur, word)
			curW += ww
		}
		flush()
	}
	return lines
}

// splitWord cuts an over-long word into pieces that fit width, only where a
// shaping cluster starts so no conjunct or vowel sign is torn apart.
func (p *pen) splitWord(word string, f style, width float64) []string {
	s := p.shape(word, f.bold)
	var pieces []string
	start, w := 0, 0.0
	for _, r := range s.runs {
		scale := f.size / float64(p.r.fonts.sf[r.font].upem)
		for i, g := range r.glyphs {
			if (i == 0 || r.glyphs[i-1].cluster != g.cluster) && int(g.cluster) > start && w+float64(g.adv)*scale > width {
				pieces = append(pieces, string(s.text[start:g.cluster]))
				start, w = int(g.cluster), 0
			}
			w += float64(g.adv) * scale
		}
	}
	return append(pieces, string(s.text[start:]))
}

// drawLines draws wrapped lines from top with the given leading and returns
// the top of the next line.
func (p *pen) drawLines(x, top float64, lines []*shaped, size, leading float64) float64 {
	for _, l := range lines {
		p.draw(x, top, l, size)
		top += leading
	}
	return top
}
