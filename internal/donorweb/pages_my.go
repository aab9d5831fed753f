package donorweb

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// "My gifts" (issue 19): a donor proves their number with a one-time SMS
// code and sees every gift, receipt, refund and cancellation note across
// units, downloads receipts and statements, keeps a name, e-mail and TIN
// for future gifts, and asks for that kept data to be erased. The session
// is a sealed token (app.MyGifts) in a short-lived cookie for /my only,
// SameSite=Strict; every form post must also come from our own pages.

const (
	myCookie = "my"
	// myGiftsShown bounds the gifts a year lists on the page (weight on a
	// phone); the year's statement lists them all.
	myGiftsShown = 50
)

type myGiftView struct {
	Date, Unit, Kind, Amount, Refunded string
	Serial, ReceiptURL, PDFURL         string
	Notes                              []webkit.Link
}

type myYearView struct {
	FY, FYLabel, Total, StatementURL string
	Gifts                            []myGiftView
	More                             bool
}

type myView struct {
	// State is "signin", "code", "gifts" or "erased".
	State  string
	Phone  webkit.Field
	Code   webkit.Field
	Notice string
	// Code step.
	PhoneValue, Challenge, SentTo, Until string
	// Gifts step.
	Mobile, SessionUntil string
	Years                []myYearView
	Name, Email, TIN     webkit.Field
	Saved                bool
}

func (h *handlers) mySession(c *fiber.Ctx) (*app.MySession, bool) {
	s, err := h.MyGifts.Session(c.Cookies(myCookie))
	return s, err == nil
}

func (h *handlers) setMyCookie(c *fiber.Ctx, token string, maxAge int) {
	c.Cookie(&fiber.Cookie{Name: myCookie, Value: token, Path: "/my", MaxAge: maxAge, HTTPOnly: true,
		Secure: c.Protocol() == "https", SameSite: fiber.CookieSameSiteStrictMode})
}

// myPost guards the /my forms: only from our own pages.
func (h *handlers) myPost(c *fiber.Ctx) error {
	if !h.SameOrigin(c) {
		return webkit.ErrCrossSite
	}
	return c.Next()
}

func (h *handlers) myPage(c *fiber.Ctx) error {
	l := webkit.Lang(c)
	s, ok := h.mySession(c)
	if !ok {
		return h.renderMy(c, l, &myView{State: "signin"}, nil, fiber.StatusOK)
	}
	return h.renderGifts(c, l, s, nil, nil, fiber.StatusOK)
}

// myCode sends the sign-in code.
func (h *handlers) myCode(c *fiber.Ctx) error {
	l := webkit.Lang(c)
	phone := strings.TrimSpace(c.FormValue("phone"))
	sent, err := h.MyGifts.SendMyCode(c.UserContext(), i18n.ASCIIDigits(phone), h.ClientIP(c))
	v := &myView{State: "signin", PhoneValue: phone}
	if err != nil {
		return h.myFailed(c, l, v, err)
	}
	v.State, v.Challenge, v.SentTo = "code", sent.Challenge, l.Digits(sent.MobileMasked)
	v.Until = l.Digits(sent.Until.In(receipts.Dhaka()).Format("15:04"))
	return h.renderMy(c, l, v, nil, fiber.StatusOK)
}

// myLogin checks the code and opens the session.
func (h *handlers) myLogin(c *fiber.Ctx) error {
	l := webkit.Lang(c)
	phone, challenge := strings.TrimSpace(c.FormValue("phone")), c.FormValue("challenge")
	code := i18n.ASCIIDigits(strings.TrimSpace(c.FormValue("code")))
	token, s, err := h.MyGifts.SignIn(c.UserContext(), i18n.ASCIIDigits(phone), challenge, code)
	if err != nil {
		v := &myView{State: "code", PhoneValue: phone, Challenge: challenge}
		if m, err := mobileMasked(phone); err == nil {
			v.SentTo = l.Digits(m)
		}
		return h.myFailed(c, l, v, err)
	}
	h.setMyCookie(c, token, int(time.Until(s.Until()).Seconds()))
	return c.Redirect("/my?lang="+string(l), fiber.StatusSeeOther)
}

func mobileMasked(phone string) (string, error) {
	n, err := contact.NormalizeMobile(i18n.ASCIIDigits(phone))
	return contact.MaskMobile(n), err
}

