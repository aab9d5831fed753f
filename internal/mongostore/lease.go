package mongostore

import (
	"context"
	"fmt"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

const colLeases = "leases"

// Lease elects one holder of a named job per time window, so that replicas
// running the same loop (the outbox relay) do not all do the same work.
//
// Time is cut into windows of a fixed length; whoever first inserts the
// window's document holds it — a unique-key insert is the only
// compare-and-swap FerretDB keeps under concurrency. The holder of a window
// also claims the next one, so a live holder keeps the job without a gap; if
// it dies, the next window is free for another replica, at most one window
// later. Clock skew between replicas can make two hold overlapping windows
// for a moment: that only duplicates work the job must tolerate anyway.
type Lease struct {
	s      *Store
	name   string
	holder string
	window time.Duration
	now    func() time.Time

	mu      sync.Mutex
	known   map[int64]bool // window → held by us (answers already settled)
	cleaned int64
}

// Lease returns the lease name for holder with the given window length.
func (s *Store) Lease(name, holder string, window time.Duration, now func() time.Time) *Lease {
	return &Lease{s: s, name: name, holder: holder, window: window, now: now, known: map[int64]bool{}}
}

type leaseDoc struct {
	ID     string    `bson:"_id"`
	Name   string    `bson:"name"`
	Holder string    `bson:"holder"`
	At     time.Time `bson:"at"`
}

func (l *Lease) docID(w int64) string { return fmt.Sprintf("%s/%020d", l.name, w) }

// Held reports whether this holder holds the lease now. It costs at most an
// insert, a read and a cleanup per window; within a window the answer is
// remembered.
func (l *Lease) Held(ctx context.Context) (bool, error) {
	w := l.now().UnixNano() / int64(l.window)
	l.mu.Lock()
	defer l.mu.Unlock()
	held, settled := l.known[w]
	if !settled {
		var err error
		if held, err = l.claim(ctx, w); err != nil {
			return false, err
		}
		l.known[w] = held
	}
	if held {
		// Claim the next window while we still hold this one.
		if _, settled := l.known[w+1]; !settled {
			next, err := l.claim(ctx, w+1)
			if err != nil {
				return held, err
			}
			l.known[w+1] = next
		}
	}
	if l.cleaned < w {
		l.cleanup(ctx, w)
	}
	return held, nil
}

func (l *Lease) claim(ctx context.Context, w int64) (bool, error) {
	id := l.docID(w)
	err := insertOne(ctx, l.s.col(colLeases), leaseDoc{ID: id, Name: l.name, Holder: l.holder, At: l.now().UTC()})
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, fmt.Errorf("claim lease %s: %w", id, err)
	}
	var doc leaseDoc
	found, err := findByID(ctx, l.s.col(colLeases), id, &doc)
	if err != nil {
		return false, fmt.Errorf("read lease %s: %w", id, err)
	}
	return found && doc.Holder == l.holder, nil
}

// cleanup drops windows that have passed (ours and others'); losing it only
// leaves a few small documents for the next one.
func (l *Lease) cleanup(ctx context.Context, w int64) {
	for k := range l.known {
		if k < w {
			delete(l.known, k)
		}
	}
	_, err := l.s.col(colLeases).DeleteMany(ctx, bson.D{
		{Key: "name", Value: l.name},
		{Key: "_id", Value: bson.D{{Key: "$lt", Value: l.docID(w - 1)}}},
	})
	if err == nil {
		l.cleaned = w
	}
}
