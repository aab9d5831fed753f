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

type fundRow struct {
	Name, BalanceLabel, Balance, Disbursed string
	// Sum is how the balance comes about, one signed line each, so the
	// figures visibly add up on a phone.
	Sum []sumLine
}

type sumLine struct{ Label, Amount string }

type monthRow struct{ Label, Amount string }

type unitView struct {
	Name, GiveURL string
	Funds         []fundRow
	Total         fundRow
	Months        []monthRow
	Chart         template.HTML
	// Contact is the unit's contact and complaints block (pages_info.go).
	Contact *unitContactView
	// Reach is the patients helped and the recent disbursements.
	Reach *reachView
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
	v := &unitView{Name: webkit.UnitName(l, u), Contact: newUnitContact(l, u)}
	v.Contact.AccountsURL = "" // this page is the accounts
	if u.Servable() == nil {
		v.GiveURL = "/d/" + u.Code
	}
	var total ledger.FundFigures
	for _, f := range restrictedOrder(u.Policy.Programmes, funds) {
		v.Funds = append(v.Funds, figuresRow(l, fundLabel(l, f.Fund), f))
		total.Received += f.Received
		total.Allocated += f.Allocated
		total.Disbursed += f.Disbursed
		total.Refunded += f.Refunded
		total.Held += f.Held
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
	if h.Reach != nil {
		if v.Reach, err = h.reach(c.UserContext(), l, u.Code); err != nil {
			return err
		}
	}
	return pages.Render(c, fiber.StatusOK, "unit", webkit.NewPage(c, l, l.F("unit.title", v.Name), v))
}

// figuresRow is a fund's card: received, then each signed movement, adding
// up to the balance (ledger.FundFigures.Balance); a line that moved nothing
// but transfers and held refunds is left out.
func figuresRow(l i18n.Lang, name string, f ledger.FundFigures) fundRow {
	r := fundRow{Name: name, BalanceLabel: l.T("unit.balance"), Balance: l.Money(f.Balance()), Disbursed: l.F("unit.of-allocated", l.Money(f.Disbursed))}
	r.Sum = append(r.Sum, sumLine{l.T("unit.received"), "+" + l.Money(f.Received)})
	if f.TransferredIn > 0 || f.TransferredOut > 0 {
		r.Sum = append(r.Sum, sumLine{l.T("unit.transferred"), transferred(l, f)})
	}
	r.Sum = append(r.Sum, sumLine{l.T("unit.refunded"), "−" + l.Money(f.Refunded)})
	if f.Held > 0 {
		r.Sum = append(r.Sum, sumLine{l.T("unit.held"), "−" + l.Money(f.Held)})
	}
	r.Sum = append(r.Sum, sumLine{l.T("unit.allocated"), "−" + l.Money(f.Allocated)})
	return r
}

// restrictedOrder lists each restricted fund as its own card in the order a
// donor chooses them: zakat, zakat for each programme (even before it has
// moved money), each programme, sadaqah, general, then the rest (grant,
// programmes the unit has since dropped).
func restrictedOrder(programmes []string, funds []ledger.FundFigures) []ledger.FundFigures {
	byName := make(map[string]ledger.FundFigures, len(funds))
	for _, f := range funds {
		byName[f.Fund] = f
	}
	names := []string{"zakat"}
	for _, p := range programmes {
		names = append(names, "zakat:"+p)
	}
	names = append(names, programmes...)
	names = append(names, "sadaqah", "general")
	out := make([]ledger.FundFigures, 0, len(funds)+len(programmes))
	seen := map[string]bool{}
	for _, n := range names {
		f, ok := byName[n]
		if !ok {
			f = ledger.FundFigures{Fund: n}
		}
		out = append(out, f)
		seen[n] = true
	}
	for _, f := range funds {
		if !seen[f.Fund] {
			out = append(out, f)
		}
	}
	return out
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

// barChart draws the months as bars (black on white, prints well) over a
// scale: the taka at zero, half and the top of the axis, with grid lines.
// The figures are also in the table that follows.
func barChart(l i18n.Lang, labels []string, amounts []money.Amount) template.HTML {
	const w, h, left, bottom, top, bar = 400, 140, 64, 20, 8, 20
	var max money.Amount
	for _, a := range amounts {
		max = maxAmount(max, a)
	}
	scale := niceCeil(max)
	var b strings.Builder
	fmt.Fprintf(&b, `<svg viewBox="0 0 %d %d" width="100%%" role="img" aria-label="%s">`, w, h+bottom, template.HTMLEscapeString(l.F("unit.chart-label", l.Money(max))))
	for i := 0; i <= 2; i++ {
		y := h - (h-top)*i/2
		fmt.Fprintf(&b, `<line x1="%d" y1="%d" x2="%d" y2="%d" stroke="%s"/>`, left, y, w, y, map[bool]string{true: "#000", false: "#999"}[i == 0])
		fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" text-anchor="end" fill="#000">%s</text>`, left-4, y+4,
			template.HTMLEscapeString(l.Money(scale*money.Amount(i)/2)))
	}
	step := (w - left) / len(amounts)
	for i, a := range amounts {
		bh := 0
		if scale > 0 {
			bh = int(int64(a) * int64(h-top) / int64(scale))
		}
		x := left + i*step + (step-bar)/2
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#333"><title>%s: %s</title></rect>`,
			x, h-bh, bar, bh, template.HTMLEscapeString(labels[i]), template.HTMLEscapeString(l.Money(a)))
		if i%3 == 0 {
			fmt.Fprintf(&b, `<text x="%d" y="%d" font-size="10" fill="#000">%s</text>`, left+i*step, h+14, template.HTMLEscapeString(labels[i]))
		}
	}
	b.WriteString(`</svg>`)
	return template.HTML(b.String())
}

func maxAmount(a, b money.Amount) money.Amount {
	if a > b {
		return a
	}
	return b
}

// niceCeil rounds an amount up to whole taka of 1, 2 or 5 times a power of
// ten, so the scale reads "৳৫০,০০০" rather than "৳৪৭,৩১২.৫০".
func niceCeil(a money.Amount) money.Amount {
	if a <= 0 {
		return 0
	}
	taka := (int64(a) + 99) / 100
	for p := int64(1); ; p *= 10 {
		for _, m := range []int64{1, 2, 5} {
			if m*p >= taka {
				return money.Amount(m * p * 100)
			}
		}
	}
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
