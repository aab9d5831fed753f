package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/signing"
)

// colMerchants holds units' own bKash merchant credentials, sealed, keyed
// by merchant ID (the bKash username). A blind last-writer-wins replace like
// the unit registry; entries are never deleted, since donations keep
// pointing at the merchant that took them.
const colMerchants = "bkash_merchants"

// Merchants stores sealed merchant credentials.
type Merchants struct{ s *Store }

// Merchants returns the merchant credential store.
func (s *Store) Merchants() *Merchants { return &Merchants{s: s} }

// PutMerchant implements app.MerchantStore.
func (r *Merchants) PutMerchant(ctx context.Context, m signing.SealedMerchant) error {
	doc := sealedMerchantDoc(m)
	c := r.s.col(colMerchants)
	_, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: m.ID}}, doc, options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		// Two concurrent first upserts: one inserted, so replace now.
		_, err = c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: m.ID}}, doc)
	}
	if err != nil {
		return fmt.Errorf("store merchant %s: %w", m.ID, err)
	}
	return nil
}

// GetMerchant implements app.MerchantStore.
func (r *Merchants) GetMerchant(ctx context.Context, id string) (signing.SealedMerchant, error) {
	var doc sealedMerchantDoc
	found, err := findByID(ctx, r.s.col(colMerchants), id, &doc)
	if err != nil {
		return signing.SealedMerchant{}, err
	}
	if !found {
		return signing.SealedMerchant{}, signing.ErrMerchantNotFound
	}
	return signing.SealedMerchant(doc), nil
}
