package integration

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/money"
	moneyverify "github.com/kalyan-platform/kalyan/internal/verify"
)

// appMerchant onboards a merchant wallet at bKash (the sandbox) with its
// wallet number, and registers unit on it.
func appMerchant(t *testing.T, unit, user, shortCode string) {
	t.Helper()
	if err := stack.Sandbox.SetMerchant(bkashsandbox.Credentials{Username: user, Password: user + "-pw", AppKey: user + "-app-key", AppSecret: user + "-app-secret", ShortCode: shortCode}); err != nil {
		t.Fatal(err)
	}
	creds := merchantCreds(user, user+"-pw")
	creds["shortCode"] = shortCode
	registerUnit(t, unit, creds)
}

// appPayment is a donor giving to merchant inside the bKash app.
func appPayment(t *testing.T, merchant, amount, payer string, at time.Time) string {
	t.Helper()
	a, err := money.Parse(amount)
	if err != nil {
		t.Fatal(err)
	}
	trx, err := stack.Sandbox.RecordAppPayment(merchant, bkashsandbox.AppPayment{Amount: a, Payer: payer, At: at})
	if err != nil {
		t.Fatal(err)
	}
	return trx
}

func claim(t *testing.T, unit, trx, phone string) resp {
	t.Helper()
	return do(t, "POST", "/api/v1/units/"+unit+"/bkash-app-gifts", map[string]any{
		"trxID": trx, "kind": "sadaqah", "donor": map[string]any{"name": "App Donor", "phone": phone, "tin": "123456789012"},
	}, nil)
}

// settlementViolations runs the money verify now and returns what it says
// about merchant.
func settlementViolations(t *testing.T, merchant string) []string {
	t.Helper()
	settle := &moneyverify.Settlement{Platform: stack.Config.BKash.Username, Totals: func(_ context.Context, m string) (money.Amount, money.Amount, error) {
		s := stack.Sandbox.Settlement(m)
		return s.CompletedTotal, s.RefundedTotal, nil
	}}
	rep, err := moneyverify.Run(t.Context(), stack.Store.Audit(), settle)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, v := range rep.Violations {
		if strings.Contains(v, merchant) {
			out = append(out, v)
		}
	}
	return out
}

