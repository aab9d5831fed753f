package mongostore_test

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"
)

// fakeClock is a settable clock shared by the racing replicas.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *fakeClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// TestLeaseOneHolderPerWindow: replicas racing for the relay lease on
// FerretDB get exactly one holder per window; the holder keeps it from
// window to window; when it stops asking (dies), another replica takes over
// within one window.
func TestLeaseOneHolderPerWindow(t *testing.T) {
	ctx := context.Background()
	const window = 5 * time.Second
	clock := &fakeClock{t: time.Unix(1_900_000_000, 0)}
	name := fmt.Sprintf("relay-test-%d", time.Now().UnixNano())
	const replicas = 6
	leases := make([]interface {
		Held(context.Context) (bool, error)
	}, replicas)
	for i := range leases {
		leases[i] = store.Lease(name, fmt.Sprintf("worker-%d", i), window, clock.now)
	}
	ask := func(alive []int) []int {
		var mu sync.Mutex
		var holders []int
		var wg sync.WaitGroup
		for _, i := range alive {
			wg.Add(1)
			go func() {
				defer wg.Done()
				held, err := leases[i].Held(ctx)
				if err != nil {
					t.Error(err)
					return
				}
				if held {
					mu.Lock()
					holders = append(holders, i)
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
		return holders
	}
	all := []int{0, 1, 2, 3, 4, 5}
	first := ask(all)
	if len(first) != 1 {
		t.Fatalf("window 1: holders %v, want exactly one", first)
	}
	holder := first[0]
	for step := 0; step < 4; step++ {
		clock.add(window)
		got := ask(all)
		if len(got) != 1 || got[0] != holder {
			t.Fatalf("window %d: holders %v, want only the live holder %d", step+2, got, holder)
		}
	}
	// Asking again within a window changes nothing.
	if got := ask(all); len(got) != 1 || got[0] != holder {
		t.Fatalf("same window again: holders %v", got)
	}

	// The holder dies: the next window (which it claimed) stays its own and
	// nobody else relays; the one after goes to exactly one survivor.
	var survivors []int
	for _, i := range all {
		if i != holder {
			survivors = append(survivors, i)
		}
	}
	clock.add(window)
	if got := ask(survivors); len(got) != 0 {
		t.Fatalf("window claimed by the dead holder: survivors %v hold it", got)
	}
	clock.add(window)
	got := ask(survivors)
	if len(got) != 1 {
		t.Fatalf("after the holder died: holders %v, want exactly one", got)
	}
	// Old windows are cleaned up: only the current and next remain.
	n, err := store.Database().Collection("leases").CountDocuments(ctx, map[string]any{"name": name})
	if err != nil {
		t.Fatal(err)
	}
	if n > 3 {
		t.Fatalf("%d lease documents left for %s, want old windows removed", n, name)
	}
}
