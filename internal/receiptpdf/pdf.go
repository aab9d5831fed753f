package receiptpdf

import (
	"bytes"
	"crypto/md5"
	"fmt"
	"github.com/klauspost/compress/zlib"
	"hash/fnv"
	"io"
	"math"
	"slices"
	"strconv"
	"sync"
	"time"
	"unicode/utf16"
)

// Page sizes in PDF points (1/72 inch).
const (
	a5Width  = 419.53
	a5Height = 595.28
	a4Width  = 595.28
	a4Height = 841.89
)

// docFont tracks which glyphs of one font a document uses and what text
// each maps back to, for the subset and the ToUnicode CMap.
type docFont struct {
	used []bool   // by glyph ID
	list []uint16 // glyph IDs in first-use order
	uni  []string // by glyph ID: ToUnicode text, "" when none
}

func (f *docFont) reset(numGlyphs int) {
	for _, g := range f.list {
		f.used[g], f.uni[g] = false, ""
	}
	f.list = f.list[:0]
	if len(f.used) < numGlyphs {
		f.used = make([]bool, numGlyphs)
		f.uni = make([]string, numGlyphs)
	}
}

func (f *docFont) use(g uint16) {
	if int(g) < len(f.used) && !f.used[g] {
		f.used[g] = true
		f.list = append(f.list, g)
	}
}

// doc builds one PDF in memory. Docs are pooled by the Renderer and used by
// one goroutine at a time.
type doc struct {
	fs     *fontSet
	zpool  *sync.Pool
	fonts  [numFonts]docFont
	pages  [][]byte // uncompressed content streams, one per page
	cs     []byte   // current page content
	out    bytes.Buffer
	zbuf   bytes.Buffer
	offs   []int
	subset subsetBuf
	width  float64
	height float64

	// Text state while emitting one line.
	inArray bool
	curFont fontID
	curK    float64 // text position in thousandths of the font size
}

func (d *doc) reset(width, height float64) {
	for i := range d.fonts {
		d.fonts[i].reset(d.fs.sf[i].numGlyphs)
	}
	for i := range d.pages {
		d.pages[i] = d.pages[i][:0]
	}
	d.pages = d.pages[:0]
	d.cs = d.cs[:0]
	d.out.Reset()
	d.offs = d.offs[:0]
	d.width, d.height = width, height
}

// endPage finishes the current page; drawing continues on a new one.
func (d *doc) endPage() {
	var p []byte
	if n := len(d.pages); cap(d.pages) > n {
		p = d.pages[:n+1][n][:0]
	}
	d.pages = append(d.pages, append(p, d.cs...))
	d.cs = d.cs[:0]
}

// appendNum appends v with at most two decimals, which is ample for points.
func appendNum(b []byte, v float64) []byte {
	r := math.Round(v * 100)
	if r < 0 {
		b = append(b, '-')
		r = -r
	}
	i := int64(r)
	b = strconv.AppendInt(b, i/100, 10)
	if f := i % 100; f != 0 {
		b = append(b, '.', byte('0'+f/10))
		if f%10 != 0 {
			b = append(b, byte('0'+f%10))
		}
	}
	return b
}

// op appends a content-stream operator with numeric operands.
func (d *doc) op(operator string, nums ...float64) {
	for _, v := range nums {
		d.cs = appendNum(d.cs, v)
		d.cs = append(d.cs, ' ')
	}
	d.cs = append(d.cs, operator...)
	d.cs = append(d.cs, '\n')
}

// Graphics helpers. Coordinates are PDF points from the bottom-left.
func (d *doc) fillGray(g float64)      { d.op("g", g) }
func (d *doc) strokeGray(g float64)    { d.op("G", g) }
func (d *doc) rect(x, y, w, h float64) { d.op("re", x, y, w, h) }
func (d *doc) fill()                   { d.op("f") }
func (d *doc) line(x1, y1, x2, y2, width float64) {
	d.op("w", width)
	d.op("m", x1, y1)
	d.op("l S", x2, y2)
}
func (d *doc) strokeRect(x, y, w, h, width float64) {
	d.op("w", width)
	d.op("re S", x, y, w, h)
}

