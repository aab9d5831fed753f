// Package console is the social workers' console: server-rendered pages
// over the same aid use cases as the JSON API, working without JavaScript. The staff token is
// pasted once on the sign-in page and kept in an HttpOnly, SameSite=Strict
// cookie; every form posted with that cookie carries a CSRF token (an HMAC
// of the cookie under a per-process key), since a cookie, unlike the
// Authorization header, is sent by the browser on its own.
package console

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/hex"
	"errors"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

const (
	staffCookie = "kalyan_staff"
	csrfField   = "csrf"
	// itemRows is how many item rows the new-request form offers (no JS).
	itemRows = 5
)

// Deps are what the console uses.
type Deps struct {
	Units *app.Units
	Aid   *app.Aid
}

type handlers struct {
	Deps
	*webkit.Kit
}

//go:embed web/*.html
var webFS embed.FS

// The console's pages share their form parts.
var pages = webkit.ParsePages(webFS, []string{"console_login", "console_queue", "console_new", "console_request"}, "web/console_parts.html")

type console struct {
	h *handlers
	// key signs CSRF tokens; a restart signs everyone's forms anew.
	key []byte
}

// Routes registers the console pages.
func Routes(d Deps) webkit.Mount {
	return func(a *fiber.App, k *webkit.Kit) {
		(&handlers{Deps: d, Kit: k}).consoleRoutes(a)
	}
}

func (h *handlers) consoleRoutes(a *fiber.App) {
	key := make([]byte, 32)
	_, _ = rand.Read(key)
	cs := &console{h: h, key: key}
	a.Get("/console/login", cs.loginPage)
	a.Post("/console/login", cs.login)
	a.Post("/console/logout", cs.logout)
	a.Get("/console", cs.staff(cs.queue(queueMine)))
	a.Get("/console/waitlist", cs.staff(cs.queue(queueWaitlist)))
	a.Get("/console/committee", cs.staff(cs.queue(queueCommittee)))
	a.Get("/console/requests/new", cs.staff(cs.newPage))
	a.Post("/console/requests/new", cs.staff(cs.file))
	a.Get("/console/requests/:id", cs.staff(cs.detail))
	for _, action := range []string{"assess", "approve", "reject", "withdraw", "disburse", "confirm", "decline"} {
		a.Post("/console/requests/:id/"+action, cs.staff(cs.act(action)))
	}
}

func (cs *console) csrf(session string) string {
	m := hmac.New(sha256.New, cs.key)
	m.Write([]byte(session))
	return hex.EncodeToString(m.Sum(nil))
}

// staff authenticates a console request: the Authorization header, or the
// session cookie, whose POSTs must carry the CSRF token. A browser without
// a session is sent to the sign-in page.
func (cs *console) staff(next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if c.Get(fiber.HeaderAuthorization) == "" {
			tok := c.Cookies(staffCookie)
			if tok == "" {
				if c.Method() == fiber.MethodGet && webkit.WantsHTML(c) {
					return c.Redirect("/console/login", fiber.StatusSeeOther)
				}
				return auth.ErrUnauthenticated
			}
			if c.Method() == fiber.MethodPost {
				if !cs.h.SameOrigin(c) {
					return webkit.ErrCrossSite
				}
				got := c.FormValue(csrfField)
				if subtle.ConstantTimeCompare([]byte(got), []byte(cs.csrf(tok))) != 1 {
					return webkit.NewProblem(fiber.StatusForbidden, "csrf", "Form expired", "Reload the page and send the form again.")
				}
			}
			// The handlers below read the caller the same way as the API.
			c.Request().Header.Set(fiber.HeaderAuthorization, "Bearer "+tok)
			c.Locals("csrf", cs.csrf(tok))
		}
		p, err := cs.h.Principal(c)
		if err != nil {
			if c.Method() == fiber.MethodGet && webkit.WantsHTML(c) && c.Cookies(staffCookie) != "" {
				return c.Redirect("/console/login", fiber.StatusSeeOther)
			}
			return err
		}
		if p.Role != auth.PlatformAdmin && !slices.Contains(webkit.StaffRoles, p.Role) {
			return webkit.NewProblem(fiber.StatusForbidden, "forbidden", "Not allowed", "Your role may not do this.")
		}
		c.Locals("principal", p)
		return next(c)
	}
}

func principalOf(c *fiber.Ctx) auth.Principal {
	p, _ := c.Locals("principal").(auth.Principal)
	return p
}

func csrfOf(c *fiber.Ctx) string {
	s, _ := c.Locals("csrf").(string)
	return s
}

// consoleView is what every console page shares.
type consoleView struct {
	Heading, CSRF, Unit, UnitQ string
	Role                       string
	Nav                        []navLink
	Notice                     string
}

type navLink struct {
	Label, Href string
	Current     bool
}

func (cs *console) base(c *fiber.Ctx, l i18n.Lang, unit, heading, current string) consoleView {
	p := principalOf(c)
	q := ""
	if p.Role == auth.PlatformAdmin {
		q = "?unit=" + url.QueryEscape(unit)
	}
	v := consoleView{Heading: heading, CSRF: csrfOf(c), Unit: unit, UnitQ: q, Role: l.T("console.role." + roleKey(p.Role))}
	for _, n := range []struct{ key, href string }{
		{"console.nav.queue", "/console"}, {"console.nav.new", "/console/requests/new"},
		{"console.nav.waitlist", "/console/waitlist"}, {"console.nav.committee", "/console/committee"},
	} {
		v.Nav = append(v.Nav, navLink{Label: l.T(n.key), Href: n.href + q, Current: n.href == current})
	}
	return v
}

func roleKey(r auth.Role) string {
	switch r {
	case auth.SocialWorker, auth.Committee, auth.UnitAdmin, auth.PlatformAdmin:
		return string(r)
	}
	return "other"
}

// unitOf is the unit a list page shows: ?unit= (a platform admin's choice;
// another unit's answers 404 to unit staff), else the caller's own.
func (cs *console) unitOf(c *fiber.Ctx, roles ...auth.Role) (string, error) {
	p := principalOf(c)
	unit := c.Query("unit", p.Unit)
	if unit == "" {
		return "", webkit.FieldProblem(fiber.StatusBadRequest, "unit", "choose a unit: ?unit=code")
	}
	if _, err := cs.h.StaffOf(c, unit, roles...); err != nil {
		return "", err
	}
	if _, err := cs.h.Units.Get(c.UserContext(), unit); err != nil {
		return "", err
	}
	return unit, nil
}

