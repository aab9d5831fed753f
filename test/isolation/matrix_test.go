package isolation

import (
	"bytes"
	"net/url"
	"os"
	"os/exec"
	"sort"
	"strings"
	"testing"
)

// Units A and B of the demo seed. Every cross-tenant call is made with a
// token of unit A against a record of unit B.
const (
	unitA = "dmch"
	unitB = "dh-cumilla"
	// scratch is registered and archived by the platform admin's own calls.
	scratch = "iso-scratch"
)

var unitRoles = []string{"social_worker", "committee", "unit_admin", "cashier"}

// entry is one route of the matrix. A route is either public (and says
// why), or a staff route with a request on a unit's records.
type entry struct {
	public string
	// req builds the call on the records of fx (unit B's for the
	// cross-tenant check, unit A's or the scratch unit's for the control).
	req func(fx *unitFx) request
	// role is the role the control call uses: one allowed to do this at its
	// own unit ("platform_admin" for admin routes, which use the scratch unit).
	role string
	// admin marks routes for platform admins only (unit staff get 403).
	admin bool
	// national says why a staff route is deliberately not scoped to the
	// caller's unit; its cross-tenant call must then succeed and show
	// personal data only masked.
	national string
	// echoes: the answer is a form that carries back, in its inputs, the
	// mobile number the caller typed in (no leak: the caller sent it).
	echoes bool
	// oversight marks the supervisors' read routes: supervisors whose
	// scope covers the unit read them (TestSupervisorsReadOnlyAndScoped).
	oversight bool
}

func public(why string) entry { return entry{public: why} }

func jsonKey(key string) map[string]string { return map[string]string{"Idempotency-Key": key} }

