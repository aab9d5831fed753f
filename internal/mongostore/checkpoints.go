package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/ledger"
)

// colCheckpoints holds each unit's ledger checkpoints (ADR 0012): the tally
// of entries 1..n at every n that is a multiple of ledger.CheckpointEvery,
// _id "<unit>/<n>" like the entries. A checkpoint is a function of immutable
// entries, so whoever writes it writes the same document: it is inserted
// once, guarded by its _id, and a duplicate means it is there already.
const colCheckpoints = "ledger_checkpoints"

type checkpointDoc struct {
	Key        string           `bson:"_id"`
	Checkpoint checkpointFields `bson:",inline"`
}

func newCheckpointDoc(c ledger.Checkpoint) checkpointDoc {
	return checkpointDoc{Key: ledgerKey(c.Unit, c.Seq), Checkpoint: toCheckpointFields(&c)}
}

func (r *Ledger) checkpoint(ctx context.Context, unit string, seq int64) (*ledger.Tally, error) {
	var d checkpointDoc
	found, err := findByID(ctx, r.s.col(colCheckpoints), ledgerKey(unit, seq), &d)
	if err != nil || !found {
		return nil, err
	}
	c := d.Checkpoint.checkpoint()
	if c.Unit != unit || c.Seq != seq {
		return nil, fmt.Errorf("ledger checkpoint %s names %s/%d: %w", d.Key, c.Unit, c.Seq, errBadCheckpoint)
	}
	t, err := c.Tally()
	if err != nil {
		return nil, fmt.Errorf("ledger checkpoint %s: %w: %w", d.Key, errBadCheckpoint, err)
	}
	return t, nil
}

// errBadCheckpoint marks a stored checkpoint no writer would store (altered
// or corrupt): readers fail on it, RebuildCheckpoints replaces it.
var errBadCheckpoint = errors.New("not a checkpoint of this ledger")

// putCheckpoint stores t as its unit's checkpoint; one stored already is
// the same fold (verify proves it), so a duplicate is success.
func (r *Ledger) putCheckpoint(ctx context.Context, t *ledger.Tally) error {
	err := insertOne(ctx, r.s.col(colCheckpoints), newCheckpointDoc(t.Checkpoint()))
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("store ledger checkpoint %s/%d: %w", t.Unit, t.Seq, err)
	}
	return nil
}

// Tally returns the fold of the unit's whole ledger: the last checkpoint
// (or this process's own last fold) plus the entries after it, at most
// ledger.CheckpointEvery-1 exact reads, whatever the history. The result is
// shared: callers must not change it.
func (r *Ledger) Tally(ctx context.Context, unit string) (*ledger.Tally, error) {
	head, err := r.last(ctx, unit)
	if err != nil {
		return nil, err
	}
	if head == nil {
		return ledger.NewTally(unit), nil
	}
	return r.tallyAt(ctx, unit, head.Seq, []*ledger.Transaction{head})
}

// tallyAt folds the unit's entries up to seq, starting from the nearest
// fold it knows: this process's last one or the latest stored checkpoint.
// known are consecutive entries the caller holds (read no more). Every
// checkpoint boundary it passes is stored, so a unit whose appender could
// not write one (a crash, a store error) gets it from its next reader.
func (r *Ledger) tallyAt(ctx context.Context, unit string, seq int64, known []*ledger.Transaction) (*ledger.Tally, error) {
	r.mu.Lock()
	memo := r.tallies[unit]
	r.mu.Unlock()
	if memo != nil && memo.Seq == seq {
		return memo, nil
	}
	var base *ledger.Tally
	if memo != nil && memo.Seq < seq {
		base = memo
	}
	// A stored checkpoint nearer than the memo: walk down from the last
	// boundary. Missing ones are rare (written by the appender, or else by
	// the fold below), so the walk is short except once on a ledger from
	// before checkpoints existed, which the fold then checkpoints.
	floor := int64(0)
	if base != nil {
		floor = base.Seq
	}
	for c := seq / ledger.CheckpointEvery * ledger.CheckpointEvery; c > floor; c -= ledger.CheckpointEvery {
		t, err := r.checkpoint(ctx, unit, c)
		if err != nil {
			return nil, err
		}
		if t != nil {
			base = t
			break
		}
	}
	if base == nil {
		base = ledger.NewTally(unit)
	}
	out, err := r.fold(ctx, base, seq, known, true)
	if err != nil {
		return nil, err
	}
	r.mu.Lock()
	if cur := r.tallies[unit]; cur == nil || cur.Seq < out.Seq {
		r.tallies[unit] = out
	}
	r.mu.Unlock()
	return out, nil
}

