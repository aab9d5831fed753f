package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

// Audit reads every stored money record, in no order, for the money check
// (verify.Records): whole-collection scans, so commands and tests only.
type Audit struct{ s *Store }

// Audit returns the reader of every stored money record.
func (s *Store) Audit() *Audit { return &Audit{s: s} }

// eachDoc decodes every document of col into a D and calls fn with it.
func eachDoc[D any](ctx context.Context, c *mongo.Collection, filter bson.D, fn func(*D) error) error {
	if filter == nil {
		filter = bson.D{}
	}
	cur, err := c.Find(ctx, filter)
	if err != nil {
		return fmt.Errorf("read %s: %w", c.Name(), err)
	}
	defer cur.Close(ctx)
	for cur.Next(ctx) {
		var d D
		if err := cur.Decode(&d); err != nil {
			return fmt.Errorf("read %s: %w", c.Name(), err)
		}
		if err := fn(&d); err != nil {
			return err
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("read %s: %w", c.Name(), err)
	}
	return nil
}

// DonationVersions calls fn with every stored version of every donation.
func (a *Audit) DonationVersions(ctx context.Context, fn func(*donations.Donation) error) error {
	return eachDoc(ctx, a.s.col(colDonations), nil, func(v *donationVersion) error {
		d := v.Donation.donation()
		return fn(&d)
	})
}

// Receipts calls fn with every receipt (its ID the donation's).
func (a *Audit) Receipts(ctx context.Context, fn func(*receipts.Receipt) error) error {
	return eachDoc(ctx, a.s.col(colReceipts), nil, func(d *receiptDoc) error {
		rc := d.receipt()
		return fn(&rc)
	})
}

// LedgerEntries calls fn with every ledger entry of every unit.
func (a *Audit) LedgerEntries(ctx context.Context, fn func(*ledger.Transaction) error) error {
	return a.UnitLedger(ctx, "", fn)
}

// UnitLedger calls fn with every ledger entry of unit ("" for all units).
func (a *Audit) UnitLedger(ctx context.Context, unit string, fn func(*ledger.Transaction) error) error {
	var filter bson.D
	if unit != "" {
		filter = bson.D{{Key: "unit", Value: unit}}
	}
	return eachDoc(ctx, a.s.col(colLedger), filter, func(d *ledgerDoc) error {
		t := d.Transaction.transaction()
		return fn(&t)
	})
}

// GrantAllocations calls fn with every entry of the national grant
// allocation sequences.
func (a *Audit) GrantAllocations(ctx context.Context, fn func(*ledger.GrantAllocation) error) error {
	return eachDoc(ctx, a.s.col(colGrantAllocations), nil, func(d *grantAllocationDoc) error {
		g := ledger.GrantAllocation(*d)
		return fn(&g)
	})
}

// Checkpoints calls fn with every stored ledger checkpoint and the key it
// is stored under ("<unit>/<seq, 10 digits>").
func (a *Audit) Checkpoints(ctx context.Context, fn func(key string, c *ledger.Checkpoint) error) error {
	return eachDoc(ctx, a.s.col(colCheckpoints), nil, func(d *checkpointDoc) error {
		c := d.Checkpoint.checkpoint()
		return fn(d.Key, &c)
	})
}

// ReportFacts calls fn with every report fact (verify's report checks).
func (a *Audit) ReportFacts(ctx context.Context, fn func(*reports.Fact) error) error {
	return eachDoc(ctx, a.s.col(colReportFacts), nil, func(d *factDoc) error { return fn(&d.Fact) })
}

// ReportCheckpoints calls fn with every report checkpoint and the key it is
// stored under ("<unit>/<seq, 10 digits>").
func (a *Audit) ReportCheckpoints(ctx context.Context, fn func(key string, c *reports.Checkpoint) error) error {
	return eachDoc(ctx, a.s.col(colReportCheckpoints), nil, func(d *reportCheckpointDoc) error { return fn(d.Key, &d.Checkpoint) })
}

// ReportHeads calls fn with every unit's advisory report head and its key.
func (a *Audit) ReportHeads(ctx context.Context, fn func(key string, h *reports.Checkpoint) error) error {
	return eachDoc(ctx, a.s.col(colReportHeads), nil, func(d *reportHeadDoc) error { return fn(d.Key, &d.Checkpoint) })
}
