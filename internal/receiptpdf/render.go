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
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/kalyan-platform/kalyan/internal/freetext"
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
// citation, unit names) through the shared cache.
func (p *pen) fixed(text string, bold bool) *shaped {
	k := labelKey{text, bold}
	if s, ok := p.r.labels.get(k); ok {
		return s
	}
	s := p.sh.shape(text, bold)
	p.r.labels.put(k, s)
	return s
}

// style says how to shape and size a string.
type style struct {
	size float64
	bold bool
	// fixed: the string recurs on many documents; cache its shaping.
	fixed bool
	// vocab: the string is made of recurring words (amounts in words);
	// cache the words and join them.
	vocab bool
	// maxW, when set, shrinks the size (down to minSize) until the text
	// fits that width; what still does not fit is cut and ends in "…".
	// Text drawn this way never leaves its box.
	maxW, minSize float64
}

func (f style) sizeFor(s *shaped) float64 {
	if f.maxW > 0 {
		if w := s.width(f.size); w > f.maxW {
			return max(f.minSize, f.size*f.maxW/w)
		}
	}
	return f.size
}

// ellipsis ends text cut to fit its box.
const ellipsis = "…"

// fit shapes text for one line within f.maxW (if set): shrunk down to
// f.minSize, then cut where a cluster starts and ended with "…". It returns
// the shaped text and the size to draw it at.
func (p *pen) fit(text string, f style) (*shaped, float64) {
	s := p.get(text, f)
	size := f.sizeFor(s)
	// sizeFor scales to exactly maxW; allow for rounding.
	if f.maxW <= 0 || s.width(size) <= f.maxW+0.01 {
		return s, size
	}
	ell := p.fixed(ellipsis, f.bold)
	room := f.maxW - ell.width(size)
	cut, w := int32(0), 0.0
	for _, r := range s.runs {
		scale := size / float64(r.upem)
		for i, g := range r.glyphs {
			if i == 0 || r.glyphs[i-1].cluster != g.cluster {
				if w > room {
					goto done
				}
				cut = g.cluster
			}
			w += float64(g.adv) * scale
		}
	}
	if w <= room {
		cut = int32(len(s.text))
	}
done:
	out := &shaped{}
	out.appendPart(s, 0, cut)
	out.appendPart(ell, 0, int32(len(ell.text)))
	return out, size
}

func (p *pen) get(text string, f style) *shaped {
	switch {
	case f.fixed:
		return p.fixed(text, f.bold)
	case f.vocab && strings.Contains(text, " "):
		words := strings.Fields(text)
		parts := make([]*shaped, len(words))
		for i, w := range words {
			parts[i] = p.fixed(w, f.bold)
		}
		return p.join(parts, f.bold)
	default:
		// Variable text is drawn on one line whatever it holds: breaks,
		// controls and direction overrides become spaces (freetext.OneLine),
		// the renderer's own defence behind the edge's.
		return p.sh.shape(freetext.OneLine(text), f.bold)
	}
}

// join concatenates shaped words with single spaces. Shaping never acts
// across a space in the scripts used here, so this equals shaping the
// joined string, without the cost.
func (p *pen) join(parts []*shaped, bold bool) *shaped {
	space := p.fixed(" ", bold)
	out := &shaped{}
	n := 0
	for _, s := range parts {
		n += len(s.text) + 1
	}
	out.text = make([]rune, 0, n)
	for i, s := range parts {
		if i > 0 {
			out.appendPart(space, 0, int32(len(space.text)))
		}
		out.appendPart(s, 0, int32(len(s.text)))
	}
	return out
}

