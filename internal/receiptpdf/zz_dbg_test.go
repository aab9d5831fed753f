package receiptpdf
import ("fmt";"testing")
func TestDbg(t *testing.T) {
	r, _ := NewRenderer()
	sh := r.shapers.get()
	for _, w := range []string{"বোর্ডের", "অন্তর্ভুক্ত", "কু", "কি"} {
		s := sh.shape(w, false)
		for _, rn := range s.runs {
			pen := int32(0)
			for _, g := range rn.glyphs {
				fmt.Printf("%s gid=%d cl=%d-%d adv=%d dx=%d dy=%d x=%d hmtx=%d end=%d\n", w, g.gid, g.cluster, g.clusterEnd, g.adv, g.dx, g.dy, pen+g.dx, r.fonts.sf[rn.font].advances[g.gid], pen+g.dx+int32(r.fonts.sf[rn.font].advances[g.gid]))
				pen += g.adv
			}
		}
	}
}
