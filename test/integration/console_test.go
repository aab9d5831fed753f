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
	if r.Status != 303 || r.Header.Get("Location") != "/console" {
		t.Fatalf("sign in: %d %s", r.Status, r.Body)
	}
	var cookie string
	for _, c := range r.Header.Values("Set-Cookie") {
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
	m := csrfInput.FindSubmatch(page.Body)
	if page.Status != 200 || m == nil || !strings.Contains(string(page.Body), "Amena Khatun") {
		t.Fatalf("request page: %d %.500s", page.Status, page.Body)
	}
	assess := url.Values{"approved1": {"900"}}
	if r := postConsole(t, "/console/requests/"+id+"/assess", assess, sw); r.Status != 403 {
		t.Fatalf("assess without CSRF token: %d", r.Status)
	}
	assess.Set("csrf", strings.Repeat("0", len(m[1])))
	if r := postConsole(t, "/console/requests/"+id+"/assess", assess, sw); r.Status != 403 {
		t.Fatalf("assess with a wrong CSRF token: %d", r.Status)
	}
	if got := aidStatus(t, id, token(t, "social_worker", "dmch"))["status"]; got != "submitted" {
		t.Fatalf("a refused form changed the request: %v", got)
	}
	assess.Set("csrf", string(m[1]))
	if r := postConsole(t, "/console/requests/"+id+"/assess", assess, sw); r.Status != 303 {
		t.Fatalf("assess with the CSRF token: %d %.500s", r.Status, r.Body)
	}
	if got := aidStatus(t, id, token(t, "social_worker", "dmch"))["status"]; got != "assessed" {
		t.Fatalf("after assessing: %v", got)
	}
	// A new request without the token is refused too.
	if r := postConsole(t, "/console/requests/new", url.Values{"name": {"X"}}, sw); r.Status != 403 {
		t.Fatalf("file without CSRF token: %d", r.Status)
	}

	// Another unit's staff: 404 on every page and form, nothing shown.
	other := consoleSession(t, "committee", "dh-cumilla")
	otherPage := do(t, "GET", "/console", nil, other)
	om := csrfInput.FindSubmatch(otherPage.Body)
	if otherPage.Status != 200 || om == nil {
		t.Fatalf("other unit's queue: %d", otherPage.Status)
	}
	for _, r := range []resp{
		do(t, "GET", "/console/requests/"+id, nil, other),
		do(t, "GET", "/console?unit=dmch", nil, other),
		do(t, "GET", "/console/waitlist?unit=dmch", nil, other),
		postConsole(t, "/console/requests/"+id+"/approve", url.Values{"csrf": {string(om[1])}}, other),
		postConsole(t, "/console/requests/"+id+"/reject", url.Values{"csrf": {string(om[1])}, "reason": {"not ours"}}, other),
	} {
		if r.Status != 404 || strings.Contains(string(r.Body), "Amena") || strings.Contains(string(r.Body), "01744444444") {
			t.Fatalf("another unit's staff: %d %.300s", r.Status, r.Body)
		}
	}
	if got := aidStatus(t, id, token(t, "social_worker", "dmch"))["status"]; got != "assessed" {
		t.Fatalf("another unit's staff changed the request: %v", got)
	}

	// A bad token does not sign in.
	r := form(t, stack.APIURL()+"/console/login", url.Values{"token": {"not.a.jwt"}})
	if r.Status != 422 || strings.Contains(strings.Join(r.Header.Values("Set-Cookie"), ";"), "kalyan_staff=") {
		t.Fatalf("bad token: %d %v", r.Status, r.Header.Values("Set-Cookie"))
	}
	// Signing out clears the cookie; the console then asks to sign in.
	out := postConsole(t, "/console/logout", url.Values{}, sw)
	if out.Status != 303 || !strings.Contains(strings.Join(out.Header.Values("Set-Cookie"), ";"), "kalyan_staff=;") {
		t.Fatalf("sign out: %d %v", out.Status, out.Header.Values("Set-Cookie"))
	}
	if r := do(t, "GET", "/console", nil, map[string]string{"Accept": "text/html"}); r.Status != 303 || r.Header.Get("Location") != "/console/login" {
		t.Fatalf("console without a session: %d %s", r.Status, r.Header.Get("Location"))
	}
}

