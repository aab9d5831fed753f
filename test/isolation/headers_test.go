package isolation

import (
	"encoding/json"
	"regexp"
	"strings"
	"testing"
)

// placeholderPath fills a route template with values that reach the
// handler (unit A's code, unknown IDs).
func placeholderPath(path string) string {
	return strings.NewReplacer(":code", unitA, ":slug", unitA, ":refund", "rf_none", ":id", "no-such-id", ":token", "no-such-token",
		".:format<regex(png|svg)>", ".svg").Replace(path)
}

var (
	styleTag  = regexp.MustCompile(`(?i)<style[^>]*>`)
	scriptTag = regexp.MustCompile(`(?i)<script[^>]*>`)
	nonceAttr = regexp.MustCompile(`nonce="([^"]+)"`)
	cspNonce  = regexp.MustCompile(`'nonce-([^']+)'`)
	inlineOn  = regexp.MustCompile(`(?i)<[a-z][^>]*\s(on[a-z]+|style)\s*=`)
)

// TestEveryResponseCarriesSecurityHeaders calls every registered route (as
// a browser and as an API client, without a token) and checks the headers
// each answer carries, whatever its status: no sniffing, no referrer
// leaking the capability URLs (/r/<id>, /s/<token>) to other sites, no
// framing, and a
// content security policy. A page's inline styles and scripts must carry
// the nonce its policy names, and nothing else inline is allowed.
func TestEveryResponseCarriesSecurityHeaders(t *testing.T) {
	for _, k := range append(routes(), "GET /no/such/page", "GET /api/v1/no-such-route") {
		method, path, _ := strings.Cut(k, " ")
		for _, accept := range []string{"text/html,application/xhtml+xml", "application/json"} {
			r := call(t, request{method: method, path: placeholderPath(path), body: map[string]any{}, hdr: map[string]string{"Accept": accept}}, "")
			what := k + " (Accept: " + accept + ")"
			for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "Referrer-Policy": "same-origin", "X-Frame-Options": "DENY"} {
				if got := r.Header.Get(h); got != want {
					t.Errorf("%s → %d: %s = %q, want %q", what, r.Status, h, got, want)
				}
			}
			csp := r.Header.Get("Content-Security-Policy")
			if !strings.Contains(csp, "frame-ancestors 'none'") || !strings.Contains(csp, "default-src 'none'") {
				t.Errorf("%s → %d: Content-Security-Policy %q lacks default-src 'none' and frame-ancestors 'none'", what, r.Status, csp)
			}
			if strings.Contains(csp, "'unsafe-inline'") || strings.Contains(csp, "'unsafe-eval'") {
				t.Errorf("%s: the policy allows inline code: %q", what, csp)
			}
			if r.Header.Get("Strict-Transport-Security") != "" {
				t.Errorf("%s: HSTS over plain HTTP", what)
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "text/html") {
				continue
			}
			body := string(r.Body)
			m := cspNonce.FindStringSubmatch(csp)
			tags := append(styleTag.FindAllString(body, -1), scriptTag.FindAllString(body, -1)...)
			if len(tags) > 0 && m == nil {
				t.Errorf("%s: a page with inline <style>/<script> but no nonce in its policy %q", what, csp)
				continue
			}
			for _, tag := range tags {
				if n := nonceAttr.FindStringSubmatch(tag); n == nil || n[1] != m[1] {
					t.Errorf("%s: %s does not carry the policy's nonce", what, tag)
				}
			}
			if a := inlineOn.FindString(body); a != "" {
				t.Errorf("%s: inline handler or style attribute %q (the policy blocks it)", what, a)
			}
		}
	}
	// Two page views get two nonces.
	a := call(t, request{method: "GET", path: "/", hdr: map[string]string{"Accept": "text/html"}}, "")
	b := call(t, request{method: "GET", path: "/", hdr: map[string]string{"Accept": "text/html"}}, "")
	na, nb := cspNonce.FindStringSubmatch(a.Header.Get("Content-Security-Policy")), cspNonce.FindStringSubmatch(b.Header.Get("Content-Security-Policy"))
	if na == nil || nb == nil || na[1] == nb[1] || len(na[1]) < 16 {
		t.Errorf("nonces %v and %v: want a fresh, long nonce per response", na, nb)
	}
}

// TestEveryAPIRouteIsDocumented: each /api/v1 route the API registers is
// in the OpenAPI document with its method (schemathesis fuzzes only what the
// document lists, and clients build on it).
func TestEveryAPIRouteIsDocumented(t *testing.T) {
	r := call(t, request{method: "GET", path: "/api/v1/openapi.json"}, "")
	var doc struct {
		Paths map[string]map[string]any `json:"paths"`
	}
	if err := json.Unmarshal(r.Body, &doc); err != nil || len(doc.Paths) == 0 {
		t.Fatalf("openapi.json: %d %v", r.Status, err)
	}
	param := regexp.MustCompile(`:([a-zA-Z]+)`)
	for _, k := range routes() {
		method, path, _ := strings.Cut(k, " ")
		rest, ok := strings.CutPrefix(path, "/api/v1")
		if !ok {
			continue
		}
		p := param.ReplaceAllString(rest, "{$1}")
		ops, ok := doc.Paths[p]
		if !ok {
			t.Errorf("%s: path %s is not in the OpenAPI document", k, p)
			continue
		}
		if _, ok := ops[strings.ToLower(method)]; !ok {
			t.Errorf("%s: %s has no %s operation in the OpenAPI document", k, p, method)
		}
	}
}
