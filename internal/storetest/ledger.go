package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

func allocation(id, request string, amount money.Amount) ledger.Transaction {
	return ledger.Transaction{ID: id, Cause: "allocation", Request: request, At: at(1), Lines: []ledger.Line{
		{Account: ledger.FundGeneral, Debit: amount}, {Account: ledger.RequestAccount(request), Credit: amount}}}
}

func ledgerAppend(t *testing.T, s Store) {
	ctx := context.Background()
	if bs, err := s.Ledger.Balances(ctx, "dmch"); err != nil || len(bs) != 0 {
		t.Fatalf("balances of an empty ledger: %+v %v", bs, err)
	}
	gift := ledger.Gift("don_1/paid", "dmch", "don_1", "general", "", "bkash", money.Taka(100), at(0))
	if ok, err := s.Ledger.Append(ctx, "dmch", ledger.Fixed(gift)); err != nil || !ok {
		t.Fatalf("gift: %v %v", ok, err)
	}
	// The same source again (a redelivered event) moves nothing.
	if ok, err := s.Ledger.Append(ctx, "dmch", ledger.Fixed(gift)); err != nil || ok {
		t.Fatalf("gift again: %v %v", ok, err)
	}
	// build sees the balances after the last entry.
	var saw money.Amount
	ok, err := s.Ledger.Append(ctx, "dmch", func(bal map[string]money.Amount) (ledger.Transaction, error) {
		saw = bal[ledger.FundGeneral]
		return allocation("aid_1/alloc", "aid_1", money.Taka(60)), nil
	})
	if err != nil || !ok || saw != money.Taka(100) {
		t.Fatalf("allocation: %v %v, build saw %s", ok, err, saw)
	}
	if _, err := s.Ledger.Append(ctx, "dmch", ledger.Fixed(allocation("aid_2/alloc", "aid_2", money.Taka(41)))); !errors.Is(err, ledger.ErrInsufficient) {
		t.Fatalf("overdraw: %v", err)
	}
	boom := errors.New("boom")
	if _, err := s.Ledger.Append(ctx, "dmch", func(map[string]money.Amount) (ledger.Transaction, error) { return ledger.Transaction{}, boom }); !errors.Is(err, boom) {
		t.Fatalf("failing build: %v", err)
	}
	bal, err := s.Ledger.FundBalances(ctx, "dmch")
	if err != nil || bal[ledger.FundGeneral] != money.Taka(40) {
		t.Fatalf("balances: %v %v", bal, err)
	}
	// Per-request accounts stay out of the snapshot.
	if _, ok := bal[ledger.RequestAccount("aid_1")]; ok {
		t.Fatalf("request account in the balance snapshot: %v", bal)
	}
	tx, err := s.Ledger.BySource(ctx, "dmch", "aid_1/alloc")
	if err != nil || tx.Seq != 2 || tx.Request != "aid_1" || len(tx.Lines) != 2 {
		t.Fatalf("by source: %+v %v", tx, err)
	}
	if _, err := s.Ledger.BySource(ctx, "rmch", "aid_1/alloc"); !errors.Is(err, ledger.ErrNotFound) {
		t.Fatalf("another unit's source: %v", err)
	}
	// Units have sequences of their own.
	other := ledger.Gift("don_2/paid", "rmch", "don_2", "zakat", "", "bkash", money.Taka(5), at(0))
	if ok, err := s.Ledger.Append(ctx, "rmch", ledger.Fixed(other)); err != nil || !ok {
		t.Fatalf("other unit: %v %v", ok, err)
	}
	if tx, err := s.Ledger.BySource(ctx, "rmch", "don_2/paid"); err != nil || tx.Seq != 1 {
		t.Fatalf("other unit's first entry: %+v %v", tx, err)
	}
}