// myFailed renders the sign-in step again with the reason, in words.
func (h *handlers) myFailed(c *fiber.Ctx, l i18n.Lang, v *myView, err error) error {
	var verrs validation.Errors
	status := fiber.StatusUnprocessableEntity
	switch {
	case errors.As(err, &verrs):
		for _, e := range verrs {
			switch e.Field {
			case "phone":
				if v.State == "code" {
					v.State, v.Notice = "signin", l.T("my.err.again")
				} else {
					return h.renderMy(c, l, v, validation.Errors{e}, status)
				}
			case "code":
				return h.renderMy(c, l, v, validation.Errors{e}, status)
			case "challenge":
				v.State, v.Notice = "signin", l.T("my.err.expired")
			}
		}
	case errors.Is(err, app.ErrCodeTries):
		v.State, v.Notice, status = "signin", l.T("my.err.tries"), fiber.StatusTooManyRequests
	case errors.Is(err, app.ErrRateLimited), errors.Is(err, app.ErrClientRateLimited):
		c.Set(fiber.HeaderRetryAfter, "3600")
		v.State, v.Notice, status = "signin", l.T("statement.err.rate"), fiber.StatusTooManyRequests
	case errors.Is(err, app.ErrCodeNotSent):
		c.Set(fiber.HeaderRetryAfter, "60")
		v.State, v.Notice, status = "signin", l.T("my.err.sms"), fiber.StatusServiceUnavailable
	default:
		return err
	}
	return h.renderMy(c, l, v, nil, status)
}

func (h *handlers) renderMy(c *fiber.Ctx, l i18n.Lang, v *myView, verrs validation.Errors, status int) error {
	fe := &webkit.FormErrors{}
	for _, e := range verrs {
		switch e.Field {
		case "phone":
			fe.Add("phone", l.T("donate.err.phone"))
		case "code":
			fe.Add("code", l.T("my.err.code"))
		case "name":
			fe.Add("name", webkit.TextMessage(l, e, "donate.err.name-long"))
		case "email":
			fe.Add("email", webkit.TextMessage(l, e, "donate.err.email"))
		case "tin":
			fe.Add("tin", l.T("donate.err.tin"))
		}
	}
	if v.Notice != "" {
		id := "phone"
		if v.State == "gifts" {
			id = "name"
		}
		fe.List = append(fe.List, webkit.FieldError{ID: id, Msg: v.Notice})
	}
	v.Phone = webkit.Field{ID: "phone", Name: "phone", Type: "tel", InputMode: "tel", Autocomplete: "tel", Value: v.PhoneValue, Required: true,
		Label: l.T("donate.phone"), Hint: l.T("my.phone-hint"), Err: fe.Get("phone")}
	v.Code = webkit.Field{ID: "code", Name: "code", Type: "text", InputMode: "numeric", Autocomplete: "one-time-code", Required: true,
		Label: l.T("my.code"), Hint: l.F("my.code-hint", v.SentTo, v.Until), Err: fe.Get("code")}
	if v.Until == "" {
		v.Code.Hint = l.F("my.code-hint-again", v.SentTo)
	}
	v.Name.Err, v.Email.Err, v.TIN.Err = fe.Get("name"), fe.Get("email"), fe.Get("tin")
	pg := webkit.NewPage(c, l, l.T("my.title"), v)
	pg.Errors = fe.List
	pg.NoIndex = true
	if err := pages.Render(c, status, "my", pg); err != nil {
		return err
	}
	return nil
}

