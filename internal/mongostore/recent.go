package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/ledger"
)

// ensureRecentIndex lets a unit's latest entries of one cause (its recent
// disbursements on the public page) be read newest first without a scan.
func (s *Store) ensureRecentIndex(ctx context.Context) error {
	return createIndexes(ctx, s.col(colLedger), "ledger recent", mongo.IndexModel{
		Keys:    bson.D{{Key: "unit", Value: 1}, {Key: "cause", Value: 1}, {Key: "seq", Value: -1}},
		Options: options.Index().SetName("unit_cause_seq"),
	})
}

// Recent returns the unit's last n entries of cause, newest first.
func (r *Ledger) Recent(ctx context.Context, unit, cause string, n int) ([]ledger.Transaction, error) {
	filter := bson.D{{Key: "unit", Value: unit}, {Key: "cause", Value: cause}}
	opts := options.Find().SetSort(bson.D{{Key: "seq", Value: -1}}).SetLimit(int64(n)).
		SetProjection(bson.D{{Key: "balances", Value: 0}})
	docs, err := retry(ctx, func() ([]ledgerDoc, error) {
		cur, err := r.s.col(colLedger).Find(ctx, filter, opts)
		if err != nil {
			return nil, err
		}
		var out []ledgerDoc
		return out, cur.All(ctx, &out)
	})
	if err != nil {
		return nil, fmt.Errorf("recent %s of %s: %w", cause, unit, err)
	}
	out := make([]ledger.Transaction, len(docs))
	for i := range docs {
		out[i] = docs[i].Transaction.transaction()
	}
	return out, nil
}
