package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/units"
)

// Units is the unit registry.
type Units struct{ s *Store }

// Units returns the unit registry.
func (s *Store) Units() *Units { return &Units{s: s} }

// Get returns the unit with code, or units.ErrNotFound.
func (r *Units) Get(ctx context.Context, code string) (*units.Unit, error) {
	var d unitDoc
	found, err := findByID(ctx, r.s.col(colUnits), code, &d)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, units.ErrNotFound
	}
	u := d.unit()
	return &u, nil
}

// Put registers or replaces a unit. Registration is last-writer-wins by
// design: the operator's desired state is the whole document.
func (r *Units) Put(ctx context.Context, u *units.Unit) error {
	doc := toUnitDoc(u)
	_, err := r.s.col(colUnits).ReplaceOne(ctx, bson.D{{Key: "_id", Value: u.Code}}, doc, options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		// Two concurrent upserts of a new unit: one inserted, so replace now.
		_, err = r.s.col(colUnits).ReplaceOne(ctx, bson.D{{Key: "_id", Value: u.Code}}, doc)
	}
	if err != nil {
		return fmt.Errorf("store unit %s: %w", u.Code, err)
	}
	return nil
}

// List returns all units (the registry is small: hundreds of documents).
func (r *Units) List(ctx context.Context) ([]units.Unit, error) {
	cur, err := r.s.col(colUnits).Find(ctx, bson.D{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	var docs []unitDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list units: %w", err)
	}
	return mapSlice(docs, func(d unitDoc) units.Unit { return d.unit() }), nil
}
