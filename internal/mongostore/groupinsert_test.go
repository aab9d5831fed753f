package mongostore_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// TestFerretUnorderedInsertManyReportsEachFailure pins what group commit
// relies on: FerretDB answers an unordered InsertMany with one write error
// per failed document, at that document's index, and stores all the others.
func TestFerretUnorderedInsertManyReportsEachFailure(t *testing.T) {
	ctx := context.Background()
	col := store.Database().Collection("group_raw")
	if _, err := col.InsertOne(ctx, bson.D{{Key: "_id", Value: "old"}}); err != nil {
		t.Fatal(err)
	}
	docs := []any{
		bson.D{{Key: "_id", Value: "a"}},
		bson.D{{Key: "_id", Value: "old"}}, // stored before
		bson.D{{Key: "_id", Value: "b"}},
		bson.D{{Key: "_id", Value: "a"}},                               // same batch, later
		bson.D{{Key: "_id", Value: "bad"}, {Key: "$key", Value: 1}},    // refused by validation
		bson.D{{Key: "_id", Value: "c"}, {Key: "n", Value: int32(42)}}, // after the failures
	}
	_, err := col.InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
	var bwe mongo.BulkWriteException
	if !errors.As(err, &bwe) {
		t.Fatalf("want a BulkWriteException, got %v", err)
	}
	got := map[int]int{}
	for _, we := range bwe.WriteErrors {
		got[we.Index] = we.Code
	}
	if len(got) != 3 || got[1] != 11000 || got[3] != 11000 || got[4] == 0 || got[4] == 11000 {
		t.Fatalf("write errors by index %v, want 1 and 3 duplicate keys, 4 another code", got)
	}
	for _, id := range []string{"a", "b", "c"} {
		if n, err := col.CountDocuments(ctx, bson.D{{Key: "_id", Value: id}}); err != nil || n != 1 {
			t.Fatalf("%s stored %d times (%v), want once", id, n, err)
		}
	}
	if n, _ := col.CountDocuments(ctx, bson.D{{Key: "_id", Value: "bad"}}); n != 0 {
		t.Fatal("invalid document stored")
	}
}

// TestGroupInsertMapsErrorsToCallers queues inserts that succeed, collide
// with a stored document, collide with each other and fail validation, and
// writes them as one batch: every caller gets its own document's outcome.
func TestGroupInsertMapsErrorsToCallers(t *testing.T) {
	ctx := context.Background()
	col := store.Database().Collection("group_callers")
	if _, err := col.InsertOne(ctx, bson.D{{Key: "_id", Value: "old"}}); err != nil {
		t.Fatal(err)
	}
	ids := []string{"n1", "old", "n2", "twin", "twin", "bad", "n3", "old"}
	docs := make([]any, len(ids))
	for i, id := range ids {
		doc := bson.D{{Key: "_id", Value: id}, {Key: "caller", Value: i}}
		if id == "bad" {
			doc = append(doc, bson.E{Key: "$key", Value: 1})
		}
		docs[i] = doc
	}
	errs := insertAsOneBatch(ctx, mongostore.NewGroupInsert(col), docs)

	twins := 0
	for i, id := range ids {
		err := errs[i]
		switch id {
		case "n1", "n2", "n3":
			if err != nil {
				t.Errorf("%s: %v", id, err)
			}
		case "old":
			if !mongo.IsDuplicateKeyError(err) {
				t.Errorf("caller %d (%s): %v, want duplicate key", i, id, err)
			}
		case "twin":
			switch {
			case err == nil:
				twins++
			case !mongo.IsDuplicateKeyError(err):
				t.Errorf("twin: %v", err)
			}
		case "bad":
			if err == nil || mongo.IsDuplicateKeyError(err) {
				t.Errorf("bad: %v, want a validation error", err)
			}
		}
	}
	if twins != 1 {
		t.Fatalf("%d twins stored, want exactly 1", twins)
	}
	n, err := col.CountDocuments(ctx, bson.D{})
	if err != nil || n != 5 { // old, n1, n2, n3, twin
		t.Fatalf("%d documents (%v), want 5", n, err)
	}
}

