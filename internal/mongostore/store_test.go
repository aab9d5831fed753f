package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// These tests run against FerretDB, which loses concurrent read-modify-write
// updates: they prove the unique-insert scheme holds anyway.

var store, blocks *mongostore.Store

// ferretURI is the test server's address, for tests that need a database
// or a client of their own.
var ferretURI, ferretDir string

func TestMain(m *testing.M) {
	dir, _ := os.MkdirTemp("", "kalyan-store-")
	f, err := devstack.StartFerret(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		panic(err)
	}
	ferretURI, ferretDir = f.URI(), dir
	store, err = mongostore.Connect(context.Background(), f.URI(), "kalyan")
	if err != nil {
		panic(err)
	}
	// The block tests write hundreds of documents: in a database of their
	// own, so the other tests' look-ups (scans here) stay small.
	blocks, err = mongostore.Connect(context.Background(), f.URI(), "blocks")
	if err != nil {
		panic(err)
	}
	code := m.Run()
	_ = store.Close(context.Background())
	_ = blocks.Close(context.Background())
	f.Close()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestConcurrentReceiptsAreGaplessAndUnique(t *testing.T) {
	ctx := context.Background()
	const gifts, racers = 40, 3
	paid := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	errs := make(chan error, gifts*racers)
	for i := 0; i < gifts; i++ {
		for r := 0; r < racers; r++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				// Each racer has its own repository (its own serial hint), like separate worker replicas.
				repo := store.Receipts()
				rc := receipts.Receipt{ID: fmt.Sprintf("don_race_%02d", i), Unit: "race", Amount: money.Taka(10), Kind: "zakat", PaidAt: paid, IssuedAt: paid}
				if _, err := receipts.Issue(ctx, repo, rc, "RACE", 1000); err != nil {
					errs <- err
				}
			}()
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	var docs []struct {
		Donation string `bson:"donation"`
		Seq      int64  `bson:"seq"`
		Serial   string `bson:"serial"`
	}
	cur, err := store.Database().Collection("receipts").Find(ctx, bson.D{{Key: "unit", Value: "race"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(ctx, &docs); err != nil {
		t.Fatal(err)
	}
	if len(docs) != gifts {
		t.Fatalf("%d receipts for %d gifts", len(docs), gifts)
	}
	seqs, dons := map[int64]bool{}, map[string]bool{}
	for _, d := range docs {
		seqs[d.Seq], dons[d.Donation] = true, true
	}
	for s := int64(1); s <= gifts; s++ {
		if !seqs[s] {
			t.Fatalf("serial %d missing (gap)", s)
		}
	}
	if len(dons) != gifts {
		t.Fatalf("a donation has two receipts")
	}
	// Every racer's view agrees on the receipt.
	for i := 0; i < gifts; i++ {
		r, err := store.Receipts().Get(ctx, fmt.Sprintf("don_race_%02d", i))
		if err != nil || r.Serial != fmt.Sprintf("RACE/2025-26/%06d", r.Seq) {
			t.Fatalf("receipt %d: %+v %v", i, r, err)
		}
	}
}

func TestConcurrentLedgerCreditAppliesOnce(t *testing.T) {
	ctx := context.Background()
	const racers = 20
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied := 0
	for r := 0; r < racers; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx := ledger.Gift("don_dup/paid", "dup", "don_dup", "zakat", "", "bkash", money.Taka(500), time.Now())
			ok, err := store.Ledger().Append(ctx, "dup", ledger.Fixed(tx))
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				applied++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if applied != 1 {
		t.Fatalf("credit applied %d times", applied)
	}
	bs, err := store.Ledger().Balances(ctx, "dup")
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bs {
		if b.Account == ledger.FundZakat && b.Net() != money.Taka(500) {
			t.Fatalf("zakat fund %s, want 500.00", b.Net())
		}
	}
}

func TestConcurrentMarkPaidEmitsOneEvent(t *testing.T) {
	ctx := context.Background()
	u := &units.Unit{Code: "conc", Policy: units.DefaultPolicy()}
	var req donations.Request
	req.Amount, req.Kind, req.Anonymous = "100", "zakat", true
	req.Donor.Phone = "01712345678"
	d, err := donations.New(u, "don_conc", donations.BKash, req, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	repo := store.Donations()
	if _, created, err := repo.Create(ctx, d); err != nil || !created {
		t.Fatal(created, err)
	}
	var wg sync.WaitGroup
	for r := 0; r < 10; r++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := repo.Update(ctx, "don_conc", func(x *donations.Donation) error { return x.MarkPaid(fmt.Sprintf("TRX%d", r), time.Now()) })
			if err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	n, err := store.Database().Collection("donation_versions").CountDocuments(ctx, bson.D{{Key: "donation", Value: "don_conc"}})
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Fatalf("%d versions, want 2 (initiated, paid)", n)
	}
	got, _ := repo.Get(ctx, "don_conc")
	if got.Status != donations.Paid || len(got.Outbox) != 1 {
		t.Fatalf("got %s with %d events", got.Status, len(got.Outbox))
	}
}

// TestConcurrentDebitsNeverOverdraw: 20 workers (each its own repository,
// like separate replicas) race to move 10 each out of a fund holding 100.
func TestConcurrentDebitsNeverOverdraw(t *testing.T) {
	ctx := context.Background()
	gift := ledger.Gift("don_pool/paid", "pool", "don_pool", "general", "", "bkash", money.Taka(100), time.Now())
	if ok, err := store.Ledger().Append(ctx, "pool", ledger.Fixed(gift)); err != nil || !ok {
		t.Fatal(ok, err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	applied, refused := 0, 0
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tx := ledger.Transaction{ID: fmt.Sprintf("alloc-%d", i), Cause: "allocation", At: time.Now(), Lines: []ledger.Line{
				{Account: ledger.FundGeneral, Debit: money.Taka(10)}, {Account: "request:r" + fmt.Sprint(i), Credit: money.Taka(10)}}}
			ok, err := store.Ledger().Append(ctx, "pool", ledger.Fixed(tx))
			mu.Lock()
			defer mu.Unlock()
			switch {
			case errors.Is(err, ledger.ErrInsufficient):
				refused++
			case err != nil:
				t.Error(err)
			case ok:
				applied++
			}
		}()
	}
	wg.Wait()
	if applied != 10 || refused != 10 {
		t.Fatalf("applied %d, refused %d; want 10 and 10", applied, refused)
	}
	bal, err := store.Ledger().FundBalances(ctx, "pool")
	if err != nil {
		t.Fatal(err)
	}
	if bal[ledger.FundGeneral] != 0 {
		t.Fatalf("general fund %s, want 0.00", bal[ledger.FundGeneral])
	}
}
