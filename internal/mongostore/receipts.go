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
	Key      string        `bson:"_id"`
	Donation string        `bson:"donation"`
	Receipt  receiptFields `bson:",inline"`
}

type receiptIndex struct {
	Donation string `bson:"_id"`
	Key      string `bson:"key"`
}

func newReceiptDoc(rc *receipts.Receipt) receiptDoc {
	return receiptDoc{Key: receiptKey(rc.Unit, rc.FiscalYear, rc.Seq), Donation: rc.ID, Receipt: receiptFields(*rc)}
}

// receipt is the stored receipt, its ID the donation's.
func (d *receiptDoc) receipt() receipts.Receipt {
	rc := receipts.Receipt(d.Receipt)
	rc.ID = d.Donation
	return rc
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
	rc := doc.receipt()
	return &rc, nil
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
	if err := r.markDonors(ctx, *rc); err != nil {
		return err
	}
	key := receiptKey(rc.Unit, rc.FiscalYear, rc.Seq)
	err := insertOne(ctx, r.s.col(colReceipts), newReceiptDoc(rc))
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

// IssueMany issues receipts for rs, which share a unit and fiscal year, in
// order, with consecutive serials written by ordered inserts of up to
// MaxInsertBatch: the batch form of receipts.IssueWith. finish runs on each
// receipt once its serial is chosen (signing) and again if the serial has to
// change. A duplicate key at receipt k (every receipt before it is stored,
// none after it) is resolved by reading serial k: held by k's donation means
// a racing replica issued it; held by another donation means the serial was
// taken, so the rest is re-numbered from the new last serial; free means the
// unique donation index refused it, so k's donation was receipted before.
// Serials stay gapless because only last+1.. are ever written, in order.
// The result holds, per receipt, the stored receipt when this call issued
// it, or nil when its donation already had one.
func (r *Receipts) IssueMany(ctx context.Context, rs []receipts.Receipt, prefix string, finish func(*receipts.Receipt) error) ([]*receipts.Receipt, error) {
	out := make([]*receipts.Receipt, len(rs))
	if len(rs) == 0 {
		return out, nil
	}
	unit, fy := rs[0].Unit, rs[0].FiscalYear
	for _, rc := range rs {
		if rc.Unit != unit || rc.FiscalYear != fy {
			return out, fmt.Errorf("issue receipts: %s/%s and %s/%s in one batch", unit, fy, rc.Unit, rc.FiscalYear)
		}
	}
	if err := r.markDonors(ctx, rs...); err != nil {
		return out, err
	}
	pending := make([]int, len(rs))
	for i := range pending {
		pending[i] = i
	}
	var issued []receiptIndex
	sifted := false
	for attempt := 0; len(pending) > 0; attempt++ {
		if attempt >= 1000 {
			return out, fmt.Errorf("issue receipts of %s/%s: serial contention after %d attempts", unit, fy, attempt)
		}
		if err := ctx.Err(); err != nil {
			return out, err
		}
		last, err := r.LastSeq(ctx, unit, fy)
		if err != nil {
			return out, err
		}
		chunk, rest := pending, []int(nil)
		if len(chunk) > MaxInsertBatch {
			chunk, rest = pending[:MaxInsertBatch], pending[MaxInsertBatch:]
		}
		docs := make([]any, len(chunk))
		recs := make([]receipts.Receipt, len(chunk))
		for j, i := range chunk {
			rc := rs[i]
			rc.Seq = last + 1 + int64(j)
			rc.Serial = receipts.Serial(prefix, fy, rc.Seq)
			if finish != nil {
				if err := finish(&rc); err != nil {
					return out, err
				}
			}
			recs[j] = rc
			docs[j] = newReceiptDoc(&rc)
		}
		k, err := insertOrdered(ctx, r.s.col(colReceipts), docs)
		if k < 0 {
			return out, fmt.Errorf("issue receipts of %s/%s: %w", unit, fy, err)
		}
		for j := 0; j < k; j++ {
			out[chunk[j]] = &recs[j]
			issued = append(issued, receiptIndex{Donation: recs[j].ID, Key: docs[j].(receiptDoc).Key})
		}
		if k > 0 {
			r.noteLast(unit, fy, recs[k-1].Seq)
		}
		if err == nil {
			pending = rest
			continue
		}
		key := docs[k].(receiptDoc).Key
		var holder receiptDoc
		found, err := findByID(ctx, r.s.col(colReceipts), key, &holder)
		if err != nil {
			return out, err
		}
		next := chunk[k:]
		switch {
		case found && holder.Donation == recs[k].ID:
			// A racing replica issued this very receipt: keep its index.
			r.noteLast(unit, fy, recs[k].Seq)
			issued = append(issued, receiptIndex{Donation: holder.Donation, Key: key})
			next = chunk[k+1:]
		case found:
			r.noteLast(unit, fy, recs[k].Seq) // taken: re-number from there
		default:
			// Receipted before (perhaps by a writer that died before its
			// index entry): make sure the index points at it.
			if err := r.ensureIndex(ctx, recs[k].ID); err != nil {
				return out, err
			}
			next = chunk[k+1:]
			if !sifted {
				// A redelivered batch: most of the rest is likely receipted
				// too. Found one refused insert at a time, a batch of 400
				// took longer than a worker lived under chaos, so it was
				// redelivered for ever; one look-up each, side by side.
				sifted = true
				left := append(append([]int(nil), next...), rest...)
				done, err := r.receipted(ctx, rs, left)
				if err != nil {
					return out, err
				}
				next, rest = nil, without(left, func(i int) bool { return done[rs[i].ID] })
			}
		}
		pending = append(append([]int(nil), next...), rest...)
	}
	docs := make([]any, len(issued))
	for i, ix := range issued {
		docs[i] = ix
	}
	// Index entries are keyed by donation: a repeat (racer, redelivery)
	// collides harmlessly.
	if _, err := insertUnordered(ctx, r.s.col(colReceiptIndex), docs); err != nil {
		return out, fmt.Errorf("index receipts of %s/%s: %w", unit, fy, err)
	}
	return out, nil
}

// receipted reports which of rs[idx]'s donations already have an index
// entry (and so a receipt), reading the entries several at a time.
func (r *Receipts) receipted(ctx context.Context, rs []receipts.Receipt, idx []int) (map[string]bool, error) {
	found := make([]bool, len(idx))
	err := eachParallel(ctx, len(idx), func(ctx context.Context, j int) error {
		var ix receiptIndex
		ok, err := findByID(ctx, r.s.col(colReceiptIndex), rs[idx[j]].ID, &ix)
		found[j] = ok
		return err
	})
	if err != nil {
		return nil, err
	}
	done := map[string]bool{}
	for j, i := range idx {
		if found[j] {
			done[rs[i].ID] = true
		}
	}
	return done, nil
}

func (r *Receipts) noteLast(unit, fy string, seq int64) {
	hk := unit + "/" + fy
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq > r.hint[hk] {
		r.hint[hk] = seq
	}
}

// ensureIndex makes sure donation's receipt is indexed (a look-up first: the
// repair scans the receipts).
func (r *Receipts) ensureIndex(ctx context.Context, donation string) error {
	var ix receiptIndex
	found, err := findByID(ctx, r.s.col(colReceiptIndex), donation, &ix)
	if err != nil || found {
		return err
	}
	return r.repairIndex(ctx, donation)
}
