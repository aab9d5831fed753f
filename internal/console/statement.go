package console

import (
	"errors"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// A donor's annual statement printed at the counter, with the donor there:
// the staff member asks for a one-time code, the donor's phone receives
// it, the donor reads it out and the statement (every unit the donor gave
// to that year) opens as a PDF. The statement OTP use case binds the code
// to this staff member, number and year; every print is audited.

type statementView struct {
	consoleView
	Action, PrintAction string
	Mobile, Code        webkit.Field
	FY                  selectField
	Failure             string
	// Step two: the code went out.
	Sent                                  bool
	Phone, Year, Challenge, SentTo, Until string
}

// counterUnit is the unit whose counter the caller stands at (a platform
// admin's ?unit=), for the page's heading; the statement itself covers
// every unit.
func (cs *console) counterUnit(c *fiber.Ctx) (auth.Principal, string, error) {
	p := webkit.Caller(c)
	if p.Role != auth.PlatformAdmin && !slices.Contains(webkit.CounterRoles, p.Role) {
		return p, "", webkit.NewProblem(fiber.StatusForbidden, "forbidden", "Not allowed", "Your role may not do this.")
	}
	unit := p.Unit
	if p.Role == auth.PlatformAdmin {
		unit = c.Query("unit")
	}
	return p, unit, nil
}

func fiscalYears(now time.Time) []string {
	var out []string
	for i := range 3 {
		out = append(out, receipts.FiscalYear(now.AddDate(-i, 0, 0)))
	}
	return out
}

func (cs *console) statementPage(c *fiber.Ctx) error {
	_, unit, err := cs.counterUnit(c)
	if err != nil {
		return err
	}
	return cs.renderStatement(c, fiber.StatusOK, unit, "", nil, &webkit.FormErrors{}, func(string) string { return "" })
}

func (cs *console) renderStatement(c *fiber.Ctx, status int, unit, failure string, sent *app.CodeSent, fe *webkit.FormErrors, val func(string) string) error {
	l := webkit.Lang(c)
	v := &statementView{consoleView: cs.base(c, l, unit, l.T("console.statement.title"), "/console/statement"), Failure: failure}
	v.Action, v.PrintAction = "/console/statement"+v.UnitQ, "/console/statement/print"+v.UnitQ
	v.Mobile = webkit.Field{ID: "mobile", Name: "mobile", Type: "tel", InputMode: "tel", Autocomplete: "off", Label: l.T("console.statement.f.mobile"),
		Hint: l.T("console.statement.f.mobile-hint"), Value: val("mobile"), Err: fe.Get("mobile"), Required: true}
	fy := val("fy")
	years := fiscalYears(time.Now())
	if fy == "" {
		fy = years[0]
	}
	v.FY = selectField{ID: "fy", Name: "fy", Label: l.T("console.statement.f.fy"), Err: fe.Get("fy")}
	for _, y := range years {
		v.FY.Options = append(v.FY.Options, webkit.Choice{Value: y, Label: l.Digits(y), Checked: y == fy})
	}
	if sent != nil {
		v.Sent, v.Phone, v.Year, v.Challenge = true, val("mobile"), fy, sent.Challenge
		v.SentTo = l.F("console.statement.sent-again", l.Digits(sent.MobileMasked), l.Digits(fy))
		if !sent.Until.IsZero() {
			v.SentTo = l.F("console.statement.sent", l.Digits(sent.MobileMasked), l.Digits(fy), l.Digits(sent.Until.In(dhaka).Format("15:04")))
		}
		v.Code = webkit.Field{ID: "code", Name: "code", Type: "text", InputMode: "numeric", Autocomplete: "one-time-code",
			Label: l.T("console.statement.f.code"), Hint: l.T("console.statement.f.code-hint"), Err: fe.Get("code"), Required: true}
	}
	pg := webkit.NewPage(c, l, v.Heading, v)
	pg.Errors = fe.List
	return moneyPages.Render(c, status, "console_statement", pg)
}

// statementCode sends the one-time code to the donor's phone.
func (cs *console) statementCode(c *fiber.Ctx) error {
	p, unit, err := cs.counterUnit(c)
	if err != nil {
		return err
	}
	val := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	phone, fy := i18n.ASCIIDigits(val("mobile")), i18n.ASCIIDigits(val("fy"))
	sent, err := cs.h.Statements.SendCounterCode(c.UserContext(), counterStaff(p), phone, fy)
	if err != nil {
		return cs.statementFailed(c, unit, err, val)
	}
	return cs.renderStatement(c, fiber.StatusOK, unit, "", sent, &webkit.FormErrors{}, val)
}

// statementPrint checks the code the donor read out and answers the PDF.
func (cs *console) statementPrint(c *fiber.Ctx) error {
	p, unit, err := cs.counterUnit(c)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	val := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	phone, fy, challenge := i18n.ASCIIDigits(val("mobile")), i18n.ASCIIDigits(val("fy")), val("challenge")
	st, err := cs.h.Statements.CounterStatement(c.UserContext(), counterStaff(p), phone, fy, challenge, i18n.ASCIIDigits(val("code")))
	var ve validation.Errors
	if errors.As(err, &ve) && len(ve) == 1 && ve[0].Field == "code" {
		// A wrong code: the same challenge takes another try.
		fe := &webkit.FormErrors{}
		fe.Add("code", l.T("console.statement.err.code"))
		return cs.renderStatement(c, fiber.StatusUnprocessableEntity, unit, "", &app.CodeSent{Challenge: challenge, MobileMasked: maskedPhone(phone)}, fe, val)
	}
	if err != nil {
		return cs.statementFailed(c, unit, err, val)
	}
	cs.h.Log.InfoContext(c.UserContext(), "statement printed at counter", "staff", p.Subject, "role", string(p.Role), "unit", p.Unit,
		"fy", fy, "rows", len(st.Rows))
	pdf, err := webkit.RenderStatement(cs.h.PDF, cs.h.Citation, st)
	if err != nil {
		return err
	}
	return webkit.SendStatementPDF(c, st.FiscalYear, pdf)
}

func counterStaff(p auth.Principal) app.CounterStaff {
	return app.CounterStaff{Subject: p.Subject, Role: string(p.Role), Unit: p.Unit}
}

// statementFailed says in the page's language why no code or statement
// came, back at the first step.
func (cs *console) statementFailed(c *fiber.Ctx, unit string, err error, val func(string) string) error {
	l := webkit.Lang(c)
	fe := &webkit.FormErrors{}
	var ve validation.Errors
	status, failure := fiber.StatusUnprocessableEntity, ""
	switch {
	case errors.As(err, &ve):
		for _, f := range ve {
			switch f.Field {
			case "phone":
				fe.Add("mobile", l.T("console.statement.err.mobile"))
			case "fiscalYear":
				fe.Add("fy", l.T("console.statement.err.fy"))
			default:
				// The challenge expired, was used, or is another's.
				failure = l.T("console.statement.err.challenge")
			}
		}
	case errors.Is(err, app.ErrRateLimited), errors.Is(err, app.ErrClientRateLimited):
		status, failure = fiber.StatusTooManyRequests, l.T("console.statement.err.limited")
	case errors.Is(err, app.ErrCodeTries):
		status, failure = fiber.StatusTooManyRequests, l.T("console.statement.err.tries")
	case errors.Is(err, app.ErrCodeNotSent):
		status, failure = fiber.StatusServiceUnavailable, l.T("console.statement.err.sms")
	default:
		return err
	}
	return cs.renderStatement(c, status, unit, failure, nil, fe, val)
}

// maskedPhone is the number as the first step showed it.
func maskedPhone(phone string) string {
	m, err := contact.NormalizeMobile(phone)
	if err != nil {
		return ""
	}
	return contact.MaskMobile(m)
}