// --- sign-in ---

type loginView struct {
	Token webkit.Field
	Error string
}

func (cs *console) loginPage(c *fiber.Ctx) error {
	return cs.renderLogin(c, fiber.StatusOK, "")
}

func (cs *console) renderLogin(c *fiber.Ctx, status int, msg string) error {
	l := webkit.Lang(c)
	v := &loginView{Token: webkit.Field{ID: "token", Name: "token", Type: "password", Autocomplete: "off", Label: l.T("console.login.token"),
		Hint: l.T("console.login.hint"), Err: msg, Required: true}}
	pg := webkit.NewPage(c, l, l.T("console.login.title"), v)
	if msg != "" {
		pg.Errors = []webkit.FieldError{{ID: "token", Msg: msg}}
	}
	return pages.Render(c, status, "console_login", pg)
}

func (cs *console) login(c *fiber.Ctx) error {
	// Another site must not sign the browser in as its own staff member
	// (whose forms the victim would then fill in).
	if !cs.h.SameOrigin(c) {
		return webkit.ErrCrossSite
	}
	l := webkit.Lang(c)
	tok := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(c.FormValue("token")), "Bearer "))
	if tok == "" {
		return cs.renderLogin(c, fiber.StatusUnprocessableEntity, l.T("console.login.empty"))
	}
	p, err := cs.h.Verifier.Verify(tok)
	if err != nil || (p.Role != auth.PlatformAdmin && !slices.Contains(webkit.StaffRoles, p.Role)) {
		return cs.renderLogin(c, fiber.StatusUnprocessableEntity, l.T("console.login.bad"))
	}
	c.Cookie(&fiber.Cookie{Name: staffCookie, Value: tok, Path: "/console", HTTPOnly: true,
		SameSite: fiber.CookieSameSiteStrictMode, Secure: cs.h.OverTLS(c)})
	return c.Redirect("/console", fiber.StatusSeeOther)
}

func (cs *console) logout(c *fiber.Ctx) error {
	if !cs.h.SameOrigin(c) {
		return webkit.ErrCrossSite
	}
	c.Cookie(&fiber.Cookie{Name: staffCookie, Value: "", Path: "/console", HTTPOnly: true, MaxAge: -1,
		Expires: time.Unix(0, 0), SameSite: fiber.CookieSameSiteStrictMode, Secure: cs.h.OverTLS(c)})
	return c.Redirect("/console/login", fiber.StatusSeeOther)
}

// --- queues ---

type queueKind int

const (
	queueMine queueKind = iota
	queueWaitlist
	queueCommittee
)

type queueRow struct {
	Href, Patient, Mobile, NID, Diagnosis, Urgency, Status, Requested, Approved, Allocated, Filed string
}

type queueView struct {
	consoleView
	Intro string
	Rows  []queueRow
}

func (cs *console) queue(kind queueKind) fiber.Handler {
	return func(c *fiber.Ctx) error {
		unit, err := cs.unitOf(c, webkit.StaffRoles...)
		if err != nil {
			return err
		}
		ctx := c.UserContext()
		u, err := cs.h.Units.Get(ctx, unit)
		if err != nil {
			return err
		}
		p := principalOf(c)
		var statuses []aid.Status
		switch {
		case kind == queueWaitlist:
			statuses = []aid.Status{aid.Waitlisted, aid.PartiallyAllocated}
		case kind == queueCommittee || p.Role == auth.Committee:
			statuses = []aid.Status{aid.Assessed}
		default:
			statuses = []aid.Status{aid.Submitted, aid.Assessed, aid.Allocated, aid.PartiallyAllocated, aid.DisbursementRecorded}
		}
		var qs []aid.Request
		for _, st := range statuses {
			found, err := cs.h.Aid.Store.List(ctx, aid.Filter{Unit: unit, Status: string(st), Limit: 200})
			if err != nil {
				return err
			}
			for _, q := range found {
				if kind == queueCommittee || (kind == queueMine && p.Role == auth.Committee) {
					// The committee's: above the threshold with what the
					// patient received lately.
					rules, err := cs.h.Aid.Rules(ctx, u, &q)
					if err != nil {
						return err
					}
					if !rules.NeedsCommittee(&q) {
						continue
					}
				}
				qs = append(qs, q)
			}
		}
		sort.SliceStable(qs, func(i, j int) bool {
			ui, uj := slices.Index(aid.Urgencies, qs[i].Urgency), slices.Index(aid.Urgencies, qs[j].Urgency)
			if ui != uj {
				return ui < uj
			}
			return qs[i].CreatedAt.Before(qs[j].CreatedAt)
		})
		l := webkit.Lang(c)
		title, path, intro := "console.queue.title", "/console", "console.queue.intro"
		switch kind {
		case queueWaitlist:
			title, path, intro = "console.waitlist.title", "/console/waitlist", "console.waitlist.intro"
		case queueCommittee:
			title, path, intro = "console.committee.title", "/console/committee", "console.committee.intro"
		}
		v := &queueView{consoleView: cs.base(c, l, unit, l.T(title), path), Intro: l.F(intro, l.Money(u.Policy.ApprovalThreshold))}
		for i := range qs {
			q := &qs[i]
			v.Rows = append(v.Rows, queueRow{Href: "/console/requests/" + url.PathEscape(q.ID), Patient: q.Patient.Name,
				Mobile: contact.MaskMobile(q.Patient.Mobile), NID: aid.MaskNID(q.Patient.NID), Diagnosis: label(l, "console.diag.", q.Diagnosis),
				Urgency: label(l, "console.urg.", q.Urgency), Status: label(l, "console.status.", string(q.Status)),
				Requested: l.Money(requested(q)), Approved: l.Money(q.ApprovedTotal()), Allocated: l.Money(q.AllocatedTotal()),
				Filed: l.Digits(q.CreatedAt.Format("2006-01-02"))})
		}
		return pages.Render(c, fiber.StatusOK, "console_queue", webkit.NewPage(c, l, v.Heading, v))
	}
}

func requested(q *aid.Request) money.Amount {
	var s money.Amount
	for _, it := range q.Items {
		s += it.Estimated
	}
	return s
}

