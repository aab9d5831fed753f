package mongostore_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// TestReconcileScans: the reconciler's candidate scans find open payments
// and open refunds, skip donations that moved on, and repair a version
// whose "superseded" flag was lost instead of returning it for ever.
func TestReconcileScans(t *testing.T) {
	ctx := context.Background()
	u := &units.Unit{Code: "scan", Policy: units.DefaultPolicy()}
	repo := store.Donations()
	created := time.Now().Add(-time.Hour)
	gift := func(id string) {
		t.Helper()
		var req donations.Request
		req.Amount, req.Kind, req.Anonymous = "300", "general", true
		req.Donor.Phone = "01712345678"
		d, err := donations.New(u, id, donations.BKash, req, created)
		if err != nil {
			t.Fatal(err)
		}
		d.PaymentID = "PAY-" + id
		if _, ok, err := repo.Create(ctx, d); err != nil || !ok {
			t.Fatal(ok, err)
		}
	}
	for _, id := range []string{"scan-open", "scan-paid", "scan-lost", "scan-refund"} {
		gift(id)
	}
	pay := func(id string) {
		t.Helper()
		if _, err := repo.Update(ctx, id, func(d *donations.Donation) error { return d.MarkPaid("TRX"+id, time.Now()) }); err != nil {
			t.Fatal(err)
		}
	}
	pay("scan-paid")
	pay("scan-lost")
	pay("scan-refund")
	// Lose scan-lost's hint, as FerretDB may.
	col := store.Database().Collection("donation_versions")
	if _, err := col.UpdateOne(ctx, bson.D{{Key: "_id", Value: "scan-lost#1"}}, bson.D{{Key: "$unset", Value: bson.D{{Key: "superseded", Value: ""}}}}); err != nil {
		t.Fatal(err)
	}
	amt, _ := money.Parse("100")
	if _, err := repo.Update(ctx, "scan-refund", func(d *donations.Donation) error {
		return d.RequestRefund("r1", amt, "donor asked", "staff", time.Now())
	}); err != nil {
		t.Fatal(err)
	}

	open, err := repo.Initiated(ctx, time.Now(), 500)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Contains(open, "scan-open") || slices.Contains(open, "scan-paid") || slices.Contains(open, "scan-lost") || slices.Contains(open, "scan-refund") {
		t.Fatalf("open payments %v: want scan-open and none of the paid gifts", open)
	}
	var v1 struct {
		Superseded bool `bson:"superseded"`
	}
	if err := col.FindOne(ctx, bson.D{{Key: "_id", Value: "scan-lost#1"}}).Decode(&v1); err != nil || !v1.Superseded {
		t.Fatalf("lost flag not written again: %+v %v", v1, err)
	}
	if open, err := repo.Initiated(ctx, created.Add(-time.Minute), 500); err != nil || slices.Contains(open, "scan-open") {
		t.Fatalf("a payment younger than the cut-off was returned: %v %v", open, err)
	}

	refunds, err := repo.WithPendingRefunds(ctx, 500)
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(refunds, []string{"scan-refund"}) {
		t.Fatalf("pending refunds %v, want [scan-refund]", refunds)
	}
	if _, err := repo.Update(ctx, "scan-refund", func(d *donations.Donation) error {
		return d.CompleteRefund("r1", "RTRX1", time.Now())
	}); err != nil {
		t.Fatal(err)
	}
	if refunds, err := repo.WithPendingRefunds(ctx, 500); err != nil || len(refunds) != 0 {
		t.Fatalf("pending refunds after completion: %v %v", refunds, err)
	}
}
