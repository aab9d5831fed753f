package receiptpdf
import ("bytes";"compress/zlib";"fmt";"testing";"time"; kz "github.com/klauspost/compress/zlib")
func TestZ(t *testing.T) {
	r, _ := NewRenderer()
	sf := r.fonts.sf[bengaliRegular]
	var used []uint16
	for g := 1; g < 200; g += 2 { used = append(used, uint16(g)) }
	var sb subsetBuf
	data := append([]byte(nil), sf.subset(used, &sb)...)
	sfl := r.fonts.sf[latinRegular]
	var ul []uint16
	for g := 1; g < 90; g++ { ul = append(ul, uint16(g)) }
	data2 := append([]byte(nil), sfl.subset(ul, &sb)...)
	fmt.Println("raw", len(data), len(data2))
	for _, lvl := range []int{1, 2, 4, 6} {
		var buf bytes.Buffer
		w, _ := zlib.NewWriterLevel(&buf, lvl)
		st := time.Now()
		for i := 0; i < 200; i++ { buf.Reset(); w.Reset(&buf); w.Write(data); w.Write(data2); w.Close() }
		fmt.Println("std", lvl, buf.Len(), time.Since(st)/200)
		w2, _ := kz.NewWriterLevel(&buf, lvl)
		st = time.Now()
		for i := 0; i < 200; i++ { buf.Reset(); w2.Reset(&buf); w2.Write(data); w2.Write(data2); w2.Close() }
		fmt.Println("kp ", lvl, buf.Len(), time.Since(st)/200)
	}
}
