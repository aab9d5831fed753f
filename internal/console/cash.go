package console

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// A cash gift at the counter: the form records it through the same use case
// and idempotency as the API's cash gift (the form's hidden key is the
// Idempotency-Key, scoped to the staff member, so a double submit records
// one gift), then the gift's page opens its signed A5 receipt to print.

type cashView struct {
	consoleView
	Action, Key               string
	Name, Mobile, TIN, Amount webkit.Field
	Kind, Programme           selectField
	HasProgrammes             bool
	Intro                     string
	CashBook                  string
}

var cashFields = []string{"name", "mobile", "tin", "kind", "programme", "amount", "key"}

func (cs *console) cashPage(c *fiber.Ctx) error {
	unit, err := cs.unitOf(c, webkit.CashRoles...)
	if err != nil {
		return err
	}
	return cs.renderCash(c, fiber.StatusOK, unit, webkit.NewKey(), map[string]string{"kind": string(donations.General)}, &webkit.FormErrors{})
}

func (cs *console) renderCash(c *fiber.Ctx, status int, unit, key string, form map[string]string, fe *webkit.FormErrors) error {
	l := webkit.Lang(c)
	u, err := cs.h.Units.Get(c.UserContext(), unit)
	if err != nil {
		return err
	}
	v := &cashView{consoleView: cs.base(c, l, unit, l.T("console.cash.title"), "/console/cash"), Key: key}
	v.Action = "/console/cash" + v.UnitQ
	v.CashBook = "/console/cash-book" + v.UnitQ
	v.Intro = l.F("console.cash.intro", l.Money(u.Policy.MinDonation), l.Money(u.Policy.MaxDonation))
	v.Name = webkit.Field{ID: "name", Name: "name", Type: "text", Autocomplete: "off", Label: l.T("console.cash.f.name"),
		Hint: l.T("console.cash.f.name-hint"), Err: fe.Get("name"), Value: form["name"], Required: true}
	v.Mobile = webkit.Field{ID: "mobile", Name: "mobile", Type: "tel", InputMode: "tel", Autocomplete: "off", Label: l.T("console.cash.f.mobile"),
		Hint: l.T("console.cash.f.mobile-hint"), Err: fe.Get("mobile"), Value: form["mobile"], Required: true}
	v.TIN = webkit.Field{ID: "tin", Name: "tin", Type: "text", InputMode: "numeric", Autocomplete: "off", Label: l.T("console.cash.f.tin"),
		Hint: l.T("console.cash.f.tin-hint"), Err: fe.Get("tin"), Value: form["tin"]}
	v.Amount = webkit.Field{ID: "amount", Name: "amount", Type: "text", InputMode: "decimal", Autocomplete: "off", Label: l.T("console.cash.f.amount"),
		Hint: l.T("console.cash.f.amount-hint"), Err: fe.Get("amount"), Value: form["amount"], Required: true}
	kinds := []string{string(donations.Zakat), string(donations.Sadaqah), string(donations.General)}
	v.Kind = selectField{ID: "kind", Name: "kind", Label: l.T("console.cash.f.kind"), Err: fe.Get("kind")}
	for _, k := range kinds {
		v.Kind.Options = append(v.Kind.Options, webkit.Choice{Value: k, Label: l.Kind(k), Checked: form["kind"] == k})
	}
	v.Programme = selectField{ID: "programme", Name: "programme", Label: l.T("console.cash.f.programme"), Err: fe.Get("programme"),
		Blank: l.T("console.cash.f.no-programme")}
	for _, p := range u.Policy.Programmes {
		v.Programme.Options = append(v.Programme.Options, webkit.Choice{Value: p, Label: l.Programme(p), Checked: form["programme"] == p})
	}
	v.HasProgrammes = len(u.Policy.Programmes) > 0
	pg := webkit.NewPage(c, l, v.Heading, v)
	pg.Errors = fe.List
	return moneyPages.Render(c, status, "console_cash", pg)
}

// takeCash records the gift. Nothing is written unless every field is
// valid: the domain validates the whole request before the one insert.
func (cs *console) takeCash(c *fiber.Ctx) error {
	unit, err := cs.unitOf(c, webkit.CashRoles...)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	form := make(map[string]string, len(cashFields))
	for _, f := range cashFields {
		form[f] = strings.TrimSpace(c.FormValue(f))
	}
	var req donations.Request
	req.Amount = i18n.NormalizeNumber(form["amount"])
	req.Kind, req.Programme = form["kind"], form["programme"]
	req.Donor.Name = form["name"]
	req.Donor.Phone = i18n.ASCIIDigits(form["mobile"])
	req.Donor.TIN = i18n.ASCIIDigits(form["tin"])
	key := webkit.FormKey(form["key"])
	p := webkit.Caller(c)
	d, _, err := cs.h.Donations.CreateCash(c.UserContext(), unit, key, app.Collector{Subject: p.Subject, Name: p.Name}, req)
	var ve validation.Errors
	switch {
	case errors.As(err, &ve):
		u, uerr := cs.h.Units.Get(c.UserContext(), unit)
		if uerr != nil {
			return uerr
		}
		return cs.renderCash(c, fiber.StatusUnprocessableEntity, unit, key, form, giftErrors(l, u, ve))
	case errors.Is(err, donations.ErrKeyReused):
		// Back to a form already recorded, and changed: a new gift, so a
		// new key; the staff member checks and sends it again.
		fe := &webkit.FormErrors{}
		fe.List = append(fe.List, webkit.FieldError{ID: "amount", Msg: l.T("console.cash.err.resubmit")})
		return cs.renderCash(c, fiber.StatusUnprocessableEntity, unit, webkit.NewKey(), form, fe)
	case err != nil:
		return err
	}
	return c.Redirect("/console/cash/"+url.PathEscape(d.ID)+unitQ(c), fiber.StatusSeeOther)
}

