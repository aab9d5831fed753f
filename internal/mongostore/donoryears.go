package mongostore

import (
	"context"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// colDonorYears marks each (donor reference, fiscal year) that has a
// receipt, keyed "<donorRef>/<fy>", so that a public statement request can
// tell whether to send a link with one read by _id instead of scanning the
// receipts (FerretDB on SQLite cannot index donorRef): issue #23. A mark is
// inserted before the receipts it stands for, so a crash between the two
// leaves at most a mark without a receipt, whose link then shows an empty
// statement, never a donor without one.
const colDonorYears = "donor_years"

// donorYearsBackfill marks that receipts from before the marks were
// marked.
const donorYearsBackfill = "backfill/v1"

type donorYear struct {
	ID string `bson:"_id"`
}

func donorYearID(ref, fy string) string { return ref + "/" + fy }

// markDonors inserts the marks of rs's donors (duplicates are harmless).
func (r *Receipts) markDonors(ctx context.Context, rs ...receipts.Receipt) error {
	seen := map[string]bool{}
	var docs []any
	for _, rc := range rs {
		if id := donorYearID(rc.DonorRef, rc.FiscalYear); rc.DonorRef != "" && !seen[id] {
			seen[id] = true
			docs = append(docs, donorYear{ID: id})
		}
	}
	if _, err := insertUnordered(ctx, r.s.col(colDonorYears), docs); err != nil {
		return fmt.Errorf("mark statement donors: %w", err)
	}
	return nil
}

// HasGiven reports whether the donor has a receipt in fy: one read by _id.
func (r *Receipts) HasGiven(ctx context.Context, donorRef, fy string) (bool, error) {
	var d donorYear
	return findByID(ctx, r.s.col(colDonorYears), donorYearID(donorRef, fy), &d)
}

// backfillDonorYears marks the donors of receipts issued before marks
// existed, once per database (the flag is written last, so an interrupted
// backfill runs again; marks are idempotent).
func (s *Store) backfillDonorYears(ctx context.Context) error {
	var flag donorYear
	if done, err := findByID(ctx, s.col(colDonorYears), donorYearsBackfill, &flag); err != nil || done {
		return err
	}
	cur, err := s.col(colReceipts).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "donorRef", Value: 1}, {Key: "fy", Value: 1}}))
	if err != nil {
		return fmt.Errorf("backfill statement donors: %w", err)
	}
	defer cur.Close(ctx)
	r := &Receipts{s: s}
	var batch []receipts.Receipt
	for cur.Next(ctx) {
		var doc struct {
			DonorRef string `bson:"donorRef"`
			FY       string `bson:"fy"`
		}
		if err := cur.Decode(&doc); err != nil {
			return fmt.Errorf("backfill statement donors: %w", err)
		}
		batch = append(batch, receipts.Receipt{DonorRef: doc.DonorRef, FiscalYear: doc.FY})
		if len(batch) == MaxInsertBatch {
			if err := r.markDonors(ctx, batch...); err != nil {
				return err
			}
			batch = batch[:0]
		}
	}
	if err := cur.Err(); err != nil {
		return fmt.Errorf("backfill statement donors: %w", err)
	}
	if err := r.markDonors(ctx, batch...); err != nil {
		return err
	}
	_, err = insertUnordered(ctx, s.col(colDonorYears), []any{donorYear{ID: donorYearsBackfill}})
	return err
}
