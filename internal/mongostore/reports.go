package mongostore

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

// Report aggregates (docs/adr/0016-report-aggregates.md): each unit's
// report facts are a sequence like its ledger — fact n has _id "unit/n" and
// a unique source — with the fold of facts 1..n stored at every multiple of
// reports.CheckpointEvery, insert-only. Patient markers record, per scope
// and period, which event first helped a patient (first insert wins).
const (
	colReportFacts       = "report_facts"
	colReportCheckpoints = "report_checkpoints"
	colReportPatients    = "report_patients"
	// colReportHeads holds one advisory head per unit (_id the unit): the
	// fold of its facts 1..seq as a writer last saw it, so a cold read
	// starts there instead of searching for the last fact and folding the
	// tail. Readers always read forward from it until a fact is missing, so
	// a stale head (a lost update under FerretDB, a crashed writer) costs
	// reads, never figures.
	colReportHeads = "report_heads"
)

// ReportFacts is the report aggregates' store.
type ReportFacts struct {
	s *Store

	mu sync.Mutex
	// last is the last fact number seen per unit (facts are immutable, so
	// only later ones can exist); tallies this process's last fold.
	last    map[string]int64
	tallies map[string]*reports.Tally
}

// ReportFacts returns the report aggregates' repository.
func (s *Store) ReportFacts() *ReportFacts {
	return &ReportFacts{s: s, last: map[string]int64{}, tallies: map[string]*reports.Tally{}}
}

func (s *Store) ensureReportIndexes(ctx context.Context) error {
	_, err := s.col(colReportFacts).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys: bson.D{{Key: "source", Value: 1}}, Options: options.Index().SetUnique(true).SetName("source_unique"),
	})
	if err != nil {
		return fmt.Errorf("create report fact index: %w", err)
	}
	return nil
}

type factDoc struct {
	Key          string `bson:"_id"`
	reports.Fact `bson:",inline"`
}

type reportCheckpointDoc struct {
	Key                string `bson:"_id"`
	reports.Checkpoint `bson:",inline"`
}

type reportHeadDoc struct {
	Key                string `bson:"_id"`
	reports.Checkpoint `bson:",inline"`
}

// putHead records t as its unit's head unless a later one is stored. The
// condition is best effort (FerretDB may lose it to a racing writer): a
// head that goes back only makes its readers read forward further.
func (r *ReportFacts) putHead(ctx context.Context, t *reports.Tally) error {
	ctx = context.WithoutCancel(ctx)
	filter := bson.D{{Key: "_id", Value: t.Unit}, {Key: "seq", Value: bson.D{{Key: "$lt", Value: t.Seq}}}}
	_, err := r.s.col(colReportHeads).ReplaceOne(ctx, filter, reportHeadDoc{Key: t.Unit, Checkpoint: t.Checkpoint()}, options.Replace().SetUpsert(true))
	if err != nil && !mongo.IsDuplicateKeyError(err) { // duplicate: a later head is there
		return fmt.Errorf("store report head %s/%d: %w", t.Unit, t.Seq, err)
	}
	return nil
}

// headsBatch bounds the ids of one $in read of heads.
const headsBatch = 1000