// text draws shaped text with its baseline starting at (x, y).
//
// Glyph IDs go into TJ arrays with adjustments so every glyph lands where the
// shaper put it; vertical mark offsets use text rise. Any cluster whose
// glyphs cannot be mapped one-to-one back to its characters (conjuncts,
// reordered vowel signs, reph, ligatures) is wrapped in an ActualText span,
// which is what lets pdftotext and copy-paste return the original string.
func (d *doc) text(x, y, size float64, s *shaped) {
	if len(s.runs) == 0 {
		return
	}
	d.cs = append(d.cs, "BT\n"...)
	d.curFont = numFonts
	d.op("Tm", 1, 0, 0, 1, x, y)
	d.curK = 0
	penK := 0.0
	rise := 0.0
	for ri := range s.runs {
		r := &s.runs[ri]
		sf := d.fs.sf[r.font]
		df := &d.fonts[r.font]
		scale := 1000 / float64(sf.upem)
		if r.font != d.curFont {
			d.closeArray()
			d.cs = append(d.cs, "/F"...)
			d.cs = strconv.AppendInt(d.cs, int64(r.font), 10)
			d.cs = append(d.cs, ' ')
			d.cs = appendNum(d.cs, size)
			d.cs = append(d.cs, " Tf\n"...)
			d.curFont = r.font
		}
		for gi := 0; gi < len(r.glyphs); {
			// One cluster: glyphs gi..ge share a cluster value.
			ge := gi + 1
			for ge < len(r.glyphs) && r.glyphs[ge].cluster == r.glyphs[gi].cluster {
				ge++
			}
			g0 := &r.glyphs[gi]
			txt := s.text[g0.cluster:g0.clusterEnd]
			actual := ge-gi != 1 || len(txt) != 1
			if !actual {
				df.use(g0.gid)
				switch u := df.uni[g0.gid]; {
				case u == "":
					df.uni[g0.gid] = string(txt)
				case u != string(txt):
					actual = true // glyph already maps to other text
				}
			} else if ge-gi == 1 {
				df.use(g0.gid)
				if df.uni[g0.gid] == "" {
					df.uni[g0.gid] = string(txt)
				}
			}
			if actual {
				d.closeArray()
				d.cs = append(d.cs, "/Span<</ActualText<FEFF"...)
				d.cs = appendUTF16Hex(d.cs, txt)
				d.cs = append(d.cs, ">>>BDC\n"...)
			}
			// Draw the cluster's leftmost glyph first and make the last one
			// end exactly at the cluster's advance (via Tc): text extractors
			// such as poppler take an ActualText span's extent from its first
			// glyph's origin to the last glyph's origin plus width, and a
			// shorter span (a trailing zero-width mark) reads as a word gap.
			first, minX := gi, math.Inf(1)
			x := penK
			for k := gi; k < ge; k++ {
				if gx := x + float64(r.glyphs[k].dx)*scale; gx < minX {
					first, minX = k, gx
				}
				x += float64(r.glyphs[k].adv) * scale
			}
			clusterEnd := x
			for n := 0; n < ge-gi; n++ {
				k := gi + n
				switch {
				case n == 0:
					k = first
				case k <= first:
					k--
				}
				g := &r.glyphs[k]
				gx := penK
				for j := gi; j < k; j++ {
					gx += float64(r.glyphs[j].adv) * scale
				}
				df.use(g.gid)
				if gr := float64(g.dy) * size / float64(sf.upem); gr != rise {
					d.closeArray()
					rise = gr
					d.op("Ts", rise)
				}
				target := gx + float64(g.dx)*scale
				w := math.Round(float64(sf.advances[g.gid]) * scale)
				tc := 0.0
				if actual && n == ge-gi-1 {
					if gap := clusterEnd - (target + w); math.Abs(gap) > 20 {
						tc = math.Round(gap*size/10) / 100 // points, as written
					}
				}
				if tc != 0 {
					d.closeArray()
					d.op("Tc", tc)
				}
				d.openArray()
				if adj := target - d.curK; math.Abs(adj) >= 0.05 {
					d.cs = appendNum(d.cs, -adj)
					d.cs = append(d.cs, ' ')
				}
				d.cs = append(d.cs, '<')
				d.cs = appendHex16(d.cs, g.gid)
				d.cs = append(d.cs, '>')
				d.curK = target + w + tc*1000/size
				if tc != 0 {
					d.closeArray()
					d.op("Tc", 0)
				}
			}
			penK = clusterEnd
			if actual {
				d.closeArray()
				d.cs = append(d.cs, "EMC\n"...)
			}
			gi = ge
		}
	}
	d.closeArray()
	if rise != 0 {
		d.op("Ts", 0)
	}
	d.cs = append(d.cs, "ET\n"...)
}

