//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// TestRealParts drives the system the way donors, bKash and staff do, one
// flow after another, and ends with `kalyan-worker verify`.
func TestRealParts(t *testing.T) {
	const unit = "rmch"
	steps := []struct {
		name string
		run  func(t *testing.T)
	}{
		{"register unit", func(t *testing.T) { registerUnit(t, unit) }},
		{"link, pay at bKash, receipt", func(t *testing.T) { linkPayReceipt(t, unit) }},
		{"cash gift at the counter", func(t *testing.T) { cashGift(t, unit) }},
		{"refund half a gift", func(t *testing.T) { refundHalf(t, unit) }},
		{"closed tab settled by the reconciler", func(t *testing.T) { closedTab(t, unit) }},
		{"worker SIGKILLed mid-flow and restarted", func(t *testing.T) { killWorkerMidFlow(t, unit) }},
		{"aid request assessed, approved, allocated, disbursed", func(t *testing.T) { aidRequest(t, unit) }},
	}
	for _, s := range steps {
		if !t.Run(s.name, s.run) {
			break
		}
	}
	// Runs even after a failed flow: its violations say what went wrong.
	t.Run("kalyan-worker verify", verifyMoney)
}

func registerUnit(t *testing.T, code string) {
	reg := map[string]any{"names": map[string]any{"en": "Rajshahi Medical College Hospital", "bn": "রাজশাহী মেডিকেল কলেজ হাসপাতাল"},
		"level": "medical-college", "division": "Rajshahi", "district": "Rajshahi"}
	r := do(t, "PUT", "/api/v1/admin/units/"+code, reg, staff(t, "platform_admin", ""))
	if r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	if r := do(t, "PUT", "/api/v1/admin/units/"+code, reg, staff(t, "unit_admin", code)); r.Status != 403 {
		t.Fatalf("unit admin registering units: %d %s", r.Status, r.Body)
	}
	got := do(t, "GET", "/api/v1/units/"+code, nil, nil)
	if got.Status != 200 || got.JSON(t)["code"] != code {
		t.Fatalf("public profile: %d %s", got.Status, got.Body)
	}
	keys := do(t, "GET", "/api/v1/units/"+code+"/keys", nil, nil)
	if keys.Status != 200 || !strings.Contains(string(keys.Body), `"Ed25519"`) {
		t.Fatalf("unit keys: %d %s", keys.Status, keys.Body)
	}
}

