package receiptpdf
import ("os";"testing")
func TestSpecimen(t *testing.T) {
	r, _ := NewRenderer()
	p := r.newPen(a5Width, a5Height)
	defer p.release()
	top := 40.0
	for _, s := range []string{"ক্ষ ন্ত স্থ কি কে কো কৌ", "বোর্ডের অন্তর্ভুক্ত পর্যন্ত", "কল্যাণ ব্যাংক প্রজ্ঞাপন", "চাঁদ পাঁচ সাঁইত্রিশ রূপ কৃ", "মোহাম্মদ আব্দুল্লাহ শ্রী হৃদয়", "দুঃখ বিসর্গ্য র‍্যাব", "৳১,২৫,০০০.৫০ Tk 1,25,000.50"} {
		p.left(20, top, s, style{size: 22})
		top += 36
		p.left(20, top, s, style{size: 22, bold: true})
		top += 36
	}
	f, _ := os.Create("/tmp/spec.pdf"); defer f.Close()
	if err := p.d.finish(f, docInfo{title: "spec"}); err != nil { t.Fatal(err) }
}
