package mongostore

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/kalyan-platform/kalyan/internal/aid"
)

// Collections of the one-time programme grant.
const (
	// colGrantClaims holds one claim per patient identity: taken when a
	// grant application is filed, so parallel applications cannot both go
	// ahead, and given back when the application is rejected or withdrawn.
	colGrantClaims = "pfa_grants"
	// colGrantsReceived records, once per patient identity, the grant
	// actually disbursed: from then on the claim is never given back.
	colGrantsReceived = "pfa_grants_received"
)

// ClaimGrant claims the one-time programme grant of the patient identity
// key for request: an insert, so two units cannot both take it. It returns
// the claim that holds it (request's own when ok).
func (r *AidRequests) ClaimGrant(ctx context.Context, key, unit, request string, at time.Time) (held aid.GrantClaim, ok bool, err error) {
	claim := aid.GrantClaim{Key: key, Unit: unit, Request: request, At: at.UTC()}
	for attempt := 0; ; attempt++ {
		err := insertOne(ctx, r.s.col(colGrantClaims), grantClaimDoc(claim))
		if err == nil {
			return claim, true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return aid.GrantClaim{}, false, fmt.Errorf("claim grant: %w", err)
		}
		var doc grantClaimDoc
		found, err := findByID(ctx, r.s.col(colGrantClaims), key, &doc)
		if err != nil {
			return aid.GrantClaim{}, false, err
		}
		if found {
			return aid.GrantClaim(doc), doc.Request == request, nil
		}
		// Given back between our insert and our read: try again.
		if attempt == 3 {
			return aid.GrantClaim{}, false, fmt.Errorf("claim grant: the claim keeps being released")
		}
	}
}

// ReleaseGrant gives back request's claim on the grant of key unless the
// grant was received (a claim held by another request is left alone).
func (r *AidRequests) ReleaseGrant(ctx context.Context, key, request string) error {
	if rec, err := r.GrantReceived(ctx, key); err != nil || rec != nil {
		return err
	}
	_, err := r.s.col(colGrantClaims).DeleteOne(context.WithoutCancel(ctx), bson.D{{Key: "_id", Value: key}, {Key: "request", Value: request}})
	if err != nil {
		return fmt.Errorf("release grant claim: %w", err)
	}
	return nil
}

// ReceiveGrant records that request's grant was disbursed: an insert keyed
// by the identity, so it happens once; repeating it for the same request is
// a no-op.
func (r *AidRequests) ReceiveGrant(ctx context.Context, key, unit, request string, at time.Time) error {
	err := insertOne(ctx, r.s.col(colGrantsReceived), grantClaimDoc{Key: key, Unit: unit, Request: request, At: at.UTC()})
	if err == nil {
		return nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return fmt.Errorf("record grant received: %w", err)
	}
	rec, err := r.GrantReceived(ctx, key)
	if err != nil {
		return err
	}
	if rec == nil || rec.Request != request {
		return fmt.Errorf("record grant received: the identity already received it through another request")
	}
	return nil
}

// GrantReceived returns the grant disbursed to key, or nil.
func (r *AidRequests) GrantReceived(ctx context.Context, key string) (*aid.GrantClaim, error) {
	var doc grantClaimDoc
	found, err := findByID(ctx, r.s.col(colGrantsReceived), key, &doc)
	if err != nil || !found {
		return nil, err
	}
	g := aid.GrantClaim(doc)
	return &g, nil
}
