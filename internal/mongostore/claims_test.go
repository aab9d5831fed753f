package mongostore_test

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestClaimsUnderRaces: of many concurrent claims of one name exactly one
// takes it, and every claimant learns the same holder; only the holder can
// release it.
func TestClaimsUnderRaces(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		claims interface {
			Claim(ctx context.Context, name, holder string, at time.Time) (string, bool, error)
			Release(ctx context.Context, name, holder string) error
		}
	}{{"idempotency keys", store.IdempotencyKeys()}, {"slugs", store.Slugs()}} {
		t.Run(c.name, func(t *testing.T) {
			name := fmt.Sprintf("race-%d", time.Now().UnixNano())
			const racers = 12
			var wg sync.WaitGroup
			held := make([]string, racers)
			took := make([]bool, racers)
			for i := range racers {
				wg.Add(1)
				go func() {
					defer wg.Done()
					var err error
					if held[i], took[i], err = c.claims.Claim(ctx, name, fmt.Sprintf("holder-%d", i), time.Now()); err != nil {
						t.Error(err)
					}
				}()
			}
			wg.Wait()
			winner := slices.Index(took, true)
			if winner < 0 || slices.Index(took[winner+1:], true) >= 0 {
				t.Fatalf("took: %v", took)
			}
			for i, h := range held {
				if h != fmt.Sprintf("holder-%d", winner) {
					t.Fatalf("racer %d learned holder %q, want holder-%d", i, h, winner)
				}
			}
			// Claiming again as the holder is not taking it anew.
			if h, took, err := c.claims.Claim(ctx, name, held[0], time.Now()); err != nil || h != held[0] || took {
				t.Fatalf("holder's own claim again: %q %v %v", h, took, err)
			}
			if err := c.claims.Release(ctx, name, "someone-else"); err != nil {
				t.Fatal(err)
			}
			if h, _, _ := c.claims.Claim(ctx, name, "late", time.Now()); h != held[0] {
				t.Fatalf("a stranger released %q: now %q", held[0], h)
			}
			if err := c.claims.Release(ctx, name, held[0]); err != nil {
				t.Fatal(err)
			}
			if h, took, err := c.claims.Claim(ctx, name, "late", time.Now()); err != nil || h != "late" || !took {
				t.Fatalf("after release: %q %v %v", h, took, err)
			}
		})
	}
}

// TestIdempotencyKeysAreNotStoredVerbatim: a client's key is personal to
// it; the store keeps a hash.
func TestIdempotencyKeysAreNotStoredVerbatim(t *testing.T) {
	ctx := context.Background()
	name := fmt.Sprintf("donation\x00dmch\x00my-secret-key-%d\x001", time.Now().UnixNano())
	if _, _, err := store.IdempotencyKeys().Claim(ctx, name, "don_x", time.Now()); err != nil {
		t.Fatal(err)
	}
	n, err := store.Database().Collection("idempotency_keys").CountDocuments(ctx, bson.D{{Key: "_id", Value: name}})
	if err != nil || n != 0 {
		t.Fatalf("key stored verbatim: %d %v", n, err)
	}
}

// TestTakeHasNoWindow: limit slots per key until a time, whatever the
// clock says meanwhile, and racing takers cannot share the last one.
func TestTakeHasNoWindow(t *testing.T) {
	ctx := context.Background()
	key := fmt.Sprintf("take-%d", time.Now().UnixNano())
	until := time.Now().Add(time.Minute)
	var wg sync.WaitGroup
	var mu sync.Mutex
	got := 0
	for range 10 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := store.RateLimits().Take(ctx, key, 3, until)
			if err != nil {
				t.Error(err)
			}
			if ok {
				mu.Lock()
				got++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if got != 3 {
		t.Fatalf("%d of 3 slots taken", got)
	}
}

// TestBackfillSlugs claims units' codes and links' slugs stored before the
// registry, units first, and reports a name both hold; a second run
// changes nothing.
func TestBackfillSlugs(t *testing.T) {
	ctx := context.Background()
	db := blocks.Database()
	run := time.Now().UnixNano()
	u1, shared, l1 := fmt.Sprintf("bf-unit-%d", run), fmt.Sprintf("bf-both-%d", run), fmt.Sprintf("bf-link-%d", run)
	for _, d := range []struct{ col, id string }{{"units", u1}, {"units", shared}, {"links", shared}, {"links", l1}} {
		if _, err := db.Collection(d.col).InsertOne(ctx, bson.D{{Key: "_id", Value: d.id}}); err != nil {
			t.Fatal(err)
		}
	}
	for range 2 {
		both, err := blocks.BackfillSlugs(ctx, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Contains(both, shared) || slices.Contains(both, u1) || slices.Contains(both, l1) {
			t.Fatalf("both: %v", both)
		}
		for name, want := range map[string]string{u1: "unit", shared: "unit", l1: "link"} {
			if h, took, err := blocks.Slugs().Claim(ctx, name, "probe", time.Now()); err != nil || took || h != want {
				t.Fatalf("%s: held by %q (took %v, %v), want %s", name, h, took, err, want)
			}
		}
	}
}
