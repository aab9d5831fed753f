package integration

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/signing"
)

// TestRefundIssuesCancellationNote: a partial refund gets exactly one signed
// cancellation note (also when its event is delivered again), printed as a
// PDF naming the original receipt, while the receipt itself stays as issued.
func TestRefundIssuesCancellationNote(t *testing.T) {
	ctx := context.Background()
	id := payGift(t, "dmch", "600.00", "sadaqah", "", "note-gift")
	waitReceipted(t, id)
	serial := do(t, "GET", "/api/v1/receipts/"+id, nil, nil).JSON(t)["serial"].(string)
	before := receiptDoc(t, id)

	r := do(t, "POST", "/api/v1/donations/"+id+"/refunds", map[string]any{"amount": "300.00", "reason": "duplicate payment"},
		map[string]string{"Idempotency-Key": "note-r1", "Authorization": token(t, "unit_admin", "dmch")["Authorization"]})
	if r.Status != 201 {
		t.Fatalf("refund: %d %s", r.Status, r.Body)
	}
	rid := r.JSON(t)["refund"].(map[string]any)["id"].(string)

	var rc map[string]any
	eventually(t, "cancellation note listed", func() bool {
		rc = do(t, "GET", "/api/v1/receipts/"+id, nil, nil).JSON(t)
		ns, _ := rc["cancellations"].([]any)
		return len(ns) == 1
	})
	listed := rc["cancellations"].([]any)[0].(map[string]any)
	if listed["refund"] != rid || listed["amount"] != "300.00" || listed["serial"] != serial+"-C1" || listed["refundedAt"] == "" || listed["issuedAt"] == "" {
		t.Fatalf("listed note %v", listed)
	}

	// Redeliver the refund event straight to the receipt worker, twice.
	d, err := stack.Store.Donations().Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	rf, ok := d.FindRefund(rid)
	if !ok {
		t.Fatalf("no refund %s", rid)
	}
	ev, err := events.New(donations.RefundEventID(id, rid), donations.EventRefunded, "dmch", rf.CompletedAt, donations.RefundedPayload{
		Donation: id, Refund: rid, Amount: rf.Amount, Kind: d.Kind, Programme: d.Programme, Method: d.Method, RefundTrxID: rf.RefundTrxID, At: rf.CompletedAt})
	if err != nil {
		t.Fatal(err)
	}
	sealKey, err := signing.ParseSealKey(stack.Config.SealKey)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := signing.NewSealer(sealKey)
	if err != nil {
		t.Fatal(err)
	}
	issuer := &app.ReceiptIssuer{Receipts: stack.Store.Receipts(), Units: stack.Store.Units(), Now: time.Now, Donations: stack.Store.Donations(),
		Keys: &app.UnitKeys{Store: stack.Store.UnitKeys(), Sealer: sealer, Now: time.Now}, DonorRef: sealer.DonorRef, Notes: stack.Store.ReceiptNotes()}
	for range 2 {
		if err := handleRetrying(ctx, issuer, ev); err != nil {
			t.Fatalf("redelivery: %v", err)
		}
	}
	notes := stack.Store.Database().Collection("receipt_notes")
	if n, err := notes.CountDocuments(ctx, bson.M{"donation": id}); err != nil || n != 1 {
		t.Fatalf("notes after redelivery: %d %v", n, err)
	}

	// The note verifies, names the original and carries the refund's reason
	// (issue 13), never the donor's full number.
	nr := do(t, "GET", "/api/v1/receipts/"+id+"/notes/"+rid, nil, nil)
	note := nr.JSON(t)
	if nr.Status != 200 || note["valid"] != true || note["originalSerial"] != serial || note["amount"] != "300.00" ||
		note["originalAmount"] != "600.00" || note["serial"] != serial+"-C1" || note["keyFingerprint"] != rc["keyFingerprint"] {
		t.Fatalf("note: %d %s", nr.Status, nr.Body)
	}
	if note["refundReason"] != "duplicate payment" || strings.Contains(string(nr.Body), "01712345678") {
		t.Fatalf("note JSON: %s", nr.Body)
	}
	pdf := do(t, "GET", "/api/v1/receipts/"+id+"/notes/"+rid+".pdf", nil, nil)
	if pdf.Status != 200 || pdf.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("note pdf: %d %s", pdf.Status, pdf.Body)
	}
	text := pdfText(t, pdf.Body)
	for _, want := range []string{serial + "-C1", "Original receipt " + serial, "Partial cancellation note", "আংশিক বাতিল নোট", "Amount refunded",
		"Reason duplicate payment"} {
		if !strings.Contains(text, want) {
			t.Errorf("note PDF text lacks %q:\n%s", want, text)
		}
	}

	// The original receipt is untouched and still genuine.
	if after := receiptDoc(t, id); !reflect.DeepEqual(before, after) {
		t.Fatalf("receipt altered:\nbefore %v\nafter  %v", before, after)
	}
	if v := verify(t, id); v["valid"] != true || v["serial"] != serial || v["amount"] != "600.00" {
		t.Fatalf("original receipt %v", v)
	}

	// Unknown refund: 404; a tampered note fails verification and gets no PDF.
	problemOf(t, do(t, "GET", "/api/v1/receipts/"+id+"/notes/rf_nope", nil, nil), 404, "")
	var stored bson.M
	if err := notes.FindOne(ctx, bson.M{"donation": id}).Decode(&stored); err != nil {
		t.Fatal(err)
	}
	forged := strings.Replace(stored["content"].(string), `"refunded":"300.00"`, `"refunded":"30.00"`, 1)
	if _, err := notes.UpdateOne(ctx, bson.M{"_id": stored["_id"]}, bson.M{"$set": bson.M{"content": forged}}); err != nil {
		t.Fatal(err)
	}
	if v := do(t, "GET", "/api/v1/receipts/"+id+"/notes/"+rid, nil, nil).JSON(t); v["valid"] != false || v["reason"] == "" {
		t.Fatalf("tampered note %v", v)
	}
	problemOf(t, do(t, "GET", "/api/v1/receipts/"+id+"/notes/"+rid+".pdf", nil, nil), 409, "")
}
