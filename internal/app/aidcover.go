package app

import (
	"context"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// FundCover is one fund that may pay a request: its balance now and what
// an allocation now would take from it.
type FundCover struct {
	// Fund is the fund's account ("fund:programme:kidney").
	Fund    string
	Balance money.Amount
	Gives   money.Amount
}

// Shortfall is what a group of funds cannot pay of a request: the grant
// fund for the one-time grant's items, or the donors' funds the request may
// draw on for the rest.
type Shortfall struct {
	Funds  []string
	Amount money.Amount
}

// Cover is the decision support on a request's page: the unit's funds that
// can pay it, in the unit's allocation order, and what they fall short by.
type Cover struct {
	Outstanding money.Amount
	Funds       []FundCover
	Short       []Shortfall
}

// Cover reads which of u's funds can pay q's outstanding amount (its
// assessed amounts before approval) with their balances from the unit's
// ledger tally, and plans against them as an allocation would (plan), so
// the page says what allocation will do, without moving anything. The
// tally is read afresh (checkpointed: the entries since the last
// checkpoint, not the history), not from the public pages' cache, which
// would show an approver money an allocation took a moment ago.
func (t *Transparency) Cover(ctx context.Context, u *units.Unit, q *aid.Request) (*Cover, error) {
	tl, err := t.Ledger.Tally(ctx, u.Code)
	if err != nil {
		return nil, err
	}
	funds := tl.Funds()
	grantFunds := []string{}
	if q.GrantOutstanding() > 0 {
		grantFunds = append(grantFunds, ledger.FundGrant)
	}
	donorFunds := payingFunds(u, q)
	bal := map[string]money.Amount{}
	for _, f := range append(append([]string{}, grantFunds...), donorFunds...) {
		if ff := funds[ledger.FundName(f)]; ff != nil {
			bal[f] = max(ff.Balance(), 0)
		}
	}
	gives := map[string]money.Amount{}
	for _, a := range plan(u, q, bal) {
		gives[a.Fund] += a.Amount
	}
	out := &Cover{Outstanding: q.Outstanding()}
	short := func(funds []string, need money.Amount) {
		for _, f := range funds {
			out.Funds = append(out.Funds, FundCover{Fund: f, Balance: bal[f], Gives: gives[f]})
			need -= gives[f]
		}
		if need > 0 {
			out.Short = append(out.Short, Shortfall{Funds: funds, Amount: need})
		}
	}
	grantNeed := q.GrantOutstanding()
	short(grantFunds, grantNeed)
	short(donorFunds, q.Outstanding()-grantNeed)
	return out, nil
}
