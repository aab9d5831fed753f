package mongostore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

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
	// tallies is this process's last fold of each unit (ADR 0012): a read
	// folds only the entries appended since. Replaced, never changed.
	tallies map[string]*ledger.Tally
}

// Ledger returns the ledger repository.
func (s *Store) Ledger() *Ledger {
	return &Ledger{s: s, hint: map[string]*ledger.Transaction{}, tallies: map[string]*ledger.Tally{}}
}

type ledgerDoc struct {
	Key         string         `bson:"_id"`
	Transaction transactionDoc `bson:",inline"`
}

func ledgerKey(unit string, seq int64) string { return fmt.Sprintf("%s/%010d", unit, seq) }

func (r *Ledger) entry(ctx context.Context, unit string, seq int64) (*ledger.Transaction, error) {
	var d ledgerDoc
	found, err := findByID(ctx, r.s.col(colLedger), ledgerKey(unit, seq), &d)
	if err != nil || !found {
		return nil, err
	}
	t := d.Transaction.transaction()
	return &t, nil
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
		pruneSnapshot(t.Balances)
		key := ledgerKey(unit, seq)
		err = insertOne(ctx, r.s.col(colLedger), ledgerDoc{Key: key, Transaction: toTransactionDoc(&t)})
		if err == nil {
			r.remember(unit, &t)
			// Stored: a checkpoint this misses is written by the next reader.
			_ = r.appended(ctx, unit, []*ledger.Transaction{&t})
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
	return ledger.BalancesOf(t.Balances), nil
}

// FundBalances returns the unit's current balance per account.
func (r *Ledger) FundBalances(ctx context.Context, unit string) (map[string]money.Amount, error) {
	t, err := r.last(ctx, unit)
	if err != nil || t == nil {
		return map[string]money.Amount{}, err
	}
	return t.Balances, nil
}

// recentSources returns the sources of the unit's last n entries (at most
// 2,000), read by _id several at a time.
func (r *Ledger) recentSources(ctx context.Context, unit string, n int) (map[string]bool, error) {
	head, err := r.last(ctx, unit)
	if err != nil || head == nil {
		return map[string]bool{}, err
	}
	n = min(n, 2000)
	lo := max(1, head.Seq-int64(n)+1)
	ids := make([]string, head.Seq-lo+1)
	err = eachParallel(ctx, len(ids), func(ctx context.Context, j int) error {
		var d struct {
			Source string `bson:"source"`
		}
		found, err := findByID(ctx, r.s.col(colLedger), ledgerKey(unit, lo+int64(j)), &d)
		if found {
			ids[j] = d.Source
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := make(map[string]bool, len(ids))
	for _, id := range ids {
		if id != "" {
			out[id] = true
		}
	}
	return out, nil
}

// BySource finds the entry caused by source (a scan: crash recovery only),
// ledger.ErrNotFound when there is none.
func (r *Ledger) BySource(ctx context.Context, unit, source string) (*ledger.Transaction, error) {
	var d ledgerDoc
	err := r.s.col(colLedger).FindOne(ctx, bson.D{{Key: "unit", Value: unit}, {Key: "source", Value: source}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, fmt.Errorf("ledger entry %s: %w", source, ledger.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("ledger entry %s: %w", source, err)
	}
	t := d.Transaction.transaction()
	return &t, nil
}

// pruneSnapshot drops per-request accounts from a balance snapshot. There is
// one per aid request ever allocated, so carrying them would grow every
// entry with the unit's history (the 5,000th allocation wrote 5,000
// balances); nothing reads them from the snapshot (the overdraw check is on
// funds; per-request figures come from the request's own versions and the
// ledger lines), and verify folds the lines.
func pruneSnapshot(bal map[string]money.Amount) {
	for acc := range bal {
		if strings.HasPrefix(acc, requestPrefix) {
			delete(bal, acc)
		}
	}
}

var requestPrefix = ledger.RequestAccount("")

// AppendMany appends the transactions with IDs sources to the unit's
// sequence in order, as consecutive entries written by ordered inserts of up
// to MaxInsertBatch: build(i, balances) makes transaction i (whose ID must be
// sources[i]) against the balances after the ones before it. A duplicate key at entry k (FerretDB reports the index; every
// entry before it is stored, none after it) is resolved by reading entry k:
// another writer's transaction means the number was taken, so the rest is
// re-built against the new balances; no entry there means k's source was
// applied before, so k is skipped. build may thus be called several times
// for the same i; the last call's result is what was appended. The error is
// for failures other than duplicates: some transactions may be stored
// then, and repeating the call is safe.
func (r *Ledger) AppendMany(ctx context.Context, unit string, sources []string, build func(i int, balances map[string]money.Amount) (ledger.Transaction, error)) ([]ledger.Outcome, error) {
	n := len(sources)
	out := make([]ledger.Outcome, n)
	pending := make([]int, n)
	for i := range pending {
		pending[i] = i
	}
	sifted := false
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt >= 1000 {
			return out, errors.New("ledger append: too much contention")
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		prev, err := r.last(ctx, unit)
		if err != nil {
			return out, err
		}
		bal, seq := map[string]money.Amount{}, int64(1)
		if prev != nil {
			bal, seq = prev.Balances, prev.Seq+1
		}
		first := seq
		var docs []any
		var txs []*ledger.Transaction
		var idx []int
		rest := pending[:0:0]
		for j, i := range pending {
			if len(docs) == MaxInsertBatch {
				rest = append(rest, pending[j:]...)
				break
			}
			t, err := build(i, bal)
			if err == nil && t.ID != sources[i] {
				err = fmt.Errorf("append: built %s for source %s", t.ID, sources[i])
			}
			if err == nil {
				t.Unit, t.Seq = unit, seq
				if err = t.Validate(); err != nil {
					err = fmt.Errorf("append %s: %w", t.ID, err)
				} else {
					err = t.Apply(bal)
				}
			}
			if err != nil {
				out[i] = ledger.Outcome{Err: err}
				continue
			}
			pruneSnapshot(t.Balances)
			docs = append(docs, ledgerDoc{Key: ledgerKey(unit, seq), Transaction: toTransactionDoc(&t)})
			txs, idx = append(txs, &t), append(idx, i)
			bal, seq = t.Balances, seq+1
		}
		if len(docs) == 0 {
			pending = rest
			continue
		}
		k, err := insertOrdered(ctx, r.s.col(colLedger), docs)
		if k < 0 {
			return out, fmt.Errorf("append to %s: %w", unit, err)
		}
		for j := 0; j < k; j++ {
			out[idx[j]] = ledger.Outcome{Applied: true, Tx: txs[j]}
		}
		if k > 0 {
			r.remember(unit, txs[k-1])
			// Stored: a checkpoint this misses is written by the next reader.
			_ = r.appended(ctx, unit, txs[:k])
		}
		if err == nil {
			pending = rest
			continue
		}
		// Entry first+k is taken or k's source was applied before.
		holder, err := r.entry(ctx, unit, first+int64(k))
		if err != nil {
			return out, err
		}
		next := idx[k:]
		switch {
		case holder == nil:
			// The number is free, so the source collided: applied before.
			// (Unless the entry we built on is gone, a cache from a reset
			// store: then read afresh.)
			if k == 0 && prev != nil {
				if t, err := r.entry(ctx, unit, prev.Seq); err != nil {
					return out, err
				} else if t == nil {
					r.forget(unit)
					continue
				}
			}
			out[idx[k]] = ledger.Outcome{}
			next = idx[k+1:]
			if !sifted {
				// A redelivered batch (or the other group appending the
				// same gifts first): most of the rest is likely applied
				// too, and found one refused block insert at a time a
				// batch took longer than a worker lived under chaos. Their
				// entries are recent: read the unit's last ones side by side.
				sifted = true
				left := append(append([]int(nil), next...), rest...)
				applied, err := r.recentSources(ctx, unit, 2*len(left)+16)
				if err != nil {
					return out, err
				}
				// Their outcomes stay zero: applied before, not by us.
				next, rest = nil, without(left, func(i int) bool { return applied[sources[i]] })
			}
		case holder.ID == txs[k].ID:
			// A racing replica appended the same transaction.
			r.remember(unit, holder)
			out[idx[k]] = ledger.Outcome{}
			next = idx[k+1:]
		default:
			r.remember(unit, holder)
		}
		pending = append(append([]int(nil), next...), rest...)
	}
	return out, nil
}
