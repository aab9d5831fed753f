package integration

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/notify"
)

// Issues 13 and 23: every cancellation note names why the gift was refunded
// and the reference of the money going back, and a partial refund's note
// says what stays eligible for a tax rebate rather than that the gift cannot
// be claimed.

// refundNote refunds amount of gift id with key and waits for its note; it
// returns the refund's ID and bKash's (or the counter's) reference.
func refundNote(t *testing.T, unit, id, amount, key string, notes int) (rid, ref string) {
	t.Helper()
	r := refundReq(t, id, amount, key, unit)
	if r.Status != 201 {
		t.Fatalf("refund %s: %d %s", amount, r.Status, r.Body)
	}
	rf := r.JSON(t)["refund"].(map[string]any)
	eventually(t, "cancellation note", func() bool {
		ns, _ := verify(t, id)["cancellations"].([]any)
		return len(ns) == notes
	})
	return rf["id"].(string), rf["refundTrxID"].(string)
}

func notePDFText(t *testing.T, id, rid string) string {
	t.Helper()
	pdf := do(t, "GET", "/api/v1/receipts/"+id+"/notes/"+rid+".pdf", nil, nil)
	if pdf.Status != 200 {
		t.Fatalf("note pdf: %d %s", pdf.Status, pdf.Body)
	}
	return pdfText(t, pdf.Body)
}

