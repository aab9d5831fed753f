package receiptpdf

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sort"
)

// sfnt is the read-only view of a TrueType file that embedding needs:
// metrics for the PDF font descriptor and widths, and glyph data for
// subsetting. It is shared by all goroutines.
type sfnt struct {
	data      []byte
	tables    map[string][]byte
	upem      int
	numGlyphs int
	advances  []uint16 // per glyph, font units
	lsbs      []int16
	glyfOff   []uint32 // numGlyphs+1 offsets into the glyf table
	bbox      [4]int16
	ascent    int16
	descent   int16
	capHeight int16
	italic    bool
	bold      bool
}

var errFont = errors.New("malformed TrueType font")

func parseSFNT(data []byte) (*sfnt, error) {
	if len(data) < 12 {
		return nil, errFont
	}
	n := int(be16(data[4:]))
	if len(data) < 12+16*n {
		return nil, errFont
	}
	f := &sfnt{data: data, tables: make(map[string][]byte, n)}
	for i := 0; i < n; i++ {
		rec := data[12+16*i:]
		off, length := be32(rec[8:]), be32(rec[12:])
		if uint64(off)+uint64(length) > uint64(len(data)) {
			return nil, fmt.Errorf("table %q out of bounds: %w", rec[:4], errFont)
		}
		f.tables[string(rec[:4])] = data[off : off+length]
	}
	for _, t := range []string{"head", "hhea", "maxp", "hmtx", "loca", "glyf"} {
		if f.tables[t] == nil {
			return nil, fmt.Errorf("table %q missing (only glyf-outline fonts are supported): %w", t, errFont)
		}
	}
	head, hhea, maxp := f.tables["head"], f.tables["hhea"], f.tables["maxp"]
	if len(head) < 54 || len(hhea) < 36 || len(maxp) < 6 {
		return nil, errFont
	}
	f.upem = int(be16(head[18:]))
	for i := range f.bbox {
		f.bbox[i] = int16(be16(head[36+2*i:]))
	}
	macStyle := be16(head[44:])
	f.bold, f.italic = macStyle&1 != 0, macStyle&2 != 0
	longLoca := be16(head[50:]) == 1
	f.numGlyphs = int(be16(maxp[4:]))
	f.ascent, f.descent = int16(be16(hhea[4:])), int16(be16(hhea[6:]))
	f.capHeight = f.ascent
	if os2 := f.tables["OS/2"]; len(os2) >= 90 && be16(os2) >= 2 {
		f.capHeight = int16(be16(os2[88:]))
	}
	if f.upem == 0 || f.numGlyphs == 0 {
		return nil, errFont
	}

	nMetrics := int(be16(hhea[34:]))
	hmtx := f.tables["hmtx"]
	if nMetrics == 0 || nMetrics > f.numGlyphs || len(hmtx) < 4*nMetrics+2*(f.numGlyphs-nMetrics) {
		return nil, fmt.Errorf("hmtx: %w", errFont)
	}
	f.advances = make([]uint16, f.numGlyphs)
	f.lsbs = make([]int16, f.numGlyphs)
	for g := 0; g < f.numGlyphs; g++ {
		if g < nMetrics {
			f.advances[g] = be16(hmtx[4*g:])
			f.lsbs[g] = int16(be16(hmtx[4*g+2:]))
		} else {
			f.advances[g] = f.advances[nMetrics-1]
			f.lsbs[g] = int16(be16(hmtx[4*nMetrics+2*(g-nMetrics):]))
		}
	}

	loca, glyf := f.tables["loca"], f.tables["glyf"]
	f.glyfOff = make([]uint32, f.numGlyphs+1)
	for g := range f.glyfOff {
		switch {
		case longLoca && len(loca) >= 4*g+4:
			f.glyfOff[g] = be32(loca[4*g:])
		case !longLoca && len(loca) >= 2*g+2:
			f.glyfOff[g] = uint32(be16(loca[2*g:])) * 2
		default:
			return nil, fmt.Errorf("loca: %w", errFont)
		}
		if f.glyfOff[g] > uint32(len(glyf)) || (g > 0 && f.glyfOff[g] < f.glyfOff[g-1]) {
			return nil, fmt.Errorf("loca entry %d: %w", g, errFont)
		}
	}
	return f, nil
}

