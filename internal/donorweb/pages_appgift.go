package donorweb

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// The "I gave in the bKash app — get my receipt" page: a donor who gave to
// the Samiti through the bKash app's donation option enters the TrxID from
// bKash's SMS and the number they paid from; once bKash confirms the
// payment the gift is recorded and its status page shows the receipt.

var appGiftFields = []string{"trx", "phone", "kind", "programme", "name", "anonymous", "tin"}

type appGiftView struct {
	Heading, Sub, Action string
	Notice               string
	TrxID, Phone         webkit.Field
	Kinds                []webkit.Choice
	KindErr              string
	Programmes           []webkit.Choice
	ProgrammeErr         string
	Name                 webkit.Field
	Anonymous            bool
	TIN                  webkit.Field
	DonateURL            string
}

func (h *handlers) appGiftPage(c *fiber.Ctx) error {
	u, err := h.Units.Servable(c.UserContext(), c.Params("code"))
	if err != nil || h.AppGifts == nil {
		return h.donateUnavailable(c, nil, orNotFound(err))
	}
	form := map[string]string{"kind": string(donations.General)}
	return h.renderAppGift(c, webkit.Lang(c), u, form, nil, "", fiber.StatusOK)
}

func orNotFound(err error) error {
	if err == nil {
		return units.ErrNotFound
	}
	return err
}

func (h *handlers) appGiftSubmit(c *fiber.Ctx) error {
	u, err := h.Units.Servable(c.UserContext(), c.Params("code"))
	if err != nil || h.AppGifts == nil {
		return h.donateUnavailable(c, nil, orNotFound(err))
	}
	l := webkit.Lang(c)
	form := make(map[string]string, len(appGiftFields))
	for _, f := range appGiftFields {
		form[f] = strings.TrimSpace(c.FormValue(f))
	}
	d, _, err := h.AppGifts.Claim(c.UserContext(), u.Code, app.AppGiftRequest{
		TrxID: i18n.ASCIIDigits(form["trx"]), Phone: i18n.ASCIIDigits(form["phone"]), Kind: form["kind"], Programme: form["programme"],
		Name: form["name"], TIN: i18n.ASCIIDigits(form["tin"]), Anonymous: form["anonymous"] != "", ClientIP: c.IP(),
	})
	var v validation.Errors
	switch {
	case err == nil:
		return c.Redirect("/donations/"+url.PathEscape(d.ID)+"?lang="+string(l), fiber.StatusSeeOther)
	case errors.As(err, &v):
		return h.renderAppGift(c, l, u, form, v, "", fiber.StatusUnprocessableEntity)
	}
	p, ok := webkit.AppGiftProblem(err)
	switch {
	case ok:
		if p.Status == fiber.StatusTooManyRequests {
			c.Set(fiber.HeaderRetryAfter, "3600")
		}
		return h.renderAppGift(c, l, u, form, nil, appGiftNotice(l, err), p.Status)
	case errors.Is(err, app.ErrPaymentUnavailable), errors.Is(err, app.ErrPaymentNoAnswer):
		return h.renderAppGift(c, l, u, form, nil, l.T("appgift.err.bkash"), fiber.StatusServiceUnavailable)
	}
	return err
}

// appGiftNotice says in the donor's language why a claim was refused.
func appGiftNotice(l i18n.Lang, err error) string {
	switch {
	case errors.Is(err, donations.ErrTrxNotFound):
		return l.T("appgift.err.not-found")
	case errors.Is(err, donations.ErrTrxForeign):
		return l.T("appgift.err.foreign")
	case errors.Is(err, donations.ErrTrxClaimed):
		return l.T("appgift.err.claimed")
	case errors.Is(err, donations.ErrTrxPayer):
		return l.T("appgift.err.payer")
	case errors.Is(err, donations.ErrTrxTooOld):
		return l.T("appgift.err.too-old")
	case errors.Is(err, app.ErrClaimRateLimited):
		return l.T("appgift.err.rate")
	case errors.Is(err, app.ErrAppGiftsUnavailable):
		return l.T("appgift.err.unavailable")
	}
	return l.T("appgift.err.bkash")
}

func (h *handlers) renderAppGift(c *fiber.Ctx, l i18n.Lang, u *units.Unit, form map[string]string, verrs validation.Errors, notice string, status int) error {
	fe := &webkit.FormErrors{}
	for _, e := range verrs {
		switch e.Field {
		case "trxID":
			fe.Add("trx", l.T("appgift.err.trx"))
		case "donor.phone":
			fe.Add("phone", l.T("donate.err.phone"))
		case "kind":
			fe.Add("kind-general", l.T("donate.err.kind"))
		case "programme":
			fe.Add("programme", l.T("donate.err.programme"))
		case "donor.name":
			if strings.Contains(e.Message, "at most") {
				fe.Add("name", l.T("donate.err.name-long"))
			} else {
				fe.Add("name", l.T("donate.err.name"))
			}
		case "donor.tin":
			fe.Add("tin", l.T("donate.err.tin"))
		default:
			fe.Add("trx", e.Field+": "+e.Message)
		}
	}
	if notice != "" {
		// Not one field's fault alone: the summary says it and points at the TrxID.
		fe.List = append(fe.List, webkit.FieldError{ID: "trx", Msg: notice})
	}
	v := &appGiftView{
		Heading: l.T("appgift.title"), Sub: webkit.UnitName(l, u), Notice: notice,
		Action:    "/u/" + url.PathEscape(u.Code) + "/bkash-app?lang=" + string(l),
		Anonymous: form["anonymous"] != "", DonateURL: "/d/" + url.PathEscape(u.Code),
	}
	v.TrxID = webkit.Field{ID: "trx", Name: "trx", Type: "text", Autocomplete: "off", Value: form["trx"], Required: true,
		Label: l.T("appgift.trx"), Hint: l.T("appgift.trx-hint"), Err: fe.Get("trx")}
	v.Phone = webkit.Field{ID: "phone", Name: "phone", Type: "tel", InputMode: "tel", Autocomplete: "tel", Value: form["phone"], Required: true,
		Label: l.T("appgift.phone"), Hint: l.T("appgift.phone-hint"), Err: fe.Get("phone")}
	for _, k := range []string{"general", "sadaqah", "zakat"} {
		v.Kinds = append(v.Kinds, webkit.Choice{Value: k, Label: l.Kind(k), Hint: l.T("donate.kind-hint." + k), Checked: form["kind"] == k})
	}
	v.KindErr = fe.Get("kind-general")
	for _, p := range u.Policy.Programmes {
		v.Programmes = append(v.Programmes, webkit.Choice{Value: p, Label: l.Programme(p), Checked: form["programme"] == p})
	}
	v.ProgrammeErr = fe.Get("programme")
	v.Name = webkit.Field{ID: "name", Name: "name", Type: "text", Autocomplete: "name", Value: form["name"],
		Label: l.T("donate.name"), Hint: l.T("donate.name-hint"), Err: fe.Get("name")}
	v.TIN = webkit.Field{ID: "tin", Name: "tin", Type: "text", InputMode: "numeric", Value: form["tin"],
		Label: l.T("donate.tin"), Hint: l.T("donate.tin-hint"), Err: fe.Get("tin")}
	pg := webkit.NewPage(c, l, v.Heading, v)
	pg.Errors = fe.List
	return pages.Render(c, status, "appgift", pg)
}