// linkPayReceipt: a unit admin makes a campaign link; a donor opens it,
// submits the form, pays on bKash's page and comes back; the workers
// (through real Kafka) credit the ledger and issue a signed receipt.
func linkPayReceipt(t *testing.T, unit string) {
	slug := unit + "-ramadan-zakat"
	body := map[string]any{"slug": slug, "title": map[string]any{"en": "Ramadan zakat drive", "bn": "রমজান যাকাত অভিযান"},
		"kind": "zakat", "amounts": []string{"500", "1000"}, "endsAt": time.Now().Add(48 * time.Hour)}
	r := do(t, "POST", "/api/v1/units/"+unit+"/links", body, staff(t, "unit_admin", unit))
	if r.Status != 201 {
		t.Fatalf("create link: %d %s", r.Status, r.Body)
	}
	link := r.JSON(t)
	linkURL, _ := link["url"].(string)
	if !strings.HasPrefix(linkURL, sys.APIURL()+"/d/") {
		t.Fatalf("link url %q", linkURL)
	}
	zakatBefore := amountOf(t, fund(t, unit, "zakat")["received"])

	page := do(t, "GET", linkURL, nil, map[string]string{"Accept": "text/html"})
	if page.Status != 200 || !strings.Contains(string(page.Body), "রমজান যাকাত অভিযান") {
		t.Fatalf("link page: %d %.300s", page.Status, page.Body)
	}
	action, vals := donorForm(t, page.Body)
	if vals.Get("key") == "" {
		t.Fatalf("the form carries no idempotency key: %v", vals)
	}
	if vals.Get("amount") == "" {
		vals.Set("amount", "500")
	}
	if vals.Get("kind") == "" {
		vals.Set("kind", "zakat")
	}
	vals.Set("name", "Abdul Karim")
	vals.Set("phone", "01812345678")
	target, err := url.Parse(linkURL)
	if err != nil {
		t.Fatal(err)
	}
	if action != "" {
		if target, err = target.Parse(action); err != nil {
			t.Fatal(err)
		}
	}
	submit := form(t, target.String(), vals)
	payURL := submit.Header.Get("Location")
	if submit.Status != 303 || !strings.HasPrefix(payURL, sys.SandboxURL()+"/redirect/tokenized/?paymentID=") {
		t.Fatalf("submit: %d %v %.300s", submit.Status, submit.Header, submit.Body)
	}
	// A double tap on the button gives the same payment.
	if again := form(t, target.String(), vals); again.Header.Get("Location") != payURL {
		t.Fatalf("double submit: %d %v", again.Status, again.Header)
	}
	cb := payAtSandbox(t, payURL, "pay")
	m := regexp.MustCompile(`/api/v1/donations/([^/?]+)/bkash-callback`).FindStringSubmatch(cb)
	if m == nil || !strings.Contains(cb, "status=success") {
		t.Fatalf("callback location %q", cb)
	}
	id := m[1]
	back := do(t, "GET", cb, nil, nil)
	if back.Status != 303 || back.Header.Get("Location") != "/donations/"+id {
		t.Fatalf("callback: %d %v", back.Status, back.Header)
	}

	d := waitReceipted(t, id)
	if d["kind"] != "zakat" || d["amount"] != "500.00" || d["trxID"] == "" {
		t.Fatalf("donation %v", d)
	}
	rc, _ := d["receipt"].(map[string]any)
	serial, _ := rc["serial"].(string)
	rid, _ := rc["id"].(string)
	if !regexp.MustCompile(`^RMCH/\d{4}-\d{2}/000001$`).MatchString(serial) {
		t.Fatalf("first serial of the unit: %q", serial)
	}
	receipt := do(t, "GET", "/api/v1/receipts/"+rid, nil, nil)
	if receipt.Status != 200 || receipt.JSON(t)["valid"] != true || receipt.JSON(t)["serial"] != serial {
		t.Fatalf("receipt: %d %s", receipt.Status, receipt.Body)
	}
	pdf := do(t, "GET", "/api/v1/receipts/"+rid+".pdf", nil, nil)
	if pdf.Status != 200 || !strings.HasPrefix(string(pdf.Body), "%PDF-") {
		t.Fatalf("receipt pdf: %d %.100s", pdf.Status, pdf.Body)
	}
	eventually(t, "zakat credited", func() bool {
		return amountOf(t, fund(t, unit, "zakat")["received"])-zakatBefore == money.Taka(500)
	})
	status := do(t, "GET", "/donations/"+id, nil, map[string]string{"Accept": "text/html"})
	if status.Status != 200 || !strings.Contains(string(status.Body), serial) {
		t.Fatalf("status page: %d", status.Status)
	}
}

func cashGift(t *testing.T, unit string) {
	body := gift("1000.00", "sadaqah")
	body["programme"] = "burn"
	hdr := staff(t, "cashier", unit, "Idempotency-Key", "e2e-cash-1")
	before := amountOf(t, fund(t, unit, "burn")["received"])
	r := do(t, "POST", "/api/v1/units/"+unit+"/cash-donations", body, hdr)
	if r.Status != 201 {
		t.Fatalf("cash: %d %s", r.Status, r.Body)
	}
	d := r.JSON(t)
	if d["method"] != "cash" || d["status"] != "paid" {
		t.Fatalf("cash gift %v", d)
	}
	if again := do(t, "POST", "/api/v1/units/"+unit+"/cash-donations", body, hdr); again.Status != 200 || again.JSON(t)["id"] != d["id"] {
		t.Fatalf("replay: %d %s", again.Status, again.Body)
	}
	waitReceipted(t, d["id"].(string))
	eventually(t, "cash in the burn fund", func() bool {
		return amountOf(t, fund(t, unit, "burn")["received"])-before == money.Taka(1000)
	})
}

