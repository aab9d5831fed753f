package bkashsandbox

import (
	"net/url"
	"testing"
	"time"
)

// paidPayment creates and pays a Tk 500 payment, returning its paymentID and trxID.
func (h *harness) paidPayment(invoice string) (string, string) {
	h.t.Helper()
	id := h.create("https://kalyan.test/cb", invoice)
	postForm(h.t, h.ts.URL+"/pay/"+id, url.Values{"action": {"pay"}})
	status, body := h.api("/v1.2.0-beta/tokenized/checkout/execute", `{"paymentID":"`+id+`"}`)
	if status != 200 || body["transactionStatus"] != "Completed" {
		h.t.Fatalf("execute: %d %v", status, body)
	}
	return id, body["trxID"].(string)
}

// TestRefundV1 checks the v1 refund API against bKash's own WooCommerce
// plugin (includes/classes/ApiComm.php refund/refundStatus: one path,
// {amount, paymentID, trxID, sku, reason} refunds, {paymentID, trxID} asks
// the status, "otherwise invalid payment id will return"; the admin page
// reads originalTrxID, refundTrxID, amount, currency, charge, completedTime,
// transactionStatus) and bKash's error codes (2065 mandatory field missing,
// 2071 refund window over).
func TestRefundV1(t *testing.T) {
	now := time.Now()
	h := newHarness(t, Config{Now: func() time.Time { return now }})
	const path = "/v1.2.0-beta/tokenized/checkout/payment/refund"
	id, trx := h.paidPayment("INV-V1")

	if _, b := h.api(path, `{"paymentID":"`+id+`","trxID":"`+trx+`"}`); b["statusCode"] != "2002" {
		t.Fatalf("status before any refund: %v, want 2002", b)
	}
	for _, body := range []string{
		`{"paymentID":"` + id + `","trxID":"` + trx + `","amount":"100","reason":"r"}`,
		`{"paymentID":"` + id + `","trxID":"` + trx + `","amount":"100","sku":"s"}`,
	} {
		if _, b := h.api(path, body); b["statusCode"] != "2065" {
			t.Fatalf("refund without sku or reason %s: %v, want 2065", body, b)
		}
	}
	ref := `{"paymentID":"` + id + `","trxID":"` + trx + `","amount":"100","sku":"s","reason":"r"}`
	st, b := h.api(path, ref)
	if st != 200 || b["transactionStatus"] != "Completed" || b["refundTrxID"] == "" || b["amount"] != "100.00" || b["originalTrxID"] != trx || b["charge"] == nil {
		t.Fatalf("refund: %d %v", st, b)
	}
	// The same request again is a second refund: bKash dedupes nothing.
	if _, b2 := h.api(path, ref); b2["transactionStatus"] != "Completed" || b2["refundTrxID"] == b["refundTrxID"] {
		t.Fatalf("second identical refund: %v", b2)
	}
	if _, s := h.api(path, `{"paymentID":"`+id+`","trxID":"`+trx+`"}`); s["refundTrxID"] == "" || s["transactionStatus"] != "Completed" {
		t.Fatalf("status: %v", s)
	}
	if info, _ := h.srv.Payment(id); len(info.Refunds) != 2 || info.Refunded != 20000 {
		t.Fatalf("payment after two refunds: %+v", info)
	}
	// Past the refund window (15 days by default, as bKash's plugin says).
	now = now.Add(15*24*time.Hour + time.Minute)
	_, g := h.do("/v1.2.0-beta/tokenized/checkout/token/grant",
		map[string]string{"username": testMerchant.Username, "password": testMerchant.Password}, `{"app_key":"key","app_secret":"secret"}`)
	h.token = g["id_token"].(string)
	if _, b := h.api(path, ref); b["statusCode"] != "2071" {
		t.Fatalf("refund after 15 days: %v, want 2071", b)
	}
}

// TestRefundV2NotRoutedForV1Merchant: a merchant whose account routes only
// v1 gets the gateway's "not routed" answer on the v2 paths.
func TestRefundV2NotRoutedForV1Merchant(t *testing.T) {
	m := testMerchant
	m.RefundV1Only = true
	h := newHarness(t, Config{Merchants: []Credentials{m}})
	id, trx := h.paidPayment("INV-V2")
	st, b := h.api("/v2/tokenized-checkout/refund/payment/transaction", `{"paymentId":"`+id+`","trxId":"`+trx+`","refundAmount":"100","sku":"s","reason":"r"}`)
	if st != 403 || b["message"] != "Missing Authentication Token" {
		t.Fatalf("v2 refund for a v1-only merchant: %d %v", st, b)
	}
	if info, _ := h.srv.Payment(id); len(info.Refunds) != 0 {
		t.Fatalf("a not-routed refund moved money: %+v", info)
	}
}

// TestRefundPendingFault: a refund taken as Pending is no refusal and
// completes later; only the refund status shows it.
func TestRefundPendingFault(t *testing.T) {
	now := time.Now()
	h := newHarness(t, Config{Now: func() time.Time { return now }, PendingRefund: time.Minute})
	id, trx := h.paidPayment("INV-P")
	if err := h.srv.SetPaymentFaults(id, Faults{Refund: FaultPending}); err != nil {
		t.Fatal(err)
	}
	_, b := h.api("/v2/tokenized-checkout/refund/payment/transaction", `{"paymentId":"`+id+`","trxId":"`+trx+`","refundAmount":"100","sku":"s","reason":"r"}`)
	if b["refundTransactionStatus"] != "Pending" {
		t.Fatalf("pending refund: %v", b)
	}
	status := func() any {
		_, s := h.api("/v2/tokenized-checkout/refund/payment/status", `{"paymentId":"`+id+`","trxId":"`+trx+`"}`)
		return s["refundTransactions"].([]any)[0].(map[string]any)["refundTransactionStatus"]
	}
	if got := status(); got != "Pending" {
		t.Fatalf("status at once: %v", got)
	}
	now = now.Add(2 * time.Minute)
	if got := status(); got != "Completed" {
		t.Fatalf("status later: %v", got)
	}
}
