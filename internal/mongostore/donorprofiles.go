package mongostore

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// What donors keep for their future gifts ("My gifts") and their erasure
// requests. A profile is keyed by the donor reference of the number (never
// the number); it is personal data that is not a financial record, so a
// donor may erase it.
const (
	colDonorProfiles   = "donor_profiles"
	colErasureRequests = "erasure_requests"
)

// DonorProfiles implements receipts.DonorProfiles.
type DonorProfiles struct{ s *Store }

// DonorProfiles returns the donor profile store.
func (s *Store) DonorProfiles() *DonorProfiles { return &DonorProfiles{s: s} }

type donorProfileDoc struct {
	Ref       string    `bson:"_id"`
	Name      string    `bson:"name,omitempty"`
	Email     string    `bson:"email,omitempty"`
	TIN       string    `bson:"tin,omitempty"`
	UpdatedAt time.Time `bson:"updatedAt"`
}

// Get implements receipts.DonorProfiles.
func (p *DonorProfiles) Get(ctx context.Context, ref string) (*receipts.DonorProfile, error) {
	var d donorProfileDoc
	found, err := findByID(ctx, p.s.col(colDonorProfiles), ref, &d)
	if err != nil || !found {
		return nil, err
	}
	return &receipts.DonorProfile{Ref: d.Ref, Name: d.Name, Email: d.Email, TIN: d.TIN, UpdatedAt: d.UpdatedAt}, nil
}

// Put implements receipts.DonorProfiles: the donor's last save wins (one
// document, no money: a lost concurrent save is the donor's own).
func (p *DonorProfiles) Put(ctx context.Context, pr receipts.DonorProfile) error {
	doc := donorProfileDoc{Ref: pr.Ref, Name: pr.Name, Email: pr.Email, TIN: pr.TIN, UpdatedAt: pr.UpdatedAt}
	_, err := p.s.col(colDonorProfiles).ReplaceOne(ctx, bson.D{{Key: "_id", Value: pr.Ref}}, doc, options.Replace().SetUpsert(true))
	if mongo.IsDuplicateKeyError(err) {
		// Two first saves raced on the upsert: the other inserted, replace it.
		_, err = p.s.col(colDonorProfiles).ReplaceOne(ctx, bson.D{{Key: "_id", Value: pr.Ref}}, doc)
	}
	if err != nil {
		return fmt.Errorf("save donor profile: %w", err)
	}
	return nil
}

// Delete implements receipts.DonorProfiles.
func (p *DonorProfiles) Delete(ctx context.Context, ref string) error {
	if _, err := p.s.col(colDonorProfiles).DeleteOne(ctx, bson.D{{Key: "_id", Value: ref}}); err != nil {
		return fmt.Errorf("erase donor profile: %w", err)
	}
	return nil
}

// ErasureRequests implements app.ErasureRequests.
type ErasureRequests struct{ s *Store }

// ErasureRequests returns the erasure request log.
func (s *Store) ErasureRequests() *ErasureRequests { return &ErasureRequests{s: s} }

type erasureDoc struct {
	ID      string    `bson:"_id"`
	Ref     string    `bson:"ref"`
	At      time.Time `bson:"at"`
	Erased  []string  `bson:"erased"`
	Retains string    `bson:"retains"`
}

// Record implements app.ErasureRequests.
func (e *ErasureRequests) Record(ctx context.Context, r receipts.ErasureRequest) error {
	if _, err := e.s.col(colErasureRequests).InsertOne(ctx, erasureDoc{ID: r.ID, Ref: r.Ref, At: r.At, Erased: r.Erased, Retains: r.Retains}); err != nil {
		return fmt.Errorf("record erasure request: %w", err)
	}
	return nil
}
