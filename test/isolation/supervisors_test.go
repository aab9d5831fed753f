package isolation

import (
	"strings"
	"testing"
)

// Supervisors of unit B's district (Cumilla), division (Chattagram) and the
// Department, and of another district and division (Dhaka, unit A's).
var (
	supervisorsOfB    = [][2]string{{"district_officer", "cumilla"}, {"division_officer", "chattagram"}, {"department", ""}}
	supervisorsNotOfB = [][2]string{{"district_officer", "dhaka"}, {"division_officer", "dhaka"}}
)

// TestSupervisorsReadOnlyAndScoped calls every staff route of the matrix
// with supervisors' tokens on unit B's records: they never write (every
// route but the oversight reads answers 403 or 404 and B's records are
// unchanged), they read the oversight routes of units in their scope, with
// patients masked, and nothing outside it (404).
func TestSupervisorsReadOnlyAndScoped(t *testing.T) {
	fx := setupFixturesOnce(t)
	for _, k := range staffKeys() {
		e := matrix[k]
		t.Run(k, func(t *testing.T) {
			req := e.req(fx.b)
			for _, s := range supervisorsOfB {
				r := call(t, req, bearer(t, s[0], s[1]))
				if !e.oversight {
					noForeignData(t, k+" as "+s[0], problemBody(t, r, 403, 404), fx.b)
					continue
				}
				if r.Status != 200 {
					t.Errorf("%s as %s of %q: %d %.300s", k, s[0], s[1], r.Status, r.Body)
					continue
				}
				if req.method == "GET" {
					text := string(r.Body)
					for _, m := range []string{fx.b.patientPhone, fx.b.donorPhone, fx.b.patientName, fx.b.donorName} {
						if strings.Contains(text, m) {
							t.Errorf("%s shows %q to a supervisor unmasked", k, m)
						}
					}
				}
			}
			if e.oversight {
				for _, s := range supervisorsNotOfB {
					noForeignData(t, k+" as "+s[0]+" of "+s[1], problemBody(t, call(t, req, bearer(t, s[0], s[1])), 404), fx.b)
				}
			}
		})
	}
	// Supervisors' calls answered 403/404 above (the cash call among them);
	// the unit's records read as the fixtures made them.
	fx.b.stateUnchanged(t)

	// Opening a case needs a reason, and each opening is on record: who,
	// when, why, which case.
	open := request{method: "POST", path: "/api/v1/oversight/cases/" + fx.b.aid + "/open", body: map[string]any{"reason": "short"}}
	problemBody(t, call(t, open, bearer(t, "district_officer", "cumilla")), 422)
	got, err := stack.Store.CaseOpenings().Openings(t.Context(), fx.b.aid)
	if err != nil {
		t.Fatal(err)
	}
	by := map[string]bool{}
	for _, o := range got {
		if o.Reason != "isolation check of the audit" || o.Unit != unitB || o.At.IsZero() {
			t.Errorf("case opening on record: %+v", o)
		}
		by[o.Role] = true
	}
	for _, s := range supervisorsOfB {
		if !by[s[0]] {
			t.Errorf("no case opening on record by the %s (records: %+v)", s[0], got)
		}
	}
}

// The reports roll up by scope: a district officer reads their district's
// report, a division officer their division's, the Department the nation's,
// and none of them a scope beyond theirs.
func TestSupervisorsRollUpsByScope(t *testing.T) {
	fx := setupFixturesOnce(t)
	fy := fx.b.fiscalYear
	cases := []struct {
		role, scope, path string
		status            int
	}{
		{"district_officer", "cumilla", "/api/v1/oversight/reports/district/cumilla/" + fy, 200},
		{"district_officer", "cumilla", "/api/v1/oversight/reports/district/dhaka/" + fy, 404},
		{"district_officer", "cumilla", "/api/v1/oversight/reports/division/chattagram/" + fy, 404},
		{"division_officer", "chattagram", "/api/v1/oversight/reports/division/chattagram/" + fy, 200},
		{"division_officer", "chattagram", "/api/v1/oversight/reports/district/cumilla/" + fy, 200},
		{"division_officer", "chattagram", "/api/v1/oversight/reports/nation/bd/" + fy, 404},
		{"department", "", "/api/v1/oversight/reports/nation/bd/" + fy, 200},
		{"department", "", "/oversight/reports/nation/bd/" + fy + ".xlsx", 200},
		{"department", "", "/oversight/reports/division/dhaka/" + fy + ".pdf", 200},
		{"committee", unitB, "/api/v1/oversight/reports/district/cumilla/" + fy, 404},
		{"platform_admin", "", "/api/v1/oversight/reports/nation/bd/" + fy, 200},
		{"department", "", "/api/v1/oversight/reports/nation/bd/2026", 422},
	}
	for _, c := range cases {
		r := call(t, request{method: "GET", path: c.path}, bearer(t, c.role, c.scope))
		if r.Status != c.status {
			t.Errorf("%s of %q GET %s: %d, want %d: %.300s", c.role, c.scope, c.path, r.Status, c.status, r.Body)
		}
	}
	// The national report counts unit B's receipted gift.
	r := call(t, request{method: "GET", path: "/api/v1/oversight/reports/nation/bd/" + fy}, bearer(t, "department", ""))
	if r.Status == 200 {
		rep := r.JSON(t)
		if units, _ := rep["units"].(float64); units < 2 {
			t.Errorf("national report over %v units", rep["units"])
		}
		if ch, _ := rep["children"].([]any); len(ch) < 2 {
			t.Errorf("national report rolls up %d divisions", len(ch))
		}
	}
	if fx.b.code != unitB {
		t.Fatal("fixtures")
	}
}