// label names a value from a closed list in the page's language.
func label(l i18n.Lang, prefix, v string) string {
	if i18n.Has(prefix + v) {
		return l.T(prefix + v)
	}
	return v
}

func options(l i18n.Lang, prefix string, values []string, selected string) []webkit.Choice {
	out := make([]webkit.Choice, len(values))
	for i, v := range values {
		out[i] = webkit.Choice{Value: v, Label: label(l, prefix, v), Checked: v == selected}
	}
	return out
}

// --- new request ---

type selectField struct {
	ID, Name, Label, Err string
	Options              []webkit.Choice
	Blank                string
}

type itemRow struct {
	N         int
	Category  selectField
	Desc, Est webkit.Field
}

type newView struct {
	consoleView
	// Key is the form's Idempotency-Key: sending the same form twice (a
	// double click, a retry after a lost answer) files one request.
	Action, Key                               string
	Name, Age, Guardian, Mobile, NID, Birth   webkit.Field
	District, Upazila, HospitalReg, Ward, Bed webkit.Field
	Sex, Diagnosis, Urgency                   selectField
	Items                                     []itemRow
	ItemsErr                                  string
	Household, Income, Occupation, Assets     webkit.Field
	Narrative                                 webkit.Field
	Documents                                 []webkit.Choice
	Grant                                     bool
	GrantErr                                  string
}

func (cs *console) newPage(c *fiber.Ctx) error {
	unit, err := cs.unitOf(c, auth.SocialWorker, auth.UnitAdmin)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	v := cs.newForm(c, l, unit, webkit.NewKey(), func(string) string { return "" }, &webkit.FormErrors{})
	return pages.Render(c, fiber.StatusOK, "console_new", webkit.NewPage(c, l, v.Heading, v))
}

func (cs *console) newForm(c *fiber.Ctx, l i18n.Lang, unit, key string, val func(string) string, fe *webkit.FormErrors) *newView {
	v := &newView{consoleView: cs.base(c, l, unit, l.T("console.new.title"), "/console/requests/new"), Key: key}
	v.Action = "/console/requests/new" + v.UnitQ
	txt := func(id, key string, req bool) webkit.Field {
		return webkit.Field{ID: id, Name: id, Type: "text", Label: l.T(key), Err: fe.Get(id), Value: val(id), Required: req}
	}
	sel := func(id, key, prefix string, values []string) selectField {
		return selectField{ID: id, Name: id, Label: l.T(key), Err: fe.Get(id), Options: options(l, prefix, values, val(id)), Blank: l.T("console.choose")}
	}
	v.Name = txt("name", "console.f.name", true)
	v.Age = txt("age", "console.f.age", true)
	v.Age.InputMode = "numeric"
	v.Sex = sel("sex", "console.f.sex", "console.sex.", []string{"female", "male", "other"})
	v.Guardian = txt("guardian", "console.f.guardian", true)
	v.Mobile = txt("mobile", "console.f.mobile", true)
	v.Mobile.Type, v.Mobile.InputMode = "tel", "tel"
	v.NID = txt("nid", "console.f.nid", false)
	v.NID.InputMode, v.NID.Hint = "numeric", l.T("console.f.nid-hint")
	v.Birth = txt("birthDate", "console.f.birth-date", false)
	v.Birth.InputMode, v.Birth.Hint = "numeric", l.T("console.f.birth-date-hint")
	v.District = txt("district", "console.f.district", true)
	v.Upazila = txt("upazila", "console.f.upazila", false)
	v.HospitalReg = txt("hospitalReg", "console.f.hospital-reg", true)
	v.Ward = txt("ward", "console.f.ward", false)
	v.Bed = txt("bed", "console.f.bed", false)
	v.Diagnosis = sel("diagnosis", "console.f.diagnosis", "console.diag.", aid.Diagnoses)
	v.Urgency = sel("urgency", "console.f.urgency", "console.urg.", aid.Urgencies)
	for i := range itemRows {
		n := strconv.Itoa(i + 1)
		r := itemRow{N: i + 1,
			Category: selectField{ID: "item" + n + "-cat", Name: "item" + n + "-cat", Label: l.F("console.f.item-cat", l.Digits(n)), Err: fe.Get("item" + n + "-cat"),
				Options: options(l, "console.item.", aid.ItemCategories, val("item"+n+"-cat")), Blank: l.T("console.choose")},
			Desc: txt("item"+n+"-desc", "console.f.item-desc", false),
			Est:  txt("item"+n+"-est", "console.f.item-est", false),
		}
		r.Desc.Label = l.F("console.f.item-desc", l.Digits(n))
		r.Est.Label, r.Est.InputMode = l.F("console.f.item-est", l.Digits(n)), "decimal"
		v.Items = append(v.Items, r)
	}
	v.ItemsErr = fe.Get("item1-cat-list")
	v.Household = txt("household", "console.f.household", true)
	v.Household.InputMode = "numeric"
	v.Income = txt("income", "console.f.income", false)
	v.Income.InputMode = "decimal"
	v.Occupation = txt("occupation", "console.f.occupation", false)
	v.Assets = txt("assets", "console.f.assets", false)
	v.Narrative = txt("narrative", "console.f.narrative", true)
	for _, d := range aid.Documents {
		v.Documents = append(v.Documents, webkit.Choice{Value: d, Label: label(l, "console.doc.", d), Checked: val("doc-"+d) != ""})
	}
	v.Grant, v.GrantErr = val("grant") != "", fe.Get("grant")
	return v
}

