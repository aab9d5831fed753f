package mongostore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// Receipts stores receipts keyed by serial ("<unit>/<fy>/<seq>"), with a
// unique index on the donation: one insert claims the serial and the
// donation at once. Because serials are gapless, "does serial n exist" is
// monotone in n, so the last serial is found by galloping over exact _id
// lookups instead of scanning.
type Receipts struct {
	s *Store

	mu   sync.Mutex
	hint map[string]int64 // last serial seen per unit/fy
}

// Receipts returns the receipt repository.
func (s *Store) Receipts() *Receipts { return &Receipts{s: s, hint: map[string]int64{}} }

type receiptDoc struct {
	Key              string `bson:"_id"`
	Donation         string `bson:"donation"`
	receipts.Receipt `bson:",inline"`
}

type receiptIndex struct {
	Donation string `bson:"_id"`
	Key      string `bson:"key"`
}

func receiptKey(unit, fy string, seq int64) string { return fmt.Sprintf("%s/%s/%09d", unit, fy, seq) }

// Get implements receipts.Repository; id is the donation ID.
func (r *Receipts) Get(ctx context.Context, id string) (*receipts.Receipt, error) {
	var ix receiptIndex
	found, err := findByID(ctx, r.s.col(colReceiptIndex), id, &ix)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, receipts.ErrNotFound
	}
	return r.byKey(ctx, ix.Key)
}

func (r *Receipts) byKey(ctx context.Context, key string) (*receipts.Receipt, error) {
	var doc receiptDoc
	found, err := findByID(ctx, r.s.col(colReceipts), key, &doc)
	if err != nil {
		return nil, err
	}
	if !found {
		return nil, receipts.ErrNotFound
	}
	doc.Receipt.ID = doc.Donation
	return &doc.Receipt, nil
}

func (r *Receipts) exists(ctx context.Context, unit, fy string, seq int64) (bool, error) {
	var doc struct {
		ID string `bson:"_id"`
	}
	return findByID(ctx, r.s.col(colReceipts), receiptKey(unit, fy, seq), &doc)
}

// LastSeq implements receipts.Repository.
func (r *Receipts) LastSeq(ctx context.Context, unit, fy string) (int64, error) {
	hk := unit + "/" + fy
	r.mu.Lock()
	lo := r.hint[hk] // believed to exist (0 always "exists")
	r.mu.Unlock()
	if lo > 0 {
		ok, err := r.exists(ctx, unit, fy, lo)
		if err != nil {
			return 0, err
		}
		if !ok {
			lo = 0 // the hint is from another database; start over
		}
	}
	// Gallop up to a serial that does not exist, then bisect.
	step := int64(1)
	hi := lo + step
	for {
		ok, err := r.exists(ctx, unit, fy, hi)
		if err != nil {
			return 0, err
		}
		if !ok {
			break
		}
		lo, step = hi, step*2
		hi = lo + step
	}
	for hi-lo > 1 {
		mid := lo + (hi-lo)/2
		ok, err := r.exists(ctx, unit, fy, mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	r.mu.Lock()
	if lo > r.hint[hk] {
		r.hint[hk] = lo
	}
	r.mu.Unlock()
	return lo, nil
}

// Insert implements receipts.Repository.
func (r *Receipts) Insert(ctx context.Context, rc *receipts.Receipt) error {
	key := receiptKey(rc.Unit, rc.FiscalYear, rc.Seq)
	err := insertOne(ctx, r.s.col(colReceipts), receiptDoc{Key: key, Donation: rc.ID, Receipt: *rc})
	if err == nil {
		return r.index(ctx, rc.ID, key)
	}
	if !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("insert receipt %s: %w", key, err)
	}
	var holder receiptDoc
	found, ferr := findByID(ctx, r.s.col(colReceipts), key, &holder)
	if ferr != nil {
		return ferr
	}
	switch {
	case found && holder.Donation == rc.ID:
		return errors.Join(receipts.ErrExists, r.index(ctx, rc.ID, key))
	case found:
		return receipts.ErrSerialTaken
	}
	// The serial is free, so the donation index refused us: this donation
	// was receipted by a writer that died before writing its index entry.
	if err := r.repairIndex(ctx, rc.ID); err != nil {
		return err
	}
	return receipts.ErrExists
}

func (r *Receipts) index(ctx context.Context, donation, key string) error {
	err := insertOne(ctx, r.s.col(colReceiptIndex), receiptIndex{Donation: donation, Key: key})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("index receipt of %s: %w", donation, err)
	}
	return nil
}

func (r *Receipts) repairIndex(ctx context.Context, donation string) error {
	var doc receiptDoc
	if err := r.s.col(colReceipts).FindOne(ctx, bson.D{{Key: "donation", Value: donation}}).Decode(&doc); err != nil {
		return fmt.Errorf("find receipt of %s: %w", donation, err)
	}
	return r.index(ctx, donation, doc.Key)
}
