package receiptpdf

import (
	"strings"
	"testing"
	"time"
)

// TestStatementSaysWhenTruncated: a statement lists at most so many
// receipts (app.DefaultStatementRows); when the donor has more, the
// document says so above the totals rather than silently leaving them out.
func TestStatementSaysWhenTruncated(t *testing.T) {
	r := newRenderer(t)
	st := sampleStatement(5)
	if text := pdfText(t, renderStatement(t, r, st)); strings.Contains(text, "first 5 receipts") {
		t.Fatal("a complete statement says it is truncated")
	}
	st.Truncated = true
	wantText(t, pdfText(t, renderStatement(t, r, st)), "এই বিবরণীতে বছরের প্রথম ৫টি রসিদ আছে",
		"This statement lists the year's first 5 receipts; the totals are theirs.")
}

// TestStatementRowsDatedByPayment: a row shows its payment date (the
// rebate's), not the receipt's issue date, which may be the next day.
func TestStatementRowsDatedByPayment(t *testing.T) {
	r := newRenderer(t)
	st := sampleStatement(1)
	dhaka := time.FixedZone("Asia/Dhaka", 6*60*60)
	st.Rows[0].PaidAt = time.Date(2026, time.June, 30, 23, 59, 50, 0, dhaka)
	st.Rows[0].IssuedAt = time.Date(2026, time.July, 1, 0, 0, 2, 0, dhaka)
	text := pdfText(t, renderStatement(t, r, st))
	wantText(t, text, "পরিশোধ Paid on", "30 Jun 2026")
	if strings.Contains(text, "01 Jul 2026") {
		t.Errorf("row dated by issue:\n%s", text)
	}
}