// renderGifts is the signed-in page: the gifts by fiscal year, the kept
// details and the erasure request.
func (h *handlers) renderGifts(c *fiber.Ctx, l i18n.Lang, s *app.MySession, form map[string]string, verrs validation.Errors, status int) error {
	years, err := h.MyGifts.Gifts(c.UserContext(), s)
	if err != nil {
		return err
	}
	v := &myView{State: "gifts", Mobile: l.Digits(s.MobileMasked), Saved: c.Query("saved") != ""}
	v.SessionUntil = l.Digits(s.Until().In(receipts.Dhaka()).Format("15:04"))
	for _, y := range years {
		yv := myYearView{FY: y.FiscalYear, FYLabel: l.Digits(y.FiscalYear), Total: l.Money(y.Total),
			StatementURL: "/my/statement/" + url.PathEscape(y.FiscalYear), More: y.Truncated || len(y.Gifts) > myGiftsShown}
		for i, g := range y.Gifts {
			if i == myGiftsShown {
				break
			}
			gv := myGiftView{Date: l.Digits(g.PaidAt.In(receipts.Dhaka()).Format("02-01-2006")), Kind: l.Kind(g.Kind), Amount: l.Money(g.Amount),
				Serial: g.Serial, ReceiptURL: "/r/" + url.PathEscape(g.ReceiptID), PDFURL: "/api/v1/receipts/" + url.PathEscape(g.ReceiptID) + ".pdf",
				Unit: g.UnitBN}
			if l == i18n.EN {
				gv.Unit = g.UnitEN
			}
			if g.Programme != "" {
				gv.Kind += " · " + l.Programme(g.Programme)
			}
			if g.Refunded > 0 {
				gv.Refunded = l.Money(g.Refunded)
			}
			for _, n := range g.Notes {
				gv.Notes = append(gv.Notes, webkit.Link{Label: n.Serial + " (" + l.Money(n.Amount) + ")",
					Href: "/r/" + url.PathEscape(g.ReceiptID) + "/notes/" + url.PathEscape(n.Refund)})
			}
			yv.Gifts = append(yv.Gifts, gv)
		}
		v.Years = append(v.Years, yv)
	}
	if form == nil {
		form = map[string]string{}
		p, err := h.MyGifts.Profile(c.UserContext(), s)
		if err != nil {
			return err
		}
		if p != nil {
			form["name"], form["email"], form["tin"] = p.Name, p.Email, p.TIN
		}
	}
	v.Name = webkit.Field{ID: "name", Name: "name", Type: "text", Autocomplete: "name", Value: form["name"], Label: l.T("donate.name"), Hint: l.T("my.name-hint")}
	v.Email = webkit.Field{ID: "email", Name: "email", Type: "email", Autocomplete: "email", Value: form["email"], Label: l.T("donate.email")}
	v.TIN = webkit.Field{ID: "tin", Name: "tin", Type: "text", InputMode: "numeric", Value: form["tin"], Label: l.T("donate.tin"), Hint: l.T("donate.tin-hint")}
	return h.renderMy(c, l, v, verrs, status)
}

// myStatement downloads the signed-in donor's statement of a fiscal year.
func (h *handlers) myStatement(c *fiber.Ctx) error {
	s, ok := h.mySession(c)
	if !ok {
		return c.Redirect("/my", fiber.StatusSeeOther)
	}
	fy := c.Params("fy")
	st, err := h.MyGifts.MyStatement(c.UserContext(), s, fy)
	if err != nil {
		return err
	}
	pdf, err := h.renderStatement(st)
	if err != nil {
		return err
	}
	return webkit.SendStatementPDF(c, fy, pdf)
}

// myDetails keeps the donor's name, e-mail and TIN for future gifts.
func (h *handlers) myDetails(c *fiber.Ctx) error {
	l := webkit.Lang(c)
	s, ok := h.mySession(c)
	if !ok {
		return c.Redirect("/my?lang="+string(l), fiber.StatusSeeOther)
	}
	form := map[string]string{}
	for _, f := range []string{"name", "email", "tin"} {
		form[f] = strings.TrimSpace(c.FormValue(f))
	}
	err := h.MyGifts.SaveProfile(c.UserContext(), s, form["name"], form["email"], i18n.ASCIIDigits(form["tin"]))
	var verrs validation.Errors
	switch {
	case errors.As(err, &verrs):
		return h.renderGifts(c, l, s, form, verrs, fiber.StatusUnprocessableEntity)
	case err != nil:
		return err
	}
	return c.Redirect("/my?saved=1&lang="+string(l)+"#details", fiber.StatusSeeOther)
}

// myErase erases the kept details, records the request and ends the session.
func (h *handlers) myErase(c *fiber.Ctx) error {
	l := webkit.Lang(c)
	s, ok := h.mySession(c)
	if !ok {
		return c.Redirect("/my?lang="+string(l), fiber.StatusSeeOther)
	}
	if err := h.MyGifts.Erase(c.UserContext(), s); err != nil {
		return err
	}
	h.setMyCookie(c, "", -1)
	return h.renderMy(c, l, &myView{State: "erased"}, nil, fiber.StatusOK)
}

func (h *handlers) myLogout(c *fiber.Ctx) error {
	h.setMyCookie(c, "", -1)
	return c.Redirect("/my?lang="+string(webkit.Lang(c)), fiber.StatusSeeOther)
}
