package fonts

import (
	"bytes"
	"strings"
	"testing"
)

func TestEmbedded(t *testing.T) {
	for _, f := range []Face{LatinRegular(), LatinBold(), BengaliRegular(), BengaliBold()} {
		// TrueType outlines (sfnt version 1.0), which the PDF writer subsets.
		if len(f.Data) < 1024 || !bytes.Equal(f.Data[:4], []byte{0, 1, 0, 0}) {
			t.Errorf("%s: not a TrueType file (%d bytes)", f.PostScriptName, len(f.Data))
		}
		if !bytes.Contains(f.Data, utf16be(f.PostScriptName)) {
			t.Errorf("%s: PostScript name not found in the name table", f.PostScriptName)
		}
	}
	if !strings.Contains(License(), "SIL OPEN FONT LICENSE Version 1.1") {
		t.Error("license text missing")
	}
}

func utf16be(s string) []byte {
	var b []byte
	for _, r := range s {
		b = append(b, byte(r>>8), byte(r))
	}
	return b
}