func (f *sfnt) glyph(g int) []byte {
	if g < 0 || g >= f.numGlyphs {
		return nil
	}
	return f.tables["glyf"][f.glyfOff[g]:f.glyfOff[g+1]]
}

// Composite glyph flags (TrueType 'glyf' table).
const (
	argsAreWords     = 0x0001
	haveScale        = 0x0008
	moreComponents   = 0x0020
	haveXYScale      = 0x0040
	haveTwoByTwo     = 0x0080
	haveInstructions = 0x0100
)

// components calls fn for each component glyph of a composite glyph.
func components(g []byte, fn func(gid int)) {
	if len(g) < 10 || int16(be16(g)) >= 0 {
		return
	}
	for p := 10; p+4 <= len(g); {
		flags := be16(g[p:])
		fn(int(be16(g[p+2:])))
		p += 4 + componentArgLen(flags)
		if flags&moreComponents == 0 {
			return
		}
	}
}

func componentArgLen(flags uint16) int {
	n := 2
	if flags&argsAreWords != 0 {
		n = 4
	}
	switch {
	case flags&haveScale != 0:
		n += 2
	case flags&haveXYScale != 0:
		n += 4
	case flags&haveTwoByTwo != 0:
		n += 8
	}
	return n
}

// appendUnhinted appends glyph g without its hinting instructions. Hinting
// needs fpgm/prep/cvt, which the subset leaves out: PDF viewers render
// unhinted anyway, and dropping them roughly halves the embedded bytes.
func appendUnhinted(dst, g []byte) []byte {
	if len(g) < 10 {
		return dst // empty glyph (space) or malformed: no outline
	}
	nc := int16(be16(g))
	if nc >= 0 {
		p := 10 + 2*int(nc)
		if p+2 > len(g) {
			return append(dst, g...)
		}
		il := int(be16(g[p:]))
		if p+2+il > len(g) {
			return append(dst, g...)
		}
		dst = append(dst, g[:p]...)
		dst = append(dst, 0, 0)
		return append(dst, g[p+2+il:]...)
	}
	start := len(dst)
	p := 10
	for p+4 <= len(g) {
		flags := be16(g[p:])
		end := p + 4 + componentArgLen(flags)
		if end > len(g) {
			return append(dst[:start], g...)
		}
		if flags&moreComponents == 0 {
			dst = append(dst, g[:end]...)
			binary.BigEndian.PutUint16(dst[start+p:], flags&^haveInstructions)
			return dst
		}
		p = end
	}
	return append(dst[:start], g...)
}

// subsetBuf holds scratch space reused across subsetting calls.
type subsetBuf struct {
	keep []bool
	glyf []byte
	out  []byte
}

