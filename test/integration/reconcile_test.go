package integration

import (
	"bufio"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
)

// TestReconcilerReachesEveryPayment: payments the donors abandoned, three
// times as many as one pass queries (20 here), are asked about again later
// and later, so a newer payment whose payer confirmed at bKash and closed
// the tab is still executed at once; payments bKash gives no answer for are
// counted on the worker's metrics.
func TestReconcilerReachesEveryPayment(t *testing.T) {
	const abandoned, silent = 60, 3
	for i := range abandoned {
		r := do(t, "POST", "/api/v1/units/uhc-debidwar/donations", gift("75.00", "general"),
			map[string]string{"Idempotency-Key": fmt.Sprintf("abandoned-%d", i)})
		if r.Status != 201 {
			t.Fatalf("create: %d %s", r.Status, r.Body)
		}
		if i < silent {
			pu, err := url.Parse(r.JSON(t)["paymentURL"].(string))
			if err != nil {
				t.Fatal(err)
			}
			pid := pu.Query().Get("paymentID")
			if err := stack.Sandbox.SetPaymentFaults(pid, bkashsandbox.Faults{Query: bkashsandbox.FaultUnavailable}); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Every abandoned payment has been asked about at least once: the ones
	// bKash does not answer for are counted.
	eventually(t, "the unanswered payments on the worker's metrics", func() bool {
		return workerMetric(t, "kalyan_reconcile_unanswered_payments") >= silent
	})

	r := do(t, "POST", "/api/v1/units/uhc-debidwar/donations", gift("130.00", "general"), map[string]string{"Idempotency-Key": "closed-tab-behind-abandoned"})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	d := r.JSON(t)
	// The payer confirms, but the browser never follows the callback.
	form(t, d["paymentURL"].(string), url.Values{"action": {"pay"}})
	eventually(t, "the confirmed payment behind the abandoned ones is executed", func() bool {
		return do(t, "GET", "/api/v1/donations/"+d["id"].(string), nil, nil).JSON(t)["status"] == "receipted"
	})
	if n := workerMetric(t, "kalyan_reconcile_overdue_payments"); n != 0 {
		t.Fatalf("%v payments overdue; none is older than the expiry age", n)
	}
}

// workerMetric reads an unlabelled gauge or counter from the worker's /metrics.
func workerMetric(t *testing.T, name string) float64 {
	t.Helper()
	sc := bufio.NewScanner(strings.NewReader(string(do(t, "GET", stack.WorkerURL()+"/metrics", nil, nil).Body)))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" "); ok {
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			return f
		}
	}
	t.Fatalf("the worker's /metrics has no %s", name)
	return 0
}