// fieldIDs maps the domain's field names to the form's inputs; item
// indexes are of the filled rows, rows maps them back.
func fieldID(f string, rows []int) (id, key string) {
	if rest, ok := strings.CutPrefix(f, "items["); ok {
		idx, sub, _ := strings.Cut(rest, "].")
		i, _ := strconv.Atoi(idx)
		n := 1
		if i >= 0 && i < len(rows) {
			n = rows[i]
		}
		if sub == "category" {
			return "item" + strconv.Itoa(n) + "-cat", "console.err.item-cat"
		}
		return "item" + strconv.Itoa(n) + "-est", "console.err.item-est"
	}
	switch f {
	case "items":
		return "item1-cat", "console.err.items"
	case "patient.name":
		return "name", "console.err.name"
	case "patient.age":
		return "age", "console.err.age"
	case "patient.sex":
		return "sex", "console.err.sex"
	case "patient.guardian":
		return "guardian", "console.err.guardian"
	case "patient.mobile":
		return "mobile", "console.err.mobile"
	case "patient.nid":
		return "nid", "console.err.nid"
	case "patient.birthDate":
		return "birthDate", "console.err.birth-date"
	case "patient.district":
		return "district", "console.err.district"
	case "patient.hospitalReg":
		return "hospitalReg", "console.err.hospital-reg"
	case "diagnosis":
		return "diagnosis", "console.err.diagnosis"
	case "urgency":
		return "urgency", "console.err.urgency"
	case "caseStudy.householdSize":
		return "household", "console.err.household"
	case "caseStudy.monthlyIncome":
		return "income", "console.err.income"
	case "caseStudy.narrative":
		return "narrative", "console.err.narrative"
	case "grantRequested":
		return "grant", "console.err.grant"
	}
	return "name", "console.err.other"
}

func (cs *console) file(c *fiber.Ctx) error {
	unit, err := cs.unitOf(c, auth.SocialWorker, auth.UnitAdmin)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	val := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	num := func(k string) string { return i18n.NormalizeNumber(val(k)) }
	q := &aid.Request{Diagnosis: val("diagnosis"), Urgency: val("urgency"), Patient: aid.Patient{Name: val("name"), Sex: val("sex"),
		Guardian: val("guardian"), Mobile: i18n.ASCIIDigits(val("mobile")), NID: i18n.ASCIIDigits(val("nid")), District: val("district"),
		BirthDate: i18n.ASCIIDigits(val("birthDate")),
		Upazila:   val("upazila"), HospitalReg: val("hospitalReg"), Ward: val("ward"), Bed: val("bed")}}
	q.CaseStudy = aid.CaseStudy{Occupation: val("occupation"), Assets: val("assets"), Narrative: val("narrative")}
	for _, d := range aid.Documents {
		if val("doc-"+d) != "" {
			q.CaseStudy.DocumentsChecked = append(q.CaseStudy.DocumentsChecked, d)
		}
	}
	q.GrantRequested = val("grant") != ""
	var fe webkit.FormErrors
	var err2 error
	if q.Patient.Age, err2 = strconv.Atoi(num("age")); err2 != nil {
		fe.Add("age", l.T("console.err.age"))
	}
	if q.CaseStudy.HouseholdSize, err2 = strconv.Atoi(num("household")); err2 != nil {
		fe.Add("household", l.T("console.err.household"))
	}
	if s := num("income"); s != "" {
		if q.CaseStudy.MonthlyIncome, err2 = money.Parse(s); err2 != nil {
			fe.Add("income", l.T("console.err.income"))
		}
	}
	var rows []int
	for i := 1; i <= itemRows; i++ {
		n := strconv.Itoa(i)
		cat, est := val("item"+n+"-cat"), num("item"+n+"-est")
		if cat == "" && est == "" {
			continue
		}
		amt, perr := money.Parse(est)
		if perr != nil {
			fe.Add("item"+n+"-est", l.T("console.err.item-est"))
		}
		q.Items = append(q.Items, aid.Item{Category: cat, Description: val("item" + n + "-desc"), Estimated: amt})
		rows = append(rows, i)
	}
	key := webkit.FormKey(val("key"))
	q.RequestHash = formHash(c, csrfField, "key")
	if len(fe.List) > 0 {
		// Show every problem at once, not only the unreadable numbers.
		err = q.Validate()
	} else {
		// Duplicate flags are shown on the request's page, looked up afresh.
		// A form sent again with the same details answers with the request
		// it filed the first time.
		_, _, err = cs.h.Aid.File(c.UserContext(), webkit.Actor(principalOf(c)), unit, key, q)
	}
	if err != nil || len(fe.List) > 0 {
		var ve validation.Errors
		var taken app.ErrGrantTaken
		switch {
		case errors.As(err, &ve):
			for _, f := range ve {
				id, key := fieldID(f.Field, rows)
				fe.Add(id, webkit.TextMessage(l, f, key))
			}
		case errors.As(err, &taken):
			fe.Add("nid", l.T("console.err.grant-taken"))
		case errors.Is(err, aid.ErrKeyReused):
			// Back to a form that was already sent, and changed: a new
			// request, so a new key. Not one field's fault: no input is marked.
			key = webkit.NewKey()
			fe.List = append(fe.List, webkit.FieldError{ID: "name", Msg: l.T("console.err.resubmit")})
		case err != nil:
			return err
		}
	} else {
		return c.Redirect("/console/requests/"+url.PathEscape(q.ID)+"?done=filed", fiber.StatusSeeOther)
	}
	v := cs.newForm(c, l, unit, key, val, &fe)
	pg := webkit.NewPage(c, l, v.Heading, v)
	pg.Errors = fe.List
	return pages.Render(c, fiber.StatusUnprocessableEntity, "console_new", pg)
}

// formHash fingerprints a posted form's fields but those named in skip
// (the form's own tokens), so the same form sent again can be told from a
// changed one. Fields are taken in name order; "form:" keeps it apart from
// the API's hashes of JSON bodies.
func formHash(c *fiber.Ctx, skip ...string) string {
	vals := url.Values{}
	c.Request().PostArgs().VisitAll(func(k, v []byte) {
		if !slices.Contains(skip, string(k)) {
			vals.Add(string(k), strings.TrimSpace(string(v)))
		}
	})
	sum := sha256.Sum256([]byte("form:" + vals.Encode()))
	return hex.EncodeToString(sum[:])
}

// --- request detail and actions ---

type detailItem struct {
	N                              int
	Category, Description          string
	Estimated, Approved, Disbursed string
	ApprovedIn, AmountIn, RefIn    webkit.Field
	Method                         selectField
	Recipient                      selectField
	RecipientName                  webkit.Field
}

// partRow is one item given in a confirmed part (the part's first row
// carries its number, who recorded and who confirmed it).
type partRow struct {
	Part, Item, Amount, Method, Reference, Recipient string
	Recorded, Confirmed                              string
	// Returned: what a final part released to the funds.
	Returned string
}

type historyRow struct{ At, Action, By, Role, Note, Status string }

type dupRow struct{ Unit, Filed, Status, Approved string }

