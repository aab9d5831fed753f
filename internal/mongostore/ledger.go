package mongostore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Ledger is the append-only book, one sequence per unit: entry n of unit u
// has _id "u/n" and a unique "source" (the causing event's ID). Appending is
// one insert that claims the next number and the source at once: a writer
// that lost the race re-reads the balances and re-decides (so no fund goes
// negative, whatever the number of workers), and a replayed event collides on
// its source. Each entry carries every account's balance after it, so the
// current balances are one exact lookup of the last entry, found by galloping
// over _id like receipt serials.
type Ledger struct {
	s *Store

	mu   sync.Mutex
	hint map[string]*ledger.Transaction // last entry seen per unit
}

// Ledger returns the ledger repository.
func (s *Store) Ledger() *Ledger { return &Ledger{s: s, hint: map[string]*ledger.Transaction{}} }

type ledgerDoc struct {
	Key                string `bson:"_id"`
	ledger.Transaction `bson:",inline"`
}

func ledgerKey(unit string, seq int64) string { return fmt.Sprintf("%s/%010d", unit, seq) }

func (r *Ledger) entry(ctx context.Context, unit string, seq int64) (*ledger.Transaction, error) {
	var d ledgerDoc
	found, err := findByID(ctx, r.s.col(colLedger), ledgerKey(unit, seq), &d)
	if err != nil || !found {
		return nil, err
	}
	return &d.Transaction, nil
}

// last returns the unit's last entry (nil if none).
func (r *Ledger) last(ctx context.Context, unit string) (*ledger.Transaction, error) {
	// Entries are immutable, so a cached entry is still right; only newer
	// ones may exist. (A store reset would leave it stale; the first insert
	// then collides and the next read starts over.)
	r.mu.Lock()
	loTx := r.hint[unit]
	r.mu.Unlock()
	var lo int64
	if loTx != nil {
		lo = loTx.Seq
	}
	step := int64(1)
	hi := lo + step
	for {
		t, err := r.entry(ctx, unit, hi)
		if err != nil {
			return nil, err
		}
		if t == nil {
			break
		}
		lo, loTx, step = hi, t, step*2
		hi = lo + step
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		t, err := r.entry(ctx, unit, mid)
		if err != nil {
			return nil, err
		}
		if t != nil {
			lo, loTx = mid, t
		} else {
			hi = mid
		}
	}
	r.remember(unit, loTx)
	return loTx, nil
}

func (r *Ledger) remember(unit string, t *ledger.Transaction) {
	if t == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.hint[unit]; cur == nil || t.Seq > cur.Seq {
		r.hint[unit] = t
	}
}

// forget drops the cached entry of unit (after an unexpected collision).
func (r *Ledger) forget(unit string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.hint, unit)
}

// Append implements ledger.Repository.
func (r *Ledger) Append(ctx context.Context, unit string, build func(map[string]money.Amount) (ledger.Transaction, error)) (bool, error) {
	for attempt := 0; attempt < 1000; attempt++ {
		prev, err := r.last(ctx, unit)
		if err != nil {
			return false, err
		}
		before, seq := map[string]money.Amount{}, int64(1)
		if prev != nil {
			before, seq = prev.Balances, prev.Seq+1
		}
		t, err := build(before)
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
		key := ledgerKey(unit, seq)
		err = insertOne(ctx, r.s.col(colLedger), ledgerDoc{Key: key, Transaction: t})
		if err == nil {
			r.remember(unit, &t)
			return true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return false, fmt.Errorf("append %s: %w", t.ID, err)
		}
		holder, ferr := r.entry(ctx, unit, seq)
		if ferr != nil {
			return false, ferr
		}
		if holder != nil {
			r.remember(unit, holder)
		}
		if holder == nil && prev != nil {
			// Could also be a cached entry from a reset store: re-read.
			r.forget(unit)
		}
		if holder == nil || holder.ID == t.ID {
			// The number is free (or ours), so the source collided: this
			// event was applied before.
			return false, nil
		}
		if err := ctx.Err(); err != nil {
			return false, err
		}
	}
	return false, errors.New("ledger append: too much contention")
}

// Balances implements ledger.Repository from the last entry's snapshot.
func (r *Ledger) Balances(ctx context.Context, unit string) ([]ledger.Balance, error) {
	t, err := r.last(ctx, unit)
	if err != nil || t == nil {
		return nil, err
	}
	out := make([]ledger.Balance, 0, len(t.Balances))
	for acc, bal := range t.Balances {
		b := ledger.Balance{Account: acc}
		if bal >= 0 {
			b.Credits = bal
		} else {
			b.Debits = -bal
		}
		out = append(out, b)
	}
	return out, nil
}

// FundBalances returns the unit's current balance per account.
func (r *Ledger) FundBalances(ctx context.Context, unit string) (map[string]money.Amount, error) {
	t, err := r.last(ctx, unit)
	if err != nil || t == nil {
		return map[string]money.Amount{}, err
	}
	return t.Balances, nil
}

// Summary folds the ledger (of one unit, or all when unit is "") into
// public per-fund figures.
func (r *Ledger) Summary(ctx context.Context, unit string) (*ledger.Summary, error) {
	filter := bson.D{}
	if unit != "" {
		filter = bson.D{{Key: "unit", Value: unit}}
	}
	cur, err := r.s.col(colLedger).Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "balances", Value: 0}}))
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	defer cur.Close(ctx)
	out := ledger.NewSummary()
	for cur.Next(ctx) {
		var t ledger.Transaction
		if err := cur.Decode(&t); err != nil {
			return nil, fmt.Errorf("decode ledger entry: %w", err)
		}
		out.Add(&t)
	}
	return out, cur.Err()
}

// BySource finds the entry caused by source (a scan: crash recovery only).
func (r *Ledger) BySource(ctx context.Context, unit, source string) (*ledger.Transaction, error) {
	var d ledgerDoc
	if err := r.s.col(colLedger).FindOne(ctx, bson.D{{Key: "unit", Value: unit}, {Key: "source", Value: source}}).Decode(&d); err != nil {
		return nil, fmt.Errorf("ledger entry %s: %w", source, err)
	}
	return &d.Transaction, nil
}
