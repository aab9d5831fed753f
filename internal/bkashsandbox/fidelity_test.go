package bkashsandbox

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClockedHarness(t *testing.T) (*harness, *testClock) {
	clk := &testClock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	return newHarness(t, Config{Now: clk.now}), clk
}

// TestGrantLimitBlocksForAnHour follows bKash's token management page ("Do
// not call more than twice within an hour or the caller is blocked for one
// hour", mirrored in api-evangelist/bkash authentication/bkash-authentication.yml
// and rate-limits/bkash-rate-limits.yml: the block is signalled in the
// errorCode envelope, not with HTTP 429).
func TestGrantLimitBlocksForAnHour(t *testing.T) {
	h, clk := newClockedHarness(t) // grant 1 at 10:00
	grant := func() (int, map[string]any) {
		return h.do("/v1.2.0-beta/tokenized/checkout/token/grant",
			map[string]string{"username": testMerchant.Username, "password": testMerchant.Password}, `{"app_key":"key","app_secret":"secret"}`)
	}
	clk.add(30 * time.Minute)
	if st, b := grant(); st != 200 || b["statusCode"] != "0000" {
		t.Fatalf("second grant within the hour: %d %v", st, b)
	}
	clk.add(20 * time.Minute) // 10:50: a third within the hour of the first
	st, b := grant()
	if st != 200 || b["errorCode"] == nil || b["id_token"] != nil {
		t.Fatalf("third grant within the hour: %d %v, want a refusal in the errorCode envelope", st, b)
	}
	if !h.srv.Blocked(testMerchant.Username) || h.srv.Stats().GrantsRefused != 1 {
		t.Fatalf("merchant not blocked: %+v", h.srv.Stats())
	}
	// The API calls of a token already granted go on.
	h.create("https://k.test/cb", "INV-BLOCKED")
	// Blocked for an hour from the refusal, refresh included, even though
	// the first grant's hour has passed at 11:01.
	clk.add(11 * time.Minute)
	if _, b := grant(); b["id_token"] != nil {
		t.Fatalf("grant while blocked: %v", b)
	}
	if _, b := h.do("/v1.2.0-beta/tokenized/checkout/token/refresh",
		map[string]string{"username": testMerchant.Username, "password": testMerchant.Password},
		`{"app_key":"key","app_secret":"secret","refresh_token":"x"}`); b["id_token"] != nil || b["errorCode"] == nil {
		t.Fatalf("refresh while blocked: %v", b)
	}
	clk.add(50 * time.Minute) // 11:51: the block of 10:50 is over
	if st, b := grant(); st != 200 || b["statusCode"] != "0000" {
		t.Fatalf("grant after the block: %d %v", st, b)
	}
	if n := len(h.srv.GrantTimes(testMerchant.Username)); n != 3 {
		t.Fatalf("%d grants issued, want 3", n)
	}
}

// TestGrantSystemError: bKash answers a failing grant statusCode 9999
// "System Error." (bKash-developer/pgw-merchant-backend-php issue #10).
func TestGrantSystemError(t *testing.T) {
	h, _ := newClockedHarness(t)
	if err := h.srv.SetFaults(Faults{Grant: FaultSystemError}); err != nil {
		t.Fatal(err)
	}
	st, b := h.do("/v1.2.0-beta/tokenized/checkout/token/grant",
		map[string]string{"username": testMerchant.Username, "password": testMerchant.Password}, `{"app_key":"key","app_secret":"secret"}`)
	if st != 200 || b["statusCode"] != "9999" || b["statusMessage"] != "System Error." {
		t.Fatalf("grant during an outage: %d %v", st, b)
	}
	if err := h.srv.SetFaults(Faults{Create: FaultSystemError}); err == nil {
		t.Fatal("system_error accepted for create")
	}
}

