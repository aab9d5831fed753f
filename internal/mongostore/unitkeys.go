package mongostore

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/signing"
)

// Collections of the unit signing keys.
const (
	// colUnitKeys holds every key a unit ever had, keyed "<unit>/<fingerprint>".
	// Keys are only inserted, never changed or deleted: old receipts verify
	// against them forever.
	colUnitKeys = "unit_keys"
	// colUnitActiveKeys points each unit at the key new receipts are signed
	// with. It is a blind last-writer-wins replace (like the unit registry):
	// whichever key the operator declared last is active, and a lost race
	// only means a receipt is signed by another of the unit's valid keys.
	colUnitActiveKeys = "unit_active_keys"
)

// UnitKeys stores the units' receipt signing keys.
type UnitKeys struct{ s *Store }

// UnitKeys returns the signing key store.
func (s *Store) UnitKeys() *UnitKeys { return &UnitKeys{s: s} }

type unitKeyDoc struct {
	ID  string        `bson:"_id"`
	Key unitKeyFields `bson:",inline"`
}

type activeKeyDoc struct {
	Unit        string    `bson:"_id"`
	Fingerprint string    `bson:"fingerprint"`
	Since       time.Time `bson:"since"`
}

// AddKey stores k unless a key with its fingerprint exists for the unit
// (then it keeps the stored one).
func (r *UnitKeys) AddKey(ctx context.Context, k *signing.UnitKey) error {
	err := insertOne(ctx, r.s.col(colUnitKeys), unitKeyDoc{ID: k.Ref(), Key: unitKeyFields(*k)})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("store key %s: %w", k.Ref(), err)
	}
	return nil
}

// GetKey returns the unit's key with fingerprint, or signing.ErrKeyNotFound.
func (r *UnitKeys) GetKey(ctx context.Context, unit, fingerprint string) (*signing.UnitKey, error) {
	var doc unitKeyDoc
	found, err := findByID(ctx, r.s.col(colUnitKeys), signing.KeyRef(unit, fingerprint), &doc)
	if err != nil {
		return nil, err
	}
	if !found || doc.Key.Unit != unit {
		return nil, signing.ErrKeyNotFound
	}
	k := signing.UnitKey(doc.Key)
	return &k, nil
}

// ListKeys returns all of a unit's keys, oldest first. It scans the (small)
// key collection; it serves the public key list, not the hot path.
func (r *UnitKeys) ListKeys(ctx context.Context, unit string) ([]signing.UnitKey, error) {
	cur, err := r.s.col(colUnitKeys).Find(ctx, bson.D{{Key: "unit", Value: unit}})
	if err != nil {
		return nil, fmt.Errorf("list keys of %s: %w", unit, err)
	}
	var docs []unitKeyDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list keys of %s: %w", unit, err)
	}
	out := make([]signing.UnitKey, len(docs))
	for i, d := range docs {
		out[i] = signing.UnitKey(d.Key)
	}
	sortKeys(out)
	return out, nil
}

func sortKeys(ks []signing.UnitKey) {
	slices.SortFunc(ks, func(a, b signing.UnitKey) int {
		if c := a.CreatedAt.Compare(b.CreatedAt); c != 0 {
			return c
		}
		return strings.Compare(a.Fingerprint, b.Fingerprint)
	})
}

// ActiveKey returns the fingerprint of the unit's active key, or
// signing.ErrKeyNotFound.
func (r *UnitKeys) ActiveKey(ctx context.Context, unit string) (string, error) {
	var doc activeKeyDoc
	found, err := findByID(ctx, r.s.col(colUnitActiveKeys), unit, &doc)
	if err != nil {
		return "", err
	}
	if !found {
		return "", signing.ErrKeyNotFound
	}
	return doc.Fingerprint, nil
}

// SetActiveKey makes fingerprint the unit's active key.
func (r *UnitKeys) SetActiveKey(ctx context.Context, unit, fingerprint string, at time.Time) error {
	doc := activeKeyDoc{Unit: unit, Fingerprint: fingerprint, Since: at}
	c := r.s.col(colUnitActiveKeys)
	_, err := c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: unit}}, doc, options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		// Two concurrent first upserts: one inserted, so replace now.
		_, err = c.ReplaceOne(ctx, bson.D{{Key: "_id", Value: unit}}, doc)
	}
	if err != nil {
		return fmt.Errorf("activate key %s/%s: %w", unit, fingerprint, err)
	}
	return nil
}