// matrix lists every route the API registers, keyed "METHOD /path" as
// Fiber registered it. A route missing here fails TestEveryRouteIsInTheMatrix:
// a new staff route cannot ship without its isolation check.
var matrix = map[string]entry{
	"GET /livez":   public("liveness probe"),
	"GET /readyz":  public("readiness probe"),
	"GET /metrics": public("Prometheus metrics: route templates and counts, no records"),

	"GET /":                   public("home page"),
	"GET /d/:slug":            public("donor's gift form (a unit or a campaign link)"),
	"POST /d/:slug":           public("donor's gift form submission"),
	"GET /zakat":              public("zakat calculator page"),
	"GET /u/:code":            public("unit's public transparency page: fund totals only"),
	"GET /ledger":             public("national ledger page: totals per division and district only"),
	"GET /u/:code/bkash-app":  public("donor's form to claim a gift made in the bKash app: no records shown"),
	"POST /u/:code/bkash-app": public("donor's claim of a gift made in the bKash app: bKash confirms the TrxID and payer; the answer shows only that gift's status"),
	"POST /api/v1/units/:code/bkash-app-gifts":   public("donor's claim of a gift made in the bKash app: bKash confirms the TrxID and payer; rate-limited per address and number"),
	"GET /donations/:id":                         public("donor's status page: no personal data"),
	"GET /d/:slug/qr.:format<regex(png|svg)>":    public("printable QR code of a public link"),
	"GET /api/v1/openapi.json":                   public("the API's OpenAPI description"),
	"GET /api/v1/units/:code":                    public("unit's public profile"),
	"POST /api/v1/units/:code/donations":         public("donors give without an account"),
	"GET /api/v1/donations/:id":                  public("public donation status: no personal data"),
	"GET /api/v1/donations/:id/bkash-callback":   public("bKash's redirect; never trusted, always executed server-side"),
	"GET /api/v1/units/:code/ledger":             public("transparency: per-fund totals"),
	"GET /api/v1/ledger":                         public("transparency: national totals"),
	"GET /api/v1/units/:code/keys":               public("receipt verification keys are public by design"),
	"GET /api/v1/receipts/:id.pdf":               public("receipt PDF: the unguessable receipt ID is the capability"),
	"GET /api/v1/receipts/:id/verify":            public("receipt verification"),
	"GET /api/v1/receipts/:id/notes/:refund.pdf": public("cancellation note PDF: the unguessable receipt ID is the capability"),
	"GET /api/v1/receipts/:id/notes/:refund":     public("cancellation note verification (personal data masked)"),
	"GET /api/v1/receipts/:id":                   public("receipt verification (personal data masked)"),
	"POST /api/v1/statements":                    public("donor asks for a statement: the link goes to the number's SMS"),
	"GET /r/:id":                                 public("receipt verification page (QR code target)"),
	"GET /r/:id/notes/:refund":                   public("cancellation note verification page (the note QR target): the unguessable receipt ID is the capability"),
	"GET /s/:token":                              public("statement link from the SMS (signed, expiring token)"),
	"GET /rebate":                                public("how the tax rebate works: text only"),
	"GET /privacy":                               public("privacy page: text only"),
	"GET /refunds":                               public("refund policy: text only"),
	"GET /contact":                               public("contact and complaints: units' public contact details, no records"),
	"GET /statement":                             public("annual statement form: no records"),
	"POST /statement":                            public("donor asks for a statement: the link goes to the number's SMS; never says whether the number gave"),
	"GET /my":                                    public("My gifts: a sign-in form; the donor's own gifts only with the sealed session cookie an SMS code opened"),
	"POST /my/code":                              public("My gifts: sends a one-time code to the number's SMS; never says whether the number gave; rate-limited"),
	"POST /my/login":                             public("My gifts: the code from the SMS opens a 20-minute session for that number only"),
	"POST /my/logout":                            public("My gifts: clears the session cookie"),
	"GET /my/statement/:fy":                      public("My gifts: the session's own statement; without a session, back to sign-in"),
	"POST /my/details":                           public("My gifts: the session's own details for future gifts; without a session, back to sign-in"),
	"POST /my/erase":                             public("My gifts: erases the session's own kept details; without a session, back to sign-in"),
	"GET /console/login":                         public("staff console sign-in page: a form, no records"),
	"POST /console/login":                        public("staff console sign-in: checks the pasted token, sets the session cookie"),
	"POST /console/logout":                       public("staff console sign-out: clears the session cookie"),

	"PUT /api/v1/admin/units/:code": {admin: true, role: "platform_admin", req: func(fx *unitFx) request {
		return request{method: "PUT", path: "/api/v1/admin/units/" + fx.code, body: map[string]any{
			"names": map[string]any{"en": "Hijacked Hospital", "bn": "দখল হাসপাতাল"}, "level": "district",
			"division": "Dhaka", "district": "Dhaka"}}
	}},
	"DELETE /api/v1/admin/units/:code": {admin: true, role: "platform_admin", req: func(fx *unitFx) request {
		return request{method: "DELETE", path: "/api/v1/admin/units/" + fx.code}
	}},
	"POST /api/v1/units/:code/cash-donations": {role: "cashier", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/units/" + fx.code + "/cash-donations", hdr: jsonKey("iso-cross-cash"),
			body: giftBody("55.00", "Mallory", "01555000111")}
	}},
	"POST /api/v1/donations/:id/refunds": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/donations/" + fx.donation + "/refunds", hdr: jsonKey("iso-cross-refund"),
			body: map[string]any{"amount": "1.00", "reason": "isolation check"}}
	}},
	"POST /api/v1/units/:code/links": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/units/" + fx.code + "/links", body: map[string]any{
			"slug": "iso-cross-" + fx.code, "title": map[string]any{"en": "Cross", "bn": "ক্রস"}, "kind": "general"}}
	}},
	"GET /api/v1/units/:code/links": {role: "social_worker", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/api/v1/units/" + fx.code + "/links"}
	}},
	"POST /api/v1/links/:slug/disable": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/links/" + fx.link + "/disable"}
	}},
	"POST /api/v1/links/:slug/enable": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/links/" + fx.link + "/enable"}
	}},
	"POST /api/v1/staff/statements": {role: "social_worker", national: "a donor's annual tax statement covers every unit " +
		"they gave to, and any unit's counter may print it, with the donor there to read out the one-time code sent to " +
		"their phone (TestCounterStatementNeedsTheDonor)", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/staff/statements", body: map[string]any{"phone": fx.donorPhone, "fiscalYear": fx.fiscalYear}}
	}},
	"POST /api/v1/units/:code/aid-requests": {role: "social_worker", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/units/" + fx.code + "/aid-requests", body: aidBody("Mallory Patient", "01555000222")}
	}},
	"GET /api/v1/units/:code/aid-requests": {role: "committee", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/api/v1/units/" + fx.code + "/aid-requests"}
	}},
	"GET /api/v1/aid-requests/:id": {role: "committee", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/api/v1/aid-requests/" + fx.aid}
	}},
	"GET /api/v1/aid-requests/:id/history": {role: "committee", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/api/v1/aid-requests/" + fx.aid + "/history"}
	}},
	"POST /api/v1/aid-requests/:id/assess": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/aid-requests/" + fx.aid + "/assess",
			body: map[string]any{"approved": []string{"100.00"}, "zakatEligible": false, "note": "isolation check"}}
	}},
	"POST /api/v1/aid-requests/:id/approve": {role: "committee", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/aid-requests/" + fx.aid + "/approve", body: map[string]any{"note": "isolation check"}}
	}},
	"POST /api/v1/aid-requests/:id/reject": {role: "committee", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/aid-requests/" + fx.aid + "/reject", body: map[string]any{"reason": "isolation check"}}
	}},
	"POST /api/v1/aid-requests/:id/withdraw": {role: "social_worker", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/aid-requests/" + fx.aid + "/withdraw", body: map[string]any{"reason": "isolation check"}}
	}},
	"POST /api/v1/admin/units/:code/grant-allocations": {admin: true, role: "platform_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/admin/units/" + fx.code + "/grant-allocations", hdr: jsonKey("iso-grant"),
			body: map[string]any{"fiscalYear": "2026-27", "amount": "1.00", "reference": "isolation check"}}
	}},
	"POST /api/v1/admin/units/:code/transfers": {admin: true, role: "platform_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/admin/units/" + fx.code + "/transfers", hdr: jsonKey("iso-transfer"),
			body: map[string]any{"to": "dmch"}}
	}},
	"POST /api/v1/aid-requests/:id/disburse": {role: "social_worker", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/aid-requests/" + fx.aid + "/disburse",
			body: map[string]any{"items": []map[string]any{{"item": 0, "amount": "1.00", "method": "cash", "reference": "iso-1"}}}}
	}},
	"POST /api/v1/aid-requests/:id/confirm-disbursement": {role: "social_worker", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/aid-requests/" + fx.aid + "/confirm-disbursement"}
	}},
	"POST /api/v1/aid-requests/:id/decline-disbursement": {role: "social_worker", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/aid-requests/" + fx.aid + "/decline-disbursement", body: map[string]any{"reason": "isolation check"}}
	}},
	"GET /console":              {role: "social_worker", req: consoleUnitQ("/console")},
	"GET /console/waitlist":     {role: "committee", req: consoleUnitQ("/console/waitlist")},
	"GET /console/committee":    {role: "committee", req: consoleUnitQ("/console/committee")},
	"GET /console/requests/new": {role: "social_worker", req: consoleUnitQ("/console/requests/new")},
	"POST /console/requests/new": {role: "social_worker", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/console/requests/new?unit=" + fx.code, body: map[string]any{"name": "Mallory Patient"}}
	}},
	"GET /console/requests/:id": {role: "committee", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/console/requests/" + fx.aid}
	}},
	"POST /console/requests/:id/assess":   {role: "unit_admin", req: consoleForm("assess", map[string]any{"approved1": "100"})},
	"POST /console/requests/:id/approve":  {role: "committee", req: consoleForm("approve", map[string]any{"note": "isolation check"})},
	"POST /console/requests/:id/reject":   {role: "committee", req: consoleForm("reject", map[string]any{"reason": "isolation check", "sure": "1"})},
	"POST /console/requests/:id/disburse": {role: "social_worker", req: consoleForm("disburse", map[string]any{"amount1": "1"})},
	"POST /console/requests/:id/confirm":  {role: "social_worker", req: consoleForm("confirm", map[string]any{})},
	"POST /console/requests/:id/decline":  {role: "social_worker", req: consoleForm("decline", map[string]any{"reason": "isolation check"})},
	"POST /console/requests/:id/withdraw": {role: "social_worker", req: consoleForm("withdraw", map[string]any{"wreason": "isolation check", "sure": "1"})},

	// The console's money pages (issue 17). Each form is posted with a
	// value it refuses, so the control call records nothing either.
	"GET /console/cash": {role: "cashier", req: consoleUnitQ("/console/cash")},
	"POST /console/cash": {role: "cashier", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/console/cash?unit=" + fx.code, form: url.Values{"name": {"Mallory"}, "mobile": {"01555000111"},
			"kind": {"general"}, "amount": {"not a number"}, "key": {"iso-cross-console-cash"}}}
	}},
	"GET /console/cash/:id": {role: "cashier", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/console/cash/" + fx.donation}
	}},
	"GET /console/cash-book": {role: "cashier", req: consoleUnitQ("/console/cash-book")},
	"POST /console/cash-book/close": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/console/cash-book/close?unit=" + fx.code, form: url.Values{"staff": {"iso-cashier-" + fx.code},
			"handedOver": {"not a number"}, "depositReference": {"ISO-1"}}}
	}},
	"GET /api/v1/units/:code/cash-book": {role: "cashier", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/api/v1/units/" + fx.code + "/cash-book"}
	}},
	"POST /api/v1/units/:code/cash-book/closes": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/units/" + fx.code + "/cash-book/closes", body: map[string]any{
			"staff": "iso-cashier-" + fx.code, "handedOver": "-1", "depositReference": "ISO-1"}}
	}},
	"GET /console/refunds": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/console/refunds?unit=" + fx.code + "&q=" + url.QueryEscape(fx.serial)}
	}},
	"GET /console/refunds/:id": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/console/refunds/" + fx.donation}
	}},
	"POST /console/refunds/:id": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/console/refunds/" + fx.donation, form: url.Values{"amount": {"1.00"}, "reason": {""},
			"confirm": {"1"}, "key": {"iso-cross-console-refund"}}}
	}},
	"GET /console/statement": {role: "cashier", national: "the counter statement's form: no records", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/console/statement"}
	}},
	"POST /console/statement": {role: "cashier", echoes: true, national: "as POST /api/v1/staff/statements: any unit's counter " +
		"may print a donor's statement, with the donor there to read out the code sent to their phone", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/console/statement", form: url.Values{"mobile": {fx.donorPhone}, "fy": {fx.fiscalYear}}}
	}},
	"POST /console/statement/print": {role: "cashier", echoes: true, national: "as POST /api/v1/staff/statements: nothing without " +
		"the donor's code (TestCounterStatementNeedsTheDonor)", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/console/statement/print", form: url.Values{"mobile": {fx.donorPhone}, "fy": {fx.fiscalYear},
			"challenge": {"not-a-challenge"}, "code": {"123456"}}}
	}},

	// The console's campaign links (issue 17); the create form is posted
	// with a slug it refuses.
	"GET /console/links": {role: "unit_admin", req: consoleUnitQ("/console/links")},
	"POST /console/links": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/console/links?unit=" + fx.code, form: url.Values{"slug": {"NOT A SLUG"}, "title_en": {"Isolation"}}}
	}},
	"POST /console/links/:slug/disable": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/console/links/" + fx.link + "/disable", form: url.Values{}}
	}},
	"POST /console/links/:slug/enable": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "POST", path: "/console/links/" + fx.link + "/enable", form: url.Values{}}
	}},
	"GET /console/links/:slug/poster.pdf": {role: "unit_admin", req: func(fx *unitFx) request {
		return request{method: "GET", path: "/console/links/" + fx.link + "/poster.pdf"}
	}},
	// Oversight (issue #18): a unit's own staff read its reports; other
	// units' staff get 404; supervisors by scope (supervisors_test.go).
	"GET /api/v1/oversight/reports/:level/:code/:period": {role: "committee", oversight: true, req: func(fx *unitFx) request {
		return request{method: "GET", path: "/api/v1/oversight/reports/unit/" + fx.code + "/" + fx.fiscalYear}
	}},
	"GET /oversight/reports/:level/:code/:period": {role: "unit_admin", oversight: true, req: func(fx *unitFx) request {
		return request{method: "GET", path: "/oversight/reports/unit/" + fx.code + "/" + fx.fiscalYear}
	}},
	"GET /oversight/reports/:level/:code/:period.:format<regex(csv|xlsx|pdf)>": {role: "committee", oversight: true, req: func(fx *unitFx) request {
		return request{method: "GET", path: "/oversight/reports/unit/" + fx.code + "/" + fx.fiscalYear + ".csv"}
	}},
	"GET /api/v1/oversight/units/:code/cases": {role: "committee", oversight: true, req: func(fx *unitFx) request {
		return request{method: "GET", path: "/api/v1/oversight/units/" + fx.code + "/cases"}
	}},
	// Opening a case's identity is the supervisors' (and platform admins'):
	// unit staff use the console.
	"POST /api/v1/oversight/cases/:id/open": {role: "platform_admin", oversight: true, req: func(fx *unitFx) request {
		return request{method: "POST", path: "/api/v1/oversight/cases/" + fx.aid + "/open", body: map[string]any{"reason": "isolation check of the audit"}}
	}},
}