type detailView struct {
	consoleView
	ID, Status, Patient, Age, Sex, Guardian, Mobile, NID, District, Hospital string
	BirthDate                                                                string
	Diagnosis, Urgency, Requested, Approved, Allocated, Threshold            string
	Household, Income, Occupation, Assets, Narrative, Zakat, RejectReason    string
	Documents                                                                []string
	Grant                                                                    string
	Items                                                                    []detailItem
	Allocations                                                              []webkit.Link
	History                                                                  []historyRow
	Dups                                                                     []dupRow
	Done, Failure                                                            string
	CanAssess, CanApprove, CanReject, CanDisburse, ZakatChecked              bool
	// CanWithdraw: the request is no longer wanted (before its decision).
	CanWithdraw              bool
	WithdrawReason           webkit.Field
	NeedsCommittee           bool
	Note, AssessNote, Reason webkit.Field
	ZakatErr                 string
	Base                     string

	// Four-eyes steps: the committee's quorum and resolution above the
	// threshold, and the confirmation of a recorded disbursement.
	Quorum, Received       string
	ResolutionNo, ResDate  webkit.Field
	Pending                []string
	PendingIntro           string
	CanConfirm, CanDecline bool
	DeclineReason          webkit.Field
	// Parts given so far; Final chooses whether a new part closes the
	// request; CanRelease offers to release what is left to the funds.
	Parts      []partRow
	Final      selectField
	CanRelease bool
	// SamePerson: requests recording the patient's name and date of birth
	// under the other form of NID (ADR 0010).
	SamePerson []dupRow
}

func (cs *console) load(c *fiber.Ctx, roles ...auth.Role) (*aid.Request, error) {
	q, err := cs.h.Aid.Store.Get(c.UserContext(), c.Params("id"))
	if errors.Is(err, aid.ErrNotFound) {
		return nil, webkit.NewProblem(fiber.StatusNotFound, "aid-request-not-found", "No such aid request", "")
	}
	if err != nil {
		return nil, err
	}
	if _, err := cs.h.StaffOf(c, q.Unit, roles...); err != nil {
		return nil, err
	}
	return q, nil
}

func (cs *console) detail(c *fiber.Ctx) error {
	q, err := cs.load(c, webkit.StaffRoles...)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	var done string
	if d := c.Query("done"); slices.Contains([]string{"filed", "assess", "approve", "reject", "withdraw", "disburse", "confirm", "decline"}, d) {
		if d == "disburse" {
			d = "disburse-pending"
		}
		done = l.T("console.done." + d)
	}
	return cs.renderDetail(c, fiber.StatusOK, q, done, "", nil, nil)
}

