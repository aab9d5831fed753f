package memstore

import (
	"context"
	"errors"
	"fmt"
)

// errVersionTaken is a version chain's conflict: another writer stored the
// version first (the MongoDB adapter's duplicate _id).
var errVersionTaken = errors.New("version taken")

// updateChain is the version chain's optimistic update, as the MongoDB
// adapter does it: read the latest version, apply fn outside the lock (fn
// may read the store), store the result as the next version unless another
// writer stored it first, and then re-read and re-apply.
func updateChain[T any](ctx context.Context, what, id string, from *T, fn func(*T) error, noChange error,
	latest func(id string) (*T, error), version func(*T) *int, fresh func(*T), insert func(*T) error) (*T, error) {
	for attempt := 0; attempt < 1000; attempt++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		v := from
		from = nil
		if v == nil {
			var err error
			if v, err = latest(id); err != nil {
				return nil, err
			}
		}
		fresh(v)
		if err := fn(v); err != nil {
			if errors.Is(err, noChange) {
				return v, nil
			}
			return v, err
		}
		*version(v)++
		err := insert(v)
		if err == nil {
			return v, nil
		}
		if !errors.Is(err, errVersionTaken) {
			return nil, err
		}
	}
	return nil, fmt.Errorf("update %s %s: too much contention", what, id)
}
