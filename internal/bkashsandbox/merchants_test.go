package bkashsandbox

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/money"
)

var otherMerchant = Credentials{Username: "rks-2", Password: "pw2", AppKey: "key2", AppSecret: "secret2"}

// grant returns an id_token for m, failing the test unless bKash says 0000.
func (h *harness) grant(m Credentials) string {
	h.t.Helper()
	status, body := h.do("/v1.2.0-beta/tokenized/checkout/token/grant",
		map[string]string{"username": m.Username, "password": m.Password}, `{"app_key":"`+m.AppKey+`","app_secret":"`+m.AppSecret+`"}`)
	if status != 200 || body["statusCode"] != "0000" {
		h.t.Fatalf("grant %s: %d %v", m.Username, status, body)
	}
	return body["id_token"].(string)
}

func (h *harness) as(tok, appKey, path, reqBody string) (int, map[string]any) {
	h.t.Helper()
	return h.do(path, map[string]string{"Authorization": tok, "X-APP-Key": appKey}, reqBody)
}

func TestPaymentsBelongToTheirMerchant(t *testing.T) {
	h := newHarness(t, Config{Merchants: []Credentials{testMerchant, otherMerchant}})
	other := h.grant(otherMerchant)
	id := h.create("https://k.test/cb", "INV-A")
	if status, _, _ := postForm(t, h.ts.URL+"/pay/"+id, url.Values{"action": {"pay"}}); status != http.StatusSeeOther {
		t.Fatalf("pay: HTTP %d", status)
	}

	// Merchant B's token cannot execute, query or refund merchant A's payment:
	// bKash answers 2002 as for a paymentID it does not know.
	const v1 = "/v1.2.0-beta/tokenized/checkout"
	for _, path := range []string{v1 + "/execute", v1 + "/payment/status"} {
		status, body := h.as(other, otherMerchant.AppKey, path, `{"paymentID":"`+id+`"}`)
		if status != 200 || body["statusCode"] != "2002" || body["statusMessage"] != "Invalid Payment ID" {
			t.Fatalf("%s with another merchant's token: %d %v", path, status, body)
		}
	}
	status, body := h.api(v1+"/execute", `{"paymentID":"`+id+`"}`)
	if status != 200 || body["transactionStatus"] != "Completed" {
		t.Fatalf("execute by its merchant: %d %v", status, body)
	}
	trx := body["trxID"].(string)
	refund := `{"paymentId":"` + id + `","trxId":"` + trx + `","refundAmount":"100","sku":"s","reason":"r"}`
	status, body = h.as(other, otherMerchant.AppKey, "/v2/tokenized-checkout/refund/payment/transaction", refund)
	if status != 400 || body["externalCode"] != "2002" {
		t.Fatalf("refund with another merchant's token: %d %v", status, body)
	}
	status, body = h.as(other, otherMerchant.AppKey, "/v2/tokenized-checkout/refund/payment/status", `{"paymentId":"`+id+`","trxId":"`+trx+`"}`)
	if status != 400 || body["externalCode"] != "2002" {
		t.Fatalf("refund status with another merchant's token: %d %v", status, body)
	}
	if status, body = h.api("/v2/tokenized-checkout/refund/payment/transaction", refund); status != 200 || body["refundTransactionStatus"] != "Completed" {
		t.Fatalf("refund by its merchant: %d %v", status, body)
	}

	// Settlement is per merchant.
	got := h.srv.Settlements()
	if len(got) != 2 || got[0].Merchant != "rks-1" || got[1].Merchant != "rks-2" {
		t.Fatalf("settlements %+v", got)
	}
	if a := got[0]; a.CompletedTotal != money.Taka(500) || a.RefundedTotal != money.Taka(100) || a.NetTotal != money.Taka(400) || a.CompletedCount != 1 {
		t.Fatalf("merchant A settlement %+v", a)
	}
	if b := got[1]; b.CompletedTotal != 0 || b.RefundedTotal != 0 {
		t.Fatalf("merchant B settlement %+v", b)
	}
	status, text := get(t, h.ts.URL+"/sandbox/settlements")
	if status != 200 || !strings.Contains(text, `"merchant":"rks-1","currency":"BDT","completedCount":1,"completedTotal":"500.00"`) {
		t.Fatalf("GET /sandbox/settlements: %d %s", status, text)
	}
}

func TestMerchantCredentialsChange(t *testing.T) {
	h := newHarness(t, Config{})
	old := h.token
	rotated := testMerchant
	rotated.Password, rotated.AppSecret = "pw-new", "secret-new"
	req, _ := http.NewRequest(http.MethodPut, h.ts.URL+"/sandbox/merchants/rks-1", strings.NewReader(`{"password":"pw-new","appKey":"key","appSecret":"secret-new"}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusNoContent {
		t.Fatalf("PUT merchant: HTTP %d", resp.StatusCode)
	}
	// The old password no longer grants; the new one does.
	status, body := h.do("/v1.2.0-beta/tokenized/checkout/token/grant",
		map[string]string{"username": "rks-1", "password": "pw"}, `{"app_key":"key","app_secret":"secret"}`)
	if status != 200 || body["statusCode"] != "9999" {
		t.Fatalf("grant with the old password: %d %v", status, body)
	}
	h.grant(rotated)
	// A token granted before the change stays valid until it expires.
	h.token = old
	h.create("https://k.test/cb", "INV-OLD-TOKEN")

	req, _ = http.NewRequest(http.MethodPut, h.ts.URL+"/sandbox/merchants/rks-3", strings.NewReader(`{"password":"p","appKey":"k"}`))
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("PUT incomplete merchant: HTTP %d", resp.StatusCode)
	}
}

func TestOpenModeChecksKnownMerchants(t *testing.T) {
	srv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	if err := srv.SetMerchant(otherMerchant); err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })
	h := &harness{t: t, srv: srv, ts: ts}
	h.grant(Credentials{Username: "anyone", Password: "x", AppKey: "y", AppSecret: "z"})
	status, body := h.do("/v1.2.0-beta/tokenized/checkout/token/grant",
		map[string]string{"username": otherMerchant.Username, "password": "wrong"}, `{"app_key":"key2","app_secret":"secret2"}`)
	if status != 200 || body["statusCode"] != "9999" {
		t.Fatalf("known merchant, wrong password, open mode: %d %v", status, body)
	}
}
