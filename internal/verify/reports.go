package verify

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

// reportCheckpoints checks the report aggregates (ADR 0016): each unit's
// facts are numbered 1..n without gaps, and every stored checkpoint equals
// the fold of its unit's facts up to it.
func reportCheckpoints(ctx context.Context, r *Report, db Records) error {
	facts, err := readFacts(ctx, db)
	if err != nil {
		return err
	}
	stored := map[string][]reports.Checkpoint{}
	if err := db.ReportCheckpoints(ctx, func(key string, c *reports.Checkpoint) error {
		r.ReportCheckpoints++
		if key != fmt.Sprintf("%s/%010d", c.Unit, c.Seq) || c.Seq <= 0 || c.Seq%reports.CheckpointEvery != 0 {
			r.bad("report checkpoint %s names %s/%d", key, c.Unit, c.Seq)
			return nil
		}
		stored[c.Unit] = append(stored[c.Unit], *c)
		return nil
	}); err != nil {
		return err
	}
	// Heads (the fold at a unit's last fact as a writer saw it) are hints,
	// but a cold reader starts from one: each must be a fold of its facts.
	heads := map[string]reports.Checkpoint{}
	if err := db.ReportHeads(ctx, func(key string, h *reports.Checkpoint) error {
		if key != h.Unit || h.Seq <= 0 {
			r.bad("report head %s names %s/%d", key, h.Unit, h.Seq)
			return nil
		}
		heads[h.Unit] = *h
		return nil
	}); err != nil {
		return err
	}
	for _, unit := range slices.Sorted(maps.Keys(facts)) {
		fs := facts[unit]
		head, hasHead := heads[unit]
		delete(heads, unit)
		r.ReportFacts += len(fs)
		cps := stored[unit]
		slices.SortFunc(cps, func(a, b reports.Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) })
		t := reports.NewTally(unit)
		for i, f := range fs {
			if f.Seq != int64(i+1) {
				r.bad("report facts of %s: expected %d, found %d (gap or duplicate)", unit, i+1, f.Seq)
				break
			}
			_ = t.Add(f)
			for len(cps) > 0 && cps[0].Seq == t.Seq {
				if got, err := cps[0].Tally(); err != nil {
					r.bad("report checkpoint %s/%d is unreadable: %v (rebuild with kalyan-worker rebuild-aggregates)", unit, t.Seq, err)
				} else if !got.Equal(t) {
					r.bad("report checkpoint %s/%d differs from the fold of its facts (rebuild with kalyan-worker rebuild-aggregates)", unit, t.Seq)
				}
				cps = cps[1:]
			}
			if hasHead && head.Seq == t.Seq {
				if got, err := head.Tally(); err == nil && !got.Equal(t) {
					r.bad("report head %s/%d differs from the fold of its facts (rebuild with kalyan-worker rebuild-aggregates)", unit, t.Seq)
				}
			}
		}
		if hasHead && head.Seq > int64(len(fs)) {
			r.bad("report head %s/%d is beyond the %d report facts (rebuild with kalyan-worker rebuild-aggregates)", unit, head.Seq, len(fs))
		}
		for _, c := range cps {
			r.bad("report checkpoint %s/%d is beyond the %d report facts", unit, c.Seq, len(fs))
		}
		delete(stored, unit)
	}
	for _, unit := range slices.Sorted(maps.Keys(stored)) {
		r.bad("report checkpoints of %s, which has no report facts", unit)
	}
	for _, unit := range slices.Sorted(maps.Keys(heads)) {
		r.bad("report head of %s, which has no report facts", unit)
	}
	return nil
}

// readFacts returns every unit's report facts in sequence order.
func readFacts(ctx context.Context, db Records) (map[string][]*reports.Fact, error) {
	out := map[string][]*reports.Fact{}
	if err := db.ReportFacts(ctx, func(f *reports.Fact) error {
		out[f.Unit] = append(out[f.Unit], f)
		return nil
	}); err != nil {
		return nil, err
	}
	for _, fs := range out {
		slices.SortFunc(fs, func(a, b *reports.Fact) int { return cmp.Compare(a.Seq, b.Seq) })
	}
	return out, nil
}

