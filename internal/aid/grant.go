package aid

import (
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// Withdrawn: the patient (or the social worker for them) withdrew the
// request before it was decided.
const Withdrawn Status = "withdrawn"

// Withdraw closes a request that is no longer wanted; like a rejection it is
// only possible before approval (afterwards money may already be on its way
// to it), and a reason is required.
func (r *Request) Withdraw(a Actor, reason string, at time.Time) error {
	// The same rules as a rejection, under another name.
	if err := r.Reject(a, reason, at); err != nil {
		return err
	}
	r.Status = Withdrawn
	r.record(a, "withdrawn", r.RejectReason, at)
	return nil
}

// Closed reports whether the request ended without being helped: its grant
// claim, if any, goes back so the patient may apply again.
func (r *Request) Closed() bool { return r.Status == Rejected || r.Status == Withdrawn }

// GrantDisbursed is what the patient was given of the one-time grant (the
// grant's items); the grant counts as received only when this is positive.
func (r *Request) GrantDisbursed() money.Amount {
	var s money.Amount
	for _, it := range r.Items {
		if it.Grant {
			s += it.Disbursed
		}
	}
	return s
}
