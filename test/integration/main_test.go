// Package integration runs the platform on its embedded stack (FerretDB,
// kfake, the bKash sandbox, API and workers in this process) and drives it
// over HTTP the way donors, bKash and staff do.
package integration

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/testkit/httpkit"
	moneyverify "github.com/kalyan-platform/kalyan/internal/verify"
)

var stack *devstack.Stack

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kalyan-it-")
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.HTTPAddr, cfg.WorkerAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.HTTP.RateLimit = 1_000_000 // one client address sends everything here
	// The tests stand in for a load balancer: what they put in
	// X-Forwarded-For is believed (a request without it is 127.0.0.1).
	cfg.HTTP.TrustedProxies = []string{"127.0.0.1"}
	cfg.HTTP.ClaimsPerHour = 1_000_000
	// Reconcile fast so tests can watch a closed tab get settled.
	cfg.Reconcile = config.Reconcile{Interval: 200 * time.Millisecond, After: 2 * time.Second, Expire: time.Hour, PerPass: 20,
		RefundAfter: time.Second, RefundGrace: 3 * time.Second}
	// bKash answers in-process: a lost answer shows within seconds.
	cfg.BKash.Timeout = 5 * time.Second
	stack, err = devstack.Start(ctx, devstack.Options{Dir: dir, Config: &cfg})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start stack:", err)
		os.Exit(1)
	}
	code := m.Run()
	if code == 0 && !testing.Short() {
		code = verifyMoney(ctx)
	}
	if err := stack.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "close stack:", err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

// api talks to the stack's API without following redirects (tests see
// the 303s).
var api = httpkit.Client{Base: func() string { return stack.APIURL() }, HTTP: httpkit.NoRedirects(60 * time.Second)}

type resp = httpkit.Resp

func do(t *testing.T, method, path string, body any, hdr map[string]string) resp {
	t.Helper()
	return api.Do(t, method, path, body, hdr)
}

func form(t *testing.T, u string, vals url.Values) resp {
	t.Helper()
	return api.Do(t, "POST", u, vals, nil)
}

func token(t *testing.T, role, unit string) map[string]string {
	t.Helper()
	tok, err := stack.Token(role, unit, "test-"+role)
	if err != nil {
		t.Fatal(err)
	}
	return httpkit.Bearer(tok)
}

// eventually polls cond until it holds or a generous deadline passes. The
// deadline only bounds a hang; it asserts nothing about speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// verifyMoney runs the money invariants over everything the tests did, once
// the pipeline is quiet: the whole suite doubles as a ledger audit.
func verifyMoney(ctx context.Context) int {
	settle := &moneyverify.Settlement{Platform: stack.Config.BKash.Username, Totals: func(_ context.Context, merchant string) (money.Amount, money.Amount, error) {
		s := stack.Sandbox.Settlement(merchant)
		return s.CompletedTotal, s.RefundedTotal, nil
	}, PaymentRefunded: func(_ context.Context, paymentID string) (money.Amount, error) {
		p, ok := stack.Sandbox.Payment(paymentID)
		if !ok {
			return 0, fmt.Errorf("no payment %s at the sandbox", paymentID)
		}
		return p.Refunded, nil
	}}
	var rep *moneyverify.Report
	deadline := time.Now().Add(60 * time.Second)
	for {
		var err error
		if rep, err = moneyverify.Run(ctx, stack.Store.Audit(), settle); err != nil {
			fmt.Fprintln(os.Stderr, "verify:", err)
			return 1
		}
		if rep.OK() || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond) // events may still be in flight
	}
	for _, v := range rep.Violations {
		fmt.Fprintln(os.Stderr, "VIOLATION:", v)
	}
	fmt.Printf("verify: %d donations (%d paid), %d receipts, %d ledger transactions, %d violations\n",
		rep.Donations, rep.Paid, rep.Receipts, rep.Transactions, len(rep.Violations))
	if !rep.OK() {
		return 1
	}
	return 0
}