func refundHalf(t *testing.T, unit string) {
	id := payGift(t, unit, "800.00", "general", "e2e-refund-gift")
	waitReceipted(t, id)
	var before map[string]any
	eventually(t, "gift credited", func() bool {
		before = fund(t, unit, "general")
		return amountOf(t, before["received"]) >= money.Taka(800)
	})
	admin := staff(t, "unit_admin", unit, "Idempotency-Key", "e2e-refund-1")
	r := do(t, "POST", "/api/v1/donations/"+id+"/refunds", map[string]any{"amount": "400.00", "reason": "donor asked"}, admin)
	if r.Status != 201 {
		t.Fatalf("refund: %d %s", r.Status, r.Body)
	}
	got := r.JSON(t)
	ref, _ := got["refund"].(map[string]any)
	don, _ := got["donation"].(map[string]any)
	if ref["status"] != "completed" || don["status"] != "partially_refunded" || don["refunded"] != "400.00" {
		t.Fatalf("refund answer %s", r.Body)
	}
	// A retry of the same request is the same refund, not a second one.
	if again := do(t, "POST", "/api/v1/donations/"+id+"/refunds", map[string]any{"amount": "400.00", "reason": "donor asked"}, admin); again.Status != 201 ||
		again.JSON(t)["refund"].(map[string]any)["id"] != ref["id"] {
		t.Fatalf("replayed refund: %d %s", again.Status, again.Body)
	}
	eventually(t, "ledger reversal", func() bool {
		f := fund(t, unit, "general")
		return amountOf(t, f["refunded"])-amountOf(t, before["refunded"]) == money.Taka(400) &&
			amountOf(t, before["balance"])-amountOf(t, f["balance"]) == money.Taka(400)
	})
}

// closedTab: one payer confirms at bKash but never comes back; another
// cancels and never comes back. The workers' reconciler settles both.
func closedTab(t *testing.T, unit string) {
	start := func(key string) (string, string) {
		r := do(t, "POST", "/api/v1/units/"+unit+"/donations", gift("120.00", "general"), map[string]string{"Idempotency-Key": key})
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		d := r.JSON(t)
		return d["id"].(string), d["paymentURL"].(string)
	}
	paidID, paidURL := start("e2e-closed-tab-paid")
	cancelID, cancelURL := start("e2e-closed-tab-cancel")
	payAtSandbox(t, paidURL, "pay")
	payAtSandbox(t, cancelURL, "cancel")
	waitReceipted(t, paidID)
	eventually(t, "reconciler finalises the cancelled payment", func() bool {
		return donation(t, cancelID)["status"] == "cancelled"
	})
}

