package mongostore

import (
	"context"
	"runtime"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kalyan-platform/kalyan/internal/ledger"
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
