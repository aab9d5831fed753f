package donorweb

import (
	"context"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/i18n"
)

// recentGiven is how many confirmed disbursements a unit's page lists.
const recentGiven = 20

// reachView shows that gifts reach patients: how many the unit helped
// this month and this fiscal year, and its latest disbursements with
// nothing that names or points to a patient.
type reachView struct {
	Month, Year string
	Given       []givenRow
}

type givenRow struct{ Date, Items, Disease, Amount, Fund string }

func (h *handlers) reach(ctx context.Context, l i18n.Lang, unit string) (*reachView, error) {
	month, year, err := h.Reach.Patients(ctx, unit)
	if err != nil {
		return nil, err
	}
	given, err := h.Reach.Recent(ctx, unit, recentGiven)
	if err != nil {
		return nil, err
	}
	v := &reachView{Month: l.Num(month), Year: l.Num(year)}
	for _, g := range given {
		items := make([]string, len(g.Categories))
		for i, c := range g.Categories {
			items[i] = labelOr(l, "console.item.", c)
		}
		funds := make([]string, len(g.Funds))
		for i, f := range g.Funds {
			funds[i] = fundLabel(l, f)
		}
		v.Given = append(v.Given, givenRow{Date: dateIn(l, g.At), Items: strings.Join(items, ", "),
			Disease: labelOr(l, "console.diag.", g.Disease), Amount: l.Money(g.Amount), Fund: strings.Join(funds, ", ")})
	}
	return v, nil
}

// labelOr is the catalogue's word for prefix+code, or the code itself.
func labelOr(l i18n.Lang, prefix, code string) string {
	if i18n.Has(prefix + code) {
		return l.T(prefix + code)
	}
	return strings.ReplaceAll(code, "-", " ")
}

// dateIn is t's calendar date in Dhaka, in language l.
func dateIn(l i18n.Lang, t time.Time) string {
	t = t.In(time.FixedZone("Asia/Dhaka", 6*60*60))
	if l == i18n.EN {
		return bnfmt.DateEN(t)
	}
	return bnfmt.DateBN(t)
}
