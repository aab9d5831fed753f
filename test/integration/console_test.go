package integration

import (
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// consoleSession signs in on the console's sign-in page and returns the
// session cookie header.
func consoleSession(t *testing.T, role, unit string) map[string]string {
	t.Helper()
	tok := strings.TrimPrefix(token(t, role, unit)["Authorization"], "Bearer ")
	r := form(t, stack.APIURL()+"/console/login", url.Values{"token": {tok}})
	if r.status != 303 || r.header.Get("Location") != "/console" {
		t.Fatalf("sign in: %d %s", r.status, r.body)
	}
	var cookie string
	for _, c := range r.header.Values("Set-Cookie") {
		if strings.HasPrefix(c, "kalyan_staff=") {
			cookie = c
		}
	}
	for _, want := range []string{"HttpOnly", "SameSite=Strict", "Path=/console"} {
		if !strings.Contains(strings.ToLower(cookie), strings.ToLower(want)) {
			t.Fatalf("session cookie %q lacks %s", cookie, want)
		}
	}
	return map[string]string{"Cookie": strings.SplitN(cookie, ";", 2)[0], "Accept": "text/html"}
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([0-9a-f]+)"`)

func postConsole(t *testing.T, path string, vals url.Values, hdr map[string]string) resp {
	t.Helper()
	h := map[string]string{"Content-Type": "application/x-www-form-urlencoded"}
	for k, v := range hdr {
		h[k] = v
	}
	return do(t, "POST", path, vals.Encode(), h)
}

// TestConsoleCSRFAndIsolation: a form posted with the session cookie but
// without the CSRF token is refused and changes nothing; with the token it
// works; another unit's staff get 404 without any of the request's data; a
// bad sign-in token sets no cookie.
func TestConsoleCSRFAndIsolation(t *testing.T) {
	sw := consoleSession(t, "social_worker", "dmch")
	id := fileAid(t, "dmch", aidBody("general", "", "01744444444", "900.00"), token(t, "social_worker", "dmch"))

	page := do(t, "GET", "/console/requests/"+id, nil, sw)
	m := csrfInput.FindSubmatch(page.body)
	if page.status != 200 || m == nil || !strings.Contains(string(page.body), "Amena Khatun") {
		t.Fatalf("request page: %d %.500s", page.status, page.body)
	}
	assess := url.Values{"approved1": {"900"}}
	if r := postConsole(t, "/console/requests/"+id+"/assess", assess, sw); r.status != 403 {
		t.Fatalf("assess without CSRF token: %d", r.status)
	}
	assess.Set("csrf", strings.Repeat("0", len(m[1])))
	if r := postConsole(t, "/console/requests/"+id+"/assess", assess, sw); r.status != 403 {
		t.Fatalf("assess with a wrong CSRF token: %d", r.status)
	}
	if got := aidStatus(t, id, token(t, "social_worker", "dmch"))["status"]; got != "submitted" {
		t.Fatalf("a refused form changed the request: %v", got)
	}
	assess.Set("csrf", string(m[1]))
	if r := postConsole(t, "/console/requests/"+id+"/assess", assess, sw); r.status != 303 {
		t.Fatalf("assess with the CSRF token: %d %.500s", r.status, r.body)
	}
	if got := aidStatus(t, id, token(t, "social_worker", "dmch"))["status"]; got != "assessed" {
		t.Fatalf("after assessing: %v", got)
	}
	// A new request without the token is refused too.
	if r := postConsole(t, "/console/requests/new", url.Values{"name": {"X"}}, sw); r.status != 403 {
		t.Fatalf("file without CSRF token: %d", r.status)
	}

	// Another unit's staff: 404 on every page and form, nothing shown.
	other := consoleSession(t, "committee", "dh-cumilla")
	otherPage := do(t, "GET", "/console", nil, other)
	om := csrfInput.FindSubmatch(otherPage.body)
	if otherPage.status != 200 || om == nil {
		t.Fatalf("other unit's queue: %d", otherPage.status)
	}
	for _, r := range []resp{
		do(t, "GET", "/console/requests/"+id, nil, other),
		do(t, "GET", "/console?unit=dmch", nil, other),
		do(t, "GET", "/console/waitlist?unit=dmch", nil, other),
		postConsole(t, "/console/requests/"+id+"/approve", url.Values{"csrf": {string(om[1])}}, other),
		postConsole(t, "/console/requests/"+id+"/reject", url.Values{"csrf": {string(om[1])}, "reason": {"not ours"}}, other),
	} {
		if r.status != 404 || strings.Contains(string(r.body), "Amena") || strings.Contains(string(r.body), "01744444444") {
			t.Fatalf("another unit's staff: %d %.300s", r.status, r.body)
		}
	}
	if got := aidStatus(t, id, token(t, "social_worker", "dmch"))["status"]; got != "assessed" {
		t.Fatalf("another unit's staff changed the request: %v", got)
	}

	// A bad token does not sign in.
	r := form(t, stack.APIURL()+"/console/login", url.Values{"token": {"not.a.jwt"}})
	if r.status != 422 || strings.Contains(strings.Join(r.header.Values("Set-Cookie"), ";"), "kalyan_staff=") {
		t.Fatalf("bad token: %d %v", r.status, r.header.Values("Set-Cookie"))
	}
	// Signing out clears the cookie; the console then asks to sign in.
	out := postConsole(t, "/console/logout", url.Values{}, sw)
	if out.status != 303 || !strings.Contains(strings.Join(out.header.Values("Set-Cookie"), ";"), "kalyan_staff=;") {
		t.Fatalf("sign out: %d %v", out.status, out.header.Values("Set-Cookie"))
	}
	if r := do(t, "GET", "/console", nil, map[string]string{"Accept": "text/html"}); r.status != 303 || r.header.Get("Location") != "/console/login" {
		t.Fatalf("console without a session: %d %s", r.status, r.header.Get("Location"))
	}
}
