package bkash_test

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bkash"
	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// TestSearchTransaction: the client's search transaction against the
// sandbox, for a payment made inside the bKash app and one made through
// checkout; an unknown trxID is IsTransactionNotFound.
func TestSearchTransaction(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	at := e.clock.Now().Add(-2 * time.Hour)
	trx, err := e.sb.RecordAppPayment(merchant.Username, bkashsandbox.AppPayment{Amount: money.Taka(1200), Payer: "01812345678", At: at})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.client.Search(ctx, trx)
	if err != nil {
		t.Fatal(err)
	}
	if got.TrxID != trx || got.Status != bkash.StatusCompleted || got.Amount != money.Taka(1200) || got.Currency != "BDT" ||
		got.CustomerMSISDN != "01812345678" || got.ShortCode != bkashsandbox.DefaultShortCode(merchant.Username) || !got.CompletedTime.Equal(at.Truncate(time.Millisecond)) {
		t.Fatalf("search: %+v", got)
	}
	p := e.paid(money.Taka(300), "INV-S1")
	got, err = e.client.Search(ctx, p.TrxID)
	if err != nil || got.Amount != money.Taka(300) || got.Reference != "INV-S1" {
		t.Fatalf("search a checkout payment: %+v %v", got, err)
	}
	if _, err := e.client.Search(ctx, "NOSUCHTRX1"); !bkash.IsTransactionNotFound(err) {
		t.Fatalf("unknown trxID: %v", err)
	}
	if _, err := e.client.Search(ctx, ""); err == nil {
		t.Fatal("empty trxID accepted")
	}
}

// TestVerificationSpellingLoggedOnce: whichever spelling bKash uses for the
// query's verification field, the client reads it, and the process logs
// which one once, not per payment.
func TestVerificationSpellingLoggedOnce(t *testing.T) {
	for _, spelling := range []string{"verificationStatus", "userVerificationStatus"} {
		var logs bytes.Buffer
		e := newEnv(t, func(sc *bkashsandbox.Config, cc *bkash.Config) {
			sc.VerificationField = spelling
			cc.Logger = slog.New(slog.NewTextHandler(&logs, nil))
		})
		ctx := context.Background()
		for i := range 3 {
			p := e.create(money.Taka(100), "INV-V"+spelling+string(rune('0'+i)))
			e.payer(p.BkashURL, "pay", "")
			q, err := e.client.Query(ctx, p.PaymentID)
			if err != nil || q.VerificationStatus != "Complete" || q.VerificationField != spelling {
				t.Fatalf("%s: query %+v %v", spelling, q, err)
			}
		}
		if n := strings.Count(logs.String(), "bkash answer field spelling"); n != 1 || !strings.Contains(logs.String(), "spelling="+spelling) {
			t.Fatalf("%s: logged %d times: %s", spelling, n, logs.String())
		}
	}
}