// killWorkerMidFlow pays gifts while the worker issuing their receipts is
// SIGKILLed; the other takes over its partitions and settles everything,
// the victim comes back and rejoins, and every gift ends with exactly one
// receipt and a unique serial (verify checks the rest).
func killWorkerMidFlow(t *testing.T, unit string) {
	const n = 24
	var mu sync.Mutex
	ids := make([]string, n)
	ctx := t.Context()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	sem := make(chan struct{}, 4)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			if err := giveDuringChaos(ctx, unit, i, func(id string) { mu.Lock(); ids[i] = id; mu.Unlock() }); err != nil {
				errs <- err
			}
		}()
	}
	// Kill once the first gifts are in the pipeline.
	eventually(t, "first gifts paid", func() bool {
		mu.Lock()
		known := append([]string(nil), ids...)
		mu.Unlock()
		paid := 0
		for _, id := range known {
			if id == "" {
				continue
			}
			if s := donation(t, id)["status"]; s == "paid" || s == "receipted" {
				paid++
			}
		}
		return paid >= 3
	})
	// The victim is the worker issuing this unit's receipts (all its events
	// share one partition, so one worker owns them in each group).
	victim := 0
	if receiptsHandled(t, 1) > receiptsHandled(t, 0) {
		victim = 1
	}
	sys.Workers[victim].Kill()
	t.Logf("SIGKILLed %s, which had issued %d receipts", sys.Workers[victim].Name, receiptsHandled(t, victim))
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if t.Failed() {
		t.FailNow()
	}
	// The survivor alone settles every gift: it takes over the dead member's
	// partitions once Kafka's session timeout expires, and its reconciler
	// executes the closed tabs.
	serials := map[string]string{}
	receipted := func(id string) {
		d := waitReceipted(t, id)
		s, _ := d["receipt"].(map[string]any)["serial"].(string)
		if other, dup := serials[s]; dup {
			t.Fatalf("serial %s given to %s and %s", s, other, id)
		}
		serials[s] = id
	}
	for _, id := range ids {
		receipted(id)
	}
	// The victim comes back, rejoins the groups, and the pipeline goes on.
	if err := sys.RestartWorker(ctx, victim); err != nil {
		t.Fatal(err)
	}
	for i := n; i < n+4; i++ {
		var id string
		if err := giveDuringChaos(ctx, unit, i, func(got string) { id = got }); err != nil {
			t.Fatal(err)
		}
		receipted(id)
	}
	for i, w := range sys.Workers {
		if err := w.Exited(); err != nil {
			t.Fatalf("worker %d: %v", i+1, err)
		}
	}
}

