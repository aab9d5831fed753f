package receiptpdf

import (
	"bytes"
	"encoding/binary"
	"reflect"
	"testing"

	"github.com/go-text/typesetting/font"
)

// TestSubsetFont checks a subset is a valid TrueType file that keeps glyph
// IDs and outlines of the glyphs used (and their composite components) and
// has correct table and whole-file checksums.
func TestSubsetFont(t *testing.T) {
	r := newRenderer(t)
	for id := range numFonts {
		sf := r.fonts.sf[id]
		sh := r.shapers.get()
		s := sh.shape("ক্ষ ন্ত স্থ কি কো বোর্ডের Tk 1,25,000.50 Ångström", id%2 == 1)
		r.shapers.put(sh)
		var used []uint16
		for _, run := range s.runs {
			if run.font == id {
				for _, g := range run.glyphs {
					used = append(used, g.gid)
				}
			}
		}
		var sb subsetBuf
		sub := bytes.Clone(sf.subset(used, &sb))

		if got := checksum(sub); got != 0xB1B0AFBA {
			t.Errorf("font %d: whole-file checksum %#x, want 0xB1B0AFBA", id, got)
		}
		n := int(binary.BigEndian.Uint16(sub[4:]))
		for i := 0; i < n; i++ {
			rec := sub[12+16*i:]
			off, length := binary.BigEndian.Uint32(rec[8:]), binary.BigEndian.Uint32(rec[12:])
			if off%4 != 0 {
				t.Errorf("font %d: table %s not 4-byte aligned", id, rec[:4])
			}
			if string(rec[:4]) == "head" {
				continue // its checksum is computed with checkSumAdjustment zeroed
			}
			if got := checksum(sub[off : off+(length+3)&^3]); got != binary.BigEndian.Uint32(rec[4:]) {
				t.Errorf("font %d: table %s checksum mismatch", id, rec[:4])
			}
		}

		face, err := font.ParseTTF(bytes.NewReader(sub))
		if err != nil {
			t.Fatalf("font %d: subset does not parse: %v", id, err)
		}
		orig, err := font.ParseTTF(bytes.NewReader(sf.data))
		if err != nil {
			t.Fatal(err)
		}
		if len(used) > 0 && face.Upem() != orig.Upem() {
			t.Errorf("font %d: upem changed", id)
		}
		for _, g := range used {
			a, b := face.GlyphData(font.GID(g)), orig.GlyphData(font.GID(g))
			if !reflect.DeepEqual(a, b) {
				t.Errorf("font %d: glyph %d outline differs after subsetting", id, g)
			}
			if face.HorizontalAdvance(font.GID(g)) != orig.HorizontalAdvance(font.GID(g)) {
				t.Errorf("font %d: glyph %d advance differs", id, g)
			}
		}
		if len(sub) >= len(sf.data)/2 {
			t.Errorf("font %d: subset is %d bytes of %d; not subsetted", id, len(sub), len(sf.data))
		}
	}
}