// TestGiftMadeInTheBKashApp: a donor who gave in the bKash app claims the
// gift with its TrxID and number. bKash's search transaction confirms it;
// it is stored paid once, credited to the ledger, receipted with a signed
// receipt, and verify's settlement check counts it against the merchant's
// wallet (which was short of the ledger until the claim). Unknown,
// another merchant's, another payer's, too old and already received
// TrxIDs are refused with problem+json.
func TestGiftMadeInTheBKashApp(t *testing.T) {
	appMerchant(t, "dh-pabna", "rks-pabna", "01711000001")
	before := bkashNet(t, "dh-pabna")
	trx := appPayment(t, "rks-pabna", "750.00", "01812345678", time.Time{})

	// Until it is claimed, the wallet holds money the ledger never saw.
	if v := settlementViolations(t, "rks-pabna"); len(v) == 0 {
		// rks-pabna has no donation yet, so verify does not list it: make
		// a checkout gift so the merchant is checked.
		payGift(t, "dh-pabna", "100.00", "general", "", "pabna-checkout")
		before = bkashNet(t, "dh-pabna")
		if v := settlementViolations(t, "rks-pabna"); len(v) != 1 {
			t.Fatalf("an unclaimed app gift: verify says %v, want the merchant's settlement mismatch", v)
		}
	}

	// A wrong number: refused, nothing stored.
	r := claim(t, "dh-pabna", strings.ToLower(trx), "01912345678")
	problemOf(t, r, 422, "")
	if !strings.Contains(string(r.Body), "trx-other-payer") {
		t.Fatalf("wrong payer: %s", r.Body)
	}
	// The TrxID as typed from the SMS (lower case) and the right number.
	r = claim(t, "dh-pabna", " "+strings.ToLower(trx)+" ", "+8801812345678")
	if r.Status != 201 {
		t.Fatalf("claim: %d %s", r.Status, r.Body)
	}
	d := r.JSON(t)
	id := d["id"].(string)
	if d["status"] != "paid" || d["method"] != "bkash_app" || d["amount"] != "750.00" || d["trxID"] != trx || d["kind"] != "sadaqah" {
		t.Fatalf("claimed gift: %v", d)
	}
	waitReceipted(t, id)
	v := verify(t, id)
	if v["valid"] != true {
		t.Fatalf("receipt of an app gift does not verify: %v", v)
	}
	eventually(t, "ledger credit", func() bool { return bkashNet(t, "dh-pabna") == before+money.Taka(750) })
	if v := settlementViolations(t, "rks-pabna"); len(v) != 0 {
		t.Fatalf("after the claim verify still says %v", v)
	}

	// The same donor again (a double tap, or coming back for the receipt):
	// the same gift, nothing new.
	r = claim(t, "dh-pabna", trx, "01812345678")
	if r.Status != 200 || r.JSON(t)["id"] != id {
		t.Fatalf("claim again: %d %s", r.Status, r.Body)
	}
	// Anyone else, here or at another unit: already received.
	problemOf(t, claim(t, "dh-pabna", trx, "01912345678"), 409, "")
	registerUnit(t, "dh-sirajganj", nil)
	problemOf(t, claim(t, "dh-sirajganj", trx, "01812345678"), 409, "")

	// Unknown TrxID.
	r = claim(t, "dh-pabna", "ZZZZZZZZZZ", "01812345670")
	problemOf(t, r, 404, "")
	// Malformed TrxID and number: validation, naming the fields.
	problemOf(t, claim(t, "dh-pabna", "<script>", "01812345670"), 422, "trxID")
	problemOf(t, claim(t, "dh-pabna", "AAAAAAAAAA", "12345"), 422, "donor.phone")
	// Another merchant's transaction.
	if err := stack.Sandbox.SetMerchant(bkashsandbox.Credentials{Username: "shop-stranger", Password: "p", AppKey: "k", AppSecret: "s", ShortCode: "01799999999"}); err != nil {
		t.Fatal(err)
	}
	foreign := appPayment(t, "shop-stranger", "300.00", "01812345671", time.Time{})
	r = claim(t, "dh-pabna", foreign, "01812345671")
	problemOf(t, r, 422, "")
	if !strings.Contains(string(r.Body), "trx-other-merchant") {
		t.Fatalf("foreign merchant: %s", r.Body)
	}
	// A checkout gift's TrxID is already a gift.
	checkout := payGift(t, "dh-pabna", "200.00", "general", "", "pabna-checkout-2")
	cd, err := stack.Store.Donations().Get(t.Context(), checkout)
	if err != nil {
		t.Fatal(err)
	}
	problemOf(t, claim(t, "dh-pabna", cd.TrxID, "01770618575"), 409, "")

	// Older than the refund window: at a unit of its own, so the unclaimed
	// payment leaves no merchant of a gift short.
	appMerchant(t, "dh-natore", "rks-natore", "01711000002")
	old := appPayment(t, "rks-natore", "500.00", "01812345672", time.Now().Add(-16*24*time.Hour))
	r = claim(t, "dh-natore", old, "01812345672")
	problemOf(t, r, 422, "")
	if !strings.Contains(string(r.Body), "trx-too-old") {
		t.Fatalf("too old: %s", r.Body)
	}
	// A unit whose merchant wallet number is unknown cannot confirm.
	onboardMerchant(t, "rks-joypurhat", "jp-pw")
	registerUnit(t, "dh-joypurhat", merchantCreds("rks-joypurhat", "jp-pw"))
	jp := appPayment(t, "rks-joypurhat", "50.00", "01812345673", time.Time{})
	r = claim(t, "dh-joypurhat", jp, "01812345673")
	problemOf(t, r, 503, "")
	if !strings.Contains(string(r.Body), "app-gifts-unavailable") {
		t.Fatalf("unknown wallet number: %s", r.Body)
	}

	// The refund API cannot refund it (bKash's refund needs a checkout
	// paymentID): a clear refusal, not a refund left pending.
	r = do(t, "POST", "/api/v1/donations/"+id+"/refunds", map[string]any{"amount": "10.00", "reason": "donor asked"},
		map[string]string{"Idempotency-Key": "app-refund", "Authorization": token(t, "unit_admin", "dh-pabna")["Authorization"]})
	problemOf(t, r, 409, "")
}

// TestAppGiftClaimsAreRateLimited: at most 5 claims an hour for one number
// (fleet-wide, in the store), whatever the TrxIDs, answered 429 with
// Retry-After.
func TestAppGiftClaimsAreRateLimited(t *testing.T) {
	registerUnit(t, "dh-bogura", nil)
	var r resp
	for i := range 6 {
		r = claim(t, "dh-bogura", "QQQQQQQQQ"+string(rune('A'+i)), "01812345699")
		if i < 5 && r.Status != 404 {
			t.Fatalf("claim %d: %d %s", i+1, r.Status, r.Body)
		}
	}
	problemOf(t, r, 429, "")
	if r.Header.Get("Retry-After") == "" {
		t.Fatal("429 without Retry-After")
	}
}