// ledgerConcurrentDebits: writers race to move 10 each out of a fund of 100;
// exactly ten succeed and the fund ends at zero, never below.
func ledgerConcurrentDebits(t *testing.T, s Store) {
	ctx := context.Background()
	gift := ledger.Gift("don_pool/paid", "pool", "don_pool", "general", "", "bkash", money.Taka(100), at(0))
	if ok, err := s.Ledger.Append(ctx, "pool", ledger.Fixed(gift)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	var applied, refused atomic.Int32
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			r := fmt.Sprintf("r%d", i)
			ok, err := s.Ledger.Append(ctx, "pool", ledger.Fixed(allocation("alloc-"+r, r, money.Taka(10))))
			switch {
			case errors.Is(err, ledger.ErrInsufficient):
				refused.Add(1)
			case err != nil:
				t.Error(err)
			case ok:
				applied.Add(1)
			}
		})
	}
	wg.Wait()
	if applied.Load() != 10 || refused.Load() != 10 {
		t.Fatalf("applied %d, refused %d; want 10 and 10", applied.Load(), refused.Load())
	}
	if bal, err := s.Ledger.FundBalances(ctx, "pool"); err != nil || bal[ledger.FundGeneral] != 0 {
		t.Fatalf("general fund %v %v, want 0", bal, err)
	}
}

func receiptsSuite(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.Receipts.Get(ctx, "don_nosuch"); !errors.Is(err, receipts.ErrNotFound) {
		t.Fatalf("unknown receipt: %v", err)
	}
	if n, err := s.Receipts.LastSeq(ctx, "dmch", "2026-27"); err != nil || n != 0 {
		t.Fatalf("last serial of none: %d %v", n, err)
	}
	rc := func(donation string, seq int64) *receipts.Receipt {
		return &receipts.Receipt{ID: donation, Unit: "dmch", FiscalYear: "2026-27", Seq: seq, Serial: receipts.Serial("DMCH", "2026-27", seq),
			Amount: money.Taka(500), Kind: "zakat", Method: "bkash", PaidAt: at(0), IssuedAt: at(1), Signature: []byte{1, 2}}
	}
	if err := s.Receipts.Insert(ctx, rc("don_1", 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.Receipts.Insert(ctx, rc("don_2", 1)); !errors.Is(err, receipts.ErrSerialTaken) {
		t.Fatalf("another gift on a taken serial: %v", err)
	}
	if err := s.Receipts.Insert(ctx, rc("don_1", 2)); !errors.Is(err, receipts.ErrExists) {
		t.Fatalf("a second receipt for a gift: %v", err)
	}
	if err := s.Receipts.Insert(ctx, rc("don_1", 1)); !errors.Is(err, receipts.ErrExists) {
		t.Fatalf("the same receipt again: %v", err)
	}
	other := rc("don_3", 1)
	other.FiscalYear, other.Serial = "2025-26", receipts.Serial("DMCH", "2025-26", 1)
	if err := s.Receipts.Insert(ctx, other); err != nil {
		t.Fatalf("the first serial of another year: %v", err)
	}
	got, err := s.Receipts.Get(ctx, "don_1")
	if err != nil || got.ID != "don_1" || got.Seq != 1 || got.Serial != "DMCH/2026-27/000001" || len(got.Signature) != 2 {
		t.Fatalf("receipt: %+v %v", got, err)
	}
	if n, err := s.Receipts.LastSeq(ctx, "dmch", "2026-27"); err != nil || n != 1 {
		t.Fatalf("last serial: %d %v", n, err)
	}
}

// receiptsConcurrentIssue: issuers of different gifts race for serials;
// serials stay gapless and every gift gets exactly one.
func receiptsConcurrentIssue(t *testing.T, s Store) {
	ctx := context.Background()
	const gifts = 12
	var wg sync.WaitGroup
	for i := range gifts {
		wg.Go(func() {
			r := receipts.Receipt{ID: fmt.Sprintf("don_%d", i), Unit: "race", Amount: money.Taka(10), Kind: "general", Method: "bkash",
				PaidAt: at(0), IssuedAt: at(1)}
			// Issued again (a redelivered event): still one receipt.
			for range 2 {
				if _, err := receipts.Issue(ctx, s.Receipts, r, "RACE", 1000); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	seen := map[int64]string{}
	for i := range gifts {
		rc, err := s.Receipts.Get(ctx, fmt.Sprintf("don_%d", i))
		if err != nil {
			t.Fatal(err)
		}
		if prev, ok := seen[rc.Seq]; ok {
			t.Fatalf("serial %d given to %s and %s", rc.Seq, prev, rc.ID)
		}
		seen[rc.Seq] = rc.ID
	}
	for n := int64(1); n <= gifts; n++ {
		if seen[n] == "" {
			t.Fatalf("serial %d skipped: %v", n, seen)
		}
	}
}
