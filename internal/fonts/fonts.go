// Package fonts embeds the OFL-licensed Noto fonts used in receipt PDFs, so
// binaries and container images need no system fonts.
//
// The files are copied unmodified from Debian's fonts-noto-core package;
// LICENSE-OFL.txt (embedded as License) must travel with them.
package fonts

import _ "embed"

// Face names one embedded font file.
type Face struct {
	// PostScriptName is the font's name-table ID 6, used as the PDF BaseFont.
	PostScriptName string
	// Data is the complete TrueType file. Callers must not modify it.
	Data []byte
}

var (
	//go:embed NotoSans-Regular.ttf
	notoSansRegular []byte
	//go:embed NotoSans-Bold.ttf
	notoSansBold []byte
	//go:embed NotoSansBengali-Regular.ttf
	notoSansBengaliRegular []byte
	//go:embed NotoSansBengali-Bold.ttf
	notoSansBengaliBold []byte
	//go:embed LICENSE-OFL.txt
	license string
)

// LatinRegular is Noto Sans Regular (Latin, digits, punctuation).
func LatinRegular() Face { return Face{"NotoSans-Regular", notoSansRegular} }

// LatinBold is Noto Sans Bold.
func LatinBold() Face { return Face{"NotoSans-Bold", notoSansBold} }

// BengaliRegular is Noto Sans Bengali Regular.
func BengaliRegular() Face { return Face{"NotoSansBengali-Regular", notoSansBengaliRegular} }

// BengaliBold is Noto Sans Bengali Bold.
func BengaliBold() Face { return Face{"NotoSansBengali-Bold", notoSansBengaliBold} }

// License returns the SIL Open Font License text covering all embedded fonts.
//
// Reached only by tests: the OFL requires the licence to travel with the fonts; this accessor is how a test proves the binary embeds it.
func License() string { return license }