// TestSearchTransaction answers as bKash documents search transaction:
// POST …/general/searchTransaction {trxID} (bKash's WooCommerce plugin
// ApiComm.php), answering the fields bkash-js types as
// SearchTransactionResponse and the plugin's transaction_search.php shows
// (trxID, transactionStatus, transactionType, amount, currency,
// customerMsisdn, organizationShortCode, initiationTime, completedTime), and
// {errorCode, errorMessage} for a trxID it does not know.
func TestSearchTransaction(t *testing.T) {
	h, clk := newClockedHarness(t)
	at := clk.now().Add(-time.Hour)
	trx, err := h.srv.RecordAppPayment(testMerchant.Username, AppPayment{Amount: 75000, Payer: "+8801812345678", At: at})
	if err != nil {
		t.Fatal(err)
	}
	st, b := h.api("/v1.2.0-beta/tokenized/checkout/general/searchTransaction", `{"trxID":"`+trx+`"}`)
	want := map[string]any{
		"statusCode": "0000", "trxID": trx, "transactionStatus": "Completed", "transactionType": "Payment", "amount": "750.00",
		"currency": "BDT", "customerMsisdn": "01812345678", "organizationShortCode": DefaultShortCode(testMerchant.Username),
		"completedTime": bkashTime(at),
	}
	for k, v := range want {
		if b[k] != v {
			t.Errorf("search %s = %v, want %v (answer %d %v)", k, b[k], v, st, b)
		}
	}
	// A checkout payment, once completed, is found too, with its invoice as
	// the reference; an app payment is not reachable by a paymentID.
	id := h.create("https://k.test/cb", "INV-SEARCH")
	postForm(t, h.ts.URL+"/pay/"+id, url.Values{"action": {"pay"}})
	_, ex := h.api("/v1.2.0-beta/tokenized/checkout/execute", `{"paymentID":"`+id+`"}`)
	_, b = h.api("/v1.2.0-beta/tokenized/checkout/general/searchTransaction", `{"trxID":"`+ex["trxID"].(string)+`"}`)
	if b["transactionType"] != "Checkout" || b["transactionReference"] != "INV-SEARCH" || b["amount"] != "500.00" {
		t.Fatalf("search a checkout payment: %v", b)
	}
	if _, q := h.api("/v1.2.0-beta/tokenized/checkout/payment/status", `{"paymentID":"APP`+trx+`"}`); q["statusCode"] != "2002" {
		t.Fatalf("query an app payment by a made-up paymentID: %v", q)
	}
	// Unknown, and missing trxID.
	if st, b := h.api("/v1.2.0-beta/tokenized/checkout/general/searchTransaction", `{"trxID":"NOSUCHTRX1"}`); st != 200 || b["errorCode"] != "2033" || b["errorMessage"] != "Transaction not found" {
		t.Fatalf("unknown trxID: %d %v", st, b)
	}
	if _, b := h.api("/v1.2.0-beta/tokenized/checkout/general/searchTransaction", `{}`); b["statusCode"] != "2065" {
		t.Fatalf("no trxID: %v", b)
	}
	// App payments count in the merchant's settlement.
	if s := h.srv.Settlement(testMerchant.Username); s.CompletedTotal != 75000+50000 || s.CompletedCount != 2 {
		t.Fatalf("settlement %+v", s)
	}
	// Another merchant's trxID names that merchant's wallet.
	other := Credentials{Username: "shop-2", Password: "p", AppKey: "k", AppSecret: "s", ShortCode: "01799999999"}
	if err := h.srv.SetMerchant(other); err != nil {
		t.Fatal(err)
	}
	foreign, err := h.srv.RecordAppPayment("shop-2", AppPayment{Amount: 100, Payer: "01812345678"})
	if err != nil {
		t.Fatal(err)
	}
	if _, b := h.api("/v1.2.0-beta/tokenized/checkout/general/searchTransaction", `{"trxID":"`+foreign+`"}`); b["organizationShortCode"] != "01799999999" {
		t.Fatalf("another merchant's trxID: %v", b)
	}
	if _, err := h.srv.RecordAppPayment(testMerchant.Username, AppPayment{TrxID: trx, Amount: 1, Payer: "01812345678"}); err == nil {
		t.Fatal("a trxID recorded twice")
	}
}

