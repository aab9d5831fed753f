package integration

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/donations"
)

// testClock is a clock the test moves by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *testClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }

func (c *testClock) Add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.now = c.now.Add(d) }

// TestIdempotencyKeyWindow: an Idempotency-Key names one gift for 24 hours
// (retries find it, another body is refused); used a day later it starts a new
// gift, which retries then find in turn. Counter (cash) gifts go through the
// same rule as bKash gifts, against the real store, with a clock moved by hand.
func TestIdempotencyKeyWindow(t *testing.T) {
	ctx := context.Background()
	clock := &testClock{now: time.Now().UTC()}
	svc := &app.Donations{
		Units: &app.Units{Store: stack.Store.Units(), Now: clock.Now},
		Repo:  stack.Store.Donations(), Receipts: stack.Store.Receipts(), IDs: stackSealer(t),
		Now: clock.Now, Log: slog.New(slog.DiscardHandler),
	}
	req := func(amount string) donations.Request {
		r := donations.Request{Amount: amount, Currency: "BDT", Kind: "sadaqah"}
		r.Donor.Name, r.Donor.Phone = "Counter Donor", "01711000999"
		return r
	}
	create := func(amount string) (*donations.Donation, bool, error) {
		return svc.CreateCash(ctx, "dh-cumilla", "window-key", app.Collector{Subject: "clerk-1"}, req(amount))
	}

	first, created, err := create("150.00")
	if err != nil || !created {
		t.Fatalf("first use: created=%v err=%v", created, err)
	}
	clock.Add(23 * time.Hour)
	if again, created, err := create("150.00"); err != nil || created || again.ID != first.ID {
		t.Fatalf("retry within 24 h: %v created=%v err=%v, want the first gift %s", idOf(again), created, err, first.ID)
	}
	if _, _, err := create("175.00"); !errors.Is(err, donations.ErrKeyReused) {
		t.Fatalf("another body within 24 h: err=%v, want ErrKeyReused", err)
	}

	clock.Add(2 * time.Hour) // 25 h after the first use
	second, created, err := create("175.00")
	if err != nil || !created || second.ID == first.ID {
		t.Fatalf("the key a day later: %v created=%v err=%v, want a new gift", idOf(second), created, err)
	}
	if again, created, err := create("175.00"); err != nil || created || again.ID != second.ID {
		t.Fatalf("retry of the second gift: %v created=%v err=%v, want %s", idOf(again), created, err, second.ID)
	}
	if _, _, err := create("150.00"); !errors.Is(err, donations.ErrKeyReused) {
		t.Fatalf("the first gift's body while the second gift's window is open: err=%v, want ErrKeyReused", err)
	}

	// Both gifts are stored, paid, and untouched by the other.
	for _, want := range []*donations.Donation{first, second} {
		got, err := stack.Store.Donations().Get(ctx, want.ID)
		if err != nil || got.Amount != want.Amount || got.Status != donations.Paid {
			t.Fatalf("stored %s: %+v %v", want.ID, got, err)
		}
	}
	waitReceipted(t, first.ID)
	waitReceipted(t, second.ID)
}

func idOf(d *donations.Donation) string {
	if d == nil {
		return "<nil>"
	}
	return d.ID
}
