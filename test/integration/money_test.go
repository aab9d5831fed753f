package integration

import (
	"fmt"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// payGift creates a bKash gift at unit and pays it through the sandbox page
// and the callback, returning the donation ID once it is receipted.
func payGift(t *testing.T, unit, amount, kind, programme, key string) string {
	t.Helper()
	g := gift(amount, kind)
	if programme != "" {
		g["programme"] = programme
	}
	r := do(t, "POST", "/api/v1/units/"+unit+"/donations", g, map[string]string{"Idempotency-Key": key})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	d := r.JSON(t)
	id := d["id"].(string)
	page := form(t, d["paymentURL"].(string), url.Values{"action": {"pay"}})
	do(t, "GET", page.Header.Get("Location"), nil, nil)
	eventually(t, "receipt of "+id, func() bool {
		return do(t, "GET", "/api/v1/donations/"+id, nil, nil).JSON(t)["status"] == "receipted"
	})
	return id
}

func fund(t *testing.T, unit, name string) map[string]any {
	t.Helper()
	f := fundRow(t, unit, name)
	if f == nil {
		t.Fatalf("no fund %s in the ledger of %s", name, unit)
	}
	return f
}

func amountOf(t *testing.T, v any) money.Amount {
	t.Helper()
	a, err := money.Parse(v.(string))
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestCashGiftAtTheCounter(t *testing.T) {
	body := gift("1000.00", "sadaqah")
	body["programme"] = "burn"
	key := map[string]string{"Idempotency-Key": "cash-1"}
	// Only staff of the unit may record cash.
	problemOf(t, do(t, "POST", "/api/v1/units/dh-cumilla/cash-donations", body, key), 401, "")
	other := token(t, "social_worker", "dmch")
	other["Idempotency-Key"] = "cash-1"
	problemOf(t, do(t, "POST", "/api/v1/units/dh-cumilla/cash-donations", body, other), 404, "")

	before := amountOf(t, fund(t, "dh-cumilla", "burn")["received"])
	hdr := token(t, "cashier", "dh-cumilla")
	hdr["Idempotency-Key"] = "cash-1"
	r := do(t, "POST", "/api/v1/units/dh-cumilla/cash-donations", body, hdr)
	if r.Status != 201 {
		t.Fatalf("cash: %d %s", r.Status, r.Body)
	}
	d := r.JSON(t)
	if d["method"] != "cash" || d["status"] != "paid" {
		t.Fatalf("cash gift %v", d)
	}
	if again := do(t, "POST", "/api/v1/units/dh-cumilla/cash-donations", body, hdr); again.Status != 200 || again.JSON(t)["id"] != d["id"] {
		t.Fatalf("replay: %d %s", again.Status, again.Body)
	}
	id := d["id"].(string)
	eventually(t, "cash receipt", func() bool {
		return do(t, "GET", "/api/v1/donations/"+id, nil, nil).JSON(t)["status"] == "receipted"
	})
	eventually(t, "cash in the burn fund", func() bool {
		return amountOf(t, fund(t, "dh-cumilla", "burn")["received"])-before == money.Taka(1000)
	})
}

// TestOnlyCashiersAndUnitAdminsTakeCash: who may take cash is a role
// (issue 17), not any member of the unit's staff. Social workers and
// committee members of the unit are refused (403) and record nothing.
func TestOnlyCashiersAndUnitAdminsTakeCash(t *testing.T) {
	body := gift("250.00", "general")
	for _, role := range []string{"social_worker", "committee"} {
		hdr := token(t, role, "dh-cumilla")
		hdr["Idempotency-Key"] = "cash-role-" + role
		problemOf(t, do(t, "POST", "/api/v1/units/dh-cumilla/cash-donations", body, hdr), 403, "")
	}
	for _, role := range []string{"cashier", "unit_admin"} {
		hdr := token(t, role, "dh-cumilla")
		hdr["Idempotency-Key"] = "cash-role-" + role
		if r := do(t, "POST", "/api/v1/units/dh-cumilla/cash-donations", body, hdr); r.Status != 201 {
			t.Fatalf("%s taking cash: %d %s", role, r.Status, r.Body)
		}
	}
}

func TestPartialRefundReversesTheCredit(t *testing.T) {
	id := payGift(t, "dmch", "800.00", "zakat", "cancer", "refund-gift")
	// Zakat designated to a programme is its own restricted fund (ADR 0011).
	eventually(t, "zakat credited", func() bool {
		f := fundRow(t, "dmch", "zakat:cancer")
		return f != nil && amountOf(t, f["received"]) >= money.Taka(800)
	})
	before := fund(t, "dmch", "zakat:cancer")

	admin := token(t, "unit_admin", "dmch")
	req := func(amount, key string, hdr map[string]string) resp {
		h := map[string]string{"Idempotency-Key": key}
		for k, v := range hdr {
			h[k] = v
		}
		return do(t, "POST", "/api/v1/donations/"+id+"/refunds", map[string]any{"amount": amount, "reason": "donor asked"}, h)
	}
	problemOf(t, req("400.00", "r1", token(t, "social_worker", "dmch")), 403, "")
	problemOf(t, req("400.00", "r1", token(t, "unit_admin", "dh-cumilla")), 404, "")
	problemOf(t, req("800.01", "r0", admin), 422, "amount")

	r := req("400.00", "r1", admin)
	if r.Status != 201 {
		t.Fatalf("refund: %d %s", r.Status, r.Body)
	}
	got := r.JSON(t)
	if got["refund"].(map[string]any)["status"] != "completed" || got["donation"].(map[string]any)["status"] != "partially_refunded" {
		t.Fatalf("refund answer %s", r.Body)
	}
	if again := req("400.00", "r1", admin); again.Status != 201 || again.JSON(t)["refund"].(map[string]any)["id"] != got["refund"].(map[string]any)["id"] {
		t.Fatalf("replayed refund: %d %s", again.Status, again.Body)
	}
	// Racing refunds of the remaining 400: together they may not exceed it.
	var wg sync.WaitGroup
	results := make([]int, 4)
	for i := range results {
		wg.Add(1)
		go func() {
			defer wg.Done()
			results[i] = req("300.00", fmt.Sprintf("race-%d", i), admin).Status
		}()
	}
	wg.Wait()
	ok := 0
	for _, s := range results {
		if s == 201 {
			ok++
		}
	}
	if ok != 1 {
		t.Fatalf("racing refunds: statuses %v, want exactly one 201", results)
	}
	d := do(t, "GET", "/api/v1/donations/"+id, nil, nil).JSON(t)
	if d["refunded"] != "700.00" {
		t.Fatalf("refunded %v", d["refunded"])
	}
	eventually(t, "ledger reversal", func() bool {
		f := fund(t, "dmch", "zakat:cancer")
		return amountOf(t, f["refunded"])-amountOf(t, before["refunded"]) == money.Taka(700) &&
			amountOf(t, before["balance"])-amountOf(t, f["balance"]) == money.Taka(700)
	})
	// The sandbox agrees on what the merchant refunded.
	bal, err := stack.Store.Ledger().Balances(t.Context(), "dmch")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bal {
		if b.Account == ledger.ClearingBKash && b.Net() < 0 {
			t.Fatalf("bKash clearing negative: %s", b.Net())
		}
	}
	nat := do(t, "GET", "/api/v1/ledger?pageSize=2", nil, nil)
	if nat.Status != 200 || !strings.Contains(string(nat.Body), `"unitCount"`) || len(nat.JSON(t)["units"].([]any)) != 2 {
		t.Fatalf("national ledger: %d %s", nat.Status, nat.Body)
	}
	if strings.Contains(string(nat.Body), "01712345678") {
		t.Fatal("national ledger leaks donor data")
	}
}

// TestClosedTabIsReconciled: one payer confirms at bKash but closes the tab
// before the callback; another cancels and never comes back. The reconciler
// queries bKash: it executes the confirmed payment (which then gets its
// receipt) and finalises the cancelled one.
func TestClosedTabIsReconciled(t *testing.T) {
	start := func(key string) (string, string) {
		r := do(t, "POST", "/api/v1/units/uhc-debidwar/donations", gift("120.00", "general"), map[string]string{"Idempotency-Key": key})
		d := r.JSON(t)
		return d["id"].(string), d["paymentURL"].(string)
	}
	paidID, paidURL := start("closed-tab-paid")
	cancelID, cancelURL := start("closed-tab-cancel")
	// The browser is redirected to the callback, but never follows it.
	form(t, paidURL, url.Values{"action": {"pay"}})
	form(t, cancelURL, url.Values{"action": {"cancel"}})
	eventually(t, "reconciler executes the confirmed payment", func() bool {
		return do(t, "GET", "/api/v1/donations/"+paidID, nil, nil).JSON(t)["status"] == "receipted"
	})
	eventually(t, "reconciler finalises the cancelled payment", func() bool {
		return do(t, "GET", "/api/v1/donations/"+cancelID, nil, nil).JSON(t)["status"] == "cancelled"
	})
}

func TestUnitTransparencyPage(t *testing.T) {
	r := do(t, "GET", "/u/dmch?lang=en", nil, map[string]string{"Accept": "text/html"})
	if r.Status != 200 || !strings.Contains(string(r.Body), "<svg") || !strings.Contains(string(r.Body), "Zakat") {
		t.Fatalf("unit page: %d", r.Status)
	}
	if strings.Contains(string(r.Body), "01712345678") || strings.Contains(string(r.Body), "Rahima") {
		t.Fatal("unit page leaks donor data")
	}
	problemOf(t, do(t, "GET", "/u/no-such-unit", nil, nil), 404, "")
}

// TestClosedBKashPageIsReconciled: a payer who closes bKash's page without
// paying sends nobody back; bKash keeps the payment Initiated until it
// expires (24 h). The reconciler finds it, leaves it awaiting payment while
// bKash says Initiated, and fails it once bKash says Expired. A forged
// callback saying success meanwhile changes nothing: only execute or query
// can mark a gift paid.
func TestClosedBKashPageIsReconciled(t *testing.T) {
	r := do(t, "POST", "/api/v1/units/uhc-debidwar/donations", gift("130.00", "general"), map[string]string{"Idempotency-Key": "closed-page"})
	d := r.JSON(t)
	id, payURL := d["id"].(string), d["paymentURL"].(string)
	page := form(t, payURL, url.Values{"action": {"close"}})
	if page.Status != 200 || page.Header.Get("Location") != "" {
		t.Fatalf("closing bKash's page: %d %v", page.Status, page.Header)
	}
	don, err := stack.Store.Donations().Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	// A callback as bKash would send it, but forged: status success, a
	// made-up signature. Execute is refused (the payer never authorised).
	cb := do(t, "GET", "/api/v1/donations/"+id+"/bkash-callback?paymentID="+don.PaymentID+"&status=success&signature=forged&apiVersion=v1.2.0-beta", nil, nil)
	if cb.Status != 303 {
		t.Fatalf("callback: %d %s", cb.Status, cb.Body)
	}
	queries := stack.Sandbox.Stats().Queries
	eventually(t, "the reconciler asks bKash about the abandoned payment", func() bool {
		return stack.Sandbox.Stats().Queries > queries+1
	})
	if st := do(t, "GET", "/api/v1/donations/"+id, nil, nil).JSON(t)["status"]; st != "initiated" {
		t.Fatalf("while bKash says Initiated the gift is %v", st)
	}
	// A day later bKash lets the payment expire.
	if err := stack.Sandbox.Age(don.PaymentID, 25*time.Hour); err != nil {
		t.Fatal(err)
	}
	eventually(t, "the reconciler fails the expired payment", func() bool {
		return do(t, "GET", "/api/v1/donations/"+id, nil, nil).JSON(t)["status"] == "failed"
	})
	if info, _ := stack.Sandbox.Payment(don.PaymentID); info.Status != "Expired" || info.TrxID != "" {
		t.Fatalf("at bKash: %+v", info)
	}
}
