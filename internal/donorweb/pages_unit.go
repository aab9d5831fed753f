package donorweb

import (
	"fmt"
	"html/template"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

type fundRow struct{ Name, Received, Allocated, Disbursed, Refunded, Balance, Transferred string }

type monthRow struct{ Label, Amount string }

type unitView struct {
	Name, GiveURL string
	Funds         []fundRow
	Total         fundRow
	Months        []monthRow
	Chart         template.HTML
}

// unitPage is the public transparency page of a unit: the same figures as
// GET /api/v1/units/{code}/ledger and a small server-rendered SVG chart of
// the last 12 months. No personal data.
func (h *handlers) unitPage(c *fiber.Ctx) error {
	// An archived unit's page stays: where its money went is public.
	u, err := h.Units.Get(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	funds, err := h.Transparency.UnitFunds(c.UserContext(), u)
	if err != nil {
		return err
	}
	months, amounts, err := h.Transparency.Monthly(c.UserContext(), u.Code, 12)
	if err != nil {
		return err
	}
	v := &unitView{Name: webkit.UnitName(l, u)}
	if u.Servable() == nil {
		v.GiveURL = "/d/" + u.Code
	}
	var total ledger.FundFigures
	for _, f := range funds {
		v.Funds = append(v.Funds, figuresRow(l, fundLabel(l, f.Fund), f))
		total.Received += f.Received
		total.Allocated += f.Allocated
		total.Disbursed += f.Disbursed
		total.Refunded += f.Refunded
		total.TransferredIn += f.TransferredIn
		total.TransferredOut += f.TransferredOut
	}
	v.Total = figuresRow(l, l.T("unit.total"), total)
	labels := make([]string, len(months))
	for i, m := range months {
		t, _ := time.Parse("2006-01", m)
		labels[i] = monthLabel(l, t)
		v.Months = append(v.Months, monthRow{Label: labels[i], Amount: l.Money(amounts[i])})
	}
	v.Chart = barChart(l, labels, amounts)
	return pages.Render(c, fiber.StatusOK, "unit", webkit.NewPage(c, l, l.F("unit.title", v.Name), v))
}

func figuresRow(l i18n.Lang, name string, f ledger.FundFigures) fundRow {
	return fundRow{Name: name, Received: l.Money(f.Received), Allocated: l.Money(f.Allocated), Disbursed: l.Money(f.Disbursed),
		Refunded: l.Money(f.Refunded), Balance: l.Money(f.Balance()), Transferred: transferred(l, f)}
}

func fundLabel(l i18n.Lang, fund string) string {
	if p, ok := strings.CutPrefix(fund, "zakat:"); ok {
		// Zakat given for a programme: its own restricted fund (ADR 0011).
		return l.T("unit.fund.zakat") + " (" + l.Programme(p) + ")"
	}
	if i18n.Has("unit.fund." + fund) {
		return l.T("unit.fund." + fund)
	}
	return l.Programme(fund)
}

var monthsBN = []string{"জানু", "ফেব্রু", "মার্চ", "এপ্রি", "মে", "জুন", "জুলা", "আগ", "সেপ্টে", "অক্টো", "নভে", "ডিসে"}

func monthLabel(l i18n.Lang, t time.Time) string {
	if l == i18n.EN {
		return t.Format("Jan 2006")
	}
	return monthsBN[t.Month()-1] + " " + l.Digits(t.Format("2006"))
}

// barChart draws the months as bars (black on white, prints well). The
// figures are in the table that follows; the SVG carries a summary label.
func barChart(l i18n.Lang, labels []string, amounts []money.Amount) template.HTML {
	const w, h, pad, bar = 360, 140, 20, 24
	var max money.Amount
	for _, a := range amounts {
		if a > max {
			max = a
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s">`, w, h+pad, template.HTMLEscapeString(l.F("unit.chart-label", l.Money(max))))
	fmt.Fprintf(&b, `<line x1="0" y1="%d" x2="%d" y2="%d" stroke="#000"/>`, h, w, h)
	step := w / len(amounts)
	for i, a := range amounts {
		bh := 0
		if max > 0 {
			bh = int(int64(a) * int64(h-10) / int64(max))
		}
		x := i*step + (step-bar)/2
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#333"><title>%s: %s</title></rect>`,
			x, h-bh, bar, bh, template.HTMLEscapeString(labels[i]), template.HTMLEscapeString(l.Money(a)))
		if i%3 == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#000">%s</text>`, i*step, h+14, template.HTMLEscapeString(labels[i]))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

// transferred shows what moved between units: "+in", "−out" or both.
func transferred(l i18n.Lang, f ledger.FundFigures) string {
	var parts []string
	if f.TransferredIn > 0 {
		parts = append(parts, "+"+l.Money(f.TransferredIn))
	}
	if f.TransferredOut > 0 {
		parts = append(parts, "−"+l.Money(f.TransferredOut))
	}
	if len(parts) == 0 {
		return l.Money(0)
	}
	return strings.Join(parts, " / ")
}
