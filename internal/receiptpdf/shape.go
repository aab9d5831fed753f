package receiptpdf

import (
	"bytes"
	"fmt"
	"sync"
	"unicode"

	"github.com/go-text/typesetting/font"
	"github.com/go-text/typesetting/harfbuzz"
	"github.com/go-text/typesetting/language"

	"github.com/kalyan-platform/kalyan/internal/fonts"
)

// fontID indexes the four embedded faces. Bold is the regular ID + 1.
type fontID uint8

const (
	latinRegular fontID = iota
	latinBold
	bengaliRegular
	bengaliBold
	numFonts
)

func (f fontID) bengali() bool { return f >= bengaliRegular }

// fontSet is the immutable, shared part of the fonts: parsed tables for
// embedding and go-text fonts for shaping (font.Font is safe for concurrent
// use; font.Face and harfbuzz.Font are not, so those live in shapers).
type fontSet struct {
	sf   [numFonts]*sfnt
	ot   [numFonts]*font.Font
	name [numFonts]string
}

func loadFonts() (*fontSet, error) {
	fs := &fontSet{}
	for id, f := range [numFonts]fonts.Face{fonts.LatinRegular(), fonts.LatinBold(), fonts.BengaliRegular(), fonts.BengaliBold()} {
		sf, err := parseSFNT(f.Data)
		if err != nil {
			return nil, fmt.Errorf("parse font %s: %w", f.PostScriptName, err)
		}
		face, err := font.ParseTTF(bytes.NewReader(f.Data))
		if err != nil {
			return nil, fmt.Errorf("load font %s: %w", f.PostScriptName, err)
		}
		fs.sf[id], fs.ot[id], fs.name[id] = sf, face.Font, f.PostScriptName
	}
	return fs, nil
}

// glyph is one positioned glyph in font units of its run's font.
type glyph struct {
	gid        uint16
	cluster    int32 // index of the first rune of the glyph's cluster
	adv        int32
	dx, dy     int32
	clusterEnd int32 // rune index just past the cluster
}

// run is a maximal stretch of text shaped with one font.
type run struct {
	font       fontID
	upem       int32
	start, end int32
	glyphs     []glyph
	adv        int32
}

// shaped is text ready to be drawn. It is immutable once built, so shaped
// labels can be cached and shared between goroutines.
type shaped struct {
	text []rune
	runs []run
	em   float64 // advance width in ems
}

func (s *shaped) width(size float64) float64 { return s.em * size }

// shaper holds the non-thread-safe shaping state; Renderer pools them.
type shaper struct {
	fs    *fontSet
	hb    [numFonts]*harfbuzz.Font
	buf   *harfbuzz.Buffer
	class []uint8  // scratch: script class per rune
	face  []fontID // scratch: chosen face per rune
}

func newShaper(fs *fontSet) *shaper {
	s := &shaper{fs: fs, buf: harfbuzz.NewBuffer()}
	for i := range s.hb {
		s.hb[i] = harfbuzz.NewFont(font.NewFace(fs.ot[i]))
	}
	return s
}

// Script classes for choosing a face.
const (
	scriptNeutral uint8 = iota // spaces, punctuation: take the neighbours' face
	scriptBengali
	scriptLatin
)

func scriptOf(r rune) uint8 {
	switch {
	case r >= 0x0980 && r <= 0x09FF, r == 0x0964, r == 0x0965: // Bengali block, dandas
		return scriptBengali
	case r == 0x200C, r == 0x200D, r == 0x25CC, // ZWNJ, ZWJ, dotted circle
		unicode.IsSpace(r),
		r < 0x80 && unicode.IsPunct(r),
		r == '+' || r == '<' || r == '=' || r == '>' || r == '|' || r == '~' || r == '^',
		r >= 0x2010 && r <= 0x2027: // dashes, quotes, bullet, ellipsis
		return scriptNeutral
	default:
		return scriptLatin
	}
}