var keyInput = regexp.MustCompile(`name="key" value="([0-9a-f]+)"`)

// TestConsoleFilingFormIsIdempotent: the console's new-request form carries
// its own Idempotency-Key, so sending it twice (a double click, a retry after
// a lost answer) files one request; sending it again with other details is
// refused with a clear message and a fresh key, and nothing is filed.
func TestConsoleFilingFormIsIdempotent(t *testing.T) {
	sw := consoleSession(t, "social_worker", "dh-cumilla")
	api := token(t, "social_worker", "dh-cumilla")
	count := func() int {
		t.Helper()
		r := do(t, "GET", "/api/v1/units/dh-cumilla/aid-requests?limit=200", nil, api)
		if r.Status != 200 {
			t.Fatalf("list: %d %s", r.Status, r.Body)
		}
		return len(r.JSON(t)["requests"].([]any))
	}
	page := do(t, "GET", "/console/requests/new", nil, sw)
	cm, km := csrfInput.FindSubmatch(page.Body), keyInput.FindSubmatch(page.Body)
	if page.Status != 200 || cm == nil || km == nil {
		t.Fatalf("new-request page: %d %.500s", page.Status, page.Body)
	}
	if again := keyInput.FindSubmatch(do(t, "GET", "/console/requests/new", nil, sw).Body); again == nil || string(again[1]) == string(km[1]) {
		t.Fatal("every new form needs a key of its own")
	}
	vals := url.Values{"csrf": {string(cm[1])}, "key": {string(km[1])}, "name": {"Nasima Akter"}, "age": {"41"}, "sex": {"female"},
		"guardian": {"Rafiq Mia"}, "mobile": {"01755555555"}, "district": {"Cumilla"}, "hospitalReg": {"REG-77"},
		"diagnosis": {"kidney"}, "urgency": {"high"}, "item1-cat": {"medicine"}, "item1-desc": {"dialysis"}, "item1-est": {"2500"},
		"household": {"4"}, "narrative": {"Widow; sells vegetables."}}
	before := count()
	first := postConsole(t, "/console/requests/new", vals, sw)
	loc := first.Header.Get("Location")
	if first.Status != 303 || !strings.HasPrefix(loc, "/console/requests/aid_") {
		t.Fatalf("file: %d %s %.500s", first.Status, loc, first.Body)
	}
	second := postConsole(t, "/console/requests/new", vals, sw)
	if second.Status != 303 || second.Header.Get("Location") != loc {
		t.Fatalf("the same form again: %d %s, want 303 to %s", second.Status, second.Header.Get("Location"), loc)
	}
	if n := count(); n != before+1 {
		t.Fatalf("the same form sent twice filed %d requests", n-before)
	}

	vals.Set("item1-est", "3000")
	changed := postConsole(t, "/console/requests/new?lang=en", vals, sw)
	body := string(changed.Body)
	fresh := keyInput.FindStringSubmatch(body)
	if changed.Status != 422 || !strings.Contains(body, "A request was already filed from this form") || fresh == nil || fresh[1] == string(km[1]) {
		t.Fatalf("the form sent again with other details: %d %.800s", changed.Status, body)
	}
	if n := count(); n != before+1 {
		t.Fatalf("a refused form filed a request (%d in all)", n-before)
	}
	// With the fresh key the changed form files a new request.
	vals.Set("key", fresh[1])
	if r := postConsole(t, "/console/requests/new", vals, sw); r.Status != 303 || r.Header.Get("Location") == loc {
		t.Fatalf("the changed form with its new key: %d %s", r.Status, r.Header.Get("Location"))
	}
	if n := count(); n != before+2 {
		t.Fatalf("after filing the changed form: %d new requests, want 2", n-before)
	}
}