// unitQ is a platform admin's ?unit= carried to the next page.
func unitQ(c *fiber.Ctx) string {
	if u := c.Query("unit"); u != "" && webkit.Caller(c).Role == auth.PlatformAdmin {
		return "?unit=" + url.QueryEscape(u)
	}
	return ""
}

// giftErrors says the domain's field errors in the page's language, keyed
// by the input to fix.
func giftErrors(l i18n.Lang, u *units.Unit, v validation.Errors) *webkit.FormErrors {
	fe := &webkit.FormErrors{}
	for _, e := range v {
		switch e.Field {
		case "amount":
			fe.Add("amount", cashAmountMessage(l, u, e.Message))
		case "kind":
			fe.Add("kind", l.T("console.cash.err.kind"))
		case "programme":
			fe.Add("programme", l.T("console.cash.err.programme"))
		case "donor.name":
			fe.Add("name", webkit.TextMessage(l, e, "console.cash.err.name"))
		case "donor.phone":
			fe.Add("mobile", l.T("console.cash.err.mobile"))
		case "donor.tin":
			fe.Add("tin", l.T("console.cash.err.tin"))
		default:
			fe.Add("amount", l.T("console.cash.err.other"))
		}
	}
	return fe
}

func cashAmountMessage(l i18n.Lang, u *units.Unit, msg string) string {
	switch msg {
	case money.ErrEmpty.Error(), money.ErrSyntax.Error(), money.ErrNegative.Error():
		return l.T("console.cash.err.amount")
	case money.ErrPrecision.Error():
		return l.T("console.cash.err.amount-paisa")
	}
	return l.F("console.cash.err.amount-range", l.Money(u.Policy.MinDonation), l.Money(u.Policy.MaxDonation))
}

// --- the gift's page: its receipt, ready to print ---

type giftView struct {
	consoleView
	ID, Amount, Kind, Programme, Donor, Mobile, TIN string
	Collector, At                                   string
	Serial, PDF, Verify                             string
	Refunded                                        string
	Again                                           string
}

func (cs *console) giftPage(c *fiber.Ctx) error {
	ctx := c.UserContext()
	g, err := cs.h.Donations.Get(ctx, c.Params("id"))
	if errors.Is(err, donations.ErrNotFound) {
		return webkit.NewProblem(fiber.StatusNotFound, "donation-not-found", "No such donation", "")
	}
	if err != nil {
		return err
	}
	if err := webkit.ActOn(c, g.Unit, webkit.CashRoles...); err != nil {
		return err
	}
	if g.Method != donations.Cash {
		return webkit.NewProblem(fiber.StatusNotFound, "donation-not-found", "No such donation", "")
	}
	l := webkit.Lang(c)
	v := &giftView{consoleView: cs.base(c, l, g.Unit, l.T("console.gift.title"), ""), ID: g.ID, Amount: l.Money(g.Amount),
		Kind: l.Kind(string(g.Kind)), Donor: g.Donor.Name, Mobile: l.Digits(contact.MaskMobile(g.Donor.Phone)), TIN: webkit.MaskTail(g.Donor.TIN, 3),
		Collector: staffName(l, g.CollectedByName), At: l.Digits(g.PaidAt.In(dhaka).Format("2006-01-02 15:04"))}
	v.Again = "/console/cash" + v.UnitQ
	if g.Programme != "" {
		v.Programme = l.Programme(g.Programme)
	}
	if r := g.Refunded(); r > 0 {
		v.Refunded = l.Money(r)
	}
	pg := webkit.NewPage(c, l, v.Heading, v)
	if g.Receipt == nil {
		// The receipt is signed by the workers a moment after the gift is
		// stored: the page looks again until it is there.
		pg.Refresh = "2"
	} else {
		v.Serial = g.Receipt.Serial
		v.PDF = "/api/v1/receipts/" + url.PathEscape(g.ID) + ".pdf"
		v.Verify = "/r/" + url.PathEscape(g.ID)
	}
	return moneyPages.Render(c, fiber.StatusOK, "console_gift", pg)
}
