package ledger_test

import (
	"maps"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/ledgerseed"
)

// TestTallyFiguresEqualTheLineFold: the figures derived from a tally's cells
// are those ledger.Summarise folds line by line, for a randomised ledger with
// gifts, holds, refunds, releases, allocations and disbursements; and a
// tally restored from its checkpoint, or summed from parts, is the same.
func TestTallyFiguresEqualTheLineFold(t *testing.T) {
	heldSeen := 0
	for seed := range uint64(5) {
		g := ledgerseed.New("u1", seed, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), 97*time.Minute)
		tally, ref := ledger.NewTally("u1"), ledger.NewSummary()
		parts := []*ledger.Tally{ledger.NewTally("u1"), ledger.NewTally("u1")}
		for i := range 3000 {
			tx := g.Next()
			tx.Seq = int64(i + 1)
			if err := tally.Add(&tx); err != nil {
				t.Fatal(err)
			}
			ref.Add(&tx)
			parts[i%2].AddAny(&tx)
		}
		want := ref.Funds["u1"]
		got := tally.Funds()
		if !maps.EqualFunc(got, want, func(a, b *ledger.FundFigures) bool { return *a == *b }) {
			for k := range want {
				t.Errorf("seed %d fund %s: tally %+v, fold %+v", seed, k, got[k], want[k])
			}
		}
		if !maps.Equal(tally.Monthly(), ref.Monthly["u1"]) {
			t.Errorf("seed %d monthly: tally %v, fold %v", seed, tally.Monthly(), ref.Monthly["u1"])
		}
		if back, err := tally.Checkpoint().Tally(); err != nil || !back.Equal(tally) {
			t.Errorf("seed %d: checkpoint round trip differs", seed)
		}
		sum := ledger.NewTally("u1")
		sum.Merge(parts[0])
		sum.Merge(parts[1])
		sum.Seq = tally.Seq
		if !sum.Equal(tally) {
			t.Errorf("seed %d: merged parts differ from the tally", seed)
		}
		var refunds, allocs, moves int
		for _, f := range want {
			if f.TransferredIn != 0 || f.TransferredOut != 0 {
				moves++
			}
			if f.Held != 0 {
				heldSeen++
			}
			refunds += f.Refunds
			if f.Allocated != 0 || f.Disbursed != 0 {
				allocs++
			}
		}
		if refunds == 0 || allocs == 0 || moves == 0 || want["grant"] == nil {
			t.Errorf("seed %d: the random ledger lacks refunds (%d), allocations (%d), transfers (%d) or the grant fund", seed, refunds, allocs, moves)
		}
	}
	// Some seed must end with a refund still held, so the held figure is
	// compared too.
	if heldSeen == 0 {
		t.Error("no seed ended with an open refund hold")
	}
	// Out of order is refused, not folded wrong.
	tl := ledger.NewTally("u1")
	tx := ledger.Gift("g", "u1", "d", "zakat", "", "bkash", 100, time.Now())
	tx.Seq = 2
	if err := tl.Add(&tx); err == nil {
		t.Fatal("a tally took entry 2 before entry 1")
	}
}

// TestPackedCellsRefuseDamage: a packed checkpoint cut short or with a byte
// changed in its structure is refused, never read as other figures.
func TestPackedCellsRefuseDamage(t *testing.T) {
	g := ledgerseed.New("u1", 3, time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC), 5*time.Hour)
	tally := ledger.NewTally("u1")
	for i := range 500 {
		tx := g.Next()
		tx.Seq = int64(i + 1)
		if err := tally.Add(&tx); err != nil {
			t.Fatal(err)
		}
	}
	packed := tally.Checkpoint().Packed
	for n := range len(packed) {
		if _, err := ledger.UnpackCells(packed[:n]); err == nil {
			t.Fatalf("a packed value cut to %d of %d bytes was read", n, len(packed))
		}
	}
	if _, err := ledger.UnpackCells(append(append([]byte(nil), packed...), 0)); err == nil {
		t.Fatal("a packed value with a trailing byte was read")
	}
	bad := append([]byte(nil), packed...)
	bad[0] = 9
	if _, err := ledger.UnpackCells(bad); err == nil {
		t.Fatal("a packed value of an unknown version was read")
	}
}

// TestTallyFundsBetweenEqualsTheFoldOfThoseMonths: a fiscal year's figures
// read from the cells (the national ledger's filter) are the line fold of
// that year's entries only.
func TestTallyFundsBetweenEqualsTheFoldOfThoseMonths(t *testing.T) {
	g := ledgerseed.New("u1", 7, time.Date(2025, 5, 1, 0, 0, 0, 0, time.UTC), 151*time.Minute)
	tally, ref := ledger.NewTally("u1"), ledger.NewSummary()
	from, to := time.Date(2025, 6, 30, 18, 0, 0, 0, time.UTC), time.Date(2026, 6, 30, 18, 0, 0, 0, time.UTC) // FY 2025-26 in Dhaka
	for i := range 5000 {
		tx := g.Next()
		tx.Seq = int64(i + 1)
		if err := tally.Add(&tx); err != nil {
			t.Fatal(err)
		}
		if !tx.At.Before(from) && tx.At.Before(to) {
			ref.Add(&tx)
		}
	}
	if g.Next().At.Before(to) {
		t.Fatal("the seeded ledger does not reach past the fiscal year")
	}
	got, want := tally.FundsBetween("2025-07", "2026-06"), ref.Funds["u1"]
	if len(want) == 0 || !maps.EqualFunc(got, want, func(a, b *ledger.FundFigures) bool { return *a == *b }) {
		t.Fatalf("FY 2025-26: tally %v, fold %v", got, want)
	}
}
