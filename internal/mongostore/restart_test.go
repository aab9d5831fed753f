package mongostore_test

import (
	"context"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
)

// TestStoreConnectsAgainAfterARestart: every process start connects and
// ensures its indexes on a database that already has them (and, on the
// embedded stack, whose _id indexes IndexFerretIDs rebuilt). FerretDB 1.24
// dropped the connection ("slice bounds out of range") when one command
// created several indexes that existed already, so the second start of
// every API and worker failed.
func TestStoreConnectsAgainAfterARestart(t *testing.T) {
	ctx := context.Background()
	for start := range 3 {
		s, err := mongostore.Connect(ctx, ferretURI, "restarts")
		if err != nil {
			t.Fatalf("start %d: %v", start+1, err)
		}
		if start == 0 {
			if err := devstack.IndexFerretIDs(ctx, ferretDir, s.Database()); err != nil {
				t.Fatal(err)
			}
		}
		if err := s.Close(ctx); err != nil {
			t.Fatal(err)
		}
	}
}
