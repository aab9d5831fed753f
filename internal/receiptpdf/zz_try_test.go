package receiptpdf
import ("os";"testing";"time";"github.com/kalyan-platform/kalyan/internal/money")
func TestTry(t *testing.T) {
	r, _ := NewRenderer()
	rc := sampleReceipt()
	rc.Serial = "DMCH/2025-26/000150"
	rc.Cancellation = &Cancellation{OriginalSerial: "DMCH/2025-26/000123", OriginalIssuedAt: time.Date(2025, 8, 15, 4, 30, 0, 0, time.UTC), Reason: "দাতার অনুরোধে ফেরত (donor request)", Refunded: money.Amount(5000000)}
	f, _ := os.Create("/tmp/c.pdf"); r.Render(f, rc); f.Close()
	f, _ = os.Create("/tmp/s.pdf"); st := sampleStatement(80); st.Rows[5].Cancelled = true; st.Rows[7].Programme = "cancer"; r.RenderStatement(f, st); f.Close()
}