// aidRequest: a social worker files and assesses a patient's request, the
// committee approves it (another person: maker-checker), the workers
// allocate it from the unit's funds, and the social worker records what was
// given.
func aidRequest(t *testing.T, unit string) {
	body := map[string]any{
		"patient": map[string]any{"name": "Jahanara Begum", "age": 52, "sex": "female", "guardian": "Abdul Kader",
			"mobile": "01911223355", "district": "Rajshahi", "hospitalReg": "RMCH-2026-4711", "ward": "7"},
		"diagnosis": "kidney", "urgency": "high",
		"items": []map[string]any{{"category": "medicine", "description": "dialysis kits", "estimated": "1500.00"}},
		"caseStudy": map[string]any{"householdSize": 5, "monthlyIncome": "6000.00", "occupation": "day labourer",
			"assets": "none", "narrative": "cannot afford dialysis", "documentsChecked": []string{"hospital-card"}},
	}
	sw, committee := staff(t, "social_worker", unit), staff(t, "committee", unit)
	r := do(t, "POST", "/api/v1/units/"+unit+"/aid-requests", body, sw)
	if r.Status != 201 {
		t.Fatalf("file: %d %s", r.Status, r.Body)
	}
	id, _ := r.JSON(t)["id"].(string)
	if r := do(t, "POST", "/api/v1/aid-requests/"+id+"/assess", map[string]any{"approved": []string{"1500.00"}, "zakatEligible": false,
		"note": "home visit done"}, sw); r.Status != 200 {
		t.Fatalf("assess: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", "/api/v1/aid-requests/"+id+"/approve", map[string]any{"note": "approved"}, committee); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	eventually(t, "allocation from the unit's funds", func() bool {
		q := do(t, "GET", "/api/v1/aid-requests/"+id, nil, committee).JSON(t)
		return q["allocated"] == "1500.00"
	})
	r = do(t, "POST", "/api/v1/aid-requests/"+id+"/disburse", map[string]any{"items": []map[string]any{
		{"item": 0, "amount": "1500.00", "method": "in_kind", "reference": "STORE-ISSUE-88"}}}, sw)
	if r.Status != 200 {
		t.Fatalf("disburse: %d %s", r.Status, r.Body)
	}
	// A second staff member confirms it; only then does the money move.
	if r := do(t, "POST", "/api/v1/aid-requests/"+id+"/confirm-disbursement", nil, staff(t, "unit_admin", unit)); r.Status != 200 {
		t.Fatalf("confirm disbursement: %d %s", r.Status, r.Body)
	}
	eventually(t, "disbursement in the ledger", func() bool {
		return amountOf(t, fund(t, unit, "general")["disbursed"]) >= money.Taka(1500)
	})
}

// receiptsHandled reads how many events worker i's receipts consumer has
// handled from its /metrics (0 once it is dead: the last figure is kept).
func receiptsHandled(t *testing.T, i int) int {
	t.Helper()
	w := sys.Workers[i]
	if !w.Running() {
		return lastReceipts[i]
	}
	r, err := send(t.Context(), "GET", sys.WorkerURL(i)+"/metrics", nil, nil)
	if err != nil || r.Status != 200 {
		t.Fatalf("metrics of %s: %v %d", w.Name, err, r.Status)
	}
	n := 0
	for _, line := range strings.Split(string(r.Body), "\n") {
		if !strings.HasPrefix(line, "kalyan_events_handled_total{") || !strings.Contains(line, `group="kalyan-receipts"`) {
			continue
		}
		var v float64
		if _, err := fmt.Sscan(line[strings.LastIndexByte(line, ' ')+1:], &v); err == nil {
			n += int(v)
		}
	}
	lastReceipts[i] = n
	return n
}

// lastReceipts is each worker's last receipts-consumer figure read from its
// /metrics.
var lastReceipts = map[int]int{}

// giveDuringChaos creates gift i and pays it at bKash; every sixth payer
// closes the tab instead of coming back (the reconciler settles those).
func giveDuringChaos(ctx context.Context, unit string, i int, created func(id string)) error {
	r, err := send(ctx, "POST", "/api/v1/units/"+unit+"/donations", gift(fmt.Sprintf("%d.00", 100+i), "general"),
		map[string]string{"Idempotency-Key": fmt.Sprintf("e2e-chaos-%d", i)})
	if err != nil {
		return err
	}
	var d struct {
		ID         string `json:"id"`
		PaymentURL string `json:"paymentURL"`
	}
	if r.Status != 201 || json.Unmarshal(r.Body, &d) != nil || d.ID == "" {
		return fmt.Errorf("create %d: %d %s", i, r.Status, r.Body)
	}
	created(d.ID)
	page, err := send(ctx, "POST", d.PaymentURL, url.Values{"action": {"pay"}}, nil)
	if err != nil {
		return err
	}
	if page.Status != 303 {
		return fmt.Errorf("pay %d: %d %s", i, page.Status, page.Body)
	}
	if i%6 == 5 {
		return nil
	}
	back, err := send(ctx, "GET", page.Header.Get("Location"), nil, nil)
	if err != nil {
		return err
	}
	if back.Status != 303 {
		return fmt.Errorf("callback %d: %d %s", i, back.Status, back.Body)
	}
	return nil
}

// verifyMoney runs `kalyan-worker verify` once the pipeline has settled:
// every ledger credit and receipt may lag the last response by a moment.
func verifyMoney(t *testing.T) { verifyMoneyWithin(t, 3*time.Minute) }

// verifyMoneyWithin is verifyMoney with a deadline of its own, for a test
// whose ledger credits may trail its receipts by minutes.
func verifyMoneyWithin(t *testing.T, d time.Duration) {
	var out string
	var code int
	eventuallyWithin(t, d, "kalyan-worker verify to pass", func() bool {
		var err error
		out, code, err = sys.Verify(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return code == 0
	})
	t.Logf("kalyan-worker verify: %s", strings.TrimSpace(out))
	if !strings.Contains(out, "0 violations") {
		t.Fatalf("verify exited 0 but printed: %s", out)
	}
}
