package app

import (
	"context"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// IdentityFlag names another request, in any unit, whose patient has q's
// patient's name and date of birth under the other form of NID: probably
// one person with a smart card and an older 13/17-digit number, who must
// not pass the one-grant check twice (ADR 0010). A flag, never a block.
type IdentityFlag struct {
	Request string
	Unit    string
	// NID is the other request's number, masked.
	NID       string
	Form      string
	Status    aid.Status
	Approved  money.Amount
	CreatedAt time.Time
}

// IdentityFlags returns q's identity flags.
func (s *Aid) IdentityFlags(ctx context.Context, q *aid.Request) ([]IdentityFlag, error) {
	if q.Patient.NID == "" || q.Patient.BirthDate == "" {
		return nil, nil
	}
	born, err := s.Store.List(ctx, aid.Filter{BirthDate: q.Patient.BirthDate})
	if err != nil {
		return nil, err
	}
	var out []IdentityFlag
	seen := map[string]bool{}
	for _, o := range born {
		if o.ID == q.ID || !q.Patient.MayBeSamePerson(o.Patient) || seen[o.Patient.IDKey] {
			continue
		}
		seen[o.Patient.IDKey] = true
		out = append(out, IdentityFlag{Request: o.ID, Unit: o.Unit, NID: aid.MaskNID(o.Patient.NID), Form: aid.Form(o.Patient.NID),
			Status: o.Status, Approved: o.ApprovedTotal(), CreatedAt: o.CreatedAt})
	}
	return out, nil
}