func (cs *console) renderDetail(c *fiber.Ctx, status int, q *aid.Request, done, failure string, fe *webkit.FormErrors, val func(string) string) error {
	ctx := c.UserContext()
	l := webkit.Lang(c)
	if fe == nil {
		fe = &webkit.FormErrors{}
	}
	if val == nil {
		val = func(string) string { return "" }
	}
	u, err := cs.h.Units.Get(ctx, q.Unit)
	if err != nil {
		return err
	}
	p := principalOf(c)
	v := &detailView{consoleView: cs.base(c, l, q.Unit, l.F("console.detail.title", q.Patient.Name), ""), ID: q.ID,
		Status: label(l, "console.status.", string(q.Status)), Patient: q.Patient.Name, Age: l.Num(int64(q.Patient.Age)),
		Sex: label(l, "console.sex.", q.Patient.Sex), Guardian: q.Patient.Guardian, Mobile: q.Patient.Mobile, NID: q.Patient.NID, BirthDate: l.Digits(q.Patient.BirthDate),
		District:  strings.Trim(q.Patient.District+", "+q.Patient.Upazila, ", "),
		Hospital:  strings.Join(slices.DeleteFunc([]string{q.Patient.HospitalReg, q.Patient.Ward, q.Patient.Bed}, func(s string) bool { return s == "" }), " / "),
		Diagnosis: label(l, "console.diag.", q.Diagnosis), Urgency: label(l, "console.urg.", q.Urgency),
		Requested: l.Money(requested(q)), Approved: l.Money(q.ApprovedTotal()), Allocated: l.Money(q.AllocatedTotal()),
		Threshold: l.Money(u.Policy.ApprovalThreshold), Household: l.Num(int64(q.CaseStudy.HouseholdSize)),
		Income: l.Money(q.CaseStudy.MonthlyIncome), Occupation: q.CaseStudy.Occupation, Assets: q.CaseStudy.Assets,
		Narrative: q.CaseStudy.Narrative, RejectReason: q.RejectReason, Done: done, Failure: failure,
		Base: "/console/requests/" + url.PathEscape(q.ID)}
	for _, d := range q.CaseStudy.DocumentsChecked {
		v.Documents = append(v.Documents, label(l, "console.doc.", d))
	}
	if q.GrantRequested {
		v.Grant = l.T("console.yes")
	}
	v.Zakat = l.T("console.no")
	if q.ZakatEligible {
		v.Zakat = l.T("console.yes")
	}
	role := p.Role
	admin := role == auth.PlatformAdmin
	open := q.Status == aid.Submitted || q.Status == aid.Assessed
	named := slices.Contains(u.Policy.Checkers, p.Subject)
	maker := p.Subject == q.FiledBy || p.Subject == q.AssessedBy
	v.CanAssess = open && (admin || role == auth.SocialWorker || role == auth.UnitAdmin)
	v.CanApprove = q.Status == aid.Assessed && !maker && (admin || named || role == auth.SocialWorker || role == auth.Committee)
	v.CanReject = open && (admin || role == auth.SocialWorker || role == auth.Committee)
	v.CanWithdraw = open && (admin || role == auth.SocialWorker || role == auth.UnitAdmin)
	v.CanDisburse = (q.Status == aid.Allocated || q.Status == aid.PartiallyAllocated) && (admin || role == auth.SocialWorker || role == auth.UnitAdmin)
	if q.Status == aid.Assessed {
		var rq *aid.Request
		if v.CanApprove {
			rq = q // the window look-up only for someone who may decide
		}
		rules, err := cs.h.Aid.Rules(ctx, u, rq)
		if err != nil {
			return err
		}
		v.NeedsCommittee = rules.NeedsCommittee(q)
		if rules.Received > 0 {
			v.Received = l.F("console.approve.received", l.Num(int64(u.Policy.Window()/(24*time.Hour))), l.Money(rules.Received))
		}
		if v.NeedsCommittee {
			v.Quorum = l.F("console.approve.quorum", l.Num(int64(rules.Quorum)), l.Num(int64(len(q.Committee))))
		}
	}
	v.ResolutionNo = webkit.Field{ID: "resno", Name: "resno", Type: "text", Label: l.T("console.f.resolution-no"), Err: fe.Get("resno"),
		Value: val("resno"), Required: true}
	v.ResDate = webkit.Field{ID: "resdate", Name: "resdate", Type: "text", InputMode: "numeric", Label: l.T("console.f.resolution-date"),
		Hint: l.T("console.f.resolution-date-hint"), Err: fe.Get("resdate"), Value: val("resdate"), Required: true}
	if pd := q.Pending; pd != nil && q.Status == aid.DisbursementRecorded {
		checker := admin || named || role == auth.SocialWorker || role == auth.UnitAdmin
		own := pd.By == p.Subject
		v.CanConfirm, v.CanDecline = checker && !own, checker || own
		recorder := pd.Name
		if recorder == "" {
			recorder = l.T("console.history.noname")
		}
		v.PendingIntro = l.F("console.confirm.intro", recorder)
		if own {
			v.PendingIntro = l.T("console.confirm.own")
		}
		for _, d := range pd.Items {
			if d.Item < 0 || d.Item >= len(q.Items) {
				continue
			}
			v.Pending = append(v.Pending, givenLine(l, q, d))
		}
		if pd.Open {
			v.Pending = append(v.Pending, l.T("console.disburse.part"))
		} else {
			v.Pending = append(v.Pending, l.T("console.disburse.final"))
		}
		v.DeclineReason = webkit.Field{ID: "reason", Name: "reason", Type: "text", Label: l.T("console.f.reason"), Err: fe.Get("reason"),
			Value: val("reason"), Required: true}
	}
	v.ZakatChecked = q.ZakatEligible || val("zakat") != ""
	// The disbursement form was posted (its part-or-final choice is always
	// sent) and comes back with an error.
	disbursePosted := val("final") != ""
	for i, it := range q.Items {
		n := strconv.Itoa(i + 1)
		d := detailItem{N: i + 1, Category: label(l, "console.item.", it.Category), Description: it.Description,
			Estimated: l.Money(it.Estimated), Approved: l.Money(it.Approved), Disbursed: l.Money(it.Disbursed)}
		left := it.Approved - it.Disbursed
		pre := func(id string, a money.Amount) string {
			if s := val(id); s != "" {
				return s
			}
			return l.Plain(a)
		}
		appr := it.Approved
		if appr == 0 {
			appr = it.Estimated
		}
		d.ApprovedIn = webkit.Field{ID: "approved" + n, Name: "approved" + n, Type: "text", InputMode: "decimal",
			Label: l.F("console.f.approved", l.Digits(n)), Err: fe.Get("approved" + n), Value: pre("approved"+n, appr), Required: true}
		d.AmountIn = webkit.Field{ID: "amount" + n, Name: "amount" + n, Type: "text", InputMode: "decimal",
			Label: l.F("console.f.amount", l.Digits(n)), Err: fe.Get("amount" + n), Value: pre("amount"+n, left)}
		if disbursePosted {
			d.AmountIn.Value = val("amount" + n) // a cleared amount stays cleared: that item is not in this part
		}
		d.Method = selectField{ID: "method" + n, Name: "method" + n, Label: l.F("console.f.method", l.Digits(n)), Err: fe.Get("method" + n),
			Options: options(l, "console.method.", aid.Methods, val("method"+n))}
		d.Recipient = selectField{ID: "recipient" + n, Name: "recipient" + n, Label: l.F("console.f.recipient", l.Digits(n)), Err: fe.Get("recipient" + n),
			Options: options(l, "console.recipient.", aid.Recipients, val("recipient"+n))}
		d.RecipientName = webkit.Field{ID: "rname" + n, Name: "rname" + n, Type: "text", Label: l.F("console.f.recipient-name", l.Digits(n)),
			Err: fe.Get("rname" + n), Value: val("rname" + n), Hint: l.T("console.f.recipient-name-hint")}
		d.RefIn = webkit.Field{ID: "ref" + n, Name: "ref" + n, Type: "text", Label: l.F("console.f.ref", l.Digits(n)), Err: fe.Get("ref" + n),
			Value: val("ref" + n), Hint: l.T("console.f.ref-hint")}
		d.RefIn.ID, d.RefIn.Name = "ref"+n, "ref"+n
		v.Items = append(v.Items, d)
	}
	v.Note = webkit.Field{ID: "note", Name: "note", Type: "text", Label: l.T("console.f.note"), Value: val("note")}
	v.AssessNote = webkit.Field{ID: "anote", Name: "note", Type: "text", Label: l.T("console.f.note"), Value: val("note")}
	v.ZakatErr = fe.Get("zakat")
	v.Reason = webkit.Field{ID: "reason", Name: "reason", Type: "text", Label: l.T("console.f.reason"), Err: fe.Get("reason"), Value: val("reason"), Required: true}
	v.WithdrawReason = webkit.Field{ID: "wreason", Name: "wreason", Type: "text", Label: l.T("console.f.withdraw-reason"), Err: fe.Get("wreason"),
		Value: val("wreason"), Required: true}
	for _, a := range q.Allocations {
		v.Allocations = append(v.Allocations, webkit.Link{Label: fundName(l, a.Fund), Href: l.Money(a.Amount)})
	}
	final := val("final")
	if final == "" {
		final = "1"
	}
	v.Final = selectField{ID: "final", Name: "final", Label: l.T("console.f.final"), Options: []webkit.Choice{
		{Value: "1", Label: l.T("console.disburse.final"), Checked: final == "1"}, {Value: "0", Label: l.T("console.disburse.part"), Checked: final == "0"}}}
	v.CanRelease = v.CanDisburse && len(q.Parts) > 0
	for _, pt := range q.Parts {
		v.Parts = append(v.Parts, partRows(l, q, &pt)...)
	}
	hist, err := cs.h.Aid.Store.History(ctx, q.ID)
	if err != nil {
		return err
	}
	for _, h := range hist {
		v.History = append(v.History, historyRow{At: l.Digits(h.Change.At.In(dhaka).Format("2006-01-02 15:04")),
			Action: label(l, "console.action.", h.Change.Action), By: historyName(l, h.Change.Name), Role: label(l, "console.role.", h.Change.Role),
			Note: historyNote(l, &h), Status: label(l, "console.status.", string(h.Status))})
	}
	// Duplicate-benefit flags: other requests for this NID or mobile in any
	// unit in the last 90 days; where, when and how much only.
	seen := map[string]bool{q.ID: true}
	for _, key := range []string{q.Patient.IDKey, q.Patient.Mobile} {
		if key == "" {
			continue
		}
		found, err := cs.h.Aid.Store.List(ctx, aid.Filter{Patient: key, Since: time.Now().AddDate(0, 0, -90)})
		if err != nil {
			return err
		}
		for _, f := range found {
			if seen[f.ID] {
				continue
			}
			seen[f.ID] = true
			unit := f.Unit
			if fu, err := cs.h.Units.Get(ctx, f.Unit); err == nil {
				unit = webkit.UnitName(l, fu)
			}
			v.Dups = append(v.Dups, dupRow{Unit: unit, Filed: l.Digits(f.CreatedAt.Format("2006-01-02")),
				Status: label(l, "console.status.", string(f.Status)), Approved: l.Money(f.ApprovedTotal())})
		}
	}
	same, err := cs.h.Aid.IdentityFlags(ctx, q)
	if err != nil {
		return err
	}
	for _, f := range same {
		unit := f.Unit
		if fu, err := cs.h.Units.Get(ctx, f.Unit); err == nil {
			unit = webkit.UnitName(l, fu)
		}
		v.SamePerson = append(v.SamePerson, dupRow{Unit: unit + " · " + f.NID, Filed: l.Digits(f.CreatedAt.Format("2006-01-02")),
			Status: label(l, "console.status.", string(f.Status)), Approved: l.Money(f.Approved)})
	}
	pg := webkit.NewPage(c, l, v.Heading, v)
	pg.Errors = fe.List
	return pages.Render(c, status, "console_request", pg)
}

