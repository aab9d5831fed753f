package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/ledger"
)

// colGrantAllocations is the national sequence of the Department's grant
// allocations per fiscal year (ADR 0011): entry n of a year is "<fy>/<n>"
// and carries the year's running total, so the envelope check and the
// append are one unique insert.
const colGrantAllocations = "grant_allocations"

// GrantAllocations is the national grant allocation sequence.
type GrantAllocations struct{ s *Store }

// GrantAllocations returns the sequence.
func (s *Store) GrantAllocations() *GrantAllocations { return &GrantAllocations{s: s} }

func (s *Store) ensureGrantIndexes(ctx context.Context) error {
	_, err := s.col(colGrantAllocations).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "alloc", Value: 1}},
		Options: options.Index().SetUnique(true).SetName("alloc_unique"),
	})
	if err != nil {
		return fmt.Errorf("create grant allocation index: %w", err)
	}
	return nil
}

// ByID returns the allocation named id, or nil.
func (g *GrantAllocations) ByID(ctx context.Context, id string) (*ledger.GrantAllocation, error) {
	var d grantAllocationDoc
	err := g.s.col(colGrantAllocations).FindOne(ctx, bson.D{{Key: "alloc", Value: id}}).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read grant allocation %s: %w", id, err)
	}
	a := ledger.GrantAllocation(d)
	return &a, nil
}

// Last returns the fiscal year's latest entry, or nil.
func (g *GrantAllocations) Last(ctx context.Context, fy string) (*ledger.GrantAllocation, error) {
	var d grantAllocationDoc
	err := g.s.col(colGrantAllocations).FindOne(ctx, bson.D{{Key: "fy", Value: fy}}, options.FindOne().SetSort(bson.D{{Key: "seq", Value: -1}})).Decode(&d)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read grant allocations of %s: %w", fy, err)
	}
	a := ledger.GrantAllocation(d)
	return &a, nil
}

// Append stores a as the year's next entry unless the running total would
// pass a.Envelope (ledger.ErrEnvelope). Another writer taking the same number
// makes it re-read and re-check; an allocation with a's ID stored already
// is returned as it is (a retry).
func (g *GrantAllocations) Append(ctx context.Context, a ledger.GrantAllocation) (*ledger.GrantAllocation, error) {
	for attempt := 0; attempt < 50; attempt++ {
		if prev, err := g.ByID(ctx, a.ID); err != nil || prev != nil {
			return prev, err
		}
		last, err := g.Last(ctx, a.FY)
		if err != nil {
			return nil, err
		}
		a.Seq, a.Total = 1, a.Amount
		if last != nil {
			a.Seq, a.Total = last.Seq+1, last.Total+a.Amount
		}
		if a.Total > a.Envelope {
			return nil, ledger.ErrEnvelope
		}
		a.DocID = fmt.Sprintf("%s/%d", a.FY, a.Seq)
		err = insertOne(ctx, g.s.col(colGrantAllocations), grantAllocationDoc(a))
		if err == nil {
			return &a, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("append grant allocation: %w", err)
		}
	}
	return nil, errors.New("append grant allocation: too much contention")
}
