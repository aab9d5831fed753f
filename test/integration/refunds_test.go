package integration

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Issue 13: refunds and retries that can never double or lose money. Each
// test names the hole it closes.

// newUnit registers a fresh unit (its own funds, nothing else in them).
func newUnit(t *testing.T, code string, bkash map[string]any) {
	t.Helper()
	reg := map[string]any{"names": map[string]any{"en": "Race Test Hospital " + code, "bn": "পরীক্ষা হাসপাতাল"},
		"level": "district", "division": "Dhaka", "district": "Dhaka", "policy": map[string]any{"approvalThreshold": "100000.00"}}
	if bkash != nil {
		reg["bkash"] = bkash
	}
	if r := do(t, "PUT", "/api/v1/admin/units/"+code, reg, token(t, "platform_admin", "")); r.Status != 201 && r.Status != 200 {
		t.Fatalf("register %s: %d %s", code, r.Status, r.Body)
	}
}

func paymentOf(t *testing.T, id string) string {
	t.Helper()
	d, err := stack.Store.Donations().Get(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return d.PaymentID
}

func refundFaults(t *testing.T, id string, f bkashsandbox.Faults) {
	t.Helper()
	if err := stack.Sandbox.SetPaymentFaults(paymentOf(t, id), f); err != nil {
		t.Fatal(err)
	}
}

// sandboxRefunds is what bKash (the sandbox) holds for the gift's payment:
// its refunds and their completed total.
func sandboxRefunds(t *testing.T, id string) (int, money.Amount) {
	t.Helper()
	p, ok := stack.Sandbox.Payment(paymentOf(t, id))
	if !ok {
		t.Fatalf("sandbox has no payment for %s", id)
	}
	var sum money.Amount
	for _, r := range p.Refunds {
		if r.Status == "Completed" {
			sum += r.Amount
		}
	}
	return len(p.Refunds), sum
}

func refundReq(t *testing.T, id, amount, key, unit string) resp {
	t.Helper()
	h := token(t, "unit_admin", unit)
	h["Idempotency-Key"] = key
	return do(t, "POST", "/api/v1/donations/"+id+"/refunds", map[string]any{"amount": amount, "reason": "donor asked"}, h)
}

func refundStatus(t *testing.T, id string) (status, refunded string) {
	t.Helper()
	d := do(t, "GET", "/api/v1/donations/"+id, nil, nil).JSON(t)
	rs, _ := d["refunds"].([]any)
	if len(rs) == 0 {
		return "", "0.00"
	}
	last := rs[len(rs)-1].(map[string]any)
	r, _ := d["refunded"].(string)
	return last["status"].(string), r
}

func iterations(t *testing.T, def int) int {
	if v, err := strconv.Atoi(os.Getenv("KALYAN_REFUND_RACE_ITERATIONS")); err == nil && v > 0 {
		return v
	}
	if testing.Short() {
		return 2
	}
	return def
}

// TestRefundRacingAllocationPaysOnce (hole 1): a paid Tk 1,000 general gift and
// an assessed Tk 1,000 request; the gift is refunded and the request approved
// ~50 ms apart, in both orders, with bKash answering on time and late. Exactly
// one of them gets the money, every time: bKash refunded it and the request
// waits, or the refund was refused before bKash heard of it and the request
// is allocated. The public ledger says the same.
func TestRefundRacingAllocationPaysOnce(t *testing.T) {
	n := iterations(t, 6)
	for _, late := range []bool{false, true} {
		for i := range n {
			t.Run(fmt.Sprintf("late=%v/%d", late, i), func(t *testing.T) {
				code := fmt.Sprintf("race-%d-%d-%d", map[bool]int{false: 0, true: 1}[late], i, time.Now().UnixNano()%1e6)
				newUnit(t, code, nil)
				gid := payGift(t, code, "1000.00", "general", "", code+"-gift")
				if late {
					refundFaults(t, gid, bkashsandbox.Faults{Refund: bkashsandbox.FaultLate})
				}
				swTok, _ := stack.Token("social_worker", code, "sw-"+code)
				swh := map[string]string{"Authorization": "Bearer " + swTok}
				req := fileAid(t, code, aidBody("other", "", "01733333333", "1000.00"), swh)
				if r := do(t, "POST", "/api/v1/aid-requests/"+req+"/assess", map[string]any{"approved": []string{"1000.00"}, "zakatEligible": false}, swh); r.Status != 200 {
					t.Fatalf("assess: %d %s", r.Status, r.Body)
				}
				var wg sync.WaitGroup
				var refund, approve resp
				refundFirst := i%2 == 0
				wg.Add(2)
				go func() {
					defer wg.Done()
					if !refundFirst {
						time.Sleep(50 * time.Millisecond)
					}
					refund = refundReq(t, gid, "1000.00", code+"-refund", code)
				}()
				go func() {
					defer wg.Done()
					if refundFirst {
						time.Sleep(50 * time.Millisecond)
					}
					approve = do(t, "POST", "/api/v1/aid-requests/"+req+"/approve", nil, staffToken(t, "social_worker", code, "sw2-"+code))
				}()
				wg.Wait()
				if approve.Status != 200 {
					t.Fatalf("approve: %d %s", approve.Status, approve.Body)
				}
				if refund.Status != 201 && refund.Status != 422 {
					t.Fatalf("refund: %d %s", refund.Status, refund.Body)
				}
				// Let allocation and the ledger settle.
				eventually(t, "request settled", func() bool {
					s := aidStatus(t, req, swh)["status"]
					return s == "allocated" || s == "waitlisted"
				})
				eventually(t, "ledger settled", func() bool {
					f := fund(t, code, "general")
					return f["refundPending"] == "0.00" &&
						amountOf(t, f["refunded"])+amountOf(t, f["allocated"]) == money.Taka(1000) && f["balance"] == "0.00"
				})
				_, bkashRefunded := sandboxRefunds(t, gid)
				allocated := amountOf(t, aidStatus(t, req, swh)["allocated"])
				if bkashRefunded+allocated != money.Taka(1000) {
					t.Fatalf("bKash refunded %s and the request got %s of one Tk 1,000 gift (refund %d %s)", bkashRefunded, allocated, refund.Status, refund.Body)
				}
				f := fund(t, code, "general")
				if amountOf(t, f["refunded"]) != bkashRefunded || amountOf(t, f["allocated"]) != allocated {
					t.Fatalf("public ledger %v, bKash refunded %s, allocated %s", f, bkashRefunded, allocated)
				}
			})
		}
	}
}

// TestRefundRetryAfterLostAnswer (hole 2): bKash makes the refund but its
// answer is lost. The refund stays pending (202); a retry with the same key
// never refunds again; bKash's refund status settles it as completed, for a
// partial and for a full refund, and the money is then gone from the fund.
func TestRefundRetryAfterLostAnswer(t *testing.T) {
	code := fmt.Sprintf("lost-%d", time.Now().UnixNano()%1e6)
	newUnit(t, code, nil)
	for _, c := range []struct{ gift, refund string }{{"600.00", "300.00"}, {"500.00", "500.00"}} {
		gid := payGift(t, code, c.gift, "general", "", code+"-"+c.gift)
		refundFaults(t, gid, bkashsandbox.Faults{Refund: bkashsandbox.FaultTimeout})
		key := code + "-refund-" + c.gift
		first := refundReq(t, gid, c.refund, key, code)
		if first.Status != 202 || first.JSON(t)["refund"].(map[string]any)["status"] != "pending" {
			t.Fatalf("lost answer: %d %s, want 202 pending", first.Status, first.Body)
		}
		// The admin retries at once, twice.
		for range 2 {
			if r := refundReq(t, gid, c.refund, key, code); r.Status != 202 && r.Status != 201 {
				t.Fatalf("retry: %d %s", r.Status, r.Body)
			}
		}
		eventually(t, "refund settled by refund status", func() bool { s, _ := refundStatus(t, gid); return s == "completed" })
		if n, sum := sandboxRefunds(t, gid); n != 1 || sum != amountOf(t, c.refund) {
			t.Fatalf("bKash holds %d refunds totalling %s, want one of %s", n, sum, c.refund)
		}
		if _, refunded := refundStatus(t, gid); refunded != c.refund {
			t.Fatalf("recorded refunded %s, bKash paid %s", refunded, c.refund)
		}
	}
	eventually(t, "the ledger reversed both", func() bool {
		f := fund(t, code, "general")
		return f["refunded"] == "800.00" && f["refundPending"] == "0.00" && f["balance"] == "300.00"
	})
}

// TestRefund503IsSettledAndReleased (hole 3): bKash answers the refund 503.
// The refund is pending, not final, and never sent again; bKash's refund
// status has no record of it, so once the grace has passed it fails, its
// hold goes back to the fund, and the gift can be refunded anew.
func TestRefund503IsSettledAndReleased(t *testing.T) {
	code := fmt.Sprintf("r503-%d", time.Now().UnixNano()%1e6)
	newUnit(t, code, nil)
	gid := payGift(t, code, "700.00", "general", "", code+"-gift")
	refundFaults(t, gid, bkashsandbox.Faults{Refund: bkashsandbox.FaultUnavailable})
	if r := refundReq(t, gid, "700.00", code+"-r1", code); r.Status != 202 {
		t.Fatalf("503: %d %s, want 202 pending", r.Status, r.Body)
	}
	eventually(t, "the pending refund's hold on the public ledger", func() bool {
		f := fund(t, code, "general")
		return f["refundPending"] == "700.00" && f["balance"] == "0.00"
	})
	refundFaults(t, gid, bkashsandbox.Faults{Refund: bkashsandbox.FaultNone})
	eventually(t, "the refund bKash never made fails", func() bool { s, _ := refundStatus(t, gid); return s == "failed" })
	eventually(t, "its hold is released", func() bool {
		f := fund(t, code, "general")
		return f["refundPending"] == "0.00" && f["balance"] == "700.00" && f["refunded"] == "0.00"
	})
	if n, _ := sandboxRefunds(t, gid); n != 0 {
		t.Fatalf("bKash holds %d refunds, want none", n)
	}
	r := refundReq(t, gid, "700.00", code+"-r2", code)
	if r.Status != 201 || r.JSON(t)["refund"].(map[string]any)["status"] != "completed" {
		t.Fatalf("a new refund after the failed one: %d %s", r.Status, r.Body)
	}
}

// TestRefundPendingAtBKash: bKash takes the refund but answers a
// refundTransactionStatus other than Completed. That is no refusal: the refund
// stays pending and its hold held until the refund status shows it Completed.
func TestRefundPendingAtBKash(t *testing.T) {
	code := fmt.Sprintf("rpend-%d", time.Now().UnixNano()%1e6)
	newUnit(t, code, nil)
	gid := payGift(t, code, "400.00", "general", "", code+"-gift")
	refundFaults(t, gid, bkashsandbox.Faults{Refund: bkashsandbox.FaultPending})
	if r := refundReq(t, gid, "150.00", code+"-r", code); r.Status != 202 {
		t.Fatalf("pending at bKash: %d %s, want 202", r.Status, r.Body)
	}
	eventually(t, "refund completed by refund status", func() bool { s, _ := refundStatus(t, gid); return s == "completed" })
	eventually(t, "ledger", func() bool {
		f := fund(t, code, "general")
		return f["refunded"] == "150.00" && f["refundPending"] == "0.00" && f["balance"] == "250.00"
	})
}

// TestRefundThroughV1API: a merchant whose account does not route bKash's v2
// refund path gets its refunds through the v1 path, learned from the "not
// routed" answer, and each refund reaches bKash once.
func TestRefundThroughV1API(t *testing.T) {
	code := fmt.Sprintf("rv1-%d", time.Now().UnixNano()%1e6)
	m := bkashsandbox.Credentials{Username: "rks-" + code, Password: "pw-" + code, AppKey: "ak-" + code, AppSecret: "as-" + code, RefundV1Only: true}
	if err := stack.Sandbox.SetMerchant(m); err != nil {
		t.Fatal(err)
	}
	newUnit(t, code, map[string]any{"username": m.Username, "password": m.Password, "appKey": m.AppKey, "appSecret": m.AppSecret})
	gid := payGift(t, code, "900.00", "general", "", code+"-gift")
	for i, amount := range []string{"200.00", "300.00"} {
		r := refundReq(t, gid, amount, fmt.Sprintf("%s-r%d", code, i), code)
		if r.Status != 201 || r.JSON(t)["refund"].(map[string]any)["status"] != "completed" {
			t.Fatalf("v1 refund %s: %d %s", amount, r.Status, r.Body)
		}
	}
	if n, sum := sandboxRefunds(t, gid); n != 2 || sum != money.Taka(500) {
		t.Fatalf("bKash holds %d refunds of %s, want 2 of 500.00", n, sum)
	}
	// A lost v1 answer is settled by v1's refund status.
	refundFaults(t, gid, bkashsandbox.Faults{Refund: bkashsandbox.FaultTimeout})
	if r := refundReq(t, gid, "100.00", code+"-r3", code); r.Status != 202 {
		t.Fatalf("lost v1 answer: %d %s", r.Status, r.Body)
	}
	eventually(t, "v1 refund status settles it", func() bool { s, _ := refundStatus(t, gid); return s == "completed" })
	if n, sum := sandboxRefunds(t, gid); n != 3 || sum != money.Taka(600) {
		t.Fatalf("bKash holds %d refunds of %s, want 3 of 600.00", n, sum)
	}
}

// TestGiftRetryAfterPaidReplays (hole 4): a gift retried with its key after it
// was paid answers the stored gift (200), whatever its state, without asking
// bKash for a new payment; so does the donor form's double submit.
func TestGiftRetryAfterPaidReplays(t *testing.T) {
	key := fmt.Sprintf("replay-%d", time.Now().UnixNano())
	id := payGift(t, "dmch", "250.00", "sadaqah", "", key)
	before := stack.Sandbox.Stats().Creates
	r := do(t, "POST", "/api/v1/units/dmch/donations", gift("250.00", "sadaqah"), map[string]string{"Idempotency-Key": key})
	if r.Status != 200 || r.JSON(t)["id"] != id || r.JSON(t)["status"] != "receipted" {
		t.Fatalf("retry of a paid gift: %d %s, want 200 with %s", r.Status, r.Body, id)
	}
	if got := stack.Sandbox.Stats().Creates; got != before {
		t.Fatalf("the retry created %d bKash payments", got-before)
	}

	// The donor form: pay, then press Pay again on the same form.
	page := do(t, "GET", "/d/dmch", nil, nil)
	fk := formKeyOf(t, page.Body)
	vals := url.Values{"key": {fk}, "amount": {"500"}, "kind": {"sadaqah"}, "name": {"Double Tap"}, "phone": {"01711000222"}}
	first := form(t, stack.APIURL()+"/d/dmch", vals)
	if first.Status != 303 {
		t.Fatalf("form submit: %d %s", first.Status, first.Body)
	}
	paid := form(t, first.Header.Get("Location"), url.Values{"action": {"pay"}})
	do(t, "GET", paid.Header.Get("Location"), nil, nil)
	before = stack.Sandbox.Stats().Creates
	second := form(t, stack.APIURL()+"/d/dmch", vals)
	if second.Status != 303 || !regexpDonation.MatchString(second.Header.Get("Location")) {
		t.Fatalf("double submit after paying: %d %s %s, want the gift's status page", second.Status, second.Header.Get("Location"), second.Body)
	}
	if got := stack.Sandbox.Stats().Creates; got != before {
		t.Fatalf("the double submit created %d bKash payments", got-before)
	}
}

var regexpDonation = regexp.MustCompile(`/donations/don_[0-9a-z]+$`)

func formKeyOf(t *testing.T, page []byte) string {
	t.Helper()
	m := keyInput.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no form key in %s", page)
	}
	return string(m[1])
}

