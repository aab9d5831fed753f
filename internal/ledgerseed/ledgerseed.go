// Package ledgerseed generates a realistic ledger for one unit: gifts of
// every kind and method, refunds (held, completed, released, and the older
// direct reversals), allocations to aid requests and their disbursements,
// spread over a span of months. Every transaction is valid against the
// balances before it (no fund below zero), so it can be appended through the
// store as it is: the volume benchmarks and `make seed-volume` write with it,
// and the checkpoint tests fold what it writes.
package ledgerseed

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Gen makes one unit's transactions in order. Not safe for concurrent use.
type Gen struct {
	unit  string
	rng   *rand.Rand
	start time.Time
	step  time.Duration
	n     int
	bal   map[string]money.Amount
	holds []hold
	alloc []allocation
	// Gifts counts the gifts made so far.
	Gifts int
}

type hold struct {
	donation, refund, fund string
	amount                 money.Amount
}

type allocation struct {
	request string
	parts   []ledger.Line // the funds debited
}

var programmes = []string{"cancer", "kidney", "thalassaemia", "burn"}

// New returns a generator for unit whose n-th transaction happens at
// start + n·step (so a year of 100,000 gifts is a step of about 5 minutes).
// The same seed gives the same ledger.
func New(unit string, seed uint64, start time.Time, step time.Duration) *Gen {
	return &Gen{unit: unit, rng: rand.New(rand.NewPCG(seed, 21)), start: start.UTC(), step: step, bal: map[string]money.Amount{}}
}

// Next returns the next transaction (its Unit set, Seq and Balances left to
// the store).
func (g *Gen) Next() ledger.Transaction {
	for {
		if t, ok := g.try(); ok {
			if err := t.Apply(g.bal); err != nil {
				panic(fmt.Sprintf("ledgerseed built an overdraft: %v", err)) // a bug here, not bad input
			}
			g.bal = t.Balances
			t.Balances = nil
			g.n++
			return t
		}
	}
}

// UntilGifts returns transactions until gifts more gifts are among them.
//
// Reached only by tests: benchmarks size a seeded ledger by gifts with it.
func (g *Gen) UntilGifts(gifts int) []ledger.Transaction {
	var out []ledger.Transaction
	for target := g.Gifts + gifts; g.Gifts < target; {
		out = append(out, g.Next())
	}
	return out
}

