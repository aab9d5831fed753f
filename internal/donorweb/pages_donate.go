package donorweb

import (
	"context"
	"errors"
	"net/url"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// donateTarget is what a donor opening /d/{slug} gives to: a unit, through
// its own link (slug = unit code) or a campaign link with presets.
type donateTarget struct {
	Slug string
	Unit *units.Unit
	// Campaign titles; empty for a unit's own link.
	TitleBN, TitleEN string
	// Presets of the link: kind and programme to pre-select, amounts to offer.
	Kind, Programme string
	Amounts         []money.Amount
}

// resolveDonate is the one place the donate page learns what a slug gives
// to. The target is returned whenever it is known, even with an error, so a
// page can say whose link it was (an ended campaign of a unit still open).
func (h *handlers) resolveDonate(ctx context.Context, slug string) (*donateTarget, error) {
	if h.Links == nil {
		u, err := h.Units.Servable(ctx, slug)
		if u == nil {
			return nil, err
		}
		return &donateTarget{Slug: u.Code, Unit: u}, err
	}
	l, u, err := h.Links.Resolve(ctx, slug)
	if l == nil || u == nil {
		if err == nil {
			err = links.ErrNotFound
		}
		return nil, err
	}
	t := &donateTarget{Slug: l.Slug, Unit: u, Kind: l.Kind, Programme: l.Programme, Amounts: l.Amounts}
	if l.Slug != u.Code {
		t.TitleBN, t.TitleEN = l.TitleBN, l.TitleEN
	}
	return t, err
}

// donateUnavailable answers a donate page that cannot take gifts: a kind
// page for browsers (404 unknown, 410 ended/disabled/archived) offering
// where to give instead, problem+json for everyone else.
func (h *handlers) donateUnavailable(c *fiber.Ctx, t *donateTarget, err error) error {
	var p webkit.Problem
	switch {
	case errors.Is(err, links.ErrNotFound), errors.Is(err, units.ErrNotFound):
		p = webkit.Problem{Type: webkit.ProblemBase + "link-not-found", Title: "No such donation link", Status: fiber.StatusNotFound,
			Detail: "Check the address, or choose a hospital on the home page."}
	case errors.Is(err, links.ErrExpired):
		p = webkit.Problem{Type: webkit.ProblemBase + "link-ended", Title: "This donation campaign has ended", Status: fiber.StatusGone,
			Detail: "The hospital's own link still takes gifts."}
	case errors.Is(err, links.ErrDisabled):
		p = webkit.Problem{Type: webkit.ProblemBase + "link-disabled", Title: "This donation link is switched off", Status: fiber.StatusGone,
			Detail: "The hospital's own link still takes gifts."}
	default:
		return err // archived units and store errors: the error handler maps them
	}
	if !webkit.WantsHTML(c) {
		return p.Err()
	}
	l := webkit.Lang(c)
	title, detail := webkit.ProblemText(l, p)
	ep := &webkit.ErrorPage{Status: p.Status, Heading: title, Text: detail}
	if t != nil && t.Unit != nil && t.Unit.Status == units.Active {
		ep.Next = append(ep.Next, webkit.Link{Label: l.F("error.give-to", webkit.UnitName(l, t.Unit)), Href: "/d/" + url.PathEscape(t.Unit.Code)})
	}
	ep.Next = append(ep.Next, webkit.Link{Label: l.T("error.home"), Href: "/"})
	return webkit.ShowError(c, l, title, ep)
}

// donateFields are the form's inputs, as posted.
var donateFields = []string{"key", "amount", "amount_other", "kind", "programme", "name", "anonymous", "phone", "email", "tin"}

func (h *handlers) donatePage(c *fiber.Ctx) error {
	t, err := h.resolveDonate(c.UserContext(), c.Params("slug"))
	if err != nil {
		return h.donateUnavailable(c, t, err)
	}
	l := webkit.Lang(c)
	form := map[string]string{"kind": t.Kind, "programme": t.Programme}
	if k := c.Query("kind"); k == "zakat" || k == "sadaqah" || k == "general" {
		form["kind"] = k
	}
	if p := c.Query("programme"); t.Unit.HasProgramme(p) {
		form["programme"] = p
	}
	if a, err := money.Parse(i18n.NormalizeNumber(c.Query("amount"))); err == nil && a > 0 {
		if slices.Contains(presetAmounts(t), a) {
			form["amount"] = plainAmount(a)
		} else {
			form["amount_other"] = l.Plain(a)
		}
	}
	if form["kind"] == "" {
		form["kind"] = string(donations.Zakat)
	}
	return h.renderDonate(c, l, t, webkit.NewKey(), form, nil, fiber.StatusOK)
}

// donateSubmit creates the donation from the form and sends the donor to
// bKash. The form's hidden key is the Idempotency-Key, so a double tap
// creates one donation and one payment.
func (h *handlers) donateSubmit(c *fiber.Ctx) error {
	t, err := h.resolveDonate(c.UserContext(), c.Params("slug"))
	if err != nil {
		return h.donateUnavailable(c, t, err)
	}
	l := webkit.Lang(c)
	form := make(map[string]string, len(donateFields))
	for _, f := range donateFields {
		form[f] = strings.TrimSpace(c.FormValue(f))
	}
	var req donations.Request
	// A typed amount wins over a preset: typing is the more deliberate act.
	req.Amount = i18n.NormalizeNumber(form["amount_other"])
	if req.Amount == "" {
		req.Amount = i18n.NormalizeNumber(form["amount"])
	}
	req.Kind, req.Programme, req.Anonymous = form["kind"], form["programme"], form["anonymous"] != ""
	req.Donor.Name = form["name"]
	req.Donor.Phone = i18n.ASCIIDigits(form["phone"])
	req.Donor.Email = form["email"]
	req.Donor.TIN = i18n.ASCIIDigits(form["tin"])
	key := webkit.FormKey(form["key"])
	d, _, err := h.Donations.Create(c.UserContext(), t.Unit.Code, key, req)
	var v validation.Errors
	switch {
	case errors.As(err, &v):
		// Nothing was created: the same key is still fresh.
		return h.renderDonate(c, l, t, key, form, v, fiber.StatusUnprocessableEntity)
	case errors.Is(err, donations.ErrKeyReused):
		// The donor came back to a form already paid from and changed it:
		// this is a new gift, so it needs a new key.
		v = validation.Errors{{Field: "form", Message: "resubmit"}}
		return h.renderDonate(c, l, t, webkit.NewKey(), form, v, fiber.StatusUnprocessableEntity)
	case errors.Is(err, app.ErrPaymentUnavailable):
		// Keep what the donor typed: they only need to press Pay again.
		v = validation.Errors{{Field: "form", Message: "bkash"}}
		return h.renderDonate(c, l, t, key, form, v, fiber.StatusServiceUnavailable)
	case err != nil:
		return err
	}
	if d.Status != donations.Initiated {
		return c.Redirect("/donations/"+d.ID, fiber.StatusSeeOther)
	}
	return c.Redirect(d.PaymentURL, fiber.StatusSeeOther)
}

// defaultPresets are offered when a link has none, within the unit's limits.
var defaultPresets = []money.Amount{money.Taka(500), money.Taka(1_000), money.Taka(2_000), money.Taka(5_000), money.Taka(10_000)}

func presetAmounts(t *donateTarget) []money.Amount {
	if len(t.Amounts) > 0 {
		return t.Amounts
	}
	var out []money.Amount
	for _, a := range defaultPresets {
		if a >= t.Unit.Policy.MinDonation && a <= t.Unit.Policy.MaxDonation {
			out = append(out, a)
		}
	}
	return out
}

// plainAmount is an amount as a form value in ASCII ("500", "500.50").
func plainAmount(a money.Amount) string { return strings.TrimSuffix(a.String(), ".00") }

type donateView struct {
	Heading, Sub string
	Action, Key  string
	Presets      []webkit.Choice
	Other        webkit.Field
	Kinds        []webkit.Choice
	KindErr      string
	Programmes   []webkit.Choice
	ProgrammeErr string
	Name         webkit.Field
	Anonymous    bool
	Phone        webkit.Field
	Email        webkit.Field
	TIN          webkit.Field
	ZakatURL     string
	// AppGiftURL is the page claiming a gift made in the bKash app.
	AppGiftURL string
}

func (h *handlers) renderDonate(c *fiber.Ctx, l i18n.Lang, t *donateTarget, key string, form map[string]string, verrs validation.Errors, status int) error {
	u := t.Unit
	fe := donateErrors(l, u, verrs)
	v := &donateView{Key: key, Action: "/d/" + url.PathEscape(t.Slug) + "?lang=" + string(l), Anonymous: form["anonymous"] != ""}
	v.Heading = webkit.UnitName(l, u)
	v.Sub = l.District(u.District)
	if title := campaignTitle(l, t); title != "" {
		v.Heading, v.Sub = title, webkit.UnitName(l, u)
	}
	for _, a := range presetAmounts(t) {
		v.Presets = append(v.Presets, webkit.Choice{Value: plainAmount(a), Label: l.Money(a), Checked: form["amount"] == plainAmount(a) && form["amount_other"] == ""})
	}
	v.Other = webkit.Field{ID: "amount-other", Name: "amount_other", Type: "text", InputMode: "decimal", Value: form["amount_other"],
		Label: l.T("donate.amount-other"), Hint: l.F("donate.amount-hint", l.Money(u.Policy.MinDonation), l.Money(u.Policy.MaxDonation)),
		Err: fe.Get("amount-other")}
	if len(v.Presets) == 0 {
		v.Other.Label, v.Other.Required = l.T("donate.amount-taka"), true
	}
	for _, k := range []string{"zakat", "sadaqah", "general"} {
		v.Kinds = append(v.Kinds, webkit.Choice{Value: k, Label: l.Kind(k), Hint: l.T("donate.kind-hint." + k), Checked: form["kind"] == k})
	}
	v.KindErr = fe.Get("kind-zakat")
	for _, p := range u.Policy.Programmes {
		v.Programmes = append(v.Programmes, webkit.Choice{Value: p, Label: l.Programme(p), Checked: form["programme"] == p})
	}
	v.ProgrammeErr = fe.Get("programme")
	v.Name = webkit.Field{ID: "name", Name: "name", Type: "text", Autocomplete: "name", Value: form["name"],
		Label: l.T("donate.name"), Hint: l.T("donate.name-hint"), Err: fe.Get("name")}
	v.Phone = webkit.Field{ID: "phone", Name: "phone", Type: "tel", InputMode: "tel", Autocomplete: "tel", Value: form["phone"], Required: true,
		Label: l.T("donate.phone"), Hint: l.T("donate.phone-hint"), Err: fe.Get("phone")}
	v.Email = webkit.Field{ID: "email", Name: "email", Type: "email", Autocomplete: "email", Value: form["email"],
		Label: l.T("donate.email"), Hint: l.T("donate.email-hint"), Err: fe.Get("email")}
	v.TIN = webkit.Field{ID: "tin", Name: "tin", Type: "text", InputMode: "numeric", Value: form["tin"],
		Label: l.T("donate.tin"), Hint: l.T("donate.tin-hint"), Err: fe.Get("tin")}
	v.ZakatURL = "/zakat?unit=" + url.QueryEscape(u.Code)
	if h.AppGifts != nil {
		v.AppGiftURL = "/u/" + url.PathEscape(u.Code) + "/bkash-app"
	}
	pg := webkit.NewPage(c, l, v.Heading, v)
	pg.Errors = fe.List
	return pages.Render(c, status, "donate", pg)
}

func campaignTitle(l i18n.Lang, t *donateTarget) string {
	if l == i18n.EN && t.TitleEN != "" || t.TitleBN == "" {
		return t.TitleEN
	}
	return t.TitleBN
}

// donateErrors turns the domain's field errors into messages in the page's
// language, keyed by the id of the input to fix. The domain speaks English
// to API clients; the page says the same thing in the donor's words.
func donateErrors(l i18n.Lang, u *units.Unit, v validation.Errors) *webkit.FormErrors {
	fe := &webkit.FormErrors{}
	for _, e := range v {
		switch e.Field {
		case "amount":
			fe.Add("amount-other", amountMessage(l, u, e.Message))
		case "kind":
			fe.Add("kind-zakat", l.T("donate.err.kind"))
		case "programme":
			fe.Add("programme", l.T("donate.err.programme"))
		case "donor.name":
			if strings.Contains(e.Message, "at most") {
				fe.Add("name", l.T("donate.err.name-long"))
			} else {
				fe.Add("name", webkit.TextMessage(l, e, "donate.err.name"))
			}
		case "donor.phone":
			fe.Add("phone", l.T("donate.err.phone"))
		case "donor.email":
			fe.Add("email", webkit.TextMessage(l, e, "donate.err.email"))
		case "donor.tin":
			fe.Add("tin", l.T("donate.err.tin"))
		case "form":
			// Not one field's fault: the summary says it, no input is marked.
			msg := l.T("donate.err.resubmit")
			if e.Message == "bkash" {
				msg = l.T("donate.err.bkash")
			}
			fe.List = append(fe.List, webkit.FieldError{ID: "amount-other", Msg: msg})
		default:
			fe.Add("amount-other", e.Field+": "+e.Message)
		}
	}
	return fe
}

func amountMessage(l i18n.Lang, u *units.Unit, msg string) string {
	switch msg {
	case money.ErrEmpty.Error():
		return l.T("donate.err.amount-empty")
	case money.ErrSyntax.Error(), money.ErrNegative.Error():
		return l.T("donate.err.amount-syntax")
	case money.ErrPrecision.Error():
		return l.T("donate.err.amount-paisa")
	}
	return l.F("donate.err.amount-range", l.Money(u.Policy.MinDonation), l.Money(u.Policy.MaxDonation))
}