// TestRefundedReceiptTellsTheTruth: after a partial and then the remaining
// refund, the receipt's verify answer and page state what was refunded and
// what is still eligible for a rebate, in both languages, and link each
// cancellation note's page; the note's page (its QR code's target) names the
// reason and bKash's refund ID; the donor is told; the status page links the
// notes. The signed receipt itself is unchanged.
func TestRefundedReceiptTellsTheTruth(t *testing.T) {
	code := fmt.Sprintf("truth-%d", time.Now().UnixNano()%1e6)
	newUnit(t, code, nil)
	gid := payGift(t, code, "2000.00", "general", "", code+"-gift")
	before := verify(t, gid)
	r := refundReq(t, gid, "500.00", code+"-r1", code)
	if r.Status != 201 {
		t.Fatalf("refund: %d %s", r.Status, r.Body)
	}
	rf := r.JSON(t)["refund"].(map[string]any)
	rid, trx := rf["id"].(string), rf["refundTrxID"].(string)
	eventually(t, "cancellation note", func() bool { return len(verify(t, gid)["cancellations"].([]any)) == 1 })
	v := verify(t, gid)
	reb := v["rebate"].(map[string]any)
	if v["valid"] != true || v["amount"] != before["amount"] || reb["refunded"] != "500.00" || reb["eligible"] != "1500.00" ||
		reb["bn"] != "৳৫০০.০০ ফেরত — রেয়াতযোগ্য ৳১,৫০০.০০" || reb["en"] == "" {
		t.Fatalf("verify after a partial refund: %v", v)
	}
	page := do(t, "GET", "/r/"+gid, nil, nil)
	for _, want := range []string{"রেয়াতযোগ্য ৳১,৫০০.০০", "eligible for a tax rebate", "/r/" + gid + "/notes/" + rid} {
		if !bytesContains(page.Body, want) {
			t.Errorf("/r page lacks %q", want)
		}
	}
	note := do(t, "GET", "/r/"+gid+"/notes/"+rid, nil, nil)
	for _, want := range []string{"Partial cancellation note", "আংশিক বাতিল নোট", "donor asked", trx, "✔"} {
		if note.Status != 200 || !bytesContains(note.Body, want) {
			t.Errorf("note page (%d) lacks %q", note.Status, want)
		}
	}
	eventually(t, "donor told of the refund", func() bool {
		n := findNotification(t, gid+"/refund/"+rid+"/sms")
		return n != nil && n.Kind == "refund-completed" && bytesContains([]byte(n.Text), trx) && bytesContains([]byte(n.Text), "/r/"+gid+"/notes/"+rid)
	})
	if st := do(t, "GET", "/donations/"+gid, nil, nil); !bytesContains(st.Body, "/r/"+gid+"/notes/"+rid) {
		t.Errorf("status page does not link the note")
	}
	// The rest: fully refunded, nothing eligible.
	if r := refundReq(t, gid, "1500.00", code+"-r2", code); r.Status != 201 {
		t.Fatalf("second refund: %d %s", r.Status, r.Body)
	}
	eventually(t, "second note", func() bool { return len(verify(t, gid)["cancellations"].([]any)) == 2 })
	reb = verify(t, gid)["rebate"].(map[string]any)
	if reb["eligible"] != "0.00" || reb["bn"] != "সম্পূর্ণ ফেরত — রেয়াতযোগ্য নয়" {
		t.Fatalf("verify after a full refund: %v", reb)
	}
}

func bytesContains(b []byte, s string) bool { return strings.Contains(string(b), s) }
