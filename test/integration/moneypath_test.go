package integration

import (
	"context"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

func gift(amount, kind string) map[string]any {
	return map[string]any{"amount": amount, "currency": "BDT", "kind": kind,
		"donor": map[string]any{"name": "Rahima Begum", "phone": "01712345678", "email": "rahima@example.com"}, "anonymous": false}
}

func fundBalance(t *testing.T, unit, account string) money.Amount {
	t.Helper()
	bs, err := stack.Store.Ledger().Balances(context.Background(), unit)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Account == account {
			return b.Net()
		}
	}
	return 0
}

// TestZakatGiftPaidAndReceipted walks the whole money path: create at
// bKash, a forged callback that must not pay, the payer authorising on the
// sandbox page, the callback executing server-side, the relay, the ledger
// credit and the receipt.
func TestZakatGiftPaidAndReceipted(t *testing.T) {
	// A unit of its own, so the first receipt's serial is known.
	reg := map[string]any{"names": map[string]any{"en": "Barura Upazila Health Complex", "bn": "বরুড়া উপজেলা স্বাস্থ্য কমপ্লেক্স"},
		"level": "upazila", "division": "Chattagram", "district": "Cumilla", "upazila": "Barura"}
	if r := do(t, "PUT", "/api/v1/admin/units/uhc-barura", reg, token(t, "platform_admin", "")); r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	before := fundBalance(t, "uhc-barura", ledger.FundZakat)
	key := map[string]string{"Idempotency-Key": "zakat-1"}
	r := do(t, "POST", "/api/v1/units/uhc-barura/donations", gift("500.00", "zakat"), key)
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	d := r.JSON(t)
	id, payURL := d["id"].(string), d["paymentURL"].(string)
	if d["status"] != "initiated" || payURL == "" {
		t.Fatalf("create answered %v", d)
	}

	// Replays: same key and body → same donation; same key, other body → 422.
	again := do(t, "POST", "/api/v1/units/uhc-barura/donations", gift("500.00", "zakat"), key)
	if again.Status != 200 || again.JSON(t)["id"] != id {
		t.Fatalf("replay: %d %s", again.Status, again.Body)
	}
	other := do(t, "POST", "/api/v1/units/uhc-barura/donations", gift("700.00", "zakat"), key)
	if other.Status != 422 || !strings.Contains(string(other.Body), "Idempotency-Key") {
		t.Fatalf("reused key: %d %s", other.Status, other.Body)
	}

	// A forged success callback before the payer authorised: nothing is paid.
	pu, err := url.Parse(payURL)
	if err != nil {
		t.Fatal(err)
	}
	paymentID := pu.Query().Get("paymentID")
	forged := do(t, "GET", fmt.Sprintf("/api/v1/donations/%s/bkash-callback?paymentID=%s&status=success", id, paymentID), nil, nil)
	if forged.Status != 303 {
		t.Fatalf("forged callback: %d %s", forged.Status, forged.Body)
	}
	if st := do(t, "GET", "/api/v1/donations/"+id, nil, nil).JSON(t)["status"]; st != "initiated" {
		t.Fatalf("forged callback changed status to %v", st)
	}
	// A callback naming another payment is refused.
	if r := do(t, "GET", "/api/v1/donations/"+id+"/bkash-callback?paymentID=TRforged&status=success", nil, nil); r.Status != 400 {
		t.Fatalf("mismatched callback: %d", r.Status)
	}

	// The payer authorises on the sandbox page; bKash sends them back.
	page := form(t, payURL, url.Values{"action": {"pay"}})
	if page.Status != 303 {
		t.Fatalf("sandbox pay: %d %s", page.Status, page.Body)
	}
	cb := page.Header.Get("Location")
	if !strings.Contains(cb, "/api/v1/donations/"+id+"/bkash-callback") || !strings.Contains(cb, "status=success") {
		t.Fatalf("callback location %q", cb)
	}
	back := do(t, "GET", cb, nil, nil)
	if back.Status != 303 || back.Header.Get("Location") != "/donations/"+id {
		t.Fatalf("callback: %d %v", back.Status, back.Header)
	}
	// Replayed callback: still one payment, one credit.
	do(t, "GET", cb, nil, nil)

	var got map[string]any
	eventually(t, "receipt", func() bool {
		got = do(t, "GET", "/api/v1/donations/"+id, nil, nil).JSON(t)
		return got["status"] == "receipted"
	})
	serial := got["receipt"].(map[string]any)["serial"].(string)
	if !regexp.MustCompile(`^UHC-BARURA/\d{4}-\d{2}/000001$`).MatchString(serial) {
		t.Fatalf("serial %q", serial)
	}
	if got["trxID"] == "" || got["amount"] != "500.00" {
		t.Fatalf("donation %v", got)
	}
	if strings.Contains(fmt.Sprint(got), "01712345678") || strings.Contains(fmt.Sprint(got), "Rahima") {
		t.Fatal("public donation view leaks donor data")
	}
	eventually(t, "ledger credit", func() bool { return fundBalance(t, "uhc-barura", ledger.FundZakat)-before == money.Taka(500) })

	// The donor-facing status page shows the receipt number.
	page2 := do(t, "GET", "/donations/"+id, nil, map[string]string{"Accept": "text/html"})
	if page2.Status != 200 || !strings.Contains(string(page2.Body), serial) {
		t.Fatalf("status page: %d", page2.Status)
	}
}

