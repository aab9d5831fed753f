package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/links"
)

// Links stores donation links keyed by slug; creating one is an insert, so
// two admins cannot take the same slug.
type Links struct{ s *Store }

// Links returns the link repository.
func (s *Store) Links() *Links { return &Links{s: s} }

// Create stores l or returns links.ErrTaken.
func (r *Links) Create(ctx context.Context, l *links.Link) error {
	err := insertOne(ctx, r.s.col("links"), linkDoc(*l))
	if mongo.IsDuplicateKeyError(err) {
		return links.ErrTaken
	}
	if err != nil {
		return fmt.Errorf("store link %s: %w", l.Slug, err)
	}
	return nil
}

// Get returns the link with slug or links.ErrNotFound.
func (r *Links) Get(ctx context.Context, slug string) (*links.Link, error) {
	var d linkDoc
	found, err := findByID(ctx, r.s.col("links"), slug, &d)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, links.ErrNotFound
	}
	l := links.Link(d)
	return &l, nil
}

// SetDisabled switches a link off or on. A lost concurrent write here only
// flips a display flag back; it moves no money.
func (r *Links) SetDisabled(ctx context.Context, slug string, disabled bool) error {
	res, err := r.s.col("links").UpdateOne(ctx, bson.D{{Key: "_id", Value: slug}}, bson.D{{Key: "$set", Value: bson.D{{Key: "disabled", Value: disabled}}}})
	if err != nil {
		return fmt.Errorf("update link %s: %w", slug, err)
	}
	if res.MatchedCount == 0 {
		return links.ErrNotFound
	}
	return nil
}

// ForUnit lists a unit's links, newest first.
func (r *Links) ForUnit(ctx context.Context, unit string) ([]links.Link, error) {
	cur, err := r.s.col("links").Find(ctx, bson.D{{Key: "unit", Value: unit}}, options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}}))
	if err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	var docs []linkDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list links: %w", err)
	}
	return mapSlice(docs, func(d linkDoc) links.Link { return links.Link(d) }), nil
}
