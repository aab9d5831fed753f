package mongostore

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// colCashCloses holds the counter's day closes, one document per unit, day
// and staff member, keyed by the three: the insert is the guard, so a
// second close of the same day is refused by the store itself.
const colCashCloses = "cash_closes"

func (s *Store) ensureCashIndexes(ctx context.Context) error {
	return createIndexes(ctx, s.db.Collection(colDonations), "cash book",
		mongo.IndexModel{Keys: bson.D{{Key: "unit", Value: 1}, {Key: "method", Value: 1}, {Key: "paidAt", Value: 1}}, Options: options.Index().SetName("unit_method_paid")},
		mongo.IndexModel{Keys: bson.D{{Key: "unit", Value: 1}, {Key: "donor.phone", Value: 1}}, Options: options.Index().SetName("unit_donor_phone")},
	)
}

// CashBook stores the counter's cash book (app.CashBookStore) and finds a
// unit's gifts for staff (app.GiftLookup).
type CashBook struct{ s *Store }

// CashBook returns the cash book store.
func (s *Store) CashBook() *CashBook { return &CashBook{s: s} }

type cashCloseDoc struct {
	ID           string       `bson:"_id"`
	Unit         string       `bson:"unit"`
	Day          string       `bson:"day"`
	Staff        string       `bson:"staff"`
	StaffName    string       `bson:"staffName,omitempty"`
	Expected     money.Amount `bson:"expected"`
	Gifts        int          `bson:"gifts"`
	HandedOver   money.Amount `bson:"handedOver"`
	Deposit      string       `bson:"deposit"`
	ClosedBy     string       `bson:"closedBy"`
	ClosedByName string       `bson:"closedByName,omitempty"`
	At           time.Time    `bson:"at"`
}

func closeKey(unit, day, staff string) string { return unit + "/" + day + "/" + staff }

func (d *cashCloseDoc) close() donations.CashClose {
	return donations.CashClose{Unit: d.Unit, Day: d.Day, Staff: d.Staff, StaffName: d.StaffName, Expected: d.Expected, Gifts: d.Gifts,
		HandedOver: d.HandedOver, Deposit: d.Deposit, ClosedBy: d.ClosedBy, ClosedByName: d.ClosedByName, At: d.At}
}

// CashGifts implements app.CashBookStore: the first version of each cash
// gift (a cash gift is stored paid, and its amount and collector never
// change; refunds are later versions).
func (b *CashBook) CashGifts(ctx context.Context, unit string, from, to time.Time, limit int) ([]donations.Donation, error) {
	filter := bson.D{{Key: "unit", Value: unit}, {Key: "method", Value: string(donations.Cash)},
		{Key: "paidAt", Value: bson.D{{Key: "$gte", Value: from.UTC()}, {Key: "$lt", Value: to.UTC()}}}, {Key: "version", Value: 1}}
	cur, err := b.s.col(colDonations).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "paidAt", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, fmt.Errorf("find cash gifts: %w", err)
	}
	var docs []donationVersion
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("find cash gifts: %w", err)
	}
	out := make([]donations.Donation, len(docs))
	for i := range docs {
		out[i] = docs[i].Donation.donation()
	}
	return out, nil
}

// InsertClose implements app.CashBookStore.
func (b *CashBook) InsertClose(ctx context.Context, c *donations.CashClose) (*donations.CashClose, error) {
	doc := cashCloseDoc{ID: closeKey(c.Unit, c.Day, c.Staff), Unit: c.Unit, Day: c.Day, Staff: c.Staff, StaffName: c.StaffName,
		Expected: c.Expected, Gifts: c.Gifts, HandedOver: c.HandedOver, Deposit: c.Deposit, ClosedBy: c.ClosedBy,
		ClosedByName: c.ClosedByName, At: c.At.UTC()}
	err := insertOne(ctx, b.s.col(colCashCloses), doc)
	if mongo.IsDuplicateKeyError(err) {
		var stored cashCloseDoc
		found, ferr := findByID(ctx, b.s.col(colCashCloses), doc.ID, &stored)
		if ferr != nil {
			return nil, ferr
		}
		if !found {
			return nil, fmt.Errorf("close %s: refused as a duplicate, then not found", doc.ID)
		}
		out := stored.close()
		return &out, donations.ErrDayClosed
	}
	if err != nil {
		return nil, fmt.Errorf("insert cash close: %w", err)
	}
	out := doc.close()
	return &out, nil
}

// Closes implements app.CashBookStore.
func (b *CashBook) Closes(ctx context.Context, unit, day string) ([]donations.CashClose, error) {
	cur, err := b.s.col(colCashCloses).Find(ctx, bson.D{{Key: "unit", Value: unit}, {Key: "day", Value: day}})
	if err != nil {
		return nil, fmt.Errorf("find cash closes: %w", err)
	}
	var docs []cashCloseDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("find cash closes: %w", err)
	}
	out := make([]donations.CashClose, len(docs))
	for i := range docs {
		out[i] = docs[i].close()
	}
	return out, nil
}

// ReceiptDonation implements app.GiftLookup.
func (b *CashBook) ReceiptDonation(ctx context.Context, unit, fy string, seq int64) (string, bool, error) {
	var doc receiptDoc
	found, err := findByID(ctx, b.s.col(colReceipts), receiptKey(unit, fy, seq), &doc)
	if err != nil || !found {
		return "", false, err
	}
	return doc.Donation, true, nil
}

// PaidWithTrxID implements app.GiftLookup.
func (b *CashBook) PaidWithTrxID(ctx context.Context, trxID string) (string, bool, error) {
	return b.s.Donations().PaidWithTrxID(ctx, trxID)
}

// DonorGifts implements app.GiftLookup: each gift's first version (the
// donor never changes) from mobile at unit.
func (b *CashBook) DonorGifts(ctx context.Context, unit, mobile string, limit int) ([]string, error) {
	filter := bson.D{{Key: "unit", Value: unit}, {Key: "donor.phone", Value: mobile}, {Key: "version", Value: 1}}
	cur, err := b.s.col(colDonations).Find(ctx, filter, options.Find().SetSort(bson.D{{Key: "createdAt", Value: -1}}).
		SetLimit(int64(limit)).SetProjection(bson.D{{Key: "donation", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("find donor gifts: %w", err)
	}
	var docs []struct {
		ID string `bson:"donation"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("find donor gifts: %w", err)
	}
	out := make([]string, len(docs))
	for i, d := range docs {
		out[i] = d.ID
	}
	return out, nil
}
