package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/money"
)

func newDonation(t *testing.T, id string, amount string) *donations.Donation {
	t.Helper()
	var req donations.Request
	req.Amount, req.Kind, req.Anonymous = amount, "zakat", true
	req.Donor.Phone = "01712345678"
	d, err := donations.New(unit("dmch"), id, donations.BKash, req, at(0))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func donationCreate(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.Donations.Get(ctx, "don_nosuch"); !errors.Is(err, donations.ErrNotFound) {
		t.Fatalf("unknown donation: %v", err)
	}
	d := newDonation(t, "don_c", "500")
	d.PaymentID = "PAY-1"
	got, created, err := s.Donations.Create(ctx, d)
	if err != nil || !created || got.Version != 1 {
		t.Fatalf("create: %+v %v %v", got, created, err)
	}
	// The same ID again: the stored donation, not created by this call —
	// unless it is the same write retried (the same bKash payment).
	other := newDonation(t, "don_c", "900")
	other.PaymentID = "PAY-2"
	got, created, err = s.Donations.Create(ctx, other)
	if err != nil || created || got.Amount != money.Taka(500) || got.PaymentID != "PAY-1" {
		t.Fatalf("create with a taken ID: %+v %v %v", got, created, err)
	}
	retry := newDonation(t, "don_c", "500")
	retry.PaymentID = "PAY-1"
	if _, ours, err := s.Donations.Create(ctx, retry); err != nil || !ours {
		t.Fatalf("retried create: ours=%v %v", ours, err)
	}
}

func donationUpdate(t *testing.T, s Store) {
	ctx := context.Background()
	if _, _, err := s.Donations.Create(ctx, newDonation(t, "don_u", "500")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Donations.Update(ctx, "don_nosuch", func(*donations.Donation) error { return nil }); !errors.Is(err, donations.ErrNotFound) {
		t.Fatalf("update of an unknown donation: %v", err)
	}
	paid, err := s.Donations.Update(ctx, "don_u", func(d *donations.Donation) error { return d.MarkPaid("TRX1", at(1)) })
	if err != nil || paid.Version != 2 || paid.Status != donations.Paid || len(paid.Outbox) != 1 {
		t.Fatalf("mark paid: %+v %v", paid, err)
	}
	// ErrNoChange stores nothing and is no error; the next version starts
	// with an empty outbox (events belong to the change that caused them).
	same, err := s.Donations.Update(ctx, "don_u", func(d *donations.Donation) error {
		if d.Outbox != nil {
			t.Errorf("outbox of the previous change handed to the next: %+v", d.Outbox)
		}
		return donations.ErrNoChange
	})
	if err != nil || same.Version != 2 {
		t.Fatalf("no change: %+v %v", same, err)
	}
	boom := errors.New("boom")
	if _, err := s.Donations.Update(ctx, "don_u", func(d *donations.Donation) error { d.TrxID = "X"; return boom }); !errors.Is(err, boom) {
		t.Fatalf("failing change: %v", err)
	}
	got, err := s.Donations.Get(ctx, "don_u")
	if err != nil || got.Version != 2 || got.TrxID != "TRX1" || len(got.Outbox) != 1 {
		t.Fatalf("after a refused and a failed change: %+v %v", got, err)
	}
}

// donationConcurrentUpdates: writers each add a refund of 1 taka at once;
// every one of them is stored, in its own version.
func donationConcurrentUpdates(t *testing.T, s Store) {
	ctx := context.Background()
	const writers = 12
	if _, _, err := s.Donations.Create(ctx, newDonation(t, "don_cc", "100")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Donations.Update(ctx, "don_cc", func(d *donations.Donation) error { return d.MarkPaid("TRXCC", at(1)) }); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Go(func() {
			_, err := s.Donations.Update(ctx, "don_cc", func(d *donations.Donation) error {
				return d.RequestRefund(fmt.Sprintf("rf_%d", i), money.Taka(1), "asked", "ua-1", at(2))
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.Donations.Get(ctx, "don_cc")
	if err != nil || len(got.Refunds) != writers || got.Version != 2+writers {
		t.Fatalf("after %d concurrent refunds: %d refunds, version %d, %v", writers, len(got.Refunds), got.Version, err)
	}
}