// consoleUnitQ is a console list page of fx's unit: lists take ?unit= (a
// platform admin's choice; other units' staff get 404).
func consoleUnitQ(path string) func(fx *unitFx) request {
	return func(fx *unitFx) request { return request{method: "GET", path: path + "?unit=" + fx.code} }
}

// consoleForm posts a console form on fx's aid request (with the bearer
// header, so no CSRF token is needed: only the cookie session needs one).
func consoleForm(action string, body map[string]any) func(fx *unitFx) request {
	return func(fx *unitFx) request {
		return request{method: "POST", path: "/console/requests/" + fx.aid + "/" + action, body: body}
	}
}

// routes returns the registered routes as matrix keys (HEAD, which Fiber
// adds to every GET, is checked as its GET).
func routes() []string {
	seen := map[string]bool{}
	var out []string
	for _, r := range stack.API.App.GetRoutes(true) {
		m := r.Method
		if m == "HEAD" {
			m = "GET"
		}
		k := m + " " + r.Path
		if !seen[k] {
			seen[k] = true
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

func TestEveryRouteIsInTheMatrix(t *testing.T) {
	registered := map[string]bool{}
	for _, k := range routes() {
		registered[k] = true
		if _, ok := matrix[k]; !ok {
			t.Errorf("route %q has no entry in the isolation matrix (test/isolation/matrix_test.go): "+
				"add it as public(\"why\") or as a staff entry with a request on a unit's records", k)
		}
	}
	for k, e := range matrix {
		if !registered[k] && e.public == "" {
			t.Errorf("matrix entry %q: no such route is registered (renamed?)", k)
		}
	}
}

// TestPublicRoutesNeedNoToken: a route called public must not ask for a
// token (else it is a staff route and belongs in the matrix as one).
func TestPublicRoutesNeedNoToken(t *testing.T) {
	for _, k := range routes() {
		e, ok := matrix[k]
		if !ok || e.public == "" {
			continue
		}
		method, path, _ := strings.Cut(k, " ")
		path = strings.NewReplacer(":code", unitA, ":slug", unitA, ":id", "no-such-id", ":token", "no-such-token",
			".:format<regex(png|svg)>", ".png").Replace(path)
		r := call(t, request{method: method, path: path, body: map[string]any{}}, "")
		if r.Status == 401 || r.Status == 403 {
			t.Errorf("%s is listed as public (%s) but answered %d without a token", k, e.public, r.Status)
		}
	}
}

// TestCrossTenantMatrix calls every staff route with tokens of unit A's
// staff on unit B's records: each must answer 404 or 403 with nothing of
// B's in the body, and B's records must be unchanged afterwards. The same
// call on A's own records (the control) must get past authorisation, so a
// 404 here proves isolation rather than a broken path.
func TestCrossTenantMatrix(t *testing.T) {
	fx := setupFixturesOnce(t)
	for _, k := range staffKeys() {
		e := matrix[k]
		t.Run(k, func(t *testing.T) {
			req := e.req(fx.b)
			for _, role := range unitRoles {
				r := call(t, req, bearer(t, role, unitA))
				if e.national != "" {
					nationalByDesign(t, k, e, r, fx.b)
					continue
				}
				want := []int{403, 404}
				if e.admin {
					want = []int{403}
				}
				p := problemBody(t, r, want...)
				noForeignData(t, k+" as "+role+" of "+unitA, p, fx.b)
			}
			// Control: the unit's own staff (or the platform admin on the
			// scratch unit) get past authorisation on their own records.
			own, as := fx.a, bearer(t, e.role, unitA)
			if e.admin {
				own, as = fx.freshScratch(t), bearer(t, "platform_admin", "")
			}
			r := call(t, e.req(own), as)
			if r.Status == 401 || r.Status == 404 || (r.Status == 403 && bytes.Contains(r.Body, []byte("/forbidden"))) {
				t.Errorf("control call %s %s as its own %s: %d %.300s (the matrix entry does not reach the handler)",
					e.req(own).method, e.req(own).path, e.role, r.Status, r.Body)
			}
		})
	}
	fx.b.unchanged(t)
}

func staffKeys() []string {
	var out []string
	for k, e := range matrix {
		if e.public == "" {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// noForeignData fails if a problem document answered to unit A's staff
// names anything of unit B's.
func noForeignData(t *testing.T, what string, p map[string]any, b *unitFx) {
	t.Helper()
	s := strings.ToLower(mustJSON(t, p))
	for _, m := range b.markers() {
		if strings.Contains(s, strings.ToLower(m)) {
			t.Errorf("%s: the answer names %q of unit %s: %s", what, m, b.code, s)
		}
	}
}

// nationalByDesign checks a route that serves every unit's records by
// design: it answers, and the donor's mobile number shows only masked.
func nationalByDesign(t *testing.T, k string, e entry, r resp, b *unitFx) {
	t.Helper()
	if r.Status == 403 {
		problemBody(t, r, 403) // a role that may not use it at all
		return
	}
	if e.echoes {
		// The form carries back the number the caller typed, nothing more.
		r.Body = bytes.ReplaceAll(r.Body, []byte(`value="`+b.donorPhone+`"`), nil)
	}
	if r.Status == 422 {
		// Refused without the donor's code: nothing of the donor's.
		noForeignData(t, k, map[string]any{"answer": string(r.Body)}, &unitFx{donorName: b.donorName, donorPhone: b.donorPhone,
			receiptID: b.receiptID, donation: b.donation, serial: b.serial})
		return
	}
	if r.Status == 202 {
		// A one-time code went to the donor's phone: the answer itself
		// must show nothing of the donor.
		noForeignData(t, k, map[string]any{"answer": string(r.Body)}, &unitFx{donorName: b.donorName, donorPhone: b.donorPhone,
			receiptID: b.receiptID, donation: b.donation, serial: b.serial})
		return
	}
	if r.Status != 200 {
		t.Fatalf("%s (national: %s): %d %.300s", k, e.national, r.Status, r.Body)
	}
	text := string(r.Body)
	if strings.HasPrefix(text, "%PDF-") {
		text = pdfText(t, r.Body)
	}
	for _, m := range []string{b.donorPhone, strings.TrimPrefix(b.donorPhone, "0"), b.patientPhone} {
		if strings.Contains(text, m) {
			t.Errorf("%s shows the full mobile number %s to another unit's staff", k, m)
		}
	}
}

// pdfText extracts a PDF's text with pdftotext (Debian: poppler-utils).
func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is needed to read PDFs (Debian: poppler-utils)")
	}
	f, err := os.CreateTemp(t.TempDir(), "doc-*.pdf")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.Write(pdf); err != nil {
		t.Fatal(err)
	}
	f.Close()
	out, err := exec.CommandContext(t.Context(), "pdftotext", "-enc", "UTF-8", f.Name(), "-").Output()
	if err != nil {
		t.Fatalf("pdftotext: %v", err)
	}
	return string(out)
}
