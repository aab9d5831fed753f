package mongostore

import (
	"context"
	"errors"
	"fmt"
	"sync"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// groupInsert coalesces concurrent single-document inserts into one
// unordered InsertMany (group commit). FerretDB on SQLite commits a whole
// insert command in one transaction, so N documents in one command cost
// little more than one: under load, inserts that arrive while a batch is
// being written wait for it to finish and then go together.
//
// There is no timer and no background goroutine. The first caller to find
// no batch in flight writes at once (alone, at low load); callers arriving
// meanwhile queue up, and when a batch finishes its writer hands the queue
// (up to maxBatch) to the first of them, which writes it as the next batch. Every
// caller returns only once its own document's fate is known.
type groupInsert struct {
	col      *mongo.Collection
	maxBatch int // FerretDB writes at most 100 documents per transaction

	mu      sync.Mutex
	queue   []*queuedInsert
	writing bool
}

type queuedInsert struct {
	doc any
	// done receives the insert's outcome; a queued caller may first receive
	// (lead != nil) the batch it must write, itself included.
	done chan groupOutcome
}

type groupOutcome struct {
	err  error
	lead []*queuedInsert
}

func newGroupInsert(col *mongo.Collection) *groupInsert {
	return &groupInsert{col: col, maxBatch: 100}
}

// insert stores doc, alone or in a batch with concurrent callers. Its error
// is what InsertOne would have returned for doc: nil, a duplicate-key error
// (mongo.IsDuplicateKeyError) or another failure. Like insertOne it does not
// abandon a write when ctx ends: a caller must not give up on a document
// that may still be stored.
func (g *groupInsert) insert(ctx context.Context, doc any) error {
	me := &queuedInsert{doc: doc, done: make(chan groupOutcome, 1)}
	g.mu.Lock()
	if g.writing {
		g.queue = append(g.queue, me)
		g.mu.Unlock()
		out := <-me.done
		if out.lead == nil {
			return out.err
		}
		g.write(ctx, out.lead)
	} else {
		g.writing = true
		g.mu.Unlock()
		g.write(ctx, []*queuedInsert{me})
	}
	return (<-me.done).err
}

// write stores batch, hands what queued meanwhile to the next writer (or
// marks the group idle), then tells each member its outcome.
func (g *groupInsert) write(ctx context.Context, batch []*queuedInsert) {
	var errs []error
	// Should the write panic, the hand-off still happens: the members hear
	// that nothing is known of their documents and the group moves on.
	defer func() {
		if errs == nil {
			errs = make([]error, len(batch))
			for i := range errs {
				errs[i] = errBatchAborted
			}
		}
		g.finish(batch, errs)
	}()
	errs = g.insertMany(ctx, batch)
}

var errBatchAborted = errors.New("insert batch aborted")

func (g *groupInsert) finish(batch []*queuedInsert, errs []error) {
	g.mu.Lock()
	next := g.queue
	if len(next) > g.maxBatch {
		next, g.queue = next[:g.maxBatch], next[g.maxBatch:]
	} else {
		g.queue = nil
	}
	g.writing = len(next) > 0
	g.mu.Unlock()
	// Hand over first, so the next batch starts before we return.
	if len(next) > 0 {
		next[0].done <- groupOutcome{lead: next}
	}
	for i, q := range batch {
		q.done <- groupOutcome{err: errs[i]}
	}
}

// insertMany writes batch with one unordered InsertMany and returns each
// document's error. A failed command is retried while transient, like
// insertOne: documents it already stored then report duplicate keys, which
// callers resolve by reading what is stored.
func (g *groupInsert) insertMany(ctx context.Context, batch []*queuedInsert) []error {
	ctx = context.WithoutCancel(ctx)
	docs := make([]any, len(batch))
	for i, q := range batch {
		docs[i] = q.doc
	}
	errs := make([]error, len(batch))
	_, err := retry(ctx, func() (*mongo.InsertManyResult, error) {
		return g.col.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	})
	var bwe mongo.BulkWriteException
	switch {
	case err == nil:
	case errors.As(err, &bwe) && bwe.WriteConcernError == nil && indexesIn(bwe.WriteErrors, len(batch)):
		// Only the documents named failed; every other one is stored.
		for _, we := range bwe.WriteErrors {
			errs[we.Index] = mongo.WriteException{WriteErrors: mongo.WriteErrors{we.WriteError}}
		}
	default:
		// The command failed as a whole: any document may or may not be
		// stored, so none is acknowledged.
		for i := range errs {
			errs[i] = fmt.Errorf("insert batch of %d: %w", len(batch), err)
		}
	}
	return errs
}

func indexesIn(wes []mongo.BulkWriteError, n int) bool {
	for _, we := range wes {
		if we.Index < 0 || we.Index >= n {
			return false
		}
	}
	return true
}
