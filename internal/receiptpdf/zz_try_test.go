package receiptpdf
import ("os";"testing")
func TestTry(t *testing.T) {
	r, err := NewRenderer(); if err != nil { t.Fatal(err) }
	f, _ := os.Create("/tmp/r.pdf"); defer f.Close()
	if err := r.Render(f, sampleReceipt()); err != nil { t.Fatal(err) }
}
