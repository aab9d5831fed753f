package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kalyan-platform/kalyan/internal/ledger"
)

// Ledger is the append-only book. A transaction's _id is its source event's
// ID, so appending the same event twice cannot move money twice.
type Ledger struct{ s *Store }

// Ledger returns the ledger repository.
func (s *Store) Ledger() *Ledger { return &Ledger{s: s} }

// Append implements ledger.Repository.
func (r *Ledger) Append(ctx context.Context, t ledger.Transaction) (bool, error) {
	if err := t.Validate(); err != nil {
		return false, fmt.Errorf("append %s: %w", t.ID, err)
	}
	_, err := r.s.col(colLedger).InsertOne(ctx, t)
	if mongo.IsDuplicateKeyError(err) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("append %s: %w", t.ID, err)
	}
	return true, nil
}

// Get returns the transaction with id (found=false if none).
func (r *Ledger) Get(ctx context.Context, id string) (*ledger.Transaction, bool, error) {
	var t ledger.Transaction
	found, err := findByID(ctx, r.s.col(colLedger), id, &t)
	if err != nil || !found {
		return nil, found, err
	}
	return &t, true, nil
}

// Balances implements ledger.Repository by summing the unit's lines.
func (r *Ledger) Balances(ctx context.Context, unit string) ([]ledger.Balance, error) {
	cur, err := r.s.col(colLedger).Find(ctx, bson.D{{Key: "unit", Value: unit}})
	if err != nil {
		return nil, fmt.Errorf("read ledger of %s: %w", unit, err)
	}
	defer cur.Close(ctx)
	idx := map[string]int{}
	var out []ledger.Balance
	for cur.Next(ctx) {
		var t ledger.Transaction
		if err := cur.Decode(&t); err != nil {
			return nil, fmt.Errorf("decode ledger entry: %w", err)
		}
		for _, l := range t.Lines {
			i, ok := idx[l.Account]
			if !ok {
				i = len(out)
				idx[l.Account] = i
				out = append(out, ledger.Balance{Account: l.Account})
			}
			out[i].Debits += l.Debit
			out[i].Credits += l.Credit
		}
	}
	if err := cur.Err(); err != nil {
		return nil, fmt.Errorf("read ledger of %s: %w", unit, err)
	}
	return out, nil
}

// Summary folds the ledger (of one unit, or all when unit is "") into
// public per-fund figures.
func (r *Ledger) Summary(ctx context.Context, unit string) (map[string]map[string]*ledger.FundFigures, error) {
	filter := bson.D{}
	if unit != "" {
		filter = bson.D{{Key: "unit", Value: unit}}
	}
	cur, err := r.s.col(colLedger).Find(ctx, filter)
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	defer cur.Close(ctx)
	out := map[string]map[string]*ledger.FundFigures{}
	for cur.Next(ctx) {
		var t ledger.Transaction
		if err := cur.Decode(&t); err != nil {
			return nil, fmt.Errorf("decode ledger entry: %w", err)
		}
		ledger.Summarise(out, &t)
	}
	return out, cur.Err()
}