// fold returns base with the unit's entries base.Seq+1..seq added (base is
// not changed), reading them by _id a block at a time, and stores the
// checkpoint of each boundary it passes when store is set.
func (r *Ledger) fold(ctx context.Context, base *ledger.Tally, seq int64, known []*ledger.Transaction, store bool) (*ledger.Tally, error) {
	t := base.Clone()
	have := map[int64]*ledger.Transaction{}
	for _, k := range known {
		have[k.Seq] = k
	}
	for t.Seq < seq {
		from := t.Seq + 1
		// Up to the next boundary (or seq), so each block ends where a
		// checkpoint may be due.
		to := min(seq, (from+ledger.CheckpointEvery-1)/ledger.CheckpointEvery*ledger.CheckpointEvery)
		block := make([]*ledger.Transaction, to-from+1)
		err := eachParallel(ctx, len(block), func(ctx context.Context, i int) error {
			if k := have[from+int64(i)]; k != nil {
				block[i] = k
				return nil
			}
			e, err := r.entry(ctx, t.Unit, from+int64(i))
			if err == nil && e == nil {
				err = fmt.Errorf("ledger of %s has no entry %d below %d", t.Unit, from+int64(i), seq)
			}
			block[i] = e
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, e := range block {
			if err := t.Add(e); err != nil {
				return nil, err
			}
		}
		if store && t.Seq%ledger.CheckpointEvery == 0 {
			if err := r.putCheckpoint(ctx, t); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// appended keeps this process's fold current with entries it just appended
// (consecutive, in order) and stores the checkpoint of any boundary they
// reach. It is called after the entries are stored: a failure here loses no
// money and no figure (the next reader folds from the previous checkpoint
// and stores the missing one), so the caller logs nothing and goes on.
func (r *Ledger) appended(ctx context.Context, unit string, txs []*ledger.Transaction) error {
	if len(txs) == 0 {
		return nil
	}
	first, last := txs[0].Seq, txs[len(txs)-1].Seq
	r.mu.Lock()
	memo := r.tallies[unit]
	r.mu.Unlock()
	crosses := (last/ledger.CheckpointEvery)*ledger.CheckpointEvery >= first
	if memo != nil && memo.Seq == first-1 {
		// The common case with one writer per unit: no reads at all.
		t, err := r.fold(ctx, memo, last, txs, crosses)
		if err != nil {
			return err
		}
		r.mu.Lock()
		if cur := r.tallies[unit]; cur == nil || cur.Seq < t.Seq {
			r.tallies[unit] = t
		}
		r.mu.Unlock()
		return nil
	}
	if !crosses {
		return nil
	}
	_, err := r.tallyAt(ctx, unit, last, txs)
	return err
}

// Fold is the reference fold of a unit's public figures: every entry of its
// history read and summed line by line (ledger.Summarise), as public figures
// were computed before checkpoints. Tests and benchmarks compare with it.
func (r *Ledger) Fold(ctx context.Context, unit string) (*ledger.Summary, error) {
	cur, err := r.s.col(colLedger).Find(ctx, bson.D{{Key: "unit", Value: unit}}, options.Find().SetProjection(bson.D{{Key: "balances", Value: 0}}))
	if err != nil {
		return nil, fmt.Errorf("read ledger: %w", err)
	}
	defer cur.Close(ctx)
	out := ledger.NewSummary()
	for cur.Next(ctx) {
		var d transactionDoc
		if err := cur.Decode(&d); err != nil {
			return nil, fmt.Errorf("decode ledger entry: %w", err)
		}
		t := d.transaction()
		out.Add(&t)
	}
	return out, cur.Err()
}

// LedgerUnits lists every unit with a ledger (a scan: commands only).
func (r *Ledger) LedgerUnits(ctx context.Context) ([]string, error) {
	cur, err := r.s.col(colLedger).Find(ctx, bson.D{{Key: "seq", Value: 1}}, options.Find().SetProjection(bson.D{{Key: "unit", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list ledger units: %w", err)
	}
	var docs []struct {
		Unit string `bson:"unit"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list ledger units: %w", err)
	}
	out := make([]string, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.Unit)
	}
	return out, nil
}

// RebuildResult says what RebuildCheckpoints did to one unit.
type RebuildResult struct {
	Unit string
	// Entries folded; checkpoints Checked (kept as they were), Written
	// (missing) and Replaced (they differed from the fold of the entries).
	Entries, Checked, Written, Replaced int
}

// RebuildCheckpoints folds the unit's whole ledger from entry 1 and makes
// every checkpoint equal to that fold: missing ones are written, wrong ones
// (a tampered or corrupted document: no writer stores a different fold) are
// replaced. It reads every entry, so it is a command (kalyan-worker
// rebuild-aggregates), never a request path; readers meanwhile fall back to
// an earlier checkpoint while one is replaced.
func (r *Ledger) RebuildCheckpoints(ctx context.Context, unit string) (RebuildResult, error) {
	res := RebuildResult{Unit: unit}
	r.forgetTally(unit)
	head, err := r.last(ctx, unit)
	if err != nil || head == nil {
		return res, err
	}
	t := ledger.NewTally(unit)
	for t.Seq < head.Seq {
		next := min(head.Seq, (t.Seq/ledger.CheckpointEvery+1)*ledger.CheckpointEvery)
		if t, err = r.fold(ctx, t, next, nil, false); err != nil {
			return res, err
		}
		res.Entries = int(t.Seq)
		if t.Seq%ledger.CheckpointEvery != 0 {
			break
		}
		stored, err := r.checkpoint(ctx, unit, t.Seq)
		bad := errors.Is(err, errBadCheckpoint)
		if err != nil && !bad {
			return res, err
		}
		switch {
		case stored == nil && !bad:
			res.Written++
		case stored != nil && stored.Equal(t):
			res.Checked++
			continue
		default:
			res.Replaced++
			if _, err := r.s.col(colCheckpoints).DeleteOne(ctx, bson.D{{Key: "_id", Value: ledgerKey(unit, t.Seq)}}); err != nil {
				return res, fmt.Errorf("replace ledger checkpoint %s/%d: %w", unit, t.Seq, err)
			}
		}
		if err := r.putCheckpoint(ctx, t); err != nil {
			return res, err
		}
	}
	return res, nil
}

func (r *Ledger) forgetTally(unit string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	delete(r.tallies, unit)
}