func (g *Gen) try() (ledger.Transaction, bool) {
	at := g.start.Add(time.Duration(g.n) * g.step)
	id := fmt.Sprintf("seed/%s/%d", g.unit, g.n)
	donation := fmt.Sprintf("don_seed_%s_%d", g.unit, g.n)
	r := g.rng.IntN(100)
	switch {
	case r < 75:
		kind := []string{"zakat", "sadaqah", "general"}[g.rng.IntN(3)]
		programme := ""
		if g.rng.IntN(3) == 0 {
			programme = programmes[g.rng.IntN(len(programmes))]
		}
		method := []string{"bkash", "bkash", "bkash", "cash"}[g.rng.IntN(4)]
		g.Gifts++
		return ledger.Gift(id, g.unit, donation, kind, programme, method, money.Taka(int64(100+g.rng.IntN(20_000))), at), true
	case r < 76:
		// The Department's grant money (ADR 0011).
		return ledger.GovernmentAllocation(id, g.unit, money.Taka(int64(50_000*(1+g.rng.IntN(4)))), at), true
	case r < 77:
		// An archived unit's fund coming in.
		fund := []string{ledger.FundZakat, ledger.FundGeneral, ledger.FundSadaqah, ledger.ZakatProgrammeFund(programmes[0])}[g.rng.IntN(4)]
		return ledger.TransferIn(id+"/in", g.unit, "archived", fund, money.Taka(int64(100+g.rng.IntN(5_000))), at), true
	case r < 78:
		fund, amt, ok := g.someFund()
		if !ok {
			return ledger.Transaction{}, false
		}
		return ledger.TransferOut(id+"/out", g.unit, "other", fund, amt, at), true
	case r < 83:
		fund, amt, ok := g.someFund()
		if !ok {
			return ledger.Transaction{}, false
		}
		h := hold{donation: donation, refund: fmt.Sprintf("rf%d", g.n), fund: fund, amount: amt}
		g.holds = append(g.holds, h)
		return ledger.RefundHold(id+"/refund/"+h.refund+"/hold", g.unit, donation, fund, amt, at), true
	case r < 87:
		h, ok := g.takeHold()
		if !ok {
			return ledger.Transaction{}, false
		}
		method := []string{"bkash", "cash"}[g.rng.IntN(2)]
		return ledger.RefundFromHold(id, g.unit, h.donation, h.fund, method, h.amount, at), true
	case r < 89:
		h, ok := g.takeHold()
		if !ok {
			return ledger.Transaction{}, false
		}
		return ledger.RefundRelease(id, g.unit, h.donation, h.fund, h.amount, at), true
	case r < 90:
		// A reversal straight from the fund, as refunds were before holds.
		fund, amt, ok := g.someFund()
		if !ok {
			return ledger.Transaction{}, false
		}
		return ledger.Transaction{ID: id, Unit: g.unit, Cause: ledger.CauseRefund, Donation: donation, At: at,
			Lines: []ledger.Line{{Account: fund, Debit: amt}, {Account: ledger.ClearingBKash, Credit: amt}}}, true
	case r < 96:
		// An allocation from one or two funds.
		req := fmt.Sprintf("aid_seed_%d", g.n)
		var lines []ledger.Line
		var total money.Amount
		used := map[string]bool{}
		for range 1 + g.rng.IntN(2) {
			fund, amt, ok := g.someFund()
			if !ok || used[fund] {
				continue
			}
			used[fund] = true
			lines = append(lines, ledger.Line{Account: fund, Debit: amt})
			total += amt
		}
		if len(lines) == 0 {
			return ledger.Transaction{}, false
		}
		g.alloc = append(g.alloc, allocation{request: req, parts: lines})
		lines = append(lines, ledger.Line{Account: ledger.RequestAccount(req), Credit: total})
		return ledger.Transaction{ID: id, Unit: g.unit, Cause: ledger.CauseAllocation, Request: req, At: at, Lines: lines}, true
	default:
		// A disbursement: part of each fund spent, the rest returned.
		if len(g.alloc) == 0 {
			return ledger.Transaction{}, false
		}
		i := g.rng.IntN(len(g.alloc))
		a := g.alloc[i]
		g.alloc = append(g.alloc[:i], g.alloc[i+1:]...)
		var lines []ledger.Line
		var total money.Amount
		for _, p := range a.parts {
			spent := p.Debit * money.Amount(50+g.rng.IntN(51)) / 100
			total += p.Debit
			lines = append(lines, ledger.Line{Account: ledger.DisbursedPrefix + p.Account, Credit: spent})
			if back := p.Debit - spent; back > 0 {
				lines = append(lines, ledger.Line{Account: p.Account, Credit: back})
			}
		}
		lines = append([]ledger.Line{{Account: ledger.RequestAccount(a.request), Debit: total}}, lines...)
		return ledger.Transaction{ID: id, Unit: g.unit, Cause: ledger.CauseDisbursement, Request: a.request, At: at, Lines: lines}, true
	}
}

// someFund picks a fund with money and an amount of at most a tenth of it.
func (g *Gen) someFund() (string, money.Amount, bool) {
	var funds []string
	for acc, b := range g.bal {
		if ledger.IsFund(acc) && b >= 100 {
			funds = append(funds, acc)
		}
	}
	if len(funds) == 0 {
		return "", 0, false
	}
	// Map order is random: sort for a reproducible pick.
	slices.Sort(funds)
	f := funds[g.rng.IntN(len(funds))]
	max := int64(g.bal[f] / 10)
	if max < 1 {
		max = 1
	}
	return f, money.Amount(1 + g.rng.Int64N(max)), true
}

func (g *Gen) takeHold() (hold, bool) {
	if len(g.holds) == 0 {
		return hold{}, false
	}
	i := g.rng.IntN(len(g.holds))
	h := g.holds[i]
	g.holds = append(g.holds[:i], g.holds[i+1:]...)
	return h, true
}
