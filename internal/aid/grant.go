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

// checkGrantDisbursement refuses paying the grant's items with donors' money
// or other items with the grant's.
func (r *Request) checkGrantDisbursement(v *validation.Errors, ds []Disbursement) {
	if g, a := r.disbursedOf(ds, true), r.allocatedFrom(true); g > a {
		v.Add("items", "the grant's items are paid from the grant fund only ("+a.String()+" allocated from it)")
	}
	if o, a := r.disbursedOf(ds, false), r.allocatedFrom(false); o > a && r.allocatedFrom(true) > 0 {
		v.Add("items", "the grant fund pays only the grant's items ("+a.String()+" allocated for the others)")
	}
}

// spendAndReturn splits the allocations into what ds spent and what goes
// back, per fund: the grant fund's part against the grant's items, the
// rest against the others, each last taken, first back.
func (r *Request) spendAndReturn(ds []Disbursement) (spent, returns []Allocation) {
	unspent := map[bool]money.Amount{
		true:  r.allocatedFrom(true) - r.disbursedOf(ds, true),
		false: r.allocatedFrom(false) - r.disbursedOf(ds, false),
	}
	for i := len(r.Allocations) - 1; i >= 0; i-- {
		a := r.Allocations[i]
		g := a.Fund == grantFund
		back := min(max(unspent[g], 0), a.Amount)
		if back > 0 {
			returns = append(returns, Allocation{Fund: a.Fund, Amount: back})
			unspent[g] -= back
		}
		if a.Amount-back > 0 {
			spent = append(spent, Allocation{Fund: a.Fund, Amount: a.Amount - back})
		}
	}
	return spent, returns
}
