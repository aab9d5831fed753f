package app

import (
	"context"

	"github.com/kalyan-platform/kalyan/internal/aid"
)

// DisbursePart records one part of what was given (final: the last part,
// releasing the rest of the allocation to the funds); a second staff member
// confirms it (ConfirmDisbursement).
func (s *Aid) DisbursePart(ctx context.Context, a aid.Actor, id string, ds []aid.Disbursement, final bool) (*aid.Request, error) {
	return s.Store.Update(ctx, id, func(q *aid.Request) error { return q.DisbursePart(a, ds, final, s.Now()) })
}
