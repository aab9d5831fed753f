package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// Block writers under the conditions a rebalance or a crash creates: several
// replicas writing the same unit's blocks at once (each with its own caches,
// as separate processes), and a batch redelivered after part of it was
// written.

func gifts(unit string, n int) []ledger.Transaction {
	txs := make([]ledger.Transaction, n)
	for i := range txs {
		id := fmt.Sprintf("don_%s_%03d", unit, i)
		txs[i] = ledger.Gift(id+"/paid", unit, id, "general", "", "bkash", money.Taka(10), time.Now())
	}
	return txs
}

func sourcesOf(txs []ledger.Transaction) []string {
	out := make([]string, len(txs))
	for i, t := range txs {
		out[i] = t.ID
	}
	return out
}

func fixedBuild(txs []ledger.Transaction) func(int, map[string]money.Amount) (ledger.Transaction, error) {
	return func(i int, _ map[string]money.Amount) (ledger.Transaction, error) { return txs[i], nil }
}

// checkLedger asserts the unit's sequence is 1..n without gaps, every source
// appears once, every snapshot equals the fold of the lines before it, and
// no fund was ever negative.
func checkLedger(t *testing.T, unit string, wantSources int) map[string]money.Amount {
	t.Helper()
	var txs []ledger.Transaction
	if err := blocks.Audit().UnitLedger(context.Background(), unit, func(tx *ledger.Transaction) error {
		txs = append(txs, *tx)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(txs, func(i, j int) bool { return txs[i].Seq < txs[j].Seq })
	if len(txs) != wantSources {
		t.Fatalf("%s: %d entries, want %d", unit, len(txs), wantSources)
	}
	sources := map[string]bool{}
	fold := map[string]money.Amount{}
	for i, tx := range txs {
		if tx.Seq != int64(i+1) {
			t.Fatalf("%s: entry %d has seq %d (gap or duplicate)", unit, i+1, tx.Seq)
		}
		if sources[tx.ID] {
			t.Fatalf("%s: source %s applied twice", unit, tx.ID)
		}
		sources[tx.ID] = true
		for _, l := range tx.Lines {
			fold[l.Account] += l.Credit - l.Debit
			if ledger.IsFund(l.Account) && fold[l.Account] < 0 {
				t.Fatalf("%s: fund %s negative after seq %d", unit, l.Account, tx.Seq)
			}
		}
		for acc, bal := range tx.Balances {
			if fold[acc] != bal {
				t.Fatalf("%s seq %d: snapshot %s=%s, lines fold to %s", unit, tx.Seq, acc, bal, fold[acc])
			}
		}
	}
	return fold
}

func TestAppendManyRacingReplicasApplyEachOnce(t *testing.T) {
	ctx := context.Background()
	const unit, n, replicas = "blk-race", 90, 3
	txs := gifts(unit, n)
	opening := ledger.Gift("opening", unit, "opening", "general", "", "cash", money.Taka(150), time.Now())
	if ok, err := blocks.Ledger().Append(ctx, unit, ledger.Fixed(opening)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	// Debits race with the credits: each takes 15 from the general fund
	// when it can (allocation-like, built against the balances).
	var debits []ledger.Transaction
	for i := 0; i < 30; i++ {
		debits = append(debits, ledger.Transaction{ID: fmt.Sprintf("debit-%d", i), Cause: ledger.CauseAllocation, At: time.Now(),
			Lines: []ledger.Line{{Account: ledger.FundGeneral, Debit: money.Taka(15)}, {Account: ledger.RequestAccount(fmt.Sprint(i)), Credit: money.Taka(15)}}})
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied, refused := map[string]int{}, 0
	record := func(outs []ledger.Outcome, err error) {
		mu.Lock()
		defer mu.Unlock()
		if err != nil {
			t.Error(err)
		}
		for _, o := range outs {
			switch {
			case errors.Is(o.Err, ledger.ErrInsufficient):
				refused++
			case o.Err != nil:
				t.Error(o.Err)
			case o.Applied:
				applied[o.Tx.ID]++
			}
		}
	}
	for r := 0; r < replicas; r++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			// The same partition delivered to every replica, in batches.
			repo := blocks.Ledger()
			for lo := 0; lo < n; lo += 30 {
				part := txs[lo : lo+30]
				record(repo.AppendMany(ctx, unit, sourcesOf(part), fixedBuild(part)))
			}
		}()
		go func() {
			defer wg.Done()
			repo := blocks.Ledger()
			record(repo.AppendMany(ctx, unit, sourcesOf(debits), fixedBuild(debits)))
		}()
	}
	wg.Wait()
	for id, k := range applied {
		if k != 1 {
			t.Fatalf("%s applied by %d replicas", id, k)
		}
	}
	fold := checkLedger(t, unit, 1+len(applied))
	for _, tx := range txs {
		if applied[tx.ID] != 1 {
			t.Fatalf("gift %s not applied", tx.ID)
		}
	}
	debited := len(applied) - n
	if fold[ledger.FundGeneral] != money.Taka(150)+money.Taka(10)*n-money.Taka(15)*money.Amount(debited) {
		t.Fatalf("general fund %s after %d debits", fold[ledger.FundGeneral], debited)
	}
	t.Logf("%d debits applied, %d refusals for lack of funds", debited, refused)
}

func TestAppendManyRedeliveredBatchSkipsWhatWasWritten(t *testing.T) {
	ctx := context.Background()
	const unit = "blk-redeliver"
	txs := gifts(unit, 60)
	// A first delivery wrote entries for 0..24 and 30..34, then died.
	first := append(append([]ledger.Transaction(nil), txs[:25]...), txs[30:35]...)
	if _, err := blocks.Ledger().AppendMany(ctx, unit, sourcesOf(first), fixedBuild(first)); err != nil {
		t.Fatal(err)
	}
	// Another replica (no cached entry) gets the whole batch again.
	outs, err := blocks.Ledger().AppendMany(ctx, unit, sourcesOf(txs), fixedBuild(txs))
	if err != nil {
		t.Fatal(err)
	}
	for i, o := range outs {
		wasWritten := i < 25 || (i >= 30 && i < 35)
		if o.Err != nil || o.Applied == wasWritten {
			t.Fatalf("tx %d: applied=%v err=%v, written before: %v", i, o.Applied, o.Err, wasWritten)
		}
	}
	fold := checkLedger(t, unit, 60)
	if fold[ledger.FundGeneral] != money.Taka(600) {
		t.Fatalf("general fund %s, want 600.00", fold[ledger.FundGeneral])
	}
}

func receiptBatch(unit string, from, to int) []receipts.Receipt {
	paid := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var rs []receipts.Receipt
	for i := from; i < to; i++ {
		rs = append(rs, receipts.Receipt{ID: fmt.Sprintf("don_%s_%03d", unit, i), Unit: unit, FiscalYear: receipts.FiscalYear(paid),
			Amount: money.Taka(10), Kind: "general", PaidAt: paid, IssuedAt: paid})
	}
	return rs
}

// checkReceipts asserts serials 1..n without gaps, one receipt per
// donation, every donation indexed to its receipt.
func checkReceipts(t *testing.T, unit string, n int) {
	t.Helper()
	ctx := context.Background()
	var docs []struct {
		Donation string `bson:"donation"`
		Seq      int64  `bson:"seq"`
		Serial   string `bson:"serial"`
	}
	cur, err := blocks.Database().Collection("receipts").Find(ctx, bson.D{{Key: "unit", Value: unit}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != n {
		t.Fatalf("%s: %d receipts, want %d", unit, len(docs), n)
	}
	seqs, dons := map[int64]bool{}, map[string]bool{}
	for _, d := range docs {
		if seqs[d.Seq] || dons[d.Donation] {
			t.Fatalf("%s: serial %d or donation %s twice", unit, d.Seq, d.Donation)
		}
		seqs[d.Seq], dons[d.Donation] = true, true
		if d.Serial != fmt.Sprintf("BLK/2025-26/%06d", d.Seq) {
			t.Fatalf("serial %q for seq %d", d.Serial, d.Seq)
		}
	}
	for s := int64(1); s <= int64(n); s++ {
		if !seqs[s] {
			t.Fatalf("%s: serial %d missing (gap)", unit, s)
		}
	}
	for d := range dons {
		r, err := blocks.Receipts().Get(ctx, d)
		if err != nil || r.ID != d {
			t.Fatalf("receipt of %s: %+v %v", d, r, err)
		}
	}
}

func TestIssueManyRacingReplicasGaplessAndOnce(t *testing.T) {
	ctx := context.Background()
	const unit, replicas = "blk-rcpt", 3
	rs := receiptBatch(unit, 0, 90)
	var wg sync.WaitGroup
	var mu sync.Mutex
	issued := map[string]int{}
	for r := 0; r < replicas; r++ {
		wg.Add(2)
		go func() {
			defer wg.Done()
			repo := blocks.Receipts()
			for lo := 0; lo < len(rs); lo += 30 {
				out, err := repo.IssueMany(ctx, rs[lo:lo+30], "BLK", func(rc *receipts.Receipt) error {
					rc.Content = "signed:" + rc.Serial // what signing covers: the serial chosen
					return nil
				})
				if err != nil {
					t.Error(err)
				}
				mu.Lock()
				for _, rc := range out {
					if rc != nil {
						issued[rc.ID]++
					}
				}
				mu.Unlock()
			}
		}()
		// One-by-one issuers of other donations of the unit at the same time.
		go func() {
			defer wg.Done()
			for i := 0; i < 5; i++ {
				rc := receiptBatch(unit, 200+10*r+i, 201+10*r+i)[0]
				if _, err := receipts.Issue(ctx, blocks.Receipts(), rc, "BLK", 1000); err != nil {
					t.Error(err)
				}
			}
		}()
	}
	wg.Wait()
	for id, k := range issued {
		if k != 1 {
			t.Fatalf("%s issued by %d replicas", id, k)
		}
	}
	if len(issued) != len(rs) {
		t.Fatalf("%d of %d receipts reported issued", len(issued), len(rs))
	}
	checkReceipts(t, unit, len(rs)+5*replicas)
	// The signed content names the serial the receipt holds.
	var doc struct {
		Serial  string `bson:"serial"`
		Content string `bson:"content"`
	}
	if err := blocks.Database().Collection("receipts").FindOne(ctx, bson.D{{Key: "donation", Value: rs[57].ID}}).Decode(&doc); err != nil || doc.Content != "signed:"+doc.Serial {
		t.Fatalf("content %q for serial %q: %v", doc.Content, doc.Serial, err)
	}
}

func TestIssueManyRedeliveredBatch(t *testing.T) {
	ctx := context.Background()
	const unit = "blk-rcpt-redeliver"
	rs := receiptBatch(unit, 0, 60)
	// A first delivery issued 0..19, then died before indexing 5 of them.
	if _, err := blocks.Receipts().IssueMany(ctx, rs[:20], "BLK", nil); err != nil {
		t.Fatal(err)
	}
	for i := 10; i < 15; i++ {
		if _, err := blocks.Database().Collection("receipt_index").DeleteOne(ctx, bson.D{{Key: "_id", Value: rs[i].ID}}); err != nil {
			t.Fatal(err)
		}
	}
	out, err := blocks.Receipts().IssueMany(ctx, rs, "BLK", nil)
	if err != nil {
		t.Fatal(err)
	}
	for i, rc := range out {
		if (rc == nil) != (i < 20) {
			t.Fatalf("receipt %d: issued=%v, issued before: %v", i, rc != nil, i < 20)
		}
	}
	checkReceipts(t, unit, 60)
}