// TestCheckoutURLAndCallbackAsBKashSendsThem: bkashURL is
// …/redirect/tokenized/?paymentID=…&hash=…&mode=0011&apiVersion=v1.2.0-beta
// (create answers quoted in integrators' code); the page refuses a wrong
// hash; the three callback URLs of the create answer carry paymentID and
// status only, the browser's return adds signature and apiVersion.
func TestCheckoutURLAndCallbackAsBKashSendsThem(t *testing.T) {
	h, _ := newClockedHarness(t)
	st, b := h.api("/v1.2.0-beta/tokenized/checkout/create", `{"mode":"0011","payerReference":"ref","callbackURL":"https://k.test/cb?unit=x","amount":"500","currency":"BDT","intent":"sale","merchantInvoiceNumber":"INV-URL"}`)
	if st != 200 {
		t.Fatalf("create: %d %v", st, b)
	}
	id := b["paymentID"].(string)
	u, err := url.Parse(b["bkashURL"].(string))
	if err != nil {
		t.Fatal(err)
	}
	q := u.Query()
	if u.Path != "/redirect/tokenized/" || q.Get("paymentID") != id || q.Get("hash") == "" || q.Get("mode") != "0011" || q.Get("apiVersion") != "v1.2.0-beta" {
		t.Fatalf("bkashURL %s", u)
	}
	if b["successCallbackURL"] != "https://k.test/cb?unit=x&paymentID="+id+"&status=success" {
		t.Fatalf("successCallbackURL %v", b["successCallbackURL"])
	}
	if status, _ := get(t, u.String()); status != http.StatusOK {
		t.Fatalf("payer page at bkashURL: %d", status)
	}
	forged := *u
	fq := forged.Query()
	fq.Set("hash", "forged")
	forged.RawQuery = fq.Encode()
	if status, _ := get(t, forged.String()); status != http.StatusNotFound {
		t.Fatalf("payer page with a forged hash: %d", status)
	}
	status, loc, _ := postForm(t, u.String(), url.Values{"action": {"cancel"}})
	back, _ := url.Parse(loc)
	bq := back.Query()
	if status != http.StatusSeeOther || bq.Get("unit") != "x" || bq.Get("paymentID") != id || bq.Get("status") != "cancel" || bq.Get("signature") == "" || bq.Get("apiVersion") != "v1.2.0-beta" {
		t.Fatalf("return to the merchant: %d %s", status, loc)
	}
}

// TestPayerClosesThePage: a payer who closes bKash's page leaves the
// payment Initiated, unauthorised, until it expires (bKash's paymentID
// lives 24 h); query then answers Expired and execute 2056.
func TestPayerClosesThePage(t *testing.T) {
	h, clk := newClockedHarness(t)
	id := h.create("https://k.test/cb", "INV-CLOSE")
	status, loc, html := postForm(t, h.ts.URL+"/pay/"+id, url.Values{"action": {"close"}})
	if status != http.StatusOK || loc != "" || !strings.Contains(html, "closed this page") {
		t.Fatalf("close: %d %q", status, loc)
	}
	_, q := h.api("/v1.2.0-beta/tokenized/checkout/payment/status", `{"paymentID":"`+id+`"}`)
	if q["transactionStatus"] != "Initiated" || q["verificationStatus"] != "Incomplete" {
		t.Fatalf("query after close: %v", q)
	}
	clk.add(24 * time.Hour)
	h.token = h.grant(testMerchant)
	_, q = h.api("/v1.2.0-beta/tokenized/checkout/payment/status", `{"paymentID":"`+id+`"}`)
	if q["transactionStatus"] != "Expired" {
		t.Fatalf("query a day later: %v", q)
	}
	if _, ex := h.api("/v1.2.0-beta/tokenized/checkout/execute", `{"paymentID":"`+id+`"}`); ex["statusCode"] != "2056" {
		t.Fatalf("execute an expired payment: %v", ex)
	}
}

// TestVerificationFieldSpelling: the query's verification field as either
// spelling public clients read (pybkash: verificationStatus; bkash-js,
// bkashgo: userVerificationStatus).
func TestVerificationFieldSpelling(t *testing.T) {
	h := newHarness(t, Config{VerificationField: "userVerificationStatus"})
	id := h.create("https://k.test/cb", "INV-SPELL")
	postForm(t, h.ts.URL+"/pay/"+id, url.Values{"action": {"pay"}})
	_, q := h.api("/v1.2.0-beta/tokenized/checkout/payment/status", `{"paymentID":"`+id+`"}`)
	if q["userVerificationStatus"] != "Complete" || q["verificationStatus"] != nil {
		t.Fatalf("query: %v", q)
	}
	if _, err := New(Config{VerificationField: "verified"}); err == nil {
		t.Fatal("a third spelling accepted")
	}
}
