package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

// versionChain is the update scheme of a record stored as a chain of
// versions ("<id>#1", "<id>#2", …; donations, aid requests): writing version
// n+1 is an insert, so of two writers that both read version n exactly one
// stores its change, and the other re-reads and re-applies its own. No
// read-modify-write, so nothing is lost even on FerretDB.
type versionChain[T any] struct {
	// what names the record in errors ("donation").
	what     string
	attempts int
	// latest reads the record's latest version.
	latest func(ctx context.Context, id string) (*T, error)
	// version is the record's version number, to increase.
	version func(*T) *int
	// fresh clears what a version must not inherit (its events).
	fresh func(*T)
	// noChange from fn stores nothing and is not an error.
	noChange error
	// insert stores the version; a duplicate key error when it exists.
	insert func(ctx context.Context, v *T) error
	// superseded flags version n of id as replaced (a hint for scans).
	superseded func(ctx context.Context, id string, n int)
}

// update applies fn to the latest version (from, when the caller just read
// it: saves the read unless someone wrote in between) and stores the result
// as the next version, re-reading and re-applying while another writer
// stores that version first.
func (c versionChain[T]) update(ctx context.Context, id string, from *T, fn func(*T) error) (*T, error) {
	for attempt := 0; attempt < c.attempts; attempt++ {
		v := from
		from = nil
		if v == nil {
			var err error
			if v, err = c.latest(ctx, id); err != nil {
				return nil, err
			}
		}
		c.fresh(v)
		if err := fn(v); err != nil {
			if errors.Is(err, c.noChange) {
				return v, nil
			}
			return v, err
		}
		n := c.version(v)
		*n++
		err := c.insert(ctx, v)
		if err == nil {
			c.superseded(ctx, id, *n-1)
			return v, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return nil, err
		}
		// Someone else stored version n first: re-read and re-apply.
	}
	return nil, fmt.Errorf("update %s %s: too much contention", c.what, id)
}
