package memstore_test

import (
	"testing"

	"github.com/kalyan-platform/kalyan/internal/memstore"
	"github.com/kalyan-platform/kalyan/internal/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, func(*testing.T) storetest.Store {
		s := memstore.New()
		return storetest.Store{Units: s.Units(), Donations: s.Donations(), Aid: s.AidRequests(), Ledger: s.Ledger(),
			Receipts: s.Receipts(), Links: s.Links(), Slugs: s.Slugs(), Keys: s.IdempotencyKeys()}
	})
}