var dhaka = time.FixedZone("Asia/Dhaka", 6*3600)

// historyName shows a staff member by the name their token carried, never
// by the identity provider's subject.
func historyName(l i18n.Lang, name string) string {
	if name == "" {
		return l.T("console.history.noname")
	}
	return name
}

func fundName(l i18n.Lang, fund string) string {
	if p, ok := strings.CutPrefix(fund, "fund:programme:"); ok {
		return l.Programme(p)
	}
	if p, ok := strings.CutPrefix(fund, "fund:zakat:programme:"); ok {
		return label(l, "console.fund.", "zakat") + " (" + l.Programme(p) + ")"
	}
	return label(l, "console.fund.", strings.TrimPrefix(fund, "fund:"))
}

func (cs *console) act(action string) fiber.Handler {
	return func(c *fiber.Ctx) error { return cs.do(c, action) }
}

func (cs *console) do(c *fiber.Ctx, action string) error {
	var roles []auth.Role
	switch action {
	case "assess", "disburse", "withdraw":
		roles = []auth.Role{auth.SocialWorker, auth.UnitAdmin}
	case "reject":
		roles = []auth.Role{auth.SocialWorker, auth.Committee}
	default:
		// approve, confirm, decline: the unit's named checker may hold any
		// staff role; the domain's rules decide.
		roles = webkit.StaffRoles
	}
	q, err := cs.load(c, roles...)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	ctx, a := c.UserContext(), webkit.Actor(principalOf(c))
	val := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	var fe webkit.FormErrors
	var rows []int // disbursed items, by position in the request
	switch action {
	case "assess":
		amounts := make([]money.Amount, len(q.Items))
		for i := range q.Items {
			n := strconv.Itoa(i + 1)
			amt, perr := money.Parse(i18n.NormalizeNumber(val("approved" + n)))
			if perr != nil {
				fe.Add("approved"+n, l.T("console.err.amount"))
			}
			amounts[i] = amt
		}
		if len(fe.List) == 0 {
			_, err = cs.h.Aid.Assess(ctx, a, q.ID, amounts, val("zakat") != "", val("note"))
		}
	case "approve":
		res := aid.Resolution{Number: val("resno"), Date: i18n.ASCIIDigits(val("resdate"))}
		_, err = cs.h.Aid.Approve(ctx, a, q.ID, res, val("note"))
	case "confirm":
		_, err = cs.h.Aid.ConfirmDisbursement(ctx, a, q.ID)
	case "decline":
		_, err = cs.h.Aid.DeclineDisbursement(ctx, a, q.ID, val("reason"))
	case "reject":
		_, err = cs.h.Aid.Reject(ctx, a, q.ID, val("reason"))
	case "withdraw":
		_, err = cs.h.Aid.Withdraw(ctx, a, q.ID, val("wreason"))
	case "disburse":
		var ds []aid.Disbursement
		release := val("release") != ""
		for i := range q.Items {
			if release {
				break // the rest goes back to the funds; nothing is given
			}
			n := strconv.Itoa(i + 1)
			s := i18n.NormalizeNumber(val("amount" + n))
			if s == "" {
				continue
			}
			amt, perr := money.Parse(s)
			if perr != nil {
				fe.Add("amount"+n, l.T("console.err.amount"))
			}
			rows = append(rows, i)
			ds = append(ds, aid.Disbursement{Item: i, Amount: amt, Method: val("method" + n), Reference: val("ref" + n),
				Recipient: val("recipient" + n), RecipientName: val("rname" + n)})
		}
		final := release || val("final") != "0"
		if !final && len(ds) == 0 && len(fe.List) == 0 {
			fe.Add("amount1", l.T("console.err.part-empty"))
		}
		if len(fe.List) == 0 {
			_, err = cs.h.Aid.DisbursePart(ctx, a, q.ID, ds, final)
		}
	}
	if len(fe.List) == 0 && err == nil {
		return c.Redirect("/console/requests/"+url.PathEscape(q.ID)+"?done="+action, fiber.StatusSeeOther)
	}
	status, failure := fiber.StatusUnprocessableEntity, ""
	var ve validation.Errors
	switch {
	case len(fe.List) > 0:
	case errors.Is(err, aid.ErrState):
		status, failure = fiber.StatusConflict, l.T("console.err.state")
	case errors.Is(err, aid.ErrNeedsCommittee):
		status, failure = fiber.StatusForbidden, l.T("console.err.needs-committee")
	case errors.Is(err, aid.ErrSameAsMaker):
		status, failure = fiber.StatusForbidden, l.T("console.err.same-as-maker")
	case errors.Is(err, aid.ErrSameAsRecorder):
		status, failure = fiber.StatusForbidden, l.T("console.err.same-as-recorder")
	case errors.Is(err, aid.ErrNotChecker):
		status, failure = fiber.StatusForbidden, l.T("console.err.not-checker")
	case errors.Is(err, aid.ErrAlreadyApproved):
		status, failure = fiber.StatusConflict, l.T("console.err.already-approved")
	case errors.As(err, &ve):
		for _, f := range ve {
			fe.Add(actionFieldID(action, f.Field, rows), webkit.TextMessage(l, f, actionErrKey(f.Field)))
		}
	default:
		return err
	}
	if fresh, gerr := cs.h.Aid.Store.Get(ctx, q.ID); gerr == nil {
		q = fresh
	}
	return cs.renderDetail(c, status, q, "", failure, &fe, val)
}

