package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/signing"
)

func TestUnitKeysAreInsertOnlyAndUnitScoped(t *testing.T) {
	ctx := context.Background()
	keys := store.UnitKeys()
	at := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	k1 := signing.UnitKey{Unit: "ka", Fingerprint: "f1", Public: []byte("p1"), Sealed: []byte("s1"), CreatedAt: at}
	k2 := signing.UnitKey{Unit: "ka", Fingerprint: "f2", Public: []byte("p2"), Sealed: []byte("s2"), CreatedAt: at.Add(time.Hour)}
	for _, k := range []signing.UnitKey{k2, k1} {
		if err := keys.AddKey(ctx, &k); err != nil {
			t.Fatal(err)
		}
	}
	// Re-adding a fingerprint keeps the stored key.
	replaced := k1
	replaced.Sealed = []byte("other")
	if err := keys.AddKey(ctx, &replaced); err != nil {
		t.Fatal(err)
	}
	got, err := keys.GetKey(ctx, "ka", "f1")
	if err != nil || string(got.Sealed) != "s1" {
		t.Fatalf("get: %+v %v", got, err)
	}
	if _, err := keys.GetKey(ctx, "kb", "f1"); !errors.Is(err, signing.ErrKeyNotFound) {
		t.Fatalf("another unit's key found: %v", err)
	}
	list, err := keys.ListKeys(ctx, "ka")
	if err != nil || len(list) != 2 || list[0].Fingerprint != "f1" {
		t.Fatalf("list: %+v %v", list, err)
	}
	if _, err := keys.ActiveKey(ctx, "ka"); !errors.Is(err, signing.ErrKeyNotFound) {
		t.Fatalf("active before any: %v", err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 6; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := keys.SetActiveKey(ctx, "ka", fmt.Sprintf("f%d", i%2+1), at); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	if fp, err := keys.ActiveKey(ctx, "ka"); err != nil || (fp != "f1" && fp != "f2") {
		t.Fatalf("active: %q %v", fp, err)
	}
}

func TestRateLimitHoldsUnderConcurrency(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 1, 1, 10, 30, 0, 0, time.UTC)
	var allowed atomic.Int32
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := store.RateLimits().Allow(ctx, "statement/x", 3, time.Hour, now)
			if err != nil {
				t.Error(err)
			}
			if ok {
				allowed.Add(1)
			}
		}()
	}
	wg.Wait()
	if allowed.Load() != 3 {
		t.Fatalf("%d of 20 allowed, want 3", allowed.Load())
	}
	if ok, _ := store.RateLimits().Allow(ctx, "statement/x", 3, time.Hour, now.Add(time.Hour)); !ok {
		t.Fatal("next window refused")
	}

	// Sweeping after the first window ends removes its three slots only.
	n, err := store.RateLimits().Sweep(ctx, now.Truncate(time.Hour).Add(time.Hour))
	if err != nil || n != 3 {
		t.Fatalf("swept %d (%v), want the first window's 3 slots", n, err)
	}
	for i := 0; i < 2; i++ {
		if ok, _ := store.RateLimits().Allow(ctx, "statement/x", 3, time.Hour, now.Add(time.Hour)); !ok {
			t.Fatalf("second window: slot %d refused after the sweep", i+2)
		}
	}
	if ok, _ := store.RateLimits().Allow(ctx, "statement/x", 3, time.Hour, now.Add(time.Hour)); ok {
		t.Fatal("the sweep freed slots of the current window")
	}
}
