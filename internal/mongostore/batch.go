package mongostore

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// MaxInsertBatch is the most documents one ordered insert may carry. FerretDB
// (1.24, SQLite and PostgreSQL alike) inserts a command's documents in chunks
// of 100, each chunk in one transaction; after a duplicate key in one chunk it
// stops that chunk but goes on with the next one, so an "ordered" insert of
// more than 100 documents can leave a hole. Within one chunk the order holds:
// every document before the duplicate is stored, none after it
// (TestOrderedInsertManyStopsAtDuplicate).
const MaxInsertBatch = 100

// isDup reports whether a server error code is a duplicate key.
func isDup(code int) bool { return code == 11000 || code == 11001 || code == 12582 }

// insertOrdered inserts docs (at most MaxInsertBatch) in order. It returns
// n = len(docs) and nil on success; on a duplicate key it returns the index n
// of the refused document (all before it are stored, none after it) and an
// error for which mongo.IsDuplicateKeyError holds. Any other failure returns
// n = -1: an unknown prefix may be stored. Transient failures are retried;
// a retry after a partly stored attempt reports a duplicate at a document of
// our own, which callers recognise by reading its holder.
func insertOrdered(ctx context.Context, c *mongo.Collection, docs []any) (int, error) {
	if len(docs) > MaxInsertBatch {
		return -1, fmt.Errorf("insert %d documents into %s: at most %d per ordered insert", len(docs), c.Name(), MaxInsertBatch)
	}
	ctx = context.WithoutCancel(ctx) // see insertOne
	_, err := retry(ctx, func() (*mongo.InsertManyResult, error) {
		return c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(true))
	})
	if err == nil {
		return len(docs), nil
	}
	var bwe mongo.BulkWriteException
	if errors.As(err, &bwe) && bwe.WriteConcernError == nil && len(bwe.WriteErrors) > 0 {
		first := bwe.WriteErrors[0]
		for _, we := range bwe.WriteErrors[1:] {
			if we.Index < first.Index {
				first = we
			}
		}
		if isDup(first.Code) {
			return first.Index, err
		}
	}
	return -1, fmt.Errorf("insert %d documents into %s: %w", len(docs), c.Name(), err)
}

// insertUnordered inserts docs independently and returns the indexes of
// those refused as duplicates. Any other failure is an error (some documents
// may be stored: callers only use it for inserts that are safe to repeat).
func insertUnordered(ctx context.Context, c *mongo.Collection, docs []any) (map[int]bool, error) {
	if len(docs) == 0 {
		return nil, nil
	}
	ctx = context.WithoutCancel(ctx)
	_, err := retry(ctx, func() (*mongo.InsertManyResult, error) {
		return c.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	})
	if err == nil {
		return nil, nil
	}
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) || bwe.WriteConcernError != nil {
		return nil, fmt.Errorf("insert %d documents into %s: %w", len(docs), c.Name(), err)
	}
	dups := map[int]bool{}
	for _, we := range bwe.WriteErrors {
		if !isDup(we.Code) {
			return nil, fmt.Errorf("insert %d documents into %s: %w", len(docs), c.Name(), err)
		}
		dups[we.Index] = true
	}
	return dups, nil
}
