package aid

import (
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
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

// grantFund is ledger.FundGrant (aid does not import the ledger).
const grantFund = "fund:grant"

// GrantOutstanding is what the grant's items still wait for from the grant
// fund, the only fund that pays them.
func (r *Request) GrantOutstanding() money.Amount {
	var s money.Amount
	for _, it := range r.Items {
		if it.Grant {
			s += it.Approved
		}
	}
	for _, a := range r.Allocations {
		if a.Fund == grantFund {
			s -= a.Amount
		}
	}
	return max(s, 0)
}

// allocatedFrom sums the allocations from the grant fund (grant true) or
// from the others.
func (r *Request) allocatedFrom(grant bool) money.Amount {
	var s money.Amount
	for _, a := range r.Allocations {
		if (a.Fund == grantFund) == grant {
			s += a.Amount
		}
	}
	return s
}

// disbursedOf sums ds over the grant's items (grant true) or the others.
func (r *Request) disbursedOf(ds []Disbursement, grant bool) money.Amount {
	var s money.Amount
	for _, d := range ds {
		if d.Item >= 0 && d.Item < len(r.Items) && r.Items[d.Item].Grant == grant {
			s += d.Amount
		}
	}
	return s
}

// givenFrom sums what confirmed parts gave of the grant's items (grant
// true) or the others.
func (r *Request) givenFrom(grant bool) money.Amount {
	var s money.Amount
	for _, it := range r.Items {
		if it.Grant == grant {
			s += it.Disbursed
		}
	}
	return s
}

// checkGrantDisbursement refuses paying the grant's items with donors' money
// or other items with the grant's, counting what earlier parts gave.
func (r *Request) checkGrantDisbursement(v *validation.Errors, ds []Disbursement) {
	if g, a := r.givenFrom(true)+r.disbursedOf(ds, true), r.allocatedFrom(true); g > a {
		v.Add("items", "the grant's items are paid from the grant fund only ("+a.String()+" allocated from it)")
	}
	if o, a := r.givenFrom(false)+r.disbursedOf(ds, false), r.allocatedFrom(false); o > a && r.allocatedFrom(true) > 0 {
		v.Add("items", "the grant fund pays only the grant's items ("+a.String()+" allocated for the others)")
	}
}

// spendAndReturn splits the allocations for the part ds, given before the
// items record it: the part is spent from the earliest allocations that
// earlier parts left (the grant fund's against the grant's items, the rest
// against the others); a final part returns what is still unspent, last
// taken, first back.
func (r *Request) spendAndReturn(ds []Disbursement, final bool) (spent, returns []Allocation) {
	skip := map[bool]money.Amount{true: r.givenFrom(true), false: r.givenFrom(false)}
	take := map[bool]money.Amount{true: r.disbursedOf(ds, true), false: r.disbursedOf(ds, false)}
	rest := make([]money.Amount, len(r.Allocations))
	for i, a := range r.Allocations {
		g := a.Fund == grantFund
		done := min(skip[g], a.Amount)
		skip[g] -= done
		use := min(take[g], a.Amount-done)
		take[g] -= use
		if use > 0 {
			spent = append(spent, Allocation{Fund: a.Fund, Amount: use})
		}
		rest[i] = a.Amount - done - use
	}
	if final {
		for i := len(r.Allocations) - 1; i >= 0; i-- {
			if rest[i] > 0 {
				returns = append(returns, Allocation{Fund: r.Allocations[i].Fund, Amount: rest[i]})
			}
		}
	}
	return spent, returns
}
