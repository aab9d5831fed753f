package mongostore

import (
	"context"
	"runtime"
	"slices"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

// DecodeCheckpoint reads a stored ledger checkpoint document.
func DecodeCheckpoint(raw bson.Raw) (ledger.Checkpoint, error) {
	var d checkpointDoc
	if err := bson.Unmarshal(raw, &d); err != nil {
		return ledger.Checkpoint{}, err
	}
	return d.Checkpoint.checkpoint(), nil
}

// GroupInsert exposes the group-commit inserter to the external tests.
type GroupInsert struct{ g *groupInsert }

// NewGroupInsert batches inserts into col.
func NewGroupInsert(col *mongo.Collection) GroupInsert { return GroupInsert{newGroupInsert(col)} }

// CreateBatches is the inserter behind r.Create.
func CreateBatches(r *Donations) GroupInsert { return GroupInsert{r.creates} }

// Insert is groupInsert.insert.
func (g GroupInsert) Insert(ctx context.Context, doc any) error { return g.g.insert(ctx, doc) }

// Hold makes the inserter look busy, so every insert from now on queues.
func (g GroupInsert) Hold() {
	g.g.mu.Lock()
	defer g.g.mu.Unlock()
	g.g.writing = true
}

// ReleaseWhenQueued waits until n inserts are queued, then hands them all to
// the first as one batch, as a finishing writer would.
func (g GroupInsert) ReleaseWhenQueued(n int) {
	for {
		g.g.mu.Lock()
		if len(g.g.queue) >= n {
			next := g.g.queue
			g.g.queue = nil
			g.g.mu.Unlock()
			next[0].done <- groupOutcome{lead: next}
			return
		}
		g.g.mu.Unlock()
		runtime.Gosched()
	}
}

// SeedReportFacts stores facts (each unit's numbered 1..n in order), the
// checkpoints of their boundaries and each unit's head with bulk inserts, as
// Append would have one by one: benchmarks seed a national year this way in
// seconds.
func SeedReportFacts(ctx context.Context, s *Store, facts []reports.Fact) error {
	docs := make([]any, 0, 1000)
	flush := func(col string) error {
		if len(docs) == 0 {
			return nil
		}
		_, err := s.col(col).InsertMany(ctx, docs)
		docs = docs[:0]
		return err
	}
	tallies := map[string]*reports.Tally{}
	var cps []any
	for i := range facts {
		f := &facts[i]
		t := tallies[f.Unit]
		if t == nil {
			t = reports.NewTally(f.Unit)
			tallies[f.Unit] = t
		}
		f.Seq = t.Seq + 1
		if err := t.Add(f); err != nil {
			return err
		}
		if t.Seq%reports.CheckpointEvery == 0 {
			cps = append(cps, reportCheckpointDoc{Key: ledgerKey(t.Unit, t.Seq), Checkpoint: t.Checkpoint()})
		}
		docs = append(docs, factDoc{Key: ledgerKey(f.Unit, f.Seq), Fact: *f})
		if len(docs) == cap(docs) {
			if err := flush(colReportFacts); err != nil {
				return err
			}
		}
	}
	if err := flush(colReportFacts); err != nil {
		return err
	}
	var heads []any
	for _, t := range tallies {
		heads = append(heads, reportHeadDoc{Key: t.Unit, Checkpoint: t.Checkpoint()})
	}
	for _, batch := range []struct {
		col  string
		docs []any
	}{{colReportCheckpoints, cps}, {colReportHeads, heads}} {
		for chunk := range slices.Chunk(batch.docs, 200) {
			if _, err := s.col(batch.col).InsertMany(ctx, chunk); err != nil {
				return err
			}
		}
	}
	return nil
}
