package receiptpdf

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkRender measures receipts per second on one Renderer. Run it with
// -cpu 1 for the single-core figure:
//
//	go test -run '^$' -bench BenchmarkRender -cpu 1 -benchtime 5s ./internal/receiptpdf/
//
// Every iteration renders a different serial, amount and verification URL,
// so only labels and unit names come from the shaping cache, as in
// production.
func BenchmarkRender(b *testing.B) {
	r, err := NewRenderer()
	if err != nil {
		b.Fatal(err)
	}
	rc := sampleReceipt()
	var buf bytes.Buffer
	if err := r.Render(&buf, rc); err != nil { // load the label cache and pools
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	cpu0 := processCPU()
	for i := 0; i < b.N; i++ {
		rc.Serial = fmt.Sprintf("DMCH/2025-26/%06d", i)
		rc.VerifyURL = fmt.Sprintf("https://kalyan.example.org/r/01J9Z3K4X5Y6Z7A8B9C%07d", i)
		rc.Amount += 101
		buf.Reset()
		if err := r.Render(&buf, rc); err != nil {
			b.Fatal(err)
		}
	}
	if cpu := processCPU() - cpu0; cpu > 0 {
		b.ReportMetric(float64(b.N)/cpu.Seconds(), "pdfs/cpu-s")
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "pdfs/s")
	b.ReportMetric(float64(buf.Len()), "bytes/pdf")
}

// BenchmarkRenderStatement renders a 3-page annual statement.
func BenchmarkRenderStatement(b *testing.B) {
	r, err := NewRenderer()
	if err != nil {
		b.Fatal(err)
	}
	st := sampleStatement(80)
	var buf bytes.Buffer
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		buf.Reset()
		if err := r.RenderStatement(&buf, st); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/pdf")
}