func wantIn(t *testing.T, what, text string, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

func wantNotIn(t *testing.T, what, text string, absent ...string) {
	t.Helper()
	for _, a := range absent {
		if strings.Contains(text, a) {
			t.Errorf("%s says %q:\n%s", what, a, text)
		}
	}
}

// TestCancellationNoteCarriesReasonAndRefundID (issue 13, item 1): the
// signed note — its JSON, its PDF and its page — carries the refund reason
// and bKash's refundTrxID; a counter gift's note carries the cash
// reference, labelled as such, not as a bKash ID.
func TestCancellationNoteCarriesReasonAndRefundID(t *testing.T) {
	code := fmt.Sprintf("noteref-%d", time.Now().UnixNano()%1e6)
	newUnit(t, code, nil)
	gid := payGift(t, code, "1200.00", "general", "", code+"-gift")
	rid, trx := refundNote(t, code, gid, "200.00", code+"-r1", 1)
	if trx == "" || strings.HasPrefix(trx, "CASH-") {
		t.Fatalf("bKash refund ID %q", trx)
	}
	n := do(t, "GET", "/api/v1/receipts/"+gid+"/notes/"+rid, nil, nil).JSON(t)
	if n["valid"] != true || n["refundReason"] != "donor asked" || n["refundTrxID"] != trx || n["cashRef"] != nil {
		t.Fatalf("note JSON: %v", n)
	}
	wantIn(t, "note PDF", notePDFText(t, gid, rid), "বাতিলের কারণ · Reason donor asked", "ফেরত আইডি · bKash refund ID "+trx)
	page := do(t, "GET", "/r/"+gid+"/notes/"+rid, nil, nil)
	wantIn(t, "note page", string(page.Body), "donor asked", trx, "bKash refund ID")

	cid := cashGift(t, code, code+"-cash", donorGift("900.00", "sadaqah", "Karim Mia", "01712345670"))
	waitReceipted(t, cid)
	crid, cref := refundNote(t, code, cid, "900.00", code+"-cr1", 1)
	if cref == "" {
		t.Fatal("cash refund without a reference")
	}
	cn := do(t, "GET", "/api/v1/receipts/"+cid+"/notes/"+crid, nil, nil).JSON(t)
	if cn["valid"] != true || cn["refundReason"] != "donor asked" || cn["cashRef"] != cref || cn["refundTrxID"] != nil {
		t.Fatalf("cash note JSON: %v", cn)
	}
	text := notePDFText(t, cid, crid)
	wantIn(t, "cash note PDF", text, "নগদ ফেরত · Cash refund ref. "+cref, "donor asked")
	wantNotIn(t, "cash note PDF", text, "bKash refund ID")
	cpage := do(t, "GET", "/r/"+cid+"/notes/"+crid, nil, nil)
	wantIn(t, "cash note page", string(cpage.Body), "Cash refund reference", cref)
	wantNotIn(t, "cash note page", string(cpage.Body), "bKash refund ID")
}

// TestPartialCancellationNoteSaysWhatRemains (issue 23, "Partial refunds say
// what remains"): a Tk 2,000 gift refunded Tk 500, then the Tk 1,500 left.
// The first note is a partial cancellation note stating the refund and the
// eligible remainder in both languages and never that the gift cannot be
// claimed; the second, which leaves nothing, says so.
func TestPartialCancellationNoteSaysWhatRemains(t *testing.T) {
	code := fmt.Sprintf("partial-%d", time.Now().UnixNano()%1e6)
	newUnit(t, code, nil)
	gid := payGift(t, code, "2000.00", "general", "", code+"-gift")
	rid, _ := refundNote(t, code, gid, "500.00", code+"-r1", 1)
	text := notePDFText(t, gid, rid)
	wantIn(t, "partial note PDF", text, "আংশিক বাতিল নোট · Partial cancellation note",
		"৳৫০০.০০ ফেরত — রেয়াতযোগ্য ৳১,৫০০.০০", "Tk 500.00 refunded — Tk 1,500.00 eligible for a tax rebate")
	wantNotIn(t, "partial note PDF", text, "cannot be claimed", "দাবি করা যাবে না", "সম্পূর্ণ ফেরত")
	n := do(t, "GET", "/api/v1/receipts/"+gid+"/notes/"+rid, nil, nil).JSON(t)
	if reb, _ := n["rebate"].(map[string]any); n["partial"] != true || reb["eligible"] != "1500.00" || reb["bn"] != "৳৫০০.০০ ফেরত — রেয়াতযোগ্য ৳১,৫০০.০০" {
		t.Fatalf("partial note JSON: %v", n)
	}
	page := string(do(t, "GET", "/r/"+gid+"/notes/"+rid, nil, nil).Body)
	wantIn(t, "partial note page", page, "আংশিক বাতিল নোট", "Partial cancellation note", "৳৫০০.০০ ফেরত — রেয়াতযোগ্য ৳১,৫০০.০০")
	wantNotIn(t, "partial note page", page, "cannot be claimed")

	rid2, _ := refundNote(t, code, gid, "1500.00", code+"-r2", 2)
	text = notePDFText(t, gid, rid2)
	wantIn(t, "last note PDF", text, "বাতিল নোট · Cancellation note", "সম্পূর্ণ ফেরত — রেয়াতযোগ্য নয়", "Fully refunded — not eligible for a tax rebate")
	wantNotIn(t, "last note PDF", text, "Partial", "আংশিক")
	page = string(do(t, "GET", "/r/"+gid+"/notes/"+rid2, nil, nil).Body)
	wantIn(t, "last note page", page, "সম্পূর্ণ ফেরত — রেয়াতযোগ্য নয়")
	wantNotIn(t, "last note page", page, "Partial cancellation note", "আংশিক বাতিল নোট")
	// The first note still says what it said when it was signed.
	wantIn(t, "first note PDF after the second", notePDFText(t, gid, rid), "রেয়াতযোগ্য ৳১,৫০০.০০")
}

// TestDonorToldOfEveryRefundOnce (issue 13, item 3): each completed refund
// reaches the donor by SMS and e-mail with the amount, the reason, the
// refund's reference and the note's page — for a counter gift as a cash
// refund with its cash reference, never as a bKash one — and a redelivered
// refund event sends nothing again (idempotent by the refund's ID).
func TestDonorToldOfEveryRefundOnce(t *testing.T) {
	ctx := context.Background()
	code := fmt.Sprintf("notify-%d", time.Now().UnixNano()%1e6)
	newUnit(t, code, nil)
	gid := payGift(t, code, "2000.00", "general", "", code+"-gift")
	rid, trx := refundNote(t, code, gid, "500.00", code+"-r1", 1)
	cid := cashGift(t, code, code+"-cash", donorGift("900.00", "sadaqah", "Karim Mia", "01712345670"))
	waitReceipted(t, cid)
	crid, cref := refundNote(t, code, cid, "300.00", code+"-cr1", 1)

	told := func(ref string) *notify.FileLine {
		var n *notify.FileLine
		eventually(t, "donor told: "+ref, func() bool { n = findNotification(t, ref); return n != nil })
		return n
	}
	sms, mail := told(gid+"/refund/"+rid+"/sms"), told(gid+"/refund/"+rid+"/email")
	for _, n := range []*notify.FileLine{sms, mail} {
		wantIn(t, n.Ref, n.Text, "৳৫০০.০০", "donor asked", trx, "/r/"+gid+"/notes/"+rid)
	}
	wantIn(t, "refund e-mail", mail.Text, "Tk 500.00", "bKash refund transaction ID: "+trx,
		"রেয়াতযোগ্য ৳১,৫০০.০০", "Tk 1,500.00 of the gift remains eligible for a tax rebate")
	csms, cmail := told(cid+"/refund/"+crid+"/sms"), told(cid+"/refund/"+crid+"/email")
	for _, n := range []*notify.FileLine{csms, cmail} {
		wantIn(t, n.Ref, n.Text, "৳৩০০.০০", "donor asked", cref, "নগদ", "/r/"+cid+"/notes/"+crid)
		wantNotIn(t, n.Ref, n.Text, "বিকাশ", "bKash")
	}
	wantIn(t, "cash refund e-mail", cmail.Text, "Cash refund reference: "+cref)

	// Redeliver both refund events, twice, to a notifier of our own that
	// shares the record of what was sent: nothing goes out again.
	spare := filepath.Join(t.TempDir(), "notify.jsonl")
	smsN, mailN := notify.NewFile(spare, time.Now)
	n := &app.ReceiptNotifier{Receipts: stack.Store.Receipts(), Donations: stack.Store.Donations(),
		Notify: notify.Router{SMS: smsN, Email: mailN}, Sent: stack.Store.Notifications(),
		PublicURL: stack.Config.PublicURL, Now: time.Now, Log: slog.New(slog.DiscardHandler)}
	for _, g := range []struct{ id, rid string }{{gid, rid}, {cid, crid}} {
		d, err := stack.Store.Donations().Get(ctx, g.id)
		if err != nil {
			t.Fatal(err)
		}
		rf, _ := d.FindRefund(g.rid)
		ev, err := events.New(donations.RefundEventID(g.id, g.rid), donations.EventRefunded, code, rf.CompletedAt, donations.RefundedPayload{
			Donation: g.id, Refund: g.rid, Amount: rf.Amount, Kind: d.Kind, Method: d.Method, RefundTrxID: rf.RefundTrxID, At: rf.CompletedAt,
			Held: rf.Held, Reason: rf.Reason})
		if err != nil {
			t.Fatal(err)
		}
		for range 2 {
			if err := n.Handle(ctx, ev); err != nil {
				t.Fatalf("redelivery: %v", err)
			}
		}
	}
	if b, err := os.ReadFile(spare); err == nil && len(b) > 0 {
		t.Fatalf("redelivered refund events notified the donor again:\n%s", b)
	}
	for _, ref := range []string{sms.Ref, mail.Ref, csms.Ref, cmail.Ref} {
		count := 0
		for _, l := range notifications(t) {
			if l.Ref == ref {
				count++
			}
		}
		if count != 1 {
			t.Errorf("%s sent %d times", ref, count)
		}
	}
}