// subset writes a TrueType font containing only the glyphs in used (plus
// .notdef and composite components), keeping glyph IDs unchanged so the PDF
// can use /CIDToGIDMap /Identity. Unused glyphs become empty, and the glyph
// count is cut after the highest one used.
func (f *sfnt) subset(used []uint16, sb *subsetBuf) []byte {
	if cap(sb.keep) < f.numGlyphs {
		sb.keep = make([]bool, f.numGlyphs)
	}
	keep := sb.keep[:f.numGlyphs]
	clear(keep)
	keep[0] = true
	maxG := 0
	var mark func(g int)
	mark = func(g int) {
		if g < 0 || g >= f.numGlyphs || keep[g] {
			return
		}
		keep[g] = true
		maxG = max(maxG, g)
		components(f.glyph(g), mark)
	}
	for _, g := range used {
		mark(int(g))
	}
	components(f.glyph(0), mark)
	n := maxG + 1

	// glyf and loca (long offsets; glyphs 4-byte aligned).
	glyf := sb.glyf[:0]
	loca := make([]byte, 4*(n+1))
	for g := 0; g < n; g++ {
		binary.BigEndian.PutUint32(loca[4*g:], uint32(len(glyf)))
		if keep[g] {
			glyf = appendUnhinted(glyf, f.glyph(g))
			for len(glyf)%4 != 0 {
				glyf = append(glyf, 0)
			}
		}
	}
	binary.BigEndian.PutUint32(loca[4*n:], uint32(len(glyf)))
	sb.glyf = glyf

	hmtx := make([]byte, 4*n)
	for g := 0; g < n; g++ {
		if keep[g] {
			binary.BigEndian.PutUint16(hmtx[4*g:], f.advances[g])
			binary.BigEndian.PutUint16(hmtx[4*g+2:], uint16(f.lsbs[g]))
		}
	}

	head := append([]byte(nil), f.tables["head"][:54]...)
	binary.BigEndian.PutUint32(head[8:], 0)  // checkSumAdjustment, set below
	binary.BigEndian.PutUint16(head[50:], 1) // indexToLocFormat: long
	hhea := append([]byte(nil), f.tables["hhea"][:36]...)
	binary.BigEndian.PutUint16(hhea[34:], uint16(n))
	maxp := append([]byte(nil), f.tables["maxp"]...)
	binary.BigEndian.PutUint16(maxp[4:], uint16(n))
	// post version 3.0: no glyph names.
	post := make([]byte, 32)
	if p := f.tables["post"]; len(p) >= 32 {
		copy(post, p[:32])
	}
	binary.BigEndian.PutUint32(post[0:], 0x00030000)
	// A minimal cmap (format 4, the mandatory final segment only): CID fonts
	// are addressed by glyph ID, but some viewers refuse a font without cmap.
	cmap := []byte{
		0, 0, 0, 1, // version, one encoding record
		0, 3, 0, 1, 0, 0, 0, 12, // Windows Unicode BMP at offset 12
		0, 4, 0, 24, 0, 0, // format 4, length 24, language
		0, 2, 0, 2, 0, 0, 0, 0, // segCountX2, searchRange, entrySelector, rangeShift
		0xff, 0xff, 0, 0, // endCode[0], reservedPad
		0xff, 0xff, // startCode[0]
		0, 1, // idDelta[0]
		0, 0, // idRangeOffset[0]
	}
	binary.BigEndian.PutUint16(cmap[14:], uint16(len(cmap)-12))

	tables := []struct {
		tag  string
		data []byte
	}{
		{"OS/2", f.tables["OS/2"]},
		{"cmap", cmap},
		{"glyf", glyf},
		{"head", head},
		{"hhea", hhea},
		{"hmtx", hmtx},
		{"loca", loca},
		{"maxp", maxp},
		{"post", post},
	}
	if tables[0].data == nil {
		tables = tables[1:]
	}
	sort.Slice(tables, func(i, j int) bool { return tables[i].tag < tables[j].tag })

	nt := len(tables)
	entrySelector := 0
	for 1<<(entrySelector+1) <= nt {
		entrySelector++
	}
	searchRange := (1 << entrySelector) * 16
	out := sb.out[:0]
	out = binary.BigEndian.AppendUint32(out, 0x00010000)
	out = binary.BigEndian.AppendUint16(out, uint16(nt))
	out = binary.BigEndian.AppendUint16(out, uint16(searchRange))
	out = binary.BigEndian.AppendUint16(out, uint16(entrySelector))
	out = binary.BigEndian.AppendUint16(out, uint16(nt*16-searchRange))
	dir := len(out)
	out = append(out, make([]byte, 16*nt)...)
	headOff := 0
	for i, t := range tables {
		off := len(out)
		if t.tag == "head" {
			headOff = off
		}
		out = append(out, t.data...)
		for len(out)%4 != 0 {
			out = append(out, 0)
		}
		rec := out[dir+16*i:]
		copy(rec, t.tag)
		binary.BigEndian.PutUint32(rec[4:], checksum(out[off:]))
		binary.BigEndian.PutUint32(rec[8:], uint32(off))
		binary.BigEndian.PutUint32(rec[12:], uint32(len(t.data)))
	}
	binary.BigEndian.PutUint32(out[headOff+8:], 0xB1B0AFBA-checksum(out))
	sb.out = out
	return out
}

// checksum is the TrueType table checksum: the sum of big-endian uint32s,
// the data zero-padded to a multiple of 4.
func checksum(b []byte) uint32 {
	var sum uint32
	for len(b) >= 4 {
		sum += be32(b)
		b = b[4:]
	}
	if len(b) > 0 {
		var last [4]byte
		copy(last[:], b)
		sum += be32(last[:])
	}
	return sum
}

func be16(b []byte) uint16 { return binary.BigEndian.Uint16(b) }
func be32(b []byte) uint32 { return binary.BigEndian.Uint32(b) }
