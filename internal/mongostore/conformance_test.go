package mongostore_test

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/storetest"
)

// TestConformance holds the adapter to the suite memstore passes too, on
// FerretDB, each case in a database of its own.
func TestConformance(t *testing.T) {
	var n atomic.Int32
	storetest.Run(t, func(t *testing.T) storetest.Store {
		s, err := mongostore.Connect(context.Background(), ferretURI, fmt.Sprintf("conformance_%d", n.Add(1)))
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = s.Close(context.Background()) })
		return storetest.Store{Units: s.Units(), Donations: s.Donations(), Aid: s.AidRequests(), Ledger: s.Ledger(),
			Receipts: s.Receipts(), Links: s.Links(), Slugs: s.Slugs(), Keys: s.IdempotencyKeys()}
	})
}
