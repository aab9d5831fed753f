package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/signing"
)

// colResealProgress remembers how far `kalyan-worker reseal` got through each collection for one
// target key, so an interrupted run resumes where it stopped.
const colResealProgress = "reseal_progress"

// Reseal is the store side of `kalyan-worker reseal` (app.Resealer): it walks the records sealed under
// the seal key (or keyed by it) in _id order and replaces one record's sealed value only if it is
// still the one read. Each record has one writer here, so the compare-and-swap of a single-document
// update suffices even on FerretDB: unit keys are insert-only otherwise, receipts too, and a merchant
// whose credentials the operator re-registers meanwhile is not overwritten (its rev differs).
type Reseal struct{ s *Store }

// Reseal returns the reseal store.
func (s *Store) Reseal() *Reseal { return &Reseal{s: s} }

// resealPage bounds one read of a walk.
const resealPage = 500

// walk calls fn for each document of col with _id > after, in _id order, decoded into a fresh T.
func walk[T any](ctx context.Context, c *mongo.Collection, after string, filter bson.D, id func(*T) string, fn func(*T) error) error {
	for {
		f := append(bson.D{{Key: "_id", Value: bson.D{{Key: "$gt", Value: after}}}}, filter...)
		cur, err := c.Find(ctx, f, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}).SetLimit(resealPage))
		if err != nil {
			return fmt.Errorf("walk %s: %w", c.Name(), err)
		}
		var docs []T
		if err := cur.All(ctx, &docs); err != nil {
			return fmt.Errorf("walk %s: %w", c.Name(), err)
		}
		for i := range docs {
			if err := fn(&docs[i]); err != nil {
				return err
			}
			after = id(&docs[i])
		}
		if len(docs) < resealPage {
			return nil
		}
	}
}

// UnitKeys calls fn for every unit signing key after the ref after ("<unit>/<fingerprint>"), in order.
func (r *Reseal) UnitKeys(ctx context.Context, after string, fn func(signing.UnitKey) error) error {
	return walk(ctx, r.s.col(colUnitKeys), after, nil, func(d *unitKeyDoc) string { return d.ID },
		func(d *unitKeyDoc) error { return fn(signing.UnitKey(d.Key)) })
}

// ReplaceUnitKeySeal stores a unit key's seed sealed anew, if the key still holds old. It reports
// whether it did.
func (r *Reseal) ReplaceUnitKeySeal(ctx context.Context, ref string, old, sealed []byte, keyID string) (bool, error) {
	return r.swap(ctx, colUnitKeys, bson.D{{Key: "_id", Value: ref}, {Key: "sealed", Value: old}},
		bson.D{{Key: "sealed", Value: sealed}, {Key: "sealKeyID", Value: keyID}})
}

// Merchants calls fn for every stored merchant after the ID after, in order.
func (r *Reseal) Merchants(ctx context.Context, after string, fn func(signing.SealedMerchant) error) error {
	return walk(ctx, r.s.col(colMerchants), after, nil, func(m *sealedMerchantDoc) string { return m.ID },
		func(m *sealedMerchantDoc) error { return fn(signing.SealedMerchant(*m)) })
}

// ReplaceMerchantSeal stores a merchant's credentials sealed anew, if they are still those of revision
// rev sealed as old (a rotation by the operator meanwhile wins).
func (r *Reseal) ReplaceMerchantSeal(ctx context.Context, id string, rev int64, old, sealed []byte, keyID string) (bool, error) {
	return r.swap(ctx, colMerchants, bson.D{{Key: "_id", Value: id}, {Key: "rev", Value: rev}, {Key: "sealed", Value: old}},
		bson.D{{Key: "sealed", Value: sealed}, {Key: "sealKeyID", Value: keyID}})
}

type donorRefDoc struct {
	Key      string `bson:"_id"`
	Donation string `bson:"donation"`
	DonorRef string `bson:"donorRef"`
}

// DonorRefs calls fn with the key, donation and donor reference of every receipt that carries one,
// after the receipt key after, in order.
func (r *Reseal) DonorRefs(ctx context.Context, after string, fn func(key, donation, donorRef string) error) error {
	return walk(ctx, r.s.col(colReceipts), after, bson.D{{Key: "donorRef", Value: bson.D{{Key: "$gt", Value: ""}}}},
		func(d *donorRefDoc) string { return d.Key }, func(d *donorRefDoc) error { return fn(d.Key, d.Donation, d.DonorRef) })
}

// ReplaceDonorRef re-keys a receipt's donor reference, if it still is old.
// The new reference's statement mark (colDonorYears) is inserted first, as
// at issue, so a public statement request still finds the donor once the
// old key has left the ring.
func (r *Reseal) ReplaceDonorRef(ctx context.Context, key, old, ref string) (bool, error) {
	var rc struct {
		FY string `bson:"fy"`
	}
	found, err := findByID(ctx, r.s.col(colReceipts), key, &rc)
	if err != nil {
		return false, err
	}
	if found && rc.FY != "" {
		if _, err := insertUnordered(ctx, r.s.col(colDonorYears), []any{donorYear{ID: donorYearID(ref, rc.FY)}}); err != nil {
			return false, fmt.Errorf("mark statement donor: %w", err)
		}
	}
	return r.swap(ctx, colReceipts, bson.D{{Key: "_id", Value: key}, {Key: "donorRef", Value: old}},
		bson.D{{Key: "donorRef", Value: ref}})
}

// DonorPhone returns the normalised mobile number a donation was made with (the donor is fixed at
// creation, so version 1 has it).
func (r *Reseal) DonorPhone(ctx context.Context, donation string) (string, error) {
	var doc donationVersion
	found, err := findByID(ctx, r.s.col(colDonations), versionID(donation, 1), &doc)
	if err != nil {
		return "", err
	}
	if !found {
		return "", fmt.Errorf("donation %s: %w", donation, errNotFound)
	}
	return doc.Donation.Donor.Phone, nil
}

var errNotFound = errors.New("not found")

func (r *Reseal) swap(ctx context.Context, col string, filter, set bson.D) (bool, error) {
	ctx = context.WithoutCancel(ctx) // as insertOne: a write once sent is let finish
	res, err := retry(ctx, func() (*mongo.UpdateResult, error) {
		return r.s.col(col).UpdateOne(ctx, filter, bson.D{{Key: "$set", Value: set}})
	})
	if err != nil {
		return false, fmt.Errorf("reseal %s: %w", col, err)
	}
	return res.ModifiedCount == 1, nil
}

type resealProgressDoc struct {
	ID    string `bson:"_id"` // "<target key ID>/<step>"
	After string `bson:"after"`
}

// Progress returns where the reseal to key keyID stopped in step ("" to start).
func (r *Reseal) Progress(ctx context.Context, keyID, step string) (string, error) {
	var doc resealProgressDoc
	found, err := findByID(ctx, r.s.col(colResealProgress), keyID+"/"+step, &doc)
	if err != nil || !found {
		return "", err
	}
	return doc.After, nil
}

// SaveProgress records that the reseal to key keyID is done in step up to after. Only the one running
// reseal writes it.
func (r *Reseal) SaveProgress(ctx context.Context, keyID, step, after string) error {
	id := keyID + "/" + step
	_, err := r.s.col(colResealProgress).ReplaceOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: id}},
		resealProgressDoc{ID: id, After: after}, options.Replace().SetUpsert(true))
	if err != nil {
		return fmt.Errorf("save reseal progress: %w", err)
	}
	return nil
}