// appendPart appends the clusters of s that start in [from, to).
func (out *shaped) appendPart(s *shaped, from, to int32) {
	off := int32(len(out.text)) - from
	out.text = append(out.text, s.text[from:to]...)
	for _, r := range s.runs {
		if r.end <= from || r.start >= to {
			continue
		}
		var dst *run
		if k := len(out.runs); k > 0 && out.runs[k-1].font == r.font {
			dst = &out.runs[k-1]
		} else {
			out.runs = append(out.runs, run{font: r.font, upem: r.upem, start: max(r.start, from) + off})
			dst = &out.runs[len(out.runs)-1]
		}
		for _, g := range r.glyphs {
			if g.cluster < from || g.cluster >= to {
				continue
			}
			g.cluster += off
			g.clusterEnd = min(g.clusterEnd, to) + off
			dst.glyphs = append(dst.glyphs, g)
			dst.adv += g.adv
			out.em += float64(g.adv) / float64(r.upem)
		}
		dst.end = min(r.end, to) + off
	}
}

// Coordinates passed to the draw helpers below are measured from the top of
// the page, which is how the layouts are written; they convert to PDF's
// bottom-up y.

func (p *pen) draw(x, top float64, s *shaped, size float64) {
	p.d.text(x, p.d.height-top, size, s)
}

func (p *pen) left(x, top float64, text string, f style) float64 {
	s, size := p.fit(text, f)
	p.draw(x, top, s, size)
	return s.width(size)
}

func (p *pen) right(xRight, top float64, text string, f style) {
	s, size := p.fit(text, f)
	p.draw(xRight-s.width(size), top, s, size)
}

func (p *pen) center(xMid, top float64, text string, f style) {
	s, size := p.fit(text, f)
	p.draw(xMid-s.width(size)/2, top, s, size)
}

// wrap breaks text into lines no wider than width, at spaces, and inside
// words (at cluster boundaries) only when a word alone is too wide, as long
// URLs are. "\n" forces a break. Lines of fixed text are cached.
func (p *pen) wrap(text string, f style, width float64) []*shaped {
	var key wrapKey
	if f.fixed {
		key = wrapKey{text, f.bold, f.size, width}
		if ls, ok := p.r.labels.getWrap(key); ok {
			return ls
		}
	}
	var lines []*shaped
	for _, para := range strings.Split(text, "\n") {
		s := p.get(para, f)
		if s.width(f.size) <= width {
			lines = append(lines, s)
			continue
		}
		if !strings.Contains(strings.TrimSpace(para), " ") { // one long word: a URL
			lines = append(lines, splitWord(s, f.size, width)...)
			continue
		}
		wordStyle := f
		if f.fixed {
			wordStyle.fixed, wordStyle.vocab = false, false
		}
		space := p.fixed(" ", f.bold).width(f.size)
		var cur []*shaped
		curW := 0.0
		flush := func() {
			if len(cur) > 0 {
				lines = append(lines, p.join(cur, f.bold))
				cur, curW = nil, 0
			}
		}
		for _, word := range strings.Fields(para) {
			ws := p.get(word, wordStyle)
			ww := ws.width(f.size)
			if len(cur) > 0 && curW+space+ww > width {
				flush()
			}
			if ww > width {
				flush()
				lines = append(lines, splitWord(ws, f.size, width)...)
				continue
			}
			if len(cur) > 0 {
				curW += space
			}
			cur = append(cur, ws)
			curW += ww
		}
		flush()
	}
	if f.fixed {
		lines = slices.Clip(lines) // shared between goroutines: no appends in place
		p.r.labels.putWrap(key, lines)
	}
	return lines
}

// splitWord cuts an over-long shaped word into lines that fit width, only
// where a shaping cluster starts, so no conjunct or vowel sign is torn apart.
func splitWord(s *shaped, size, width float64) []*shaped {
	var lines []*shaped
	start, w := int32(0), 0.0
	for _, r := range s.runs {
		scale := size / float64(r.upem)
		for i, g := range r.glyphs {
			if (i == 0 || r.glyphs[i-1].cluster != g.cluster) && g.cluster > start && w+float64(g.adv)*scale > width {
				l := &shaped{}
				l.appendPart(s, start, g.cluster)
				lines = append(lines, l)
				start, w = g.cluster, 0
			}
			w += float64(g.adv) * scale
		}
	}
	l := &shaped{}
	l.appendPart(s, start, int32(len(s.text)))
	return append(lines, l)
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
