package donorweb

import (
	"errors"
	"net/url"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// The annual statement page (issue 19): a mobile number and a fiscal year
// send the statement link to that number by SMS — the same use case as
// POST /api/v1/statements, which never says whether the number gave.

// statementYears is how many fiscal years the form offers.
const statementYears = 6

type statementView struct {
	Action string
	Phone  webkit.Field
	Years  []webkit.Choice
	YearErr,
	Notice string
	Sent   bool
	SentFY string
	MyURL  string
}

// fiscalYears lists the current fiscal year and the ones before it, and
// the one to choose by default: until November (returns are due on 30
// November) the year just ended, then the current one.
func fiscalYears(now time.Time) (years []string, def string) {
	for i := range statementYears {
		years = append(years, receipts.FiscalYear(now.AddDate(-i, 0, 0)))
	}
	return years, receipts.FiscalYear(now.AddDate(0, -5, 0))
}

func (h *handlers) statementPage(c *fiber.Ctx) error {
	l := webkit.Lang(c)
	form := map[string]string{}
	v := &statementView{}
	if c.Query("sent") != "" {
		v.Sent = true
		if fy := c.Query("fy"); app.ValidFiscalYear(fy) {
			v.SentFY = fy
		}
	}
	return h.renderStatementPage(c, l, v, form, nil, fiber.StatusOK)
}

func (h *handlers) statementSubmit(c *fiber.Ctx) error {
	l := webkit.Lang(c)
	form := map[string]string{"phone": strings.TrimSpace(c.FormValue("phone")), "fy": strings.TrimSpace(c.FormValue("fy"))}
	err := h.Statements.Request(c.UserContext(), i18n.ASCIIDigits(form["phone"]), form["fy"], h.ClientIP(c))
	var v validation.Errors
	switch {
	case err == nil:
		// Post/redirect/get: a reload does not send another SMS.
		return c.Redirect("/statement?"+url.Values{"sent": {"1"}, "fy": {form["fy"]}, "lang": {string(l)}}.Encode(), fiber.StatusSeeOther)
	case errors.As(err, &v):
		return h.renderStatementPage(c, l, &statementView{}, form, v, fiber.StatusUnprocessableEntity)
	case errors.Is(err, app.ErrRateLimited), errors.Is(err, app.ErrClientRateLimited):
		c.Set(fiber.HeaderRetryAfter, "3600")
		return h.renderStatementPage(c, l, &statementView{Notice: l.T("statement.err.rate")}, form, nil, fiber.StatusTooManyRequests)
	}
	return err
}

func (h *handlers) renderStatementPage(c *fiber.Ctx, l i18n.Lang, v *statementView, form map[string]string, verrs validation.Errors, status int) error {
	fe := &webkit.FormErrors{}
	for _, e := range verrs {
		switch e.Field {
		case "phone":
			fe.Add("phone", l.T("donate.err.phone"))
		case "fiscalYear":
			fe.Add("fy", l.T("statement.err.fy"))
		}
	}
	if v.Notice != "" {
		fe.List = append(fe.List, webkit.FieldError{ID: "phone", Msg: v.Notice})
	}
	v.Action = "/statement?lang=" + string(l)
	v.MyURL = "/my"
	v.Phone = webkit.Field{ID: "phone", Name: "phone", Type: "tel", InputMode: "tel", Autocomplete: "tel", Value: form["phone"], Required: true,
		Label: l.T("donate.phone"), Hint: l.T("statement.phone-hint"), Err: fe.Get("phone")}
	years, def := fiscalYears(time.Now())
	chosen := form["fy"]
	if chosen == "" {
		chosen = def
	}
	for _, fy := range years {
		v.Years = append(v.Years, webkit.Choice{Value: fy, Label: l.Digits(fy), Checked: fy == chosen})
	}
	v.YearErr = fe.Get("fy")
	if v.SentFY != "" {
		v.SentFY = l.Digits(v.SentFY)
	}
	pg := webkit.NewPage(c, l, l.T("statement.title"), v)
	pg.Errors = fe.List
	return pages.Render(c, status, "statement", pg)
}
