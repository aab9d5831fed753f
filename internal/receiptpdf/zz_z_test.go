package receiptpdf
import ("bytes";"fmt";"testing";"time"; kz "github.com/klauspost/compress/zlib")
func TestZ(t *testing.T) {
	r, _ := NewRenderer()
	p := r.newPen(a5Width, a5Height)
	p.receipt(func() *Receipt { x := sampleReceipt(); return &x }(), nil)
	var sb subsetBuf
	for id := range p.d.fonts {
		if len(p.d.fonts[id].list) == 0 { continue }
		data := append([]byte(nil), r.fonts.sf[id].subset(p.d.fonts[id].list, &sb)...)
		for _, lvl := range []int{-2, 1, 2, 6} {
			var buf bytes.Buffer
			w, _ := kz.NewWriterLevel(&buf, lvl)
			st := time.Now()
			for i := 0; i < 100; i++ { buf.Reset(); w.Reset(&buf); w.Write(data); w.Close() }
			fmt.Println("font", id, len(p.d.fonts[id].list), "raw", len(data), "lvl", lvl, buf.Len(), time.Since(st)/100)
		}
	}
	fmt.Println("content", len(p.d.cs))
	for _, lvl := range []int{-2, 1, 2, 6} {
		var buf bytes.Buffer
		w, _ := kz.NewWriterLevel(&buf, lvl)
		st := time.Now()
		for i := 0; i < 100; i++ { buf.Reset(); w.Reset(&buf); w.Write(p.d.cs); w.Close() }
		fmt.Println("content lvl", lvl, buf.Len(), time.Since(st)/100)
	}
}
