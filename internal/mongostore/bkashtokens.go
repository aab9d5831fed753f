package mongostore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/kalyan-platform/kalyan/internal/bkash"
)

// The fleet's bKash tokens (ADR 0008). Both collections are append-only
// logs written by unique-key inserts, the one compare-and-swap FerretDB
// keeps under concurrency: a token generation, or a grant's place in the
// merchant's sequence, is taken by whoever inserts it first.
const (
	colBKashTokens = "bkash_tokens"
	colBKashGrants = "bkash_grants"
)

// tokenDoc and grantDoc are the stored forms of bkash.SealedToken and
// bkash.Grant; _id is merchant/generation (merchant/seq), so a second insert
// of the same one is refused.
type tokenDoc struct {
	ID        string    `bson:"_id,omitempty"`
	Merchant  string    `bson:"merchant"`
	Gen       int64     `bson:"gen"`
	Sealed    []byte    `bson:"sealed"`
	SealKeyID string    `bson:"sealKeyID"`
	IssuedAt  time.Time `bson:"issuedAt"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

type grantDoc struct {
	ID       string    `bson:"_id,omitempty"`
	Merchant string    `bson:"merchant"`
	Seq      int64     `bson:"seq"`
	At       time.Time `bson:"at"`
	Holder   string    `bson:"holder"`
}

// BKashTokens stores the fleet's merchant tokens and grant log
// (bkashgateway.TokenRepo).
type BKashTokens struct{ s *Store }

// BKashTokens returns the token store.
func (s *Store) BKashTokens() *BKashTokens { return &BKashTokens{s: s} }

// keep is how many generations and grants per merchant are kept.
const keepTokens = 4

// LatestToken returns merchant's newest token generation.
func (r *BKashTokens) LatestToken(ctx context.Context, merchant string) (bkash.SealedToken, bool, error) {
	var doc tokenDoc
	err := r.s.col(colBKashTokens).FindOne(ctx, bson.D{{Key: "merchant", Value: merchant}},
		options.FindOne().SetSort(bson.D{{Key: "gen", Value: -1}})).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return bkash.SealedToken{}, false, nil
	}
	if err != nil {
		return bkash.SealedToken{}, false, fmt.Errorf("read bkash token of %s: %w", merchant, err)
	}
	return bkash.SealedToken{Merchant: doc.Merchant, Gen: doc.Gen, Sealed: doc.Sealed, SealKeyID: doc.SealKeyID,
		IssuedAt: doc.IssuedAt, ExpiresAt: doc.ExpiresAt}, true, nil
}

// InsertToken stores generation t.Gen; bkash.ErrTokenTaken if it exists.
func (r *BKashTokens) InsertToken(ctx context.Context, t bkash.SealedToken) error {
	doc := tokenDoc{ID: fmt.Sprintf("%s/%020d", t.Merchant, t.Gen), Merchant: t.Merchant, Gen: t.Gen, Sealed: t.Sealed,
		SealKeyID: t.SealKeyID, IssuedAt: t.IssuedAt, ExpiresAt: t.ExpiresAt}
	err := insertOne(ctx, r.s.col(colBKashTokens), doc)
	if mongo.IsDuplicateKeyError(err) {
		return bkash.ErrTokenTaken
	}
	if err != nil {
		return fmt.Errorf("store bkash token of %s: %w", t.Merchant, err)
	}
	// Older generations are of no use once a newer one is stored; losing
	// this cleanup only leaves a few small documents.
	_, _ = r.s.col(colBKashTokens).DeleteMany(ctx, bson.D{
		{Key: "merchant", Value: t.Merchant}, {Key: "gen", Value: bson.D{{Key: "$lte", Value: t.Gen - keepTokens}}},
	})
	return nil
}

// LastGrants returns merchant's n most recent grants, newest first.
func (r *BKashTokens) LastGrants(ctx context.Context, merchant string, n int) ([]bkash.Grant, error) {
	cur, err := r.s.col(colBKashGrants).Find(ctx, bson.D{{Key: "merchant", Value: merchant}},
		options.Find().SetSort(bson.D{{Key: "seq", Value: -1}}).SetLimit(int64(n)))
	if err != nil {
		return nil, fmt.Errorf("read bkash grants of %s: %w", merchant, err)
	}
	var docs []grantDoc
	if err := cur.All(ctx, &docs); err != nil {
		return nil, fmt.Errorf("read bkash grants of %s: %w", merchant, err)
	}
	out := make([]bkash.Grant, len(docs))
	for i, d := range docs {
		out[i] = bkash.Grant{Merchant: d.Merchant, Seq: d.Seq, At: d.At, Holder: d.Holder}
	}
	return out, nil
}

// InsertGrant records grant g.Seq; bkash.ErrGrantTaken if another process
// took it.
func (r *BKashTokens) InsertGrant(ctx context.Context, g bkash.Grant) error {
	doc := grantDoc{ID: fmt.Sprintf("%s/%020d", g.Merchant, g.Seq), Merchant: g.Merchant, Seq: g.Seq, At: g.At, Holder: g.Holder}
	err := insertOne(ctx, r.s.col(colBKashGrants), doc)
	if mongo.IsDuplicateKeyError(err) {
		return bkash.ErrGrantTaken
	}
	if err != nil {
		return fmt.Errorf("record bkash grant of %s: %w", g.Merchant, err)
	}
	_, _ = r.s.col(colBKashGrants).DeleteMany(ctx, bson.D{
		{Key: "merchant", Value: g.Merchant}, {Key: "seq", Value: bson.D{{Key: "$lte", Value: g.Seq - keepTokens}}},
	})
	return nil
}
