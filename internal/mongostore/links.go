package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// ensureLinkIndexes lets a link's totals read only the gifts given through
// it: the link_status index finds the paid versions of the link's gifts,
// never the unit's whole history.
func (s *Store) ensureLinkIndexes(ctx context.Context) error {
	_, err := s.db.Collection(colDonations).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "link", Value: 1}, {Key: "status", Value: 1}},
		Options: options.Index().SetName("link_status").SetSparse(true),
	})
	if err != nil {
		return fmt.Errorf("create link index: %w", err)
	}
	return nil
}

// Totals returns what was given through each of slugs: the paid gifts that
// recorded the link (each counted once, whatever its versions).
func (r *Links) Totals(ctx context.Context, slugs []string) (map[string]links.Total, error) {
	out := make(map[string]links.Total, len(slugs))
	if len(slugs) == 0 {
		return out, nil
	}
	filter := bson.D{{Key: "link", Value: bson.D{{Key: "$in", Value: slugs}}}, {Key: "status", Value: string(donations.Paid)}}
	cur, err := r.s.col(colDonations).Find(ctx, filter, options.Find().SetProjection(bson.D{{Key: "donation", Value: 1}, {Key: "link", Value: 1}, {Key: "amount", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("link totals: %w", err)
	}
	var rows []struct {
		ID     string `bson:"donation"`
		Link   string `bson:"link"`
		Amount int64  `bson:"amount"`
	}
	if err := cur.All(ctx, &rows); err != nil {
		return nil, fmt.Errorf("link totals: %w", err)
	}
	seen := make(map[string]bool, len(rows))
	for _, row := range rows {
		if seen[row.ID] {
			continue
		}
		seen[row.ID] = true
		t := out[row.Link]
		t.Gifts++
		t.Amount += money.Amount(row.Amount)
		out[row.Link] = t
	}
	return out, nil
}

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
