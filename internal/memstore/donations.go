package memstore

import (
	"context"

	"github.com/kalyan-platform/kalyan/internal/donations"
)

// Donations is the donation repository (donations.Repository).
type Donations struct{ s *Store }

// Donations returns the donation repository.
func (s *Store) Donations() *Donations { return &Donations{s: s} }

// Create stores d as version 1 unless its ID is taken; then it returns the
// stored donation, and whether it is this very write (the same bKash
// payment: a retry), as the MongoDB adapter does.
func (r *Donations) Create(_ context.Context, d *donations.Donation) (*donations.Donation, bool, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	if vs, ok := r.s.donations[d.ID]; ok {
		existing := cloneDonation(vs[len(vs)-1])
		return &existing, d.PaymentID != "" && existing.PaymentID == d.PaymentID, nil
	}
	d.Version = 1
	r.s.donations[d.ID] = []donations.Donation{cloneDonation(*d)}
	return d, true, nil
}

// Get returns the latest version, or donations.ErrNotFound.
func (r *Donations) Get(_ context.Context, id string) (*donations.Donation, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	vs, ok := r.s.donations[id]
	if !ok {
		return nil, donations.ErrNotFound
	}
	d := cloneDonation(vs[len(vs)-1])
	return &d, nil
}

// Update applies fn to the latest version and stores the next one;
// donations.ErrNoChange from fn stores nothing.
func (r *Donations) Update(ctx context.Context, id string, fn func(*donations.Donation) error) (*donations.Donation, error) {
	return updateChain(ctx, "donation", id, nil, fn, donations.ErrNoChange,
		func(id string) (*donations.Donation, error) { return r.Get(ctx, id) },
		func(d *donations.Donation) *int { return &d.Version },
		func(d *donations.Donation) { d.Outbox = nil },
		func(d *donations.Donation) error {
			r.s.mu.Lock()
			defer r.s.mu.Unlock()
			vs := r.s.donations[id]
			if len(vs) != d.Version-1 {
				return errVersionTaken
			}
			r.s.donations[id] = append(vs, cloneDonation(*d))
			return nil
		})
}
