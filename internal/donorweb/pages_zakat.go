package donorweb

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
	"github.com/kalyan-platform/kalyan/internal/zakat"
)

// The zakat calculator is a GET form: the result is a plain page for the
// same address, so it works without JavaScript, can be bookmarked or shared,
// and the language switch keeps the figures.

type zakatRow struct{ Label, Value string }

type zakatResult struct {
	Due                bool
	Headline           string
	Rows               []zakatRow
	GiveURL, GiveLabel string
	GiveNote           string
}

type zakatView struct {
	Unit                                 string
	Result                               *zakatResult
	Cash, Savings, Receivables, Debts    webkit.Field
	Gold, GoldPrice, Silver, SilverPrice webkit.Field
	NisabGold, NisabSilver               webkit.Field
	Bases                                []webkit.Choice
	BasisErr                             string
	NisabOpen                            bool
}

// zakatFieldOrder is the page order, for the error summary.
var zakatFieldOrder = []string{zakat.FieldCash, zakat.FieldSavings, zakat.FieldReceivables, zakat.FieldGold, zakat.FieldGoldPrice,
	zakat.FieldSilver, zakat.FieldSilverPrice, zakat.FieldDebts, zakat.FieldBasis, zakat.FieldNisabGold, zakat.FieldNisabSilver}

func (h *handlers) zakatSettings() zakat.Settings {
	if h.Zakat == (zakat.Settings{}) {
		return zakat.DefaultSettings()
	}
	return h.Zakat
}

func (h *handlers) zakatPage(c *fiber.Ctx) error {
	l := webkit.Lang(c)
	s := h.zakatSettings()
	submitted := c.Query("calc") != ""
	// Prices, nisab weights and basis left empty (or left out of a shared
	// link) take the defaults; wealth left empty is zero.
	raw := func(name, def string) string {
		if v := strings.TrimSpace(c.Query(name)); submitted && (v != "" || def == "") {
			return v
		}
		return def
	}
	v := &zakatView{}
	var unit *units.Unit
	if code := c.Query("unit"); code != "" {
		if u, err := h.Units.Servable(c.UserContext(), code); err == nil {
			unit, v.Unit = u, u.Code
		}
	}
	mk := func(name, labelKey, hintKey, def string) webkit.Field {
		f := webkit.Field{ID: name, Name: name, Type: "text", InputMode: "decimal", Label: l.T(labelKey), Value: raw(name, def)}
		if hintKey != "" {
			f.Hint = l.T(hintKey)
		}
		return f
	}
	v.Cash = mk(zakat.FieldCash, "zakat.cash", "", "")
	v.Savings = mk(zakat.FieldSavings, "zakat.savings", "zakat.savings-hint", "")
	v.Receivables = mk(zakat.FieldReceivables, "zakat.receivables", "zakat.receivables-hint", "")
	v.Gold = mk(zakat.FieldGold, "zakat.gold", "zakat.grams-hint", "")
	v.GoldPrice = mk(zakat.FieldGoldPrice, "zakat.gold-price", "zakat.price-hint", l.Plain(s.GoldPricePerGram))
	v.Silver = mk(zakat.FieldSilver, "zakat.silver", "zakat.grams-hint", "")
	v.SilverPrice = mk(zakat.FieldSilverPrice, "zakat.silver-price", "zakat.price-hint", l.Plain(s.SilverPricePerGram))
	v.Debts = mk(zakat.FieldDebts, "zakat.debts", "zakat.debts-hint", "")
	v.NisabGold = mk(zakat.FieldNisabGold, "zakat.nisab-gold", "", l.Digits(s.NisabGold.String()))
	v.NisabSilver = mk(zakat.FieldNisabSilver, "zakat.nisab-silver", "", l.Digits(s.NisabSilver.String()))
	basis := zakat.Basis(raw(zakat.FieldBasis, string(s.Basis)))
	for _, b := range []zakat.Basis{zakat.Silver, zakat.Gold} {
		v.Bases = append(v.Bases, webkit.Choice{Value: string(b), Label: l.T("zakat.basis-" + string(b)), Checked: b == basis})
	}

	pg := webkit.NewPage(c, l, l.T("zakat.title"), v)
	if !submitted {
		return pages.Render(c, fiber.StatusOK, "zakat", pg)
	}

	// Parse every input, then calculate; errors of both kinds are shown
	// next to their fields in the donor's language.
	errs := map[string]string{}
	amount := func(f *webkit.Field) money.Amount {
		s := i18n.NormalizeNumber(f.Value)
		if s == "" {
			return 0
		}
		a, err := money.Parse(s)
		switch {
		case errors.Is(err, money.ErrTooLarge):
			errs[f.Name] = l.T("zakat.err.large")
		case errors.Is(err, money.ErrNegative):
			errs[f.Name] = l.T("zakat.err.negative")
		case err != nil:
			errs[f.Name] = l.T("zakat.err.taka")
		}
		return a
	}
	grams := func(f *webkit.Field) zakat.Grams {
		s := i18n.NormalizeNumber(strings.TrimSuffix(strings.TrimSuffix(f.Value, "গ্রাম"), "g"))
		g, err := zakat.ParseGrams(s)
		switch {
		case errors.Is(err, zakat.ErrGramsRange):
			errs[f.Name] = l.T("zakat.err.large")
		case err != nil:
			errs[f.Name] = l.T("zakat.err.grams")
		}
		return g
	}
	in := zakat.Input{
		Cash: amount(&v.Cash), Savings: amount(&v.Savings), Receivables: amount(&v.Receivables), Debts: amount(&v.Debts),
		Gold: grams(&v.Gold), Silver: grams(&v.Silver),
		GoldPricePerGram: amount(&v.GoldPrice), SilverPricePerGram: amount(&v.SilverPrice),
		NisabGold: grams(&v.NisabGold), NisabSilver: grams(&v.NisabSilver), Basis: basis,
	}
	var r zakat.Result
	if len(errs) == 0 {
		var err error
		r, err = zakat.Calculate(in)
		if ve, ok := validation.As(err); ok {
			for _, e := range ve {
				if _, seen := errs[e.Field]; !seen {
					errs[e.Field] = zakatMessage(l, e.Message)
				}
			}
		} else if err != nil {
			return err
		}
	}
	if len(errs) > 0 {
		fe := &webkit.FormErrors{}
		for _, name := range zakatFieldOrder {
			if msg, ok := errs[name]; ok {
				id := name
				if name == zakat.FieldBasis {
					id = "basis-silver"
				}
				fe.Add(id, msg)
			}
		}
		for _, f := range []*webkit.Field{&v.Cash, &v.Savings, &v.Receivables, &v.Gold, &v.GoldPrice, &v.Silver, &v.SilverPrice, &v.Debts, &v.NisabGold, &v.NisabSilver} {
			f.Err = errs[f.Name]
		}
		v.BasisErr = errs[zakat.FieldBasis]
		v.NisabOpen = v.NisabGold.Err != "" || v.NisabSilver.Err != ""
		pg.Errors = fe.List
		return pages.Render(c, fiber.StatusUnprocessableEntity, "zakat", pg)
	}
	v.NisabOpen = in.NisabGold != s.NisabGold || in.NisabSilver != s.NisabSilver
	v.Result = zakatResultView(l, in, r, unit)
	return pages.Render(c, fiber.StatusOK, "zakat", pg)
}

