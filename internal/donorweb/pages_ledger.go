package donorweb

import (
	"net/url"
	"sort"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

type ledgerRow struct{ Name, Received, Disbursed, Refunded string }

type ledgerDivision struct {
	Name, UnitsURL string
	Total          ledgerRow
	Districts      []ledgerRow
}

type ledgerView struct {
	Action    string
	Years     []webkit.Choice
	YearLabel string
	Total     ledgerRow
	Divisions []ledgerDivision
}

// ledgerPage is the national ledger in words a donor reads: what every
// unit received, gave to patients and refunded, summed by division and
// district, for one fiscal year or since the start. It reads the units'
// tallies (ADR 0012), like GET /api/v1/ledger.
func (h *handlers) ledgerPage(c *fiber.Ctx) error {
	l := webkit.Lang(c)
	years, _ := fiscalYears(time.Now())
	fy := c.Query("fy")
	if fy != "" && !app.ValidFiscalYear(fy) {
		fy = ""
	}
	rows, nat, err := h.Transparency.NationalYear(c.UserContext(), fy)
	if err != nil {
		return err
	}
	v := &ledgerView{Action: "/ledger", Total: ledgerFigures(l, l.T("unit.total"), nat), YearLabel: l.T("ledger.all-years")}
	v.Years = append(v.Years, webkit.Choice{Value: "", Label: l.T("ledger.all-years"), Checked: fy == ""})
	for _, y := range years {
		v.Years = append(v.Years, webkit.Choice{Value: y, Label: l.F("ledger.fy", l.Digits(y)), Checked: y == fy})
		if y == fy {
			v.YearLabel = l.F("ledger.fy", l.Digits(y))
		}
	}
	// Sum each district and division; divisions and districts by name.
	type sums struct {
		div, dist map[string]*ledger.FundFigures
	}
	divs := map[string]*ledger.FundFigures{}
	dists := map[string]map[string]*ledger.FundFigures{}
	for _, r := range rows {
		d, ds := r.Unit.Division, r.Unit.District
		if divs[d] == nil {
			divs[d], dists[d] = &ledger.FundFigures{}, map[string]*ledger.FundFigures{}
		}
		if dists[d][ds] == nil {
			dists[d][ds] = &ledger.FundFigures{}
		}
		addFigures(divs[d], r.Totals)
		addFigures(dists[d][ds], r.Totals)
	}
	for _, d := range sortedKeys(divs) {
		dv := ledgerDivision{Name: l.Division(d), UnitsURL: "/?" + url.Values{"division": {d}, "lang": {string(l)}}.Encode(),
			Total: ledgerFigures(l, l.Division(d), *divs[d])}
		for _, ds := range sortedKeys(dists[d]) {
			dv.Districts = append(dv.Districts, ledgerFigures(l, l.District(ds), *dists[d][ds]))
		}
		v.Divisions = append(v.Divisions, dv)
	}
	return pages.Render(c, fiber.StatusOK, "ledger", webkit.NewPage(c, l, l.T("ledger.title"), v))
}

func ledgerFigures(l i18n.Lang, name string, f ledger.FundFigures) ledgerRow {
	return ledgerRow{Name: name, Received: l.Money(f.Received), Disbursed: l.Money(f.Disbursed), Refunded: l.Money(f.Refunded)}
}

func addFigures(dst *ledger.FundFigures, f ledger.FundFigures) {
	dst.Received += f.Received
	dst.Disbursed += f.Disbursed
	dst.Refunded += f.Refunded
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