// actionFieldID maps a transition's field error to the form input.
func actionFieldID(action, f string, rows []int) string {
	idx := func(s string) string {
		i, _ := strconv.Atoi(s)
		if action == "disburse" && i >= 0 && i < len(rows) {
			i = rows[i]
		}
		return strconv.Itoa(i + 1)
	}
	switch {
	case f == "reason" && action == "withdraw":
		return "wreason"
	case f == "reason":
		return "reason"
	case f == "resolution.number":
		return "resno"
	case f == "resolution.date":
		return "resdate"
	case f == "zakatEligible":
		return "zakat"
	case strings.HasPrefix(f, "approved["):
		return "approved" + idx(strings.TrimSuffix(strings.TrimPrefix(f, "approved["), "]"))
	case strings.HasPrefix(f, "items["):
		rest := strings.TrimPrefix(f, "items[")
		i, sub, _ := strings.Cut(rest, "].")
		switch sub {
		case "method":
			return "method" + idx(i)
		case "reference":
			return "ref" + idx(i)
		case "recipient":
			return "recipient" + idx(i)
		case "recipientName":
			return "rname" + idx(i)
		}
		return "amount" + idx(i)
	case action == "assess":
		return "approved1"
	}
	return "amount1"
}

func actionErrKey(f string) string {
	switch {
	case f == "reason":
		return "console.err.reason"
	case f == "resolution.number":
		return "console.err.resolution-no"
	case f == "resolution.date":
		return "console.err.resolution-date"
	case strings.HasSuffix(f, ".item"):
		return "console.err.item-twice"
	case f == "zakatEligible":
		return "console.err.zakat"
	case strings.HasSuffix(f, ".method"):
		return "console.err.method"
	case strings.HasSuffix(f, ".reference"):
		return "console.err.reference"
	case strings.HasSuffix(f, ".recipient"):
		return "console.err.recipient"
	case strings.HasSuffix(f, ".recipientName"):
		return "console.err.recipient-name"
	case f == "approved":
		return "console.err.approve-something"
	case f == "items":
		return "console.err.over-allocated"
	}
	return "console.err.amount-range"
}

// givenLine says what was given of one item: amount, how, reference and
// to whom.
func givenLine(l i18n.Lang, q *aid.Request, d aid.Disbursement) string {
	line := label(l, "console.item.", q.Items[d.Item].Category) + ": " + l.Money(d.Amount) + " · " + label(l, "console.method.", d.Method)
	if d.Reference != "" {
		line += " · " + d.Reference
	}
	return line + " · " + recipientText(l, d)
}

func recipientText(l i18n.Lang, d aid.Disbursement) string {
	r := d.Recipient
	if r == "" {
		r = "patient"
	}
	out := label(l, "console.recipient.", r)
	if d.RecipientName != "" {
		out += " (" + d.RecipientName + ")"
	}
	return out
}

// partRows renders a confirmed part, one row per item given (a release
// gives none and shows one row with what went back).
func partRows(l i18n.Lang, q *aid.Request, pt *aid.Part) []partRow {
	when := func(name string, at time.Time) string {
		return historyName(l, name) + ", " + l.Digits(at.In(dhaka).Format("2006-01-02 15:04"))
	}
	head := partRow{Part: l.Num(int64(pt.Number)), Recorded: when(pt.RecordedName, pt.RecordedAt), Confirmed: when(pt.ConfirmedName, pt.ConfirmedAt)}
	var back money.Amount
	for _, r := range pt.Returned {
		back += r.Amount
	}
	if back > 0 {
		head.Returned = l.F("console.parts.returned", l.Money(back))
	}
	var rows []partRow
	for _, d := range pt.Items {
		if d.Item < 0 || d.Item >= len(q.Items) {
			continue
		}
		r := partRow{Item: label(l, "console.item.", q.Items[d.Item].Category), Amount: l.Money(d.Amount), Method: label(l, "console.method.", d.Method),
			Reference: d.Reference, Recipient: recipientText(l, d)}
		if len(rows) == 0 {
			r.Part, r.Recorded, r.Confirmed, r.Returned = head.Part, head.Recorded, head.Confirmed, head.Returned
		}
		rows = append(rows, r)
	}
	if len(rows) == 0 {
		head.Item = l.T("console.parts.release")
		rows = append(rows, head)
	}
	return rows
}

// historyNote is a version's note, and for a disbursement step what was
// recorded or given, as staff entered it.
func historyNote(l i18n.Lang, h *aid.Request) string {
	var ds []aid.Disbursement
	switch h.Change.Action {
	case "disbursement-recorded":
		if h.Pending != nil {
			ds = h.Pending.Items
		}
	case "disbursed", "part-disbursed":
		if n := len(h.Parts); n > 0 {
			ds = h.Parts[n-1].Items
		}
	}
	parts := []string{}
	if h.Change.Note != "" {
		parts = append(parts, h.Change.Note)
	}
	for _, d := range ds {
		if d.Item >= 0 && d.Item < len(h.Items) {
			parts = append(parts, givenLine(l, h, d))
		}
	}
	return strings.Join(parts, "; ")
}
