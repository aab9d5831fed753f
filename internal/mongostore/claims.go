package mongostore

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Collections of claimed names.
const (
	// colIdempotencyKeys maps a caller's Idempotency-Key (hashed with its
	// scope) to the ID of the record it created.
	colIdempotencyKeys = "idempotency_keys"
	// colSlugs is the one namespace of /d/<slug>: unit codes and campaign
	// link slugs.
	colSlugs = "slugs"
)

// Claims are names taken once: the first insert of a name wins (its _id is
// unique), and every later claim learns who holds it. No read-modify-write,
// so two concurrent claims cannot both win, even on FerretDB.
type Claims struct {
	col *mongo.Collection
	// hash stores sha256(name) instead of the name (client-chosen keys are
	// neither kept verbatim nor allowed to make long _ids).
	hash bool
	// group batches concurrent claims (the gift intake path).
	group *groupInsert
}

type claimDoc struct {
	Name   string    `bson:"_id"`
	Holder string    `bson:"holder"`
	At     time.Time `bson:"at"`
}

// IdempotencyKeys returns the key→ID map. Claims through one value share
// insert batches, so a process should use one for its intake.
func (s *Store) IdempotencyKeys() *Claims {
	c := s.col(colIdempotencyKeys)
	return &Claims{col: c, hash: true, group: newGroupInsert(c)}
}

// Slugs returns the slug registry.
func (s *Store) Slugs() *Claims { return &Claims{col: s.col(colSlugs)} }

func (c *Claims) docID(name string) string {
	if !c.hash {
		return name
	}
	sum := sha256.Sum256([]byte(name))
	return hex.EncodeToString(sum[:])
}

// Claim records holder for name unless name is held already. It returns
// the holder (holder itself when this call took it) and whether this call's
// insert took it: a claim that finds the name held, even by the same
// holder (a concurrent request, or an insert retried after it went
// through), did not, and must not release it.
func (c *Claims) Claim(ctx context.Context, name, holder string, at time.Time) (string, bool, error) {
	doc := claimDoc{Name: c.docID(name), Holder: holder, At: at.UTC()}
	for attempt := 0; ; attempt++ {
		var err error
		if c.group != nil {
			err = c.group.insert(ctx, &doc)
		} else {
			err = insertOne(ctx, c.col, doc)
		}
		if err == nil {
			return holder, true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return "", false, fmt.Errorf("claim in %s: %w", c.col.Name(), err)
		}
		var held claimDoc
		found, err := findByID(ctx, c.col, doc.Name, &held)
		if err != nil {
			return "", false, err
		}
		if found {
			return held.Holder, false, nil
		}
		// Released between our insert and our read: try again, a few times.
		if attempt == 3 {
			return "", false, fmt.Errorf("claim in %s: the name keeps being released", c.col.Name())
		}
	}
}

// Release gives up name if holder holds it (a claim whose record was never
// stored). A concurrent claim of the same name then wins, or sees none.
func (c *Claims) Release(ctx context.Context, name, holder string) error {
	_, err := c.col.DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: c.docID(name)}, {Key: "holder", Value: holder}})
	if err != nil {
		return fmt.Errorf("release in %s: %w", c.col.Name(), err)
	}
	return nil
}

// BackfillSlugs claims every registered unit's code and every link's slug,
// for units and links stored before the registry existed (units first:
// their codes are their donation addresses). It returns the names a unit
// and a link both hold, which only data from before the registry can have.
func (s *Store) BackfillSlugs(ctx context.Context, now time.Time) ([]string, error) {
	seen := map[string]bool{}
	var both []string
	for _, src := range []struct{ col, holder string }{{colUnits, "unit"}, {"links", "link"}} {
		cur, err := s.col(src.col).Find(ctx, bson.D{}, options.Find().SetProjection(bson.D{{Key: "_id", Value: 1}}))
		if err != nil {
			return nil, fmt.Errorf("backfill slugs from %s: %w", src.col, err)
		}
		var rows []struct {
			ID string `bson:"_id"`
		}
		if err := cur.All(ctx, &rows); err != nil {
			return nil, fmt.Errorf("backfill slugs from %s: %w", src.col, err)
		}
		docs := make([]any, 0, len(rows))
		for _, r := range rows {
			if seen[r.ID] {
				both = append(both, r.ID)
			}
			seen[r.ID] = true
			docs = append(docs, claimDoc{Name: r.ID, Holder: src.holder, At: now.UTC()})
		}
		if len(docs) == 0 {
			continue
		}
		// Unordered: the names claimed already are expected duplicates.
		_, err = s.col(colSlugs).InsertMany(ctx, docs, options.InsertMany().SetOrdered(false))
		var bwe mongo.BulkWriteException
		if err != nil && !(errors.As(err, &bwe) && onlyDuplicates(bwe)) {
			return nil, fmt.Errorf("backfill slugs: %w", err)
		}
	}
	return both, nil
}

func onlyDuplicates(e mongo.BulkWriteException) bool {
	for _, we := range e.WriteErrors {
		if !mongo.IsDuplicateKeyError(we) {
			return false
		}
	}
	return e.WriteConcernError == nil
}
