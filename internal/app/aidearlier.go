package app

import (
	"context"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// EarlierLimit is how many of a patient's earlier requests a request's
// page lists.
const EarlierLimit = 20

// Earlier is one of a patient's other requests, at any unit: where, when,
// how far it went and how much. It carries nothing else of the other
// unit's case (the grant rule already tells staff where and when).
type Earlier struct {
	Unit      string
	CreatedAt time.Time
	Status    aid.Status
	Approved  money.Amount
	Given     money.Amount
	// Grant: the request asked for the one-time programme grant.
	Grant bool
}

// GrantReceipt is where and when the patient received the one-time grant.
type GrantReceipt struct {
	Unit string
	At   time.Time
}

// EarlierOf returns q's patient's other requests at any unit (newest
// first, at most EarlierLimit), matched by identity key, NID as written or
// mobile, and the one-time grant if it was received.
func (s *Aid) EarlierOf(ctx context.Context, q *aid.Request) ([]Earlier, *GrantReceipt, error) {
	found, err := s.Store.PatientRequests(ctx, q.Patient.IDKey, q.Patient.NID, q.Patient.Mobile, EarlierLimit+1)
	if err != nil {
		return nil, nil, err
	}
	var out []Earlier
	for i := range found {
		o := &found[i]
		if o.ID == q.ID || len(out) == EarlierLimit {
			continue
		}
		var given money.Amount
		for _, it := range o.Items {
			given += it.Disbursed
		}
		out = append(out, Earlier{Unit: o.Unit, CreatedAt: o.CreatedAt, Status: o.Status, Approved: o.ApprovedTotal(), Given: given, Grant: o.GrantRequested})
	}
	var rec *GrantReceipt
	if key := grantKey(q); key != "" {
		g, err := s.grants()
		if err != nil {
			return nil, nil, err
		}
		c, err := g.GrantReceived(ctx, key)
		if err != nil {
			return nil, nil, err
		}
		if c != nil {
			rec = &GrantReceipt{Unit: c.Unit, At: c.At}
		}
	}
	return out, rec, nil
}