func TestCancelledPaymentIsNotPaid(t *testing.T) {
	r := do(t, "POST", "/api/v1/units/dmch/donations", gift("250.00", "sadaqah"), map[string]string{"Idempotency-Key": "cancel-1"})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	d := r.JSON(t)
	page := form(t, d["paymentURL"].(string), url.Values{"action": {"cancel"}})
	cb := page.Header.Get("Location")
	if !strings.Contains(cb, "status=cancel") {
		t.Fatalf("cancel location %q", cb)
	}
	do(t, "GET", cb, nil, nil)
	got := do(t, "GET", "/api/v1/donations/"+d["id"].(string), nil, nil).JSON(t)
	if got["status"] != "cancelled" {
		t.Fatalf("status %v", got["status"])
	}
}

func TestDonorFormToBKash(t *testing.T) {
	page := do(t, "GET", "/d/dmch", nil, map[string]string{"Accept": "text/html"})
	if page.Status != 200 || !strings.Contains(string(page.Body), "ঢাকা মেডিকেল কলেজ হাসপাতাল") {
		t.Fatalf("form page: %d", page.Status)
	}
	keyRE := regexp.MustCompile(`name="key" value="([0-9a-f]+)"`)
	m := keyRE.FindSubmatch(page.Body)
	if m == nil {
		t.Fatal("no idempotency key in form")
	}
	vals := url.Values{"key": {string(m[1])}, "amount": {"100"}, "kind": {"general"}, "programme": {"thalassaemia"}, "name": {"Karim"}, "phone": {"+8801912345678"}}
	r := form(t, stack.APIURL()+"/d/dmch", vals)
	if r.Status != 303 || !strings.HasPrefix(r.Header.Get("Location"), stack.Config.BKash.BaseURL[:strings.Index(stack.Config.BKash.BaseURL, "/v1")]+"/redirect/tokenized/?paymentID=") {
		t.Fatalf("submit: %d %v %s", r.Status, r.Header, r.Body)
	}
	// Double tap: the same form key gives the same payment.
	r2 := form(t, stack.APIURL()+"/d/dmch", vals)
	if r2.Header.Get("Location") != r.Header.Get("Location") {
		t.Fatal("double submit created a second payment")
	}
	bad := form(t, stack.APIURL()+"/d/dmch", url.Values{"key": {"x2"}, "amount": {"-5"}, "kind": {"zakat"}, "phone": {"123"}})
	// The page names the field to fix next to it: phone-err describes the
	// phone input, which is marked invalid.
	if bad.Status != 422 || !strings.Contains(string(bad.Body), `id="phone-err"`) || !strings.Contains(string(bad.Body), `aria-describedby="phone-hint phone-err" aria-invalid="true"`) {
		t.Fatalf("bad form: %d %s", bad.Status, bad.Body)
	}
}
