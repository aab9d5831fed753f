package mongostore

import (
	"context"
	"sync"

	"golang.org/x/sync/errgroup"

	"github.com/kalyan-platform/kalyan/internal/donations"
)

// readers bounds the concurrent point reads of one batch: enough to overlap
// round trips, few enough to leave the server's connections to others.
const readers = 8

// Originals returns the first version of each donation in ids (missing ones
// are left out). What a receipt needs of a gift and does not find in its
// paid event (the donor's name, number, TIN, anonymity) is fixed when the
// donation is created, and version 1 is immutable, so one exact _id read
// replaces walking the version chain.
func (r *Receipts) Originals(ctx context.Context, ids []string) (map[string]*donations.Donation, error) {
	out := make(map[string]*donations.Donation, len(ids))
	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(readers)
	for _, id := range ids {
		g.Go(func() error {
			var doc donationVersion
			found, err := findByID(gctx, r.s.col(colDonations), versionID(id, 1), &doc)
			if err != nil || !found {
				return err
			}
			mu.Lock()
			d := doc.Donation.donation()
			out[id] = &d
			mu.Unlock()
			return nil
		})
	}
	return out, g.Wait()
}