func zakatMessage(l i18n.Lang, msg string) string {
	switch msg {
	case zakat.MsgNegative:
		return l.T("zakat.err.negative")
	case zakat.MsgTooLarge:
		return l.T("zakat.err.large")
	case zakat.MsgPriceMissing:
		return l.T("zakat.err.price")
	case zakat.MsgNisabWeight:
		return l.T("zakat.err.nisab")
	case zakat.MsgBasis:
		return l.T("zakat.err.basis")
	}
	return msg
}

func zakatResultView(l i18n.Lang, in zakat.Input, r zakat.Result, unit *units.Unit) *zakatResult {
	grams := func(g zakat.Grams) string { return l.Digits(g.String()) }
	zr := &zakatResult{Due: r.Due}
	zr.Rows = append(zr.Rows, zakatRow{l.T("zakat.row.money"), l.Money(in.Cash + in.Savings + in.Receivables)})
	if in.Gold > 0 {
		zr.Rows = append(zr.Rows, zakatRow{l.F("zakat.row.gold", grams(in.Gold), l.Money(in.GoldPricePerGram)), l.Money(r.GoldValue)})
	}
	if in.Silver > 0 {
		zr.Rows = append(zr.Rows, zakatRow{l.F("zakat.row.silver", grams(in.Silver), l.Money(in.SilverPricePerGram)), l.Money(r.SilverValue)})
	}
	zr.Rows = append(zr.Rows,
		zakatRow{l.T("zakat.row.debts"), "− " + l.Money(r.Debts)},
		zakatRow{l.T("zakat.row.net"), l.Money(r.Net)},
		zakatRow{l.F("zakat.row.nisab-"+string(r.Basis), grams(r.NisabGrams)), l.Money(r.NisabValue)},
		zakatRow{l.T("zakat.row.zakat"), l.Money(r.Zakat)},
	)
	if !r.Due {
		zr.Headline = l.T("zakat.not-due")
		return zr
	}
	zr.Headline = l.F("zakat.due", l.Money(r.Zakat))
	give := r.Zakat
	if unit == nil {
		zr.GiveURL = "/?" + url.Values{"zakat": {plainAmount(give)}}.Encode()
		zr.GiveLabel = l.F("zakat.give-choose", l.Money(give))
		return zr
	}
	if give > unit.Policy.MaxDonation {
		give = unit.Policy.MaxDonation
		zr.GiveNote = l.F("zakat.give-max", l.Money(give))
	}
	zr.GiveURL = "/d/" + url.PathEscape(unit.Code) + "?" + url.Values{"amount": {plainAmount(give)}, "kind": {"zakat"}}.Encode()
	zr.GiveLabel = l.F("zakat.give-unit", l.Money(give), webkit.UnitName(l, unit))
	return zr
}
