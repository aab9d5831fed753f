package app

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// LedgerTallies is the ledger read port.
type LedgerTallies interface {
	// Tally returns the fold of the unit's whole ledger (shared: read only).
	Tally(ctx context.Context, unit string) (*ledger.Tally, error)
}

// Transparency serves the public ledger figures. They are derived from each
// unit's tally, which the store keeps incrementally (checkpoints, ADR 0012):
// a read costs the entries since the last checkpoint, not the history. The
// figures are still cached briefly because every public page view would
// otherwise ask the store.
type Transparency struct {
	Ledger LedgerTallies
	Units  *Units
	TTL    time.Duration
	Now    func() time.Time

	mu    sync.Mutex
	units map[string]cachedTally
	// national holds the cached national views by fiscal year ("" = all).
	national map[string]*nationalView
}

type cachedTally struct {
	at    time.Time
	tally *ledger.Tally
	funds map[string]*ledger.FundFigures
	month map[string]money.Amount
}

type nationalView struct {
	at   time.Time
	rows []UnitTotals
	nat  ledger.FundFigures
}

// tally returns a unit's figures, from the cache while they are fresh.
func (t *Transparency) tally(ctx context.Context, unit string) (cachedTally, error) {
	t.mu.Lock()
	c, ok := t.units[unit]
	t.mu.Unlock()
	if ok && t.Now().Sub(c.at) < t.TTL {
		return c, nil
	}
	tl, err := t.Ledger.Tally(ctx, unit)
	if err != nil {
		return cachedTally{}, err
	}
	c = cachedTally{at: t.Now(), tally: tl, funds: tl.Funds(), month: tl.Monthly()}
	t.mu.Lock()
	if t.units == nil {
		t.units = map[string]cachedTally{}
	}
	t.units[unit] = c
	t.mu.Unlock()
	return c, nil
}

// Monthly returns a unit's gifts received in each of the last n months
// (oldest first, months as "2006-01").
func (t *Transparency) Monthly(ctx context.Context, unit string, n int) ([]string, []money.Amount, error) {
	c, err := t.tally(ctx, unit)
	if err != nil {
		return nil, nil, err
	}
	now := t.Now().In(time.FixedZone("Asia/Dhaka", 6*60*60))
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location()).AddDate(0, -(n - 1), 0)
	months, amounts := make([]string, n), make([]money.Amount, n)
	for i := 0; i < n; i++ {
		months[i] = first.AddDate(0, i, 0).Format("2006-01")
		amounts[i] = c.month[months[i]]
	}
	return months, amounts, nil
}

// UnitFunds returns a unit's funds (every fund of its policy, even empty).
func (t *Transparency) UnitFunds(ctx context.Context, u *units.Unit) ([]ledger.FundFigures, error) {
	c, err := t.tally(ctx, u.Code)
	if err != nil {
		return nil, err
	}
	// Each restricted fund is its own row (ADR 0011); zakat for a programme
	// shows once it has moved money.
	names := append([]string{"zakat", "sadaqah", "general", "grant"}, u.Policy.Programmes...)
	got := c.funds
	out := make([]ledger.FundFigures, 0, len(names))
	seen := map[string]bool{}
	for _, n := range names {
		seen[n] = true
		f := ledger.FundFigures{Fund: n}
		if g := got[n]; g != nil {
			f = *g
		}
		out = append(out, f)
	}
	// Funds of programmes the unit has since dropped still show their money.
	var extra []string
	for n := range got {
		if !seen[n] {
			extra = append(extra, n)
		}
	}
	sort.Strings(extra)
	for _, n := range extra {
		out = append(out, *got[n])
	}
	return out, nil
}

// UnitTotals is one row of the national ledger.
type UnitTotals struct {
	Unit   units.Unit
	Totals ledger.FundFigures
}

// National returns per-unit totals for all registered units, sorted by
// code, and the national total. Each unit's tally is read side by side: a
// refresh costs a few exact reads per unit, not the national history.
func (t *Transparency) National(ctx context.Context) ([]UnitTotals, ledger.FundFigures, error) {
	return t.NationalYear(ctx, "")
}

// NationalYear is National for the movements of one July–June fiscal year
// ("2025-26"; "" = since the start), read from the same tallies' months.
func (t *Transparency) NationalYear(ctx context.Context, fy string) ([]UnitTotals, ledger.FundFigures, error) {
	from, to := "", "9999-12"
	if fy != "" {
		if !ValidFiscalYear(fy) {
			return nil, ledger.FundFigures{}, fmt.Errorf("fiscal year %q: want one like 2025-26", fy)
		}
		start, _ := strconv.Atoi(fy[:4])
		from, to = fmt.Sprintf("%d-07", start), fmt.Sprintf("%d-06", start+1)
	}
	t.mu.Lock()
	v := t.national[fy]
	t.mu.Unlock()
	if v != nil && t.Now().Sub(v.at) < t.TTL {
		return v.rows, v.nat, nil
	}
	us, err := t.Units.Store.List(ctx)
	if err != nil {
		return nil, ledger.FundFigures{}, err
	}
	rows := make([]UnitTotals, len(us))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, u := range us {
		g.Go(func() error {
			c, err := t.tally(gctx, u.Code)
			if err != nil {
				return err
			}
			funds := c.funds
			if fy != "" {
				funds = c.tally.FundsBetween(from, to)
			}
			rows[i] = UnitTotals{Unit: u}
			for _, f := range funds {
				add(&rows[i].Totals, f)
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, ledger.FundFigures{}, err
	}
	var nat ledger.FundFigures
	for i := range rows {
		add(&nat, &rows[i].Totals)
	}
	t.mu.Lock()
	if t.national == nil {
		t.national = map[string]*nationalView{}
	}
	t.national[fy] = &nationalView{at: t.Now(), rows: rows, nat: nat}
	t.mu.Unlock()
	return rows, nat, nil
}

func add(dst *ledger.FundFigures, f *ledger.FundFigures) {
	dst.Received += f.Received
	dst.Allocated += f.Allocated
	dst.Disbursed += f.Disbursed
	dst.Refunded += f.Refunded
	dst.Held += f.Held
	dst.Gifts += f.Gifts
	dst.Refunds += f.Refunds
	dst.TransferredIn += f.TransferredIn
	dst.TransferredOut += f.TransferredOut
}
