// Package mongostore implements the domain repositories on MongoDB's wire
// protocol. It is written for the weakest server we run on, FerretDB:
// no transactions, no atomic read-modify-write, and only exact _id lookups are
// cheap. So every decision that must not be lost is an insert guarded by a
// unique key, and every hot-path read is a lookup by _id.
package mongostore

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	"go.mongodb.org/mongo-driver/v2/mongo/readpref"
	"golang.org/x/sync/errgroup"
)

// Collection names.
const (
	colUnits        = "units"
	colDonations    = "donation_versions"
	colOutbox       = "outbox"
	colLedger       = "ledger"
	colReceipts     = "receipts"
	colReceiptIndex = "receipt_index"
)

// Store is a connection to the platform's database.
type Store struct {
	client *mongo.Client
	db     *mongo.Database
}

// Connect opens the database and makes sure its indexes exist.
func Connect(ctx context.Context, uri, database string) (*Store, error) {
	client, err := mongo.Connect(options.Client().ApplyURI(uri).SetTimeout(30 * time.Second).SetServerSelectionTimeout(5 * time.Second))
	if err != nil {
		return nil, fmt.Errorf("connect to mongodb: %w", err)
	}
	s, err := ConnectClient(ctx, client, database)
	if err != nil {
		_ = client.Disconnect(context.Background())
		return nil, err
	}
	return s, nil
}

// ConnectClient opens the database over a client the caller configured
// (tests watch the commands a read sends) and makes sure its indexes exist.
// Close disconnects the client.
func ConnectClient(ctx context.Context, client *mongo.Client, database string) (*Store, error) {
	s := &Store{client: client, db: client.Database(database, options.Database().SetRegistry(guardedRegistry()))}
	if err := s.ensureIndexes(ctx); err != nil {
		return nil, err
	}
	return s, nil
}

// createIndexes creates models on col one createIndexes command each, never
// with CreateMany: FerretDB 1.24 panics ("slice bounds out of range") and
// drops the connection on a command listing several indexes when they exist
// already, i.e. on every start after the first (TestStoreConnectsAgainAfterARestart).
func createIndexes(ctx context.Context, col *mongo.Collection, what string, models ...mongo.IndexModel) error {
	for _, m := range models {
		if _, err := col.Indexes().CreateOne(ctx, m); err != nil {
			return fmt.Errorf("create %s indexes: %w", what, err)
		}
	}
	return nil
}

func (s *Store) ensureIndexes(ctx context.Context) error {
	_, err := s.db.Collection(colReceipts).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "donation", Value: 1}},
		Options: options.Index().SetUnique(true).SetName("donation_unique"),
	})
	if err != nil {
		return fmt.Errorf("create receipt index: %w", err)
	}
	_, err = s.db.Collection(colLedger).Indexes().CreateOne(ctx, mongo.IndexModel{
		Keys:    bson.D{{Key: "source", Value: 1}},
		Options: options.Index().SetUnique(true).SetName("source_unique"),
	})
	if err != nil {
		return fmt.Errorf("create ledger index: %w", err)
	}
	if err := s.ensureTrxIndex(ctx); err != nil {
		return err
	}
	if err := s.ensureCashIndexes(ctx); err != nil {
		return err
	}
	if err := s.ensureNoteIndexes(ctx); err != nil {
		return err
	}
	if err := s.ensureAidWindowIndexes(ctx); err != nil {
		return err
	}
	if err := s.ensureGrantIndexes(ctx); err != nil {
		return err
	}
	if err := s.ensureLinkIndexes(ctx); err != nil {
		return err
	}
	if err := s.ensureReportIndexes(ctx); err != nil {
		return err
	}
	if err := s.ensureRecentIndex(ctx); err != nil {
		return err
	}
	return s.backfillDonorYears(ctx)
}

// Ping checks the server answers (for readiness).
func (s *Store) Ping(ctx context.Context) error { return s.client.Ping(ctx, readpref.Primary()) }

// Close disconnects.
func (s *Store) Close(ctx context.Context) error { return s.client.Disconnect(ctx) }

// Database exposes the underlying database to the verify command and tests.
func (s *Store) Database() *mongo.Database { return s.db }

func (s *Store) col(name string) *mongo.Collection { return s.db.Collection(name) }

// findByID decodes the document with _id id into out; found=false if none.
func findByID(ctx context.Context, c *mongo.Collection, id string, out any) (bool, error) {
	// Point reads are short; letting them finish keeps a cancelled caller
	// from interrupting the embedded FerretDB's shared SQLite connections.
	ctx = context.WithoutCancel(ctx)
	_, err := retry(ctx, func() (struct{}, error) {
		return struct{}{}, c.FindOne(ctx, bson.D{{Key: "_id", Value: id}}).Decode(out)
	})
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("find %s/%s: %w", c.Name(), id, err)
	}
	return true, nil
}

// transient reports errors worth one more try: the embedded FerretDB's SQLite
// driver delivers a cancelled operation's interrupt to whichever statement
// runs next on that pooled connection, failing an unrelated request
// ("interrupted (9)"), and a dropped connection fails an operation that never
// started. Retrying is safe for our writes: each is an insert guarded by a
// unique key, so a retry after an earlier success reports a duplicate.
func transient(err error) bool {
	if err == nil {
		return false
	}
	// FerretDB's embedded SQLite backend answers "database is locked (5)"
	// (SQLITE_BUSY) when writers collide under load; like an interrupted
	// operation nothing was written, so the same operation may run again.
	msg := err.Error()
	return strings.Contains(msg, "interrupted (9)") || strings.Contains(msg, "database is locked (5)") || mongo.IsNetworkError(err)
}

// retry runs op up to ten times (about a second) while it fails
// transiently.
func retry[T any](ctx context.Context, op func() (T, error)) (T, error) {
	var out T
	var err error
	for attempt := 0; attempt < 10; attempt++ {
		if out, err = op(); !transient(err) || ctx.Err() != nil {
			return out, err
		}
		select {
		case <-ctx.Done():
			return out, err
		case <-time.After(min(time.Duration(5<<attempt)*time.Millisecond, 150*time.Millisecond)):
		}
	}
	return out, err
}

// parallelIO bounds how many requests eachParallel has in flight: point
// reads and writes by _id one after another bounded the relay and the
// redelivery look-ups at a few hundred a second on FerretDB over PostgreSQL.
const parallelIO = 16

// eachParallel runs fn(ctx, i) for i in [0, n), parallelIO at a time, and
// returns the first error.
func eachParallel(ctx context.Context, n int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(parallelIO)
	for i := range n {
		g.Go(func() error { return fn(gctx, i) })
	}
	return g.Wait()
}

// without returns idx minus the elements drop reports, reusing idx's array.
func without(idx []int, drop func(i int) bool) []int {
	kept := idx[:0]
	for _, i := range idx {
		if !drop(i) {
			kept = append(kept, i)
		}
	}
	return kept
}

// insertOne inserts doc, retrying transient failures. A caller giving up
// does not abort an insert already sent (the client's 30 s timeout still
// bounds it): half-done writes are what we avoid, and cancelling a running
// statement in the embedded FerretDB interrupts unrelated ones.
func insertOne(ctx context.Context, c *mongo.Collection, doc any) error {
	ctx = context.WithoutCancel(ctx)
	_, err := retry(ctx, func() (*mongo.InsertOneResult, error) { return c.InsertOne(ctx, doc) })
	return err
}
