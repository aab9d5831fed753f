package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/verify"
)

// verifyStore prints every violation of the money invariants and reports
// whether there were none.
func verifyStore(args []string) (bool, error) {
	cfg, err := config.Load()
	if err != nil {
		return false, err
	}
	fs := flag.NewFlagSet("verify", flag.ContinueOnError)
	uri := fs.String("mongodb-uri", cfg.MongoDB.URI, "MongoDB URI (default KALYAN_MONGODB_URI)")
	sandbox := fs.String("sandbox-url", "", "bKash sandbox base URL: also compare the ledger with its settlement")
	merchant := fs.String("merchant", cfg.BKash.Username, "the platform's merchant username at the sandbox (default KALYAN_BKASH_USERNAME); units' own merchants are read from the donations")
	withReports := fs.Bool("reports", false, "also compare the report aggregates with the ledger, fund by fund and month by month (run when the worker has caught up)")
	record := fs.Bool("record", false, "store the outcome, which the worker exports as metrics (the scheduled verify)")
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	if *uri == "" {
		return false, fmt.Errorf("set KALYAN_MONGODB_URI or --mongodb-uri")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	store, err := mongostore.Connect(ctx, *uri, cfg.MongoDB.Database)
	if err != nil {
		return false, err
	}
	defer store.Close(context.Background())
	var settle *verify.Settlement
	if *sandbox != "" {
		settle = SandboxSettlement(strings.TrimRight(*sandbox, "/"), *merchant)
	}
	rep, err := verify.Run(ctx, store.Audit(), settle)
	if err != nil {
		return false, err
	}
	if *withReports {
		vs, _, err := verify.ReportsAgainstLedger(ctx, store.Audit())
		if err != nil {
			return false, err
		}
		rep.Violations = append(rep.Violations, vs...)
	}
	for _, v := range rep.Violations {
		fmt.Println("VIOLATION:", v)
	}
	fmt.Printf("checked %d donations (%d paid), %d receipts, %d ledger transactions, %d ledger checkpoints, %d report facts, %d report checkpoints: %d violations\n",
		rep.Donations, rep.Paid, rep.Receipts, rep.Transactions, rep.Checkpoints, rep.ReportFacts, rep.ReportCheckpoints, len(rep.Violations))
	if *record {
		now := time.Now().UTC()
		run := app.VerifyRun{ID: now.Format(time.RFC3339Nano), At: now, OK: rep.OK(), Violations: len(rep.Violations)}
		if err := store.VerifyRuns().Record(ctx, run); err != nil {
			return false, err
		}
	}
	return rep.OK(), nil
}

// SandboxSettlement reads the bKash sandbox's settlement report of each
// merchant; platform names the platform's merchant.
func SandboxSettlement(base, platform string) *verify.Settlement {
	return &verify.Settlement{Platform: platform, Totals: func(ctx context.Context, merchant string) (money.Amount, money.Amount, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", base+"/sandbox/merchants/"+url.PathEscape(merchant)+"/settlement", nil)
		if err != nil {
			return 0, 0, err
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, 0, err
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			return 0, 0, fmt.Errorf("sandbox settlement of %s: HTTP %d", merchant, res.StatusCode)
		}
		var s struct {
			CompletedTotal money.Amount `json:"completedTotal"`
			RefundedTotal  money.Amount `json:"refundedTotal"`
		}
		if err := json.NewDecoder(res.Body).Decode(&s); err != nil {
			return 0, 0, fmt.Errorf("sandbox settlement of %s: %w", merchant, err)
		}
		return s.CompletedTotal, s.RefundedTotal, nil
	}, PaymentRefunded: func(ctx context.Context, paymentID string) (money.Amount, error) {
		req, err := http.NewRequestWithContext(ctx, "GET", base+"/sandbox/payments/"+url.PathEscape(paymentID), nil)
		if err != nil {
			return 0, err
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return 0, err
		}
		defer res.Body.Close()
		if res.StatusCode != 200 {
			return 0, fmt.Errorf("sandbox payment %s: HTTP %d", paymentID, res.StatusCode)
		}
		var p struct {
			Refunded money.Amount `json:"refundedAmount"`
		}
		if err := json.NewDecoder(res.Body).Decode(&p); err != nil {
			return 0, fmt.Errorf("sandbox payment %s: %w", paymentID, err)
		}
		return p.Refunded, nil
	}}
}