// shape segments text by script (Bengali in Noto Sans Bengali, everything
// else in Noto Sans) and shapes each run. Neutral characters (spaces,
// punctuation) join the run around them so Bengali words keep their
// shaping context.
func (s *shaper) shape(text string, bold bool) *shaped {
	out := &shaped{text: []rune(text)}
	rs := out.text
	if len(rs) == 0 {
		return out
	}
	if cap(s.class) < len(rs) {
		s.class = make([]uint8, len(rs))
		s.face = make([]fontID, len(rs))
	}
	cls, face := s.class[:len(rs)], s.face[:len(rs)]
	// A neutral character takes the script of the previous strong one, or
	// failing that the next one, or Latin.
	prev := scriptNeutral
	for i, r := range rs {
		if c := scriptOf(r); c != scriptNeutral {
			prev = c
		}
		cls[i] = prev
	}
	next := scriptLatin
	for i := len(rs) - 1; i >= 0; i-- {
		if cls[i] == scriptNeutral {
			cls[i] = next
		} else if scriptOf(rs[i]) != scriptNeutral {
			next = cls[i]
		}
	}
	var weight fontID
	if bold {
		weight = 1
	}
	for i, r := range rs {
		id := latinRegular + weight
		if cls[i] == scriptBengali {
			id = bengaliRegular + weight
		}
		// Fall back to the other script's face of the same weight when it
		// has the glyph and the preferred one does not (৳ in Latin text).
		if _, ok := s.fs.ot[id].NominalGlyph(r); !ok {
			if alt := id ^ 2; alt < numFonts {
				if _, ok := s.fs.ot[alt].NominalGlyph(r); ok {
					id = alt
				}
			}
		}
		face[i] = id
	}

	var totalEm float64
	for start := 0; start < len(rs); {
		end := start + 1
		for end < len(rs) && face[end] == face[start] {
			end++
		}
		r := s.shapeRun(rs, start, end, face[start])
		totalEm += float64(r.adv) / float64(s.fs.sf[r.font].upem)
		out.runs = append(out.runs, r)
		start = end
	}
	out.em = totalEm
	return out
}

func (s *shaper) shapeRun(rs []rune, start, end int, id fontID) run {
	b := s.buf
	b.Clear()
	b.AddRunes(rs, start, end-start)
	b.Props.Direction = harfbuzz.LeftToRight
	if id.bengali() {
		b.Props.Script, b.Props.Language = language.Bengali, language.NewLanguage("bn")
	} else {
		b.Props.Script, b.Props.Language = language.Latin, language.NewLanguage("en")
	}
	b.Shape(s.hb[id], nil)

	r := run{font: id, upem: int32(s.fs.sf[id].upem), start: int32(start), end: int32(end), glyphs: make([]glyph, len(b.Info))}
	for i := range b.Info {
		g := &r.glyphs[i]
		g.gid = uint16(b.Info[i].Glyph)
		g.cluster = int32(b.Info[i].Cluster)
		g.adv = b.Pos[i].XAdvance
		g.dx, g.dy = b.Pos[i].XOffset, b.Pos[i].YOffset
		r.adv += g.adv
	}
	// A cluster ends where the next cluster begins (clusters are monotone
	// for left-to-right text at the default cluster level).
	clusterEnd := int32(end)
	for i := len(r.glyphs) - 1; i >= 0; i-- {
		r.glyphs[i].clusterEnd = clusterEnd
		if i == 0 || r.glyphs[i-1].cluster != r.glyphs[i].cluster {
			clusterEnd = r.glyphs[i].cluster
		}
	}
	return r
}

// shaperPool hands out shapers; a shaper is never used by two goroutines.
type shaperPool struct {
	fs   *fontSet
	pool sync.Pool
}

func (p *shaperPool) get() *shaper {
	if s, ok := p.pool.Get().(*shaper); ok {
		return s
	}
	return newShaper(p.fs)
}

func (p *shaperPool) put(s *shaper) { p.pool.Put(s) }

// labelCache keeps shaped copies of fixed strings (labels, the citation):
// they are the same on every receipt, so shaping them once saves most of the
// shaping work. It stops growing at maxCached entries so arbitrary input
// cannot exhaust memory.
type labelCache struct {
	mu    sync.RWMutex
	m     map[labelKey]*shaped
	wraps map[wrapKey][]*shaped
}

type labelKey struct {
	text string
	bold bool
}

type wrapKey struct {
	text        string
	bold        bool
	size, width float64
}

const maxCached = 4096

func (c *labelCache) get(k labelKey) (*shaped, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.m[k]
	return s, ok
}

func (c *labelCache) put(k labelKey, s *shaped) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.m == nil {
		c.m = make(map[labelKey]*shaped)
	}
	if len(c.m) < maxCached {
		c.m[k] = s
	}
}

func (c *labelCache) getWrap(k wrapKey) ([]*shaped, bool) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	s, ok := c.wraps[k]
	return s, ok
}

func (c *labelCache) putWrap(k wrapKey, lines []*shaped) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.wraps == nil {
		c.wraps = make(map[wrapKey][]*shaped)
	}
	if len(c.wraps) < maxCached {
		c.wraps[k] = lines
	}
}
