package memstore

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Ledger is the append-only book (ledger.Repository, app.SourceReader,
// app.LedgerTallies): one sequence per unit, every source once.
type Ledger struct{ s *Store }

// Ledger returns the ledger.
func (s *Store) Ledger() *Ledger { return &Ledger{s: s} }

func (r *Ledger) head(unit string) (map[string]money.Amount, int64) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	es := r.s.ledger[unit]
	if len(es) == 0 {
		return map[string]money.Amount{}, 1
	}
	last := es[len(es)-1]
	return maps.Clone(last.Balances), last.Seq + 1
}

var requestPrefix = ledger.RequestAccount("")

// Append stores the transaction build makes from the unit's current
// balances as its next entry; another writer appending first makes it
// re-build, and a source appended before makes it a no-op (false).
func (r *Ledger) Append(ctx context.Context, unit string, build func(map[string]money.Amount) (ledger.Transaction, error)) (bool, error) {
	for attempt := 0; attempt < 1000; attempt++ {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		before, seq := r.head(unit)
		t, err := build(maps.Clone(before))
		if err != nil {
			return false, err
		}
		t.Unit, t.Seq = unit, seq
		if err := t.Validate(); err != nil {
			return false, fmt.Errorf("append %s: %w", t.ID, err)
		}
		if err := t.Apply(before); err != nil {
			return false, err
		}
		// As the MongoDB adapter: per-request accounts stay out of the
		// snapshot (they would grow every entry with the unit's history).
		for acc := range t.Balances {
			if strings.HasPrefix(acc, requestPrefix) {
				delete(t.Balances, acc)
			}
		}
		applied, taken := r.insert(t)
		if !taken {
			return applied, nil
		}
	}
	return false, errors.New("ledger append: too much contention")
}

// insert appends t unless its source is known (applied=false) or its
// number was taken meanwhile (taken).
func (r *Ledger) insert(t ledger.Transaction) (applied, taken bool) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if int64(len(r.s.ledger[t.Unit])) != t.Seq-1 {
		return false, true
	}
	if r.s.sources[t.ID] {
		return false, false
	}
	r.s.sources[t.ID] = true
	r.s.ledger[t.Unit] = append(r.s.ledger[t.Unit], cloneTransaction(t))
	return true, false
}

// Balances returns every account's balance after the unit's last entry.
func (r *Ledger) Balances(_ context.Context, unit string) ([]ledger.Balance, error) {
	bal, seq := r.head(unit)
	if seq == 1 {
		return nil, nil
	}
	return ledger.BalancesOf(bal), nil
}

// FundBalances returns the unit's current balance per account.
func (r *Ledger) FundBalances(_ context.Context, unit string) (map[string]money.Amount, error) {
	bal, _ := r.head(unit)
	return bal, nil
}

// BySource returns the unit's entry caused by source, or ledger.ErrNotFound.
func (r *Ledger) BySource(_ context.Context, unit, source string) (*ledger.Transaction, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	for _, t := range r.s.ledger[unit] {
		if t.ID == source {
			t = cloneTransaction(t)
			return &t, nil
		}
	}
	return nil, fmt.Errorf("ledger entry %s: %w", source, ledger.ErrNotFound)
}

// Entries returns the unit's entries in order.
func (r *Ledger) Entries(_ context.Context, unit string) []ledger.Transaction {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	out := make([]ledger.Transaction, len(r.s.ledger[unit]))
	for i, t := range r.s.ledger[unit] {
		out[i] = cloneTransaction(t)
	}
	return out
}

// Tally folds the unit's whole ledger.
func (r *Ledger) Tally(ctx context.Context, unit string) (*ledger.Tally, error) {
	t := ledger.NewTally(unit)
	for _, e := range r.Entries(ctx, unit) {
		t.AddAny(&e)
	}
	return t, nil
}
