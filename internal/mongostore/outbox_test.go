package mongostore_test

import (
	"context"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// TestSweepRemarksOnlyLostMarkers: the relay's sweep re-marks a version
// whose outbox marker was lost and leaves marked versions alone.
func TestSweepRemarksOnlyLostMarkers(t *testing.T) {
	ctx := context.Background()
	u := &units.Unit{Code: "sweep", Policy: units.DefaultPolicy()}
	var req donations.Request
	req.Amount, req.Kind, req.Anonymous = "100", "general", true
	req.Donor.Phone = "01712345678"
	d, err := donations.New(u, "don_sweep", donations.BKash, req, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	repo := store.Donations()
	if _, created, err := repo.Create(ctx, d); err != nil || !created {
		t.Fatal(created, err)
	}
	if _, err := repo.Update(ctx, "don_sweep", func(x *donations.Donation) error { return x.MarkPaid("TRXSWEEP", time.Now()) }); err != nil {
		t.Fatal(err)
	}
	// Whatever other tests left behind is marked now.
	if _, err := repo.Sweep(ctx); err != nil {
		t.Fatal(err)
	}
	outbox := store.Database().Collection("outbox")
	before, err := outbox.CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if n, err := repo.Sweep(ctx); err != nil || n != 0 {
		t.Fatalf("sweep with every marker in place re-marked %d (%v)", n, err)
	}
	// A crash between the version's insert and its marker's.
	if _, err := outbox.DeleteOne(ctx, bson.D{{Key: "_id", Value: "don_sweep#2"}}); err != nil {
		t.Fatal(err)
	}
	if n, err := repo.Sweep(ctx); err != nil || n != 1 {
		t.Fatalf("sweep after a lost marker re-marked %d (%v), want 1", n, err)
	}
	after, err := outbox.CountDocuments(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	if after != before {
		t.Fatalf("%d markers after the sweep, %d before the loss", after, before)
	}
	pending, err := repo.PendingEvents(ctx, 10_000)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range pending {
		if p.DocID == "don_sweep#2" && len(p.Events) == 1 {
			return
		}
	}
	t.Fatalf("the re-marked version is not pending: %+v", pending)
}
