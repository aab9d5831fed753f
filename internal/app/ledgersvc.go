package app

import (
	"context"
	"sort"
	"sync"
	"time"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// LedgerSummaries is the ledger read port.
type LedgerSummaries interface {
	Summary(ctx context.Context, unit string) (*ledger.Summary, error)
}

// Transparency serves the public ledger figures. They are derived by
// folding the append-only ledger, cached briefly because every public page
// view would otherwise re-read it.
type Transparency struct {
	Ledger LedgerSummaries
	Units  *Units
	TTL    time.Duration
	Now    func() time.Time

	mu     sync.Mutex
	at     time.Time
	cached *ledger.Summary
}

func (t *Transparency) summary(ctx context.Context) (*ledger.Summary, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.cached != nil && t.Now().Sub(t.at) < t.TTL {
		return t.cached, nil
	}
	s, err := t.Ledger.Summary(ctx, "")
	if err != nil {
		return nil, err
	}
	t.cached, t.at = s, t.Now()
	return s, nil
}

func (t *Transparency) all(ctx context.Context) (map[string]map[string]*ledger.FundFigures, error) {
	s, err := t.summary(ctx)
	if err != nil {
		return nil, err
	}
	return s.Funds, nil
}

// Monthly returns a unit's gifts received in each of the last n months
// (oldest first, months as "2006-01").
func (t *Transparency) Monthly(ctx context.Context, unit string, n int) ([]string, []money.Amount, error) {
	s, err := t.summary(ctx)
	if err != nil {
		return nil, nil, err
	}
	now := t.Now().In(time.FixedZone("Asia/Dhaka", 6*60*60))
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, now.Location()).AddDate(0, -(n - 1), 0)
	months, amounts := make([]string, n), make([]money.Amount, n)
	for i := 0; i < n; i++ {
		months[i] = first.AddDate(0, i, 0).Format("2006-01")
		amounts[i] = s.Monthly[unit][months[i]]
	}
	return months, amounts, nil
}

// UnitFunds returns a unit's funds (every fund of its policy, even empty).
func (t *Transparency) UnitFunds(ctx context.Context, u *units.Unit) ([]ledger.FundFigures, error) {
	all, err := t.all(ctx)
	if err != nil {
		return nil, err
	}
	// Each restricted fund is its own row (ADR 0011); zakat for a programme
	// shows once it has moved money.
	names := append([]string{"zakat", "sadaqah", "general", "grant"}, u.Policy.Programmes...)
	got := all[u.Code]
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
// code, and the national total.
func (t *Transparency) National(ctx context.Context) ([]UnitTotals, ledger.FundFigures, error) {
	all, err := t.all(ctx)
	if err != nil {
		return nil, ledger.FundFigures{}, err
	}
	us, err := t.Units.Store.List(ctx)
	if err != nil {
		return nil, ledger.FundFigures{}, err
	}
	var nat ledger.FundFigures
	rows := make([]UnitTotals, 0, len(us))
	for _, u := range us {
		row := UnitTotals{Unit: u}
		for _, f := range all[u.Code] {
			add(&row.Totals, f)
		}
		add(&nat, &row.Totals)
		rows = append(rows, row)
	}
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