func (d *doc) openArray() {
	if !d.inArray {
		d.cs = append(d.cs, '[')
		d.inArray = true
	}
}

func (d *doc) closeArray() {
	if d.inArray {
		d.cs = append(d.cs, "]TJ\n"...)
		d.inArray = false
	}
}

const hexDigits = "0123456789ABCDEF"

func appendHex16(b []byte, v uint16) []byte {
	return append(b, hexDigits[v>>12], hexDigits[v>>8&15], hexDigits[v>>4&15], hexDigits[v&15])
}

func appendUTF16Hex(b []byte, rs []rune) []byte {
	for _, r := range rs {
		if r >= 0x10000 {
			r1, r2 := utf16.EncodeRune(r)
			b = appendHex16(appendHex16(b, uint16(r1)), uint16(r2))
			continue
		}
		b = appendHex16(b, uint16(r))
	}
	return b
}

// --- serialisation ---

func (d *doc) newObj() int {
	d.offs = append(d.offs, 0)
	return len(d.offs) // object numbers start at 1
}

func (d *doc) beginObj(n int) {
	d.offs[n-1] = d.out.Len()
	d.out.WriteString(strconv.Itoa(n))
	d.out.WriteString(" 0 obj\n")
}

func (d *doc) endObj() { d.out.WriteString("endobj\n") }

// streamObj writes object n as a Flate-compressed stream; extra goes into
// the stream dictionary.
func (d *doc) streamObj(n int, data []byte, extra string) error {
	d.zbuf.Reset()
	zw, _ := d.zpool.Get().(*zlib.Writer)
	if zw == nil {
		var err error
		if zw, err = zlib.NewWriterLevel(&d.zbuf, zlib.BestSpeed); err != nil {
			return fmt.Errorf("zlib: %w", err)
		}
	} else {
		zw.Reset(&d.zbuf)
	}
	_, err := zw.Write(data)
	if err == nil {
		err = zw.Close()
	}
	d.zpool.Put(zw)
	if err != nil {
		return fmt.Errorf("compress stream: %w", err)
	}
	d.beginObj(n)
	fmt.Fprintf(&d.out, "<</Length %d/Filter/FlateDecode%s>>\nstream\n", d.zbuf.Len(), extra)
	d.out.Write(d.zbuf.Bytes())
	d.out.WriteString("\nendstream\n")
	d.endObj()
	return nil
}

// docInfo is the PDF's metadata dictionary.
type docInfo struct {
	title   string
	subject string
	created time.Time
}