// Figure is one money figure of a unit, month and fund, as the ledger's
// fold and the report facts each give it.
type Figure struct {
	Unit, Month, Fund, What string
	Ledger, Reports         money.Amount
}

// ReportsAgainstLedger compares the report aggregates with the ledger, fund
// by fund and month by month: gifts received, refunds paid out and aid
// given, each as the ledger's own fold sums them (ledger.Tally, the figures
// verify checks the checkpoints against) and as the report facts do. It also
// reports zakat spent on a patient not eligible for it. Run it when the
// worker has caught up (the report facts follow the same events as the
// ledger, through their own consumer). figures lists every compared figure.
func ReportsAgainstLedger(ctx context.Context, db Records) (violations []string, figures []Figure, err error) {
	tallies := map[string]*ledger.Tally{}
	if err := db.LedgerEntries(ctx, func(t *ledger.Transaction) error {
		if tallies[t.Unit] == nil {
			tallies[t.Unit] = ledger.NewTally(t.Unit)
		}
		tallies[t.Unit].AddAny(t)
		return nil
	}); err != nil {
		return nil, nil, err
	}
	facts, err := readFacts(ctx, db)
	if err != nil {
		return nil, nil, err
	}
	type key struct{ unit, month, fund, what string }
	both := map[key]*Figure{}
	fig := func(k key) *Figure {
		f := both[k]
		if f == nil {
			f = &Figure{Unit: k.unit, Month: k.month, Fund: k.fund, What: k.what}
			both[k] = f
		}
		return f
	}
	for unit, t := range tallies {
		for _, c := range t.Cells() {
			switch {
			case c.Class == ledger.ClassFund && c.Cause == ledger.CauseGift:
				fig(key{unit, c.Month, c.Fund, "gifts"}).Ledger += c.Credit
			case c.Cause == ledger.CauseRefund && (c.Class == ledger.ClassFund || c.Class == ledger.ClassHeld):
				fig(key{unit, c.Month, c.Fund, "refunds"}).Ledger += c.Debit
			case c.Class == ledger.ClassDisbursed && c.Cause == ledger.CauseDisbursement:
				fig(key{unit, c.Month, c.Fund, "aid given"}).Ledger += c.Credit
			}
		}
	}
	for unit, fs := range facts {
		for _, f := range fs {
			month := f.Month()
			for _, e := range f.Entries {
				switch e.Metric {
				case reports.MetricGift, reports.MetricRefund:
					p := strings.SplitN(e.Key, "|", 3)
					if len(p) < 2 {
						violations = append(violations, fmt.Sprintf("report fact %s: key %q names no kind and programme", f.Source, e.Key))
						continue
					}
					what := "gifts"
					if e.Metric == reports.MetricRefund {
						what = "refunds"
					}
					fig(key{unit, month, ledger.FundName(ledger.FundForGift(p[0], p[1])), what}).Reports += e.Amount
				case reports.MetricSpent:
					fig(key{unit, month, e.Key, "aid given"}).Reports += e.Amount
				case reports.MetricZakatSpent:
					if e.Key != "eligible" {
						violations = append(violations, fmt.Sprintf("unit %s: %s of zakat spent on a patient not eligible for zakat (%s)", unit, e.Amount, f.Source))
					}
				}
			}
		}
	}
	keys := slices.SortedFunc(maps.Keys(both), func(a, b key) int {
		return cmp.Or(cmp.Compare(a.unit, b.unit), cmp.Compare(a.month, b.month), cmp.Compare(a.fund, b.fund), cmp.Compare(a.what, b.what))
	})
	for _, k := range keys {
		f := both[k]
		figures = append(figures, *f)
		if f.Ledger != f.Reports {
			violations = append(violations, fmt.Sprintf("unit %s, %s, fund %s: the ledger has %s of %s, the reports %s", k.unit, k.month, k.fund, f.Ledger, k.what, f.Reports))
		}
	}
	return violations, figures, nil
}