// TestConcurrentCreatesInOneBatch: new gifts, same-key replays, same key
// with another body, and a replay of an already stored gift, all written in
// one batch. Each key ends up with one stored version; each replay gets the
// stored donation back, never an error and never a second version.
func TestConcurrentCreatesInOneBatch(t *testing.T) {
	ctx := context.Background()
	u := &units.Unit{Code: "batch", Policy: units.DefaultPolicy()}
	gift := func(id, amount, payment string) *donations.Donation {
		var req donations.Request
		req.Amount, req.Kind, req.Anonymous = amount, "sadaqah", true
		req.Donor.Phone = "01712345678"
		d, err := donations.New(u, id, donations.BKash, req, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		d.PaymentID, d.PaymentURL = payment, "https://pay.example/"+payment
		return d
	}
	repo := store.Donations()
	if _, created, err := repo.Create(ctx, gift("don_batch_old", "10", "P-old")); err != nil || !created {
		t.Fatal(created, err)
	}

	type call struct {
		d       *donations.Donation
		stored  *donations.Donation
		created bool
		err     error
	}
	calls := []*call{
		{d: gift("don_batch_1", "10", "P1")},
		{d: gift("don_batch_2", "20", "P2")},
		{d: gift("don_batch_replay", "30", "P3a")},
		{d: gift("don_batch_replay", "30", "P3b")}, // same key, same body
		{d: gift("don_batch_other", "40", "P4a")},
		{d: gift("don_batch_other", "41", "P4b")}, // same key, other body
		{d: gift("don_batch_old", "10", "P-old-again")},
		{d: gift("don_batch_3", "50", "P5")},
	}
	batches := mongostore.CreateBatches(repo)
	batches.Hold()
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.stored, c.created, c.err = repo.Create(ctx, c.d)
		}()
	}
	batches.ReleaseWhenQueued(len(calls))
	wg.Wait()

	winners := map[string]string{} // donation → payment stored
	for _, c := range calls {
		if c.err != nil {
			t.Fatalf("%s (%s): %v", c.d.ID, c.d.PaymentID, c.err)
		}
		if c.created {
			if _, dup := winners[c.d.ID]; dup {
				t.Fatalf("%s created twice", c.d.ID)
			}
			winners[c.d.ID] = c.d.PaymentID
		}
	}
	for _, c := range calls {
		stored, err := repo.Get(ctx, c.d.ID)
		if err != nil {
			t.Fatal(err)
		}
		if stored.Version != 1 {
			t.Fatalf("%s has version %d, want 1", c.d.ID, stored.Version)
		}
		if c.d.ID == "don_batch_old" {
			if c.created || stored.PaymentID != "P-old" || c.stored.PaymentID != "P-old" {
				t.Fatalf("replay of a stored gift: created=%v, got payment %s", c.created, c.stored.PaymentID)
			}
			continue
		}
		if winners[c.d.ID] == "" || stored.PaymentID != winners[c.d.ID] {
			t.Fatalf("%s: stored payment %q, creator's %q", c.d.ID, stored.PaymentID, winners[c.d.ID])
		}
		// Whoever lost sees the winner's donation, so the app can tell a
		// replay (same request) from a reused key (another request).
		if c.stored.PaymentID != stored.PaymentID {
			t.Fatalf("%s: caller with %s got %s back, stored is %s", c.d.ID, c.d.PaymentID, c.stored.PaymentID, stored.PaymentID)
		}
		if !c.created && c.d.ID == "don_batch_replay" && !c.stored.SameRequest(c.d) {
			t.Fatal("replay with the same body does not match the stored request")
		}
		if !c.created && c.d.ID == "don_batch_other" && c.stored.SameRequest(c.d) {
			t.Fatal("another body matches the stored request")
		}
	}
	n, err := store.Database().Collection("donation_versions").CountDocuments(ctx, bson.D{{Key: "unit", Value: "batch"}})
	if err != nil || n != 6 {
		t.Fatalf("%d versions stored (%v), want 6", n, err)
	}
}

type panicky struct{}

func (panicky) MarshalBSON() ([]byte, error) { panic("marshal failed") }

// TestGroupInsertSurvivesAPanickingWrite: when writing a batch panics, no
// member is told its document is stored, and the group still takes inserts.
func TestGroupInsertSurvivesAPanickingWrite(t *testing.T) {
	ctx := context.Background()
	col := store.Database().Collection("group_panic")
	g := mongostore.NewGroupInsert(col)
	docs := []any{bson.D{{Key: "_id", Value: "p1"}}, panicky{}, bson.D{{Key: "_id", Value: "p2"}}}
	errs := insertAsOneBatch(ctx, g, docs)
	for i, err := range errs {
		if err == nil {
			t.Fatalf("caller %d told its document is stored", i)
		}
	}
	if err := g.Insert(ctx, bson.D{{Key: "_id", Value: "after"}}); err != nil {
		t.Fatal(err)
	}
}

// insertAsOneBatch inserts docs from concurrent callers that all queue before
// any is written, so they go to the store as one batch; a caller that panics
// (the batch's writer) reports the panic as its error.
func insertAsOneBatch(ctx context.Context, g mongostore.GroupInsert, docs []any) []error {
	errs := make([]error, len(docs))
	g.Hold()
	var wg sync.WaitGroup
	for i, doc := range docs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() {
				if r := recover(); r != nil {
					errs[i] = fmt.Errorf("panicked: %v", r)
				}
			}()
			errs[i] = g.Insert(ctx, doc)
		}()
	}
	g.ReleaseWhenQueued(len(docs))
	wg.Wait()
	return errs
}
