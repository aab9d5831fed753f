package receiptpdf

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkRender measures receipts per second; run with -cpu 1 for the
// single-core figure. Each iteration renders a receipt with its own serial,
// donor and URL, so only fixed labels come from the shaping cache.
func BenchmarkRender(b *testing.B) {
	r, err := NewRenderer()
	if err != nil {
		b.Fatal(err)
	}
	rc := sampleReceipt()
	var buf bytes.Buffer
	if err := r.Render(&buf, rc); err != nil { // warm the label cache and pools
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	size := 0
	b.RunParallel(func(pb *testing.PB) {
		var buf bytes.Buffer
		rc := sampleReceipt()
		for i := 0; pb.Next(); i++ {
			rc.Serial = fmt.Sprintf("DMCH/2025-26/%06d", i)
			rc.VerifyURL = fmt.Sprintf("https://kalyan.example.org/r/01J9Z3K4X5Y6Z7A8B9C%07d", i)
			rc.Amount += 101
			buf.Reset()
			if err := r.Render(&buf, rc); err != nil {
				b.Error(err)
				return
			}
			size = buf.Len()
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pdfs/s")
	b.ReportMetric(float64(size), "bytes/pdf")
}
