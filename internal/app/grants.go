package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
)

// GrantClaims is the port of the one-time grant's claims (ADR 0010): a claim
// per patient identity taken at filing, given back when the application is
// rejected or withdrawn, and fixed for ever once the grant is disbursed.
type GrantClaims interface {
	ClaimGrant(ctx context.Context, key, unit, request string, at time.Time) (aid.GrantClaim, bool, error)
	ReleaseGrant(ctx context.Context, key, request string) error
	ReceiveGrant(ctx context.Context, key, unit, request string, at time.Time) error
	GrantReceived(ctx context.Context, key string) (*aid.GrantClaim, error)
}

// ErrGrantPending is returned when another application for the patient's
// one-time grant is open (it may still be rejected or withdrawn).
type ErrGrantPending struct {
	Unit string
	At   time.Time
}

func (e ErrGrantPending) Error() string {
	return fmt.Sprintf("an application for this patient's one-time grant is open at unit %s since %s", e.Unit, e.At.Format("2006-01-02"))
}

func (s *Aid) grants() (GrantClaims, error) {
	g, ok := s.Store.(GrantClaims)
	if !ok {
		return nil, errors.New("aid store keeps no grant claims")
	}
	return g, nil
}

// grantKey is the identity the grant is claimed under: one key for every
// form of the patient's number (ADR 0010).
func grantKey(q *aid.Request) string { return q.Patient.IDKey }

// claimGrant claims q's patient's grant. A claim left behind by an
// application that was closed without giving it back (a crash between the
// two writes) is given back and the claim tried again.
func (s *Aid) claimGrant(ctx context.Context, q *aid.Request) error {
	g, err := s.grants()
	if err != nil {
		return err
	}
	key := grantKey(q)
	for attempt := 0; ; attempt++ {
		held, ok, err := g.ClaimGrant(ctx, key, q.Unit, q.ID, s.Now())
		if err != nil || ok {
			return err
		}
		rec, err := g.GrantReceived(ctx, key)
		if err != nil {
			return err
		}
		if rec != nil {
			return ErrGrantTaken{Unit: rec.Unit, At: rec.At}
		}
		holder, err := s.Store.Get(ctx, held.Request)
		if attempt > 0 || err != nil || !stale(holder) {
			// A holder not stored yet is a filing in flight: pending.
			return ErrGrantPending{Unit: held.Unit, At: held.At}
		}
		if err := g.ReleaseGrant(ctx, key, held.Request); err != nil {
			return err
		}
	}
}

// stale reports whether holder no longer needs its grant claim.
func stale(holder *aid.Request) bool {
	return holder.Closed() || (holder.Status == aid.Disbursed && holder.GrantDisbursed() == 0)
}

// settleGrant gives back or confirms q's grant claim once q is decided:
// closed → given back; disbursed → received if any of the grant was given,
// else given back.
func (s *Aid) settleGrant(ctx context.Context, q *aid.Request) error {
	if q == nil || !q.GrantRequested {
		return nil
	}
	g, err := s.grants()
	if err != nil {
		return err
	}
	switch {
	case q.Status == aid.Disbursed && q.GrantDisbursed() > 0:
		return g.ReceiveGrant(ctx, grantKey(q), q.Unit, q.ID, s.Now())
	case stale(q):
		return g.ReleaseGrant(ctx, grantKey(q), q.ID)
	}
	return nil
}

// Withdraw closes a request before it is decided and gives back its grant
// claim.
func (s *Aid) Withdraw(ctx context.Context, a aid.Actor, id, reason string) (*aid.Request, error) {
	q, err := s.Store.Update(ctx, id, func(q *aid.Request) error { return q.Withdraw(a, reason, s.Now()) })
	if err != nil {
		return q, err
	}
	return q, s.settleGrant(ctx, q)
}
