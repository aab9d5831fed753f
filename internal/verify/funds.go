package verify

import (
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// grantCredits are the causes that may put money into a grant fund: the
// Department's allocation, another unit's grant fund, and the unspent part
// of a grant allocation coming back.
var grantCredits = []string{ledger.CauseGovernmentAllocation, ledger.CauseTransferIn, ledger.CauseDisbursement}

// restrictedFunds checks the Department's grant money and transfers between
// units (docs/adr/0011-restricted-funds.md): the grant fund is filled only
// by government allocations (never a gift), each allocation is credited
// exactly once and the fiscal year's allocations stay within the envelope;
// every transfer out of a unit's fund arrives, in full, in the same fund of
// the unit it names.
func restrictedFunds(ctx context.Context, db Records, r *Report) error {
	credited := map[string][]money.Amount{}
	type leg struct {
		unit, other, fund string
		amount            money.Amount
	}
	outs, ins := map[string]leg{}, map[string]leg{}
	if err := db.LedgerEntries(ctx, func(t *ledger.Transaction) error {
		for _, l := range t.Lines {
			if l.Account == ledger.FundGrant && l.Credit > 0 && !slices.Contains(grantCredits, t.Cause) {
				r.bad("unit %s: ledger entry %s (%s) credits the grant fund", t.Unit, t.ID, t.Cause)
			}
			if l.Account == ledger.ClearingGovernment && t.Cause != ledger.CauseGovernmentAllocation {
				r.bad("unit %s: ledger entry %s (%s) moves government money", t.Unit, t.ID, t.Cause)
			}
		}
		switch t.Cause {
		case ledger.CauseGovernmentAllocation:
			id := strings.TrimPrefix(t.ID, "grant-allocation/")
			credited[t.Unit+" "+id] = append(credited[t.Unit+" "+id], t.Lines[0].Debit)
		case ledger.CauseTransferOut, ledger.CauseTransferIn:
			key, _ := strings.CutSuffix(strings.TrimSuffix(t.ID, "/out"), "/in")
			lg := leg{unit: t.Unit}
			for _, l := range t.Lines {
				if ledger.IsFund(l.Account) {
					lg.fund, lg.amount = l.Account, l.Debit+l.Credit
				} else {
					lg.other = strings.TrimPrefix(l.Account, "transfer:")
				}
			}
			if t.Cause == ledger.CauseTransferOut {
				outs[key] = lg
			} else {
				ins[key] = lg
			}
		}
		return nil
	}); err != nil {
		return err
	}
	byFY := map[string][]ledger.GrantAllocation{}
	if err := db.GrantAllocations(ctx, func(a *ledger.GrantAllocation) error {
		byFY[a.FY] = append(byFY[a.FY], *a)
		key := a.Unit + " " + a.ID
		switch got := credited[key]; {
		case len(got) != 1:
			r.bad("grant allocation %s to %s is credited %d times", a.ID, a.Unit, len(got))
		case got[0] != a.Amount:
			r.bad("grant allocation %s to %s of %s is credited as %s", a.ID, a.Unit, a.Amount, got[0])
		}
		delete(credited, key)
		return nil
	}); err != nil {
		return err
	}
	for _, key := range slices.Sorted(maps.Keys(credited)) {
		r.bad("ledger credits government money %s that no grant allocation records", key)
	}
	for _, fy := range slices.Sorted(maps.Keys(byFY)) {
		as := byFY[fy]
		slices.SortFunc(as, func(a, b ledger.GrantAllocation) int { return int(a.Seq - b.Seq) })
		var sum money.Amount
		for i, a := range as {
			sum += a.Amount
			if a.Seq != int64(i+1) || a.Total != sum {
				r.bad("grant allocations of %s: entry %d says total %s, the entries sum to %s", fy, a.Seq, a.Total, sum)
				break
			}
			if a.Total > a.Envelope {
				r.bad("grant allocations of %s pass the envelope: %s of %s", fy, a.Total, a.Envelope)
			}
		}
	}
	for _, key := range slices.Sorted(maps.Keys(outs)) {
		o, in := outs[key], ins[key]
		if in.unit != o.other || in.other != o.unit || in.fund != o.fund || in.amount != o.amount {
			r.bad("transfer %s: %s sent %s of %s to %s, %s received %s in %s", key, o.unit, o.amount, o.fund, o.other,
				fmt.Sprint(in.unit), in.amount, in.fund)
		}
		delete(ins, key)
	}
	for _, key := range slices.Sorted(maps.Keys(ins)) {
		r.bad("transfer %s arrived at %s without leaving %s", key, ins[key].unit, ins[key].other)
	}
	return nil
}