// finish writes the whole PDF for the pages drawn so far to w.
func (d *doc) finish(w io.Writer, info docInfo) error {
	if len(d.cs) > 0 || len(d.pages) == 0 {
		d.endPage()
	}
	d.out.WriteString("%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
	catalog, pagesObj, infoObj := d.newObj(), d.newObj(), d.newObj()
	var fontObj [numFonts]int
	for i := range d.fonts {
		if len(d.fonts[i].list) > 0 {
			fontObj[i] = d.newObj()
		}
	}
	pageObjs := make([]int, len(d.pages))
	for i := range d.pages {
		pageObjs[i] = d.newObj()
	}

	d.beginObj(catalog)
	fmt.Fprintf(&d.out, "<</Type/Catalog/Pages %d 0 R/Lang(bn-BD)/ViewerPreferences<</DisplayDocTitle true>>>>\n", pagesObj)
	d.endObj()

	d.beginObj(pagesObj)
	d.out.WriteString("<</Type/Pages/Kids[")
	for i, p := range pageObjs {
		if i > 0 {
			d.out.WriteByte(' ')
		}
		fmt.Fprintf(&d.out, "%d 0 R", p)
	}
	fmt.Fprintf(&d.out, "]/Count %d>>\n", len(pageObjs))
	d.endObj()

	d.beginObj(infoObj)
	d.out.WriteString("<</Producer(Kalyan receiptpdf)/Title")
	d.out.Write(pdfTextString(nil, info.title))
	if info.subject != "" {
		d.out.WriteString("/Subject")
		d.out.Write(pdfTextString(nil, info.subject))
	}
	if !info.created.IsZero() {
		_, off := info.created.Zone()
		sign := byte('+')
		if off < 0 {
			sign, off = '-', -off
		}
		fmt.Fprintf(&d.out, "/CreationDate(D:%s%c%02d'%02d')", info.created.Format("20060102150405"), sign, off/3600, off/60%60)
	}
	d.out.WriteString(">>\n")
	d.endObj()

	var resources bytes.Buffer
	resources.WriteString("<</Font<<")
	for i := range d.fonts {
		if fontObj[i] != 0 {
			fmt.Fprintf(&resources, "/F%d %d 0 R", i, fontObj[i])
		}
	}
	resources.WriteString(">>/ProcSet[/PDF/Text]>>")

	for i, p := range pageObjs {
		content := d.newObj()
		d.beginObj(p)
		fmt.Fprintf(&d.out, "<</Type/Page/Parent %d 0 R/MediaBox[0 0 %s %s]/Resources %s/Contents %d 0 R>>\n",
			pagesObj, appendNum(nil, d.width), appendNum(nil, d.height), resources.Bytes(), content)
		d.endObj()
		if err := d.streamObj(content, d.pages[i], ""); err != nil {
			return err
		}
	}

	for i := range d.fonts {
		if fontObj[i] != 0 {
			if err := d.writeFont(fontID(i), fontObj[i]); err != nil {
				return err
			}
		}
	}

	xref := d.out.Len()
	fmt.Fprintf(&d.out, "xref\n0 %d\n0000000000 65535 f \n", len(d.offs)+1)
	for _, o := range d.offs {
		fmt.Fprintf(&d.out, "%010d 00000 n \n", o)
	}
	id := md5.Sum([]byte(info.title + "\x00" + info.created.UTC().Format(time.RFC3339Nano)))
	fmt.Fprintf(&d.out, "trailer\n<</Size %d/Root %d 0 R/Info %d 0 R/ID[<%X><%X>]>>\nstartxref\n%d\n%%%%EOF\n",
		len(d.offs)+1, catalog, infoObj, id, id, xref)
	if _, err := w.Write(d.out.Bytes()); err != nil {
		return fmt.Errorf("write pdf: %w", err)
	}
	return nil
}

// writeFont embeds the used glyphs of font id as a Type0 font over a
// CIDFontType2 (TrueType outlines), Identity-H encoding and identity
// CID-to-GID map, so content streams carry glyph IDs directly.
func (d *doc) writeFont(id fontID, type0 int) error {
	sf, df := d.fs.sf[id], &d.fonts[id]
	gids := slices.Clone(df.list)
	slices.Sort(gids)
	cid, desc, file, tounicode := d.newObj(), d.newObj(), d.newObj(), d.newObj()

	// Subset tag: six capitals derived from the glyph set, so identical
	// input renders to identical bytes.
	h := fnv.New64a()
	for _, g := range gids {
		h.Write([]byte{byte(g >> 8), byte(g)})
	}
	sum := h.Sum64()
	tag := make([]byte, 6)
	for i := range tag {
		tag[i] = 'A' + byte(sum%26)
		sum /= 26
	}
	base := string(tag) + "+" + d.fs.name[id]
	scale := 1000 / float64(sf.upem)

	d.beginObj(type0)
	fmt.Fprintf(&d.out, "<</Type/Font/Subtype/Type0/BaseFont/%s/Encoding/Identity-H/DescendantFonts[%d 0 R]/ToUnicode %d 0 R>>\n",
		base, cid, tounicode)
	d.endObj()

	d.beginObj(cid)
	fmt.Fprintf(&d.out, "<</Type/Font/Subtype/CIDFontType2/BaseFont/%s/CIDSystemInfo<</Registry(Adobe)/Ordering(Identity)/Supplement 0>>/FontDescriptor %d 0 R/CIDToGIDMap/Identity/DW 1000/W[",
		base, desc)
	for i := 0; i < len(gids); {
		j := i + 1
		for j < len(gids) && gids[j] == gids[j-1]+1 {
			j++
		}
		fmt.Fprintf(&d.out, "%d[", gids[i])
		for k := i; k < j; k++ {
			if k > i {
				d.out.WriteByte(' ')
			}
			d.out.WriteString(strconv.Itoa(int(math.Round(float64(sf.advances[gids[k]]) * scale))))
		}
		d.out.WriteByte(']')
		i = j
	}
	d.out.WriteString("]>>\n")
	d.endObj()

	flags := 4 // symbolic: glyphs are addressed by ID, not a standard encoding
	stemV := 80
	if sf.bold {
		flags |= 1 << 18
		stemV = 140
	}
	sc := func(v int16) int { return int(math.Round(float64(v) * scale)) }
	d.beginObj(desc)
	fmt.Fprintf(&d.out, "<</Type/FontDescriptor/FontName/%s/Flags %d/FontBBox[%d %d %d %d]/ItalicAngle 0/Ascent %d/Descent %d/CapHeight %d/StemV %d/FontFile2 %d 0 R>>\n",
		base, flags, sc(sf.bbox[0]), sc(sf.bbox[1]), sc(sf.bbox[2]), sc(sf.bbox[3]),
		sc(sf.ascent), sc(sf.descent), sc(sf.capHeight), stemV, file)
	d.endObj()

	font := sf.subset(gids, &d.subset)
	if err := d.streamObj(file, font, "/Length1 "+strconv.Itoa(len(font))); err != nil {
		return err
	}
	return d.streamObj(tounicode, toUnicodeCMap(gids, df.uni), "")
}

func toUnicodeCMap(gids []uint16, uni []string) []byte {
	b := []byte("/CIDInit/ProcSet findresource begin\n12 dict begin\nbegincmap\n" +
		"/CIDSystemInfo<</Registry(Adobe)/Ordering(UCS)/Supplement 0>>def\n" +
		"/CMapName/Adobe-Identity-UCS def\n/CMapType 2 def\n" +
		"1 begincodespacerange\n<0000><FFFF>\nendcodespacerange\n")
	var mapped []uint16
	for _, g := range gids {
		if uni[g] != "" {
			mapped = append(mapped, g)
		}
	}
	for len(mapped) > 0 {
		n := min(len(mapped), 100) // CMap blocks hold at most 100 entries
		b = strconv.AppendInt(b, int64(n), 10)
		b = append(b, " beginbfchar\n"...)
		for _, g := range mapped[:n] {
			b = append(b, '<')
			b = appendHex16(b, g)
			b = append(b, "><"...)
			b = appendUTF16Hex(b, []rune(uni[g]))
			b = append(b, ">\n"...)
		}
		b = append(b, "endbfchar\n"...)
		mapped = mapped[n:]
	}
	return append(b, "endcmap\nCMapName currentdict/CMap defineresource pop\nend\nend\n"...)
}

// pdfTextString encodes s as a PDF text string (UTF-16BE with BOM, hex).
func pdfTextString(b []byte, s string) []byte {
	b = append(b, "<FEFF"...)
	b = appendUTF16Hex(b, []rune(s))
	return append(b, '>')
}