// heads reads the stored heads of units, a few $in queries for all (on
// FerretDB a scan of the small heads collection, one document per unit;
// on MongoDB an _id index range each). A head that does not decode is
// left out: it is only a hint.
func (r *ReportFacts) heads(ctx context.Context, units []string) (map[string]*reports.Tally, error) {
	out := make(map[string]*reports.Tally, len(units))
	for chunk := range slices.Chunk(units, headsBatch) {
		cur, err := r.s.col(colReportHeads).Find(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$in", Value: chunk}}}})
		if err != nil {
			return nil, fmt.Errorf("read report heads: %w", err)
		}
		var docs []reportHeadDoc
		if err := cur.All(ctx, &docs); err != nil {
			return nil, fmt.Errorf("read report heads: %w", err)
		}
		for _, d := range docs {
			if d.Key != d.Unit || d.Seq <= 0 {
				continue
			}
			if t, err := d.Tally(); err == nil {
				out[d.Unit] = t
			}
		}
	}
	return out, nil
}

// Tallies returns the folds of units' facts (shared: read only), like
// Tally for each, but a unit this process has not read yet starts from its
// stored head, all heads read at once: a cold national report costs about
// one fact read a unit (the one after its head) instead of a search for the
// last fact, a checkpoint and up to 99 facts. A unit whose head was
// missing or behind gets it rewritten, so the next cold reader is quick.
func (r *ReportFacts) Tallies(ctx context.Context, units []string) ([]*reports.Tally, error) {
	var cold []string
	r.mu.Lock()
	for _, u := range units {
		if r.tallies[u] == nil {
			cold = append(cold, u)
		}
	}
	r.mu.Unlock()
	stale := make(map[string]int64, len(cold)) // the head each cold unit started from
	for _, u := range cold {
		stale[u] = 0
	}
	if len(cold) > 0 {
		hinted, err := r.heads(ctx, cold)
		if err != nil {
			return nil, err
		}
		for u, h := range hinted {
			r.keep(h)
			r.seen(u, h.Seq)
			stale[u] = h.Seq
		}
	}
	out := make([]*reports.Tally, len(units))
	err := eachParallel(ctx, len(units), func(ctx context.Context, i int) error {
		t, err := r.Tally(ctx, units[i])
		if err != nil {
			return err
		}
		out[i] = t
		if from, ok := stale[units[i]]; ok && from < t.Seq {
			return r.putHead(ctx, t)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func (r *ReportFacts) fact(ctx context.Context, unit string, seq int64) (*reports.Fact, error) {
	var d factDoc
	found, err := findByID(ctx, r.s.col(colReportFacts), ledgerKey(unit, seq), &d)
	if err != nil || !found {
		return nil, err
	}
	return &d.Fact, nil
}

// head returns the number of the unit's last fact (0: none), galloping up
// from the last one this process saw.
func (r *ReportFacts) head(ctx context.Context, unit string) (int64, error) {
	r.mu.Lock()
	lo := r.last[unit]
	r.mu.Unlock()
	n, err := gallop(lo, func(seq int64) (bool, error) {
		f, err := r.fact(ctx, unit, seq)
		return f != nil, err
	})
	if err != nil {
		return 0, err
	}
	r.seen(unit, n)
	return n, nil
}

func (r *ReportFacts) seen(unit string, seq int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if seq > r.last[unit] {
		r.last[unit] = seq
	}
}

// gallop finds the last n ≥ lo for which exists(n) holds, given that it
// holds for lo (or lo is 0) and for every number below a present one.
func gallop(lo int64, exists func(int64) (bool, error)) (int64, error) {
	step := int64(1)
	hi := lo + step
	for {
		ok, err := exists(hi)
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
		ok, err := exists(mid)
		if err != nil {
			return 0, err
		}
		if ok {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, nil
}

// Append stores f as its unit's next fact; a fact whose source was stored
// before is a no-op (applied=false).
func (r *ReportFacts) Append(ctx context.Context, f *reports.Fact) (bool, error) {
	if err := f.Validate(); err != nil {
		return false, err
	}
	for attempt := 0; attempt < 1000; attempt++ {
		last, err := r.head(ctx, f.Unit)
		if err != nil {
			return false, err
		}
		f.Seq = last + 1
		err = insertOne(ctx, r.s.col(colReportFacts), factDoc{Key: ledgerKey(f.Unit, f.Seq), Fact: *f})
		if err == nil {
			r.seen(f.Unit, f.Seq)
			// Stored: a checkpoint this misses is written by the next reader.
			_ = r.appended(ctx, f)
			return true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return false, fmt.Errorf("append report fact %s: %w", f.Source, err)
		}
		holder, err := r.fact(ctx, f.Unit, f.Seq)
		if err != nil {
			return false, err
		}
		if holder == nil || holder.Source == f.Source {
			// The number is free (or ours): the source collided.
			return false, nil
		}
		r.seen(f.Unit, holder.Seq)
		if err := ctx.Err(); err != nil {
			return false, err
		}
	}
	return false, errors.New("report fact append: too much contention")
}

// appended folds a fact this process just stored into its last fold (no
// reads when it holds the one before) and stores a checkpoint on a boundary.
func (r *ReportFacts) appended(ctx context.Context, f *reports.Fact) error {
	r.mu.Lock()
	memo := r.tallies[f.Unit]
	r.mu.Unlock()
	if memo != nil && memo.Seq == f.Seq-1 {
		t := memo.Clone()
		if err := t.Add(f); err != nil {
			return err
		}
		r.keep(t)
		if t.Seq%reports.CheckpointEvery == 0 {
			if err := r.putCheckpoint(ctx, t); err != nil {
				return err
			}
		}
		return r.putHead(ctx, t)
	}
	if f.Seq%reports.CheckpointEvery != 0 {
		// Without a fold to hand the head waits for the next boundary
		// (or a reader), rather than a read on every append.
		return nil
	}
	t, err := r.tallyAt(ctx, f.Unit, f.Seq)
	if err != nil {
		return err
	}
	return r.putHead(ctx, t)
}

func (r *ReportFacts) keep(t *reports.Tally) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if cur := r.tallies[t.Unit]; cur == nil || cur.Seq < t.Seq {
		r.tallies[t.Unit] = t
	}
}

func (r *ReportFacts) putCheckpoint(ctx context.Context, t *reports.Tally) error {
	err := insertOne(ctx, r.s.col(colReportCheckpoints), reportCheckpointDoc{Key: ledgerKey(t.Unit, t.Seq), Checkpoint: t.Checkpoint()})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("store report checkpoint %s/%d: %w", t.Unit, t.Seq, err)
	}
	return nil
}

var errBadReportCheckpoint = errors.New("not a checkpoint of these report facts")

func (r *ReportFacts) checkpoint(ctx context.Context, unit string, seq int64) (*reports.Tally, error) {
	var d reportCheckpointDoc
	found, err := findByID(ctx, r.s.col(colReportCheckpoints), ledgerKey(unit, seq), &d)
	if err != nil || !found {
		return nil, err
	}
	if d.Unit != unit || d.Seq != seq {
		return nil, fmt.Errorf("report checkpoint %s: %w", d.Key, errBadReportCheckpoint)
	}
	t, err := d.Tally()
	if err != nil {
		return nil, fmt.Errorf("%w: %w", errBadReportCheckpoint, err)
	}
	return t, nil
}

// Tally returns the fold of the unit's facts: the last checkpoint (or this
// process's own last fold) plus at most CheckpointEvery-1 facts after it.
// The result is shared: callers must not change it.
func (r *ReportFacts) Tally(ctx context.Context, unit string) (*reports.Tally, error) {
	seq, err := r.head(ctx, unit)
	if err != nil {
		return nil, err
	}
	return r.tallyAt(ctx, unit, seq)
}

func (r *ReportFacts) tallyAt(ctx context.Context, unit string, seq int64) (*reports.Tally, error) {
	r.mu.Lock()
	memo := r.tallies[unit]
	r.mu.Unlock()
	if memo != nil && memo.Seq == seq {
		return memo, nil
	}
	var base *reports.Tally
	if memo != nil && memo.Seq < seq {
		base = memo
	}
	floor := int64(0)
	if base != nil {
		floor = base.Seq
	}
	for c := seq / reports.CheckpointEvery * reports.CheckpointEvery; c > floor; c -= reports.CheckpointEvery {
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
		base = reports.NewTally(unit)
	}
	out, err := r.fold(ctx, base, seq, true)
	if err != nil {
		return nil, err
	}
	r.keep(out)
	return out, nil
}

// fold returns base with facts base.Seq+1..seq added, read by _id a block
// at a time, storing each boundary's checkpoint when store is set.
func (r *ReportFacts) fold(ctx context.Context, base *reports.Tally, seq int64, store bool) (*reports.Tally, error) {
	t := base.Clone()
	for t.Seq < seq {
		from := t.Seq + 1
		to := min(seq, (from+reports.CheckpointEvery-1)/reports.CheckpointEvery*reports.CheckpointEvery)
		block := make([]*reports.Fact, to-from+1)
		err := eachParallel(ctx, len(block), func(ctx context.Context, i int) error {
			f, err := r.fact(ctx, t.Unit, from+int64(i))
			if err == nil && f == nil {
				err = fmt.Errorf("report facts of %s have no fact %d below %d", t.Unit, from+int64(i), seq)
			}
			block[i] = f
			return err
		})
		if err != nil {
			return nil, err
		}
		for _, f := range block {
			if err := t.Add(f); err != nil {
				return nil, err
			}
		}
		if store && t.Seq%reports.CheckpointEvery == 0 {
			if err := r.putCheckpoint(ctx, t); err != nil {
				return nil, err
			}
		}
	}
	return t, nil
}

// Mark claims each marker for source and reports, per marker, whether source
// holds it: the patient's first help in that scope and period. A marker held
// by source already (a redelivered event) answers true again, so a fact is
// built the same way however often its event comes.
func (r *ReportFacts) Mark(ctx context.Context, markers []string, source string, at time.Time) ([]bool, error) {
	out := make([]bool, len(markers))
	type markerDoc struct {
		Key    string    `bson:"_id"`
		Source string    `bson:"source"`
		At     time.Time `bson:"at"`
	}
	docs := make([]any, len(markers))
	for i, m := range markers {
		docs[i] = markerDoc{Key: m, Source: source, At: at.UTC()}
	}
	_, err := retry(context.WithoutCancel(ctx), func() (*mongo.InsertManyResult, error) {
		return r.s.col(colReportPatients).InsertMany(context.WithoutCancel(ctx), docs, options.InsertMany().SetOrdered(false))
	})
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return nil, fmt.Errorf("mark patients: %w", err)
	}
	return out, eachParallel(ctx, len(markers), func(ctx context.Context, i int) error {
		var d markerDoc
		found, err := findByID(ctx, r.s.col(colReportPatients), markers[i], &d)
		out[i] = found && d.Source == source
		return err
	})
}

// ReportUnits lists every unit with report facts (a scan: commands only).
func (r *ReportFacts) ReportUnits(ctx context.Context) ([]string, error) {
	cur, err := r.s.col(colReportFacts).Find(ctx, bson.D{{Key: "seq", Value: 1}}, options.Find().SetProjection(bson.D{{Key: "unit", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("list report units: %w", err)
	}
	var docs []struct {
		Unit string `bson:"unit"`
	}
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("list report units: %w", err)
	}
	out := make([]string, 0, len(docs))
	for _, d := range docs {
		out = append(out, d.Unit)
	}
	return out, nil
}

// RebuildCheckpoints folds the unit's facts from the first and makes every
// stored checkpoint equal to that fold (missing: written; different:
// replaced), like the ledger's (kalyan-worker rebuild-aggregates).
func (r *ReportFacts) RebuildCheckpoints(ctx context.Context, unit string) (RebuildResult, error) {
	res := RebuildResult{Unit: unit}
	r.mu.Lock()
	delete(r.tallies, unit)
	r.mu.Unlock()
	head, err := r.head(ctx, unit)
	if err != nil || head == 0 {
		return res, err
	}
	t := reports.NewTally(unit)
	for t.Seq < head {
		next := min(head, (t.Seq/reports.CheckpointEvery+1)*reports.CheckpointEvery)
		if t, err = r.fold(ctx, t, next, false); err != nil {
			return res, err
		}
		res.Entries = int(t.Seq)
		if t.Seq%reports.CheckpointEvery != 0 {
			break
		}
		stored, err := r.checkpoint(ctx, unit, t.Seq)
		bad := errors.Is(err, errBadReportCheckpoint)
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
			if _, err := r.s.col(colReportCheckpoints).DeleteOne(ctx, bson.D{{Key: "_id", Value: ledgerKey(unit, t.Seq)}}); err != nil {
				return res, fmt.Errorf("replace report checkpoint %s/%d: %w", unit, t.Seq, err)
			}
		}
		if err := r.putCheckpoint(ctx, t); err != nil {
			return res, err
		}
	}
	// The head is the fold just made, whatever was stored (a wrong head
	// would otherwise be trusted until a later one replaced it).
	_, err = r.s.col(colReportHeads).ReplaceOne(ctx, bson.D{{Key: "_id", Value: unit}}, reportHeadDoc{Key: unit, Checkpoint: t.Checkpoint()}, options.Replace().SetUpsert(true))
	if err != nil {
		return res, fmt.Errorf("replace report head %s: %w", unit, err)
	}
	return res, nil
}

// colWaitlists holds the waitlist snapshots, one per slot (_id), insert-only.
const colWaitlists = "aid_waitlists"

// Waitlists is the waitlist snapshots' store.
type Waitlists struct{ s *Store }

// Waitlists returns the waitlist snapshots' repository.
func (s *Store) Waitlists() *Waitlists { return &Waitlists{s: s} }

// Put stores a snapshot in its slot; one there already (another replica's,
// or this slot's earlier one) stays.
func (w *Waitlists) Put(ctx context.Context, snap *app.WaitlistSnapshot) error {
	err := insertOne(ctx, w.s.col(colWaitlists), snap)
	if err != nil && !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("store waitlist snapshot: %w", err)
	}
	return nil
}

// Latest is the newest snapshot taken before t (nil: none). Slots are named
// by their time, so it is one read by _id order.
func (w *Waitlists) Latest(ctx context.Context, before time.Time) (*app.WaitlistSnapshot, error) {
	var snap app.WaitlistSnapshot
	err := w.s.col(colWaitlists).FindOne(ctx, bson.D{{Key: "_id", Value: bson.D{{Key: "$lt", Value: before.UTC().Format("2006-01-02T15:04")}}}},
		options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&snap)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read waitlist snapshot: %w", err)
	}
	return &snap, nil
}

// colVerifyRuns holds the scheduled verify's outcomes, one per run.
const colVerifyRuns = "verify_runs"

// VerifyRuns is the verify outcomes' store.
type VerifyRuns struct{ s *Store }

// VerifyRuns returns the verify outcomes' repository.
func (s *Store) VerifyRuns() *VerifyRuns { return &VerifyRuns{s: s} }

// Record stores one run (its ID is its time: insert-only).
func (v *VerifyRuns) Record(ctx context.Context, r app.VerifyRun) error {
	if err := insertOne(ctx, v.s.col(colVerifyRuns), r); err != nil {
		return fmt.Errorf("record verify run: %w", err)
	}
	return nil
}

// Latest returns the newest run and the newest without violations.
func (v *VerifyRuns) Latest(ctx context.Context) (last, lastOK *app.VerifyRun, err error) {
	find := func(filter bson.D) (*app.VerifyRun, error) {
		var r app.VerifyRun
		err := v.s.col(colVerifyRuns).FindOne(ctx, filter, options.FindOne().SetSort(bson.D{{Key: "_id", Value: -1}})).Decode(&r)
		if errors.Is(err, mongo.ErrNoDocuments) {
			return nil, nil
		}
		if err != nil {
			return nil, fmt.Errorf("read verify runs: %w", err)
		}
		return &r, nil
	}
	if last, err = find(bson.D{}); err != nil {
		return nil, nil, err
	}
	lastOK, err = find(bson.D{{Key: "ok", Value: true}})
	return last, lastOK, err
}

// OutboxEvents returns every event of the given types that the donation and
// aid versions recorded (their outboxes are kept after publishing), oldest
// first: what the report facts are rebuilt from. A scan: commands only.
func (s *Store) OutboxEvents(ctx context.Context, types []string) ([]events.Envelope, error) {
	var out []events.Envelope
	for _, col := range []string{colDonations, colAid} {
		cur, err := s.col(col).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "outbox", Value: 1}}))
		if err != nil {
			return nil, fmt.Errorf("read %s outboxes: %w", col, err)
		}
		for cur.Next(ctx) {
			var d struct {
				Outbox []events.Envelope `bson:"outbox"`
			}
			if err := cur.Decode(&d); err != nil {
				cur.Close(ctx)
				return nil, fmt.Errorf("read %s outboxes: %w", col, err)
			}
			for _, e := range d.Outbox {
				if slices.Contains(types, e.Type) {
					out = append(out, e)
				}
			}
		}
		if err := cur.Err(); err != nil {
			cur.Close(ctx)
			return nil, fmt.Errorf("read %s outboxes: %w", col, err)
		}
		cur.Close(ctx)
	}
	// The same event may sit in several versions' outboxes: once each.
	slices.SortFunc(out, func(a, b events.Envelope) int {
		return cmp.Or(a.OccurredAt.Compare(b.OccurredAt), cmp.Compare(a.ID, b.ID))
	})
	return slices.CompactFunc(out, func(a, b events.Envelope) bool { return a.ID == b.ID }), nil
}

// colCaseOpenings holds the audit of supervisors opening cases.
const colCaseOpenings = "case_openings"

// CaseOpenings is the case-opening audit store (insert-only).
type CaseOpenings struct{ s *Store }

// CaseOpenings returns the case-opening audit repository.
func (s *Store) CaseOpenings() *CaseOpenings { return &CaseOpenings{s: s} }

// Record stores one opening.
func (c *CaseOpenings) Record(ctx context.Context, o app.CaseOpening) error {
	if err := insertOne(ctx, c.s.col(colCaseOpenings), o); err != nil {
		return fmt.Errorf("record case opening: %w", err)
	}
	return nil
}

// Openings lists a case's openings, oldest first.
func (c *CaseOpenings) Openings(ctx context.Context, caseID string) ([]app.CaseOpening, error) {
	cur, err := c.s.col(colCaseOpenings).Find(ctx, bson.D{{Key: "case", Value: caseID}}, options.Find().SetSort(bson.D{{Key: "at", Value: 1}}))
	if err != nil {
		return nil, fmt.Errorf("read case openings: %w", err)
	}
	var out []app.CaseOpening
	if err := cur.All(ctx, &out); err != nil {
		return nil, fmt.Errorf("read case openings: %w", err)
	}
	return out, nil
}
