// Package oversight is the supervisors' front end (issue #18): reports of a
// unit, a district, a division and the nation per month and fiscal year —
// as a page (Bengali first, inline SVG charts), a sealed PDF, CSV and XLSX —
// and masked case summaries, whose patient identity opens only with a
// recorded reason. Everything here reads; the only write is the audit of a
// case opening.
//
// Who sees what: a unit's own staff see their unit's reports; a district
// officer the units and the report of their district; a division officer
// those of their division; the Department and platform admins everything.
// Anything outside the caller's scope answers 404, as another unit's
// records do.
package oversight

import (
	"bytes"
	"errors"
	"log/slog"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/geo"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/reports"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Deps are what the routes use.
type Deps struct {
	Reports *app.Reports
	Cases   *app.Cases
	Units   app.UnitStore
	// Verifier checks staff tokens (the Authorization header, or the
	// console's session cookie on pages).
	Verifier interface {
		Verify(raw string) (auth.Principal, error)
	}
	PDF    *receiptpdf.Renderer
	Sealer Sealer
	Log    *slog.Logger
}

// Routes registers the oversight routes on r.
func Routes(r fiber.Router, d Deps) {
	h := &handlers{Deps: d}
	r.Get("/api/v1/oversight/reports/:level/:code/:period", h.reportJSON)
	r.Get("/api/v1/oversight/units/:code/cases", h.cases)
	r.Post("/api/v1/oversight/cases/:id/open", h.openCase)
	r.Get("/oversight/reports/:level/:code/:period.:format<regex(csv|xlsx|pdf)>", h.download)
	r.Get("/oversight/reports/:level/:code/:period", h.page)
}

type handlers struct{ Deps }

// staffCookie is the console's session cookie: a supervisor signed in to
// the console opens report pages and downloads in the same browser.
const staffCookie = "kalyan_staff"

var errNotFound = fiber.NewError(fiber.StatusNotFound, "Not found")

// caller is the verified caller: the bearer token, or on GETs the
// console's session cookie (no form is posted with it here).
func (h *handlers) caller(c *fiber.Ctx) (auth.Principal, error) {
	tok, ok := strings.CutPrefix(c.Get(fiber.HeaderAuthorization), "Bearer ")
	if !ok && c.Method() == fiber.MethodGet {
		tok, ok = c.Cookies(staffCookie), c.Cookies(staffCookie) != ""
	}
	if !ok || tok == "" {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	p, err := h.Verifier.Verify(tok)
	if err != nil {
		h.Log.InfoContext(c.UserContext(), "token refused", "route", c.Route().Path, "reason", err.Error())
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return p, nil
}

// unitStaff are the roles of a unit's own staff.
var unitStaff = []auth.Role{auth.SocialWorker, auth.Committee, auth.UnitAdmin}

// seesUnit reports whether p may read unit u's reports and case summaries.
func seesUnit(p auth.Principal, u *units.Unit) bool {
	d, v := app.Place(u)
	return p.Oversees(d, v) || (slices.Contains(unitStaff, p.Role) && p.Unit == u.Code)
}

// scope resolves the report's scope and checks the caller may read it;
// anything unknown or out of scope is a 404.
func (h *handlers) scope(c *fiber.Ctx, p auth.Principal) (reports.Scope, error) {
	level, code := c.Params("level"), c.Params("code")
	if level == reports.LevelNation {
		code = ""
	}
	s, err := h.Reports.Scope(c.UserContext(), level, code)
	if errors.Is(err, app.ErrUnknownScope) {
		return s, errNotFound
	}
	if err != nil {
		return s, err
	}
	ok := false
	switch level {
	case reports.LevelNation:
		ok = p.Role == auth.Department || p.Role == auth.PlatformAdmin
	case reports.LevelDivision:
		ok = p.Role == auth.Department || p.Role == auth.PlatformAdmin || (p.Role == auth.DivisionOfficer && p.Division == code)
	case reports.LevelDistrict:
		d, _ := geo.Bangladesh().District(code)
		ok = p.Oversees(code, d.Division)
	case reports.LevelUnit:
		u, err := h.Units.Get(c.UserContext(), code)
		if err != nil {
			return s, errNotFound
		}
		ok = seesUnit(p, u)
	}
	if !ok {
		return s, errNotFound
	}
	return s, nil
}

// report reads and authorises the request's report.
func (h *handlers) report(c *fiber.Ctx) (*reports.Report, error) {
	p, err := h.caller(c)
	if err != nil {
		return nil, err
	}
	s, err := h.scope(c, p)
	if err != nil {
		return nil, err
	}
	period, err := reports.ParsePeriod(c.Params("period"))
	if err != nil {
		return nil, validation.Errors{{Field: "period", Message: err.Error()}}
	}
	return h.Reports.Report(c.UserContext(), s, period)
}

func (h *handlers) reportJSON(c *fiber.Ctx) error {
	r, err := h.report(c)
	if err != nil {
		return err
	}
	return c.JSON(toJSON(r))
}

func (h *handlers) download(c *fiber.Ctx) error {
	r, err := h.report(c)
	if err != nil {
		return err
	}
	var b bytes.Buffer
	format := c.Params("format")
	name := "kalyan-" + r.Scope.Level
	if r.Scope.Code != "" {
		name += "-" + r.Scope.Code
	}
	name += "-" + r.Period.Name + "." + format
	switch format {
	case "csv":
		err = writeCSV(&b, r)
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
	case "xlsx":
		err = writeXLSX(&b, r)
		c.Set(fiber.HeaderContentType, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	case "pdf":
		err = writePDF(&b, h.PDF, h.Sealer, r)
		c.Set(fiber.HeaderContentType, "application/pdf")
	}
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+name+`"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(b.Bytes())
}

// cases lists a unit's cases, the patient masked.
func (h *handlers) cases(c *fiber.Ctx) error {
	p, err := h.caller(c)
	if err != nil {
		return err
	}
	u, err := h.Units.Get(c.UserContext(), c.Params("code"))
	if err != nil || !seesUnit(p, u) {
		return errNotFound
	}
	cs, err := h.Cases.List(c.UserContext(), u.Code, 0)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.JSON(fiber.Map{"unit": u.Code, "cases": cs})
}

// openCase shows a case with the patient's identity to a supervisor who
// records why: the record (who, when, why, which case) is stored first.
// Unit staff read their cases in the console; this is the supervisors'.
func (h *handlers) openCase(c *fiber.Ctx) error {
	p, err := h.caller(c)
	if err != nil {
		return err
	}
	if !p.Role.Supervisory() && p.Role != auth.PlatformAdmin {
		return errNotFound
	}
	r, err := h.Cases.Get(c.UserContext(), c.Params("id"))
	if errors.Is(err, aid.ErrNotFound) {
		return errNotFound
	}
	if err != nil {
		return err
	}
	u, err := h.Units.Get(c.UserContext(), r.Unit)
	if err != nil || !seesUnit(p, u) {
		return errNotFound
	}
	var body struct {
		Reason string `json:"reason"`
	}
	if err := c.BodyParser(&body); err != nil {
		return validation.Errors{{Field: "reason", Message: "send {\"reason\": \"…\"} as JSON"}}
	}
	if _, err := h.Cases.Open(c.UserContext(), r, p.Subject, string(p.Role), p.Name, body.Reason); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	patient := r.Patient
	patient.IDKey = "" // an internal key, never shown
	return c.JSON(fiber.Map{"case": app.Summarise(r), "patient": patient, "caseStudy": r.CaseStudy, "items": r.Items})
}
