package console

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/metrics"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// bareApp is the console with no services behind it: enough for what
// answers before a use case runs (headers, sign-in, body decoding). Fiber's
// test requests come from 0.0.0.0, which trusted names as a proxy.
func bareApp(t *testing.T, publicURL string, trusted ...string) (*fiber.App, *auth.Signer) {
	t.Helper()
	v, s, err := auth.LocalKeys(filepath.Join(t.TempDir(), "k.jwk"), "kalyan", "kalyan-api")
	if err != nil {
		t.Fatal(err)
	}
	return webkit.New(webkit.Config{Verifier: v, Metrics: metrics.New(), Log: slog.New(slog.DiscardHandler), PublicURL: publicURL,
		TrustedProxies: trusted, BodyLimit: 64 << 10, ReadTimeout: time.Second, WriteTimeout: time.Second}, Routes(Deps{})), s
}

func send(t *testing.T, a *fiber.App, method, path, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	req := httptest.NewRequest(method, path, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := a.Test(req, -1)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(res.Body)
	return res, string(b)
}

func staffCookieOf(res *http.Response) *http.Cookie {
	for _, c := range res.Cookies() {
		if c.Name == staffCookie {
			return c
		}
	}
	return nil
}

// TestTLSBehindATrustedProxy: HSTS and a Secure staff cookie when the
// request reached us over TLS: directly, or through a TLS-terminating proxy
// we trust (its X-Forwarded-Proto), or whenever the public URL is https.
// X-Forwarded-Proto from anyone else is ignored.
func TestTLSBehindATrustedProxy(t *testing.T) {
	login := func(a *fiber.App, s *auth.Signer, hdr map[string]string) (*http.Response, string) {
		tok, err := s.Token("rahima", auth.SocialWorker, "dmch", time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Sec-Fetch-Site": "same-origin"}
		for k, v := range hdr {
			h[k] = v
		}
		return send(t, a, "POST", "/console/login", url.Values{"token": {tok}}.Encode(), h)
	}
	https := map[string]string{"X-Forwarded-Proto": "https"}
	for _, tc := range []struct {
		name      string
		publicURL string
		trusted   []string
		hdr       map[string]string
		secure    bool
	}{
		{"plain http", "http://kalyan.test", nil, nil, false},
		{"trusted TLS proxy", "http://kalyan.test", []string{"0.0.0.0"}, https, true},
		{"trusted proxy range", "http://kalyan.test", []string{"0.0.0.0/8"}, https, true},
		{"untrusted X-Forwarded-Proto", "http://kalyan.test", nil, https, false},
		{"https public URL", "https://give.kalyan.test", nil, nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			a, s := bareApp(t, tc.publicURL, tc.trusted...)
			res, body := login(a, s, tc.hdr)
			if res.StatusCode != fiber.StatusSeeOther {
				t.Fatalf("login: %d %s", res.StatusCode, body)
			}
			ck := staffCookieOf(res)
			if ck == nil || !ck.HttpOnly || ck.SameSite != http.SameSiteStrictMode {
				t.Fatalf("staff cookie %+v", ck)
			}
			if ck.Secure != tc.secure {
				t.Errorf("cookie Secure=%v, want %v", ck.Secure, tc.secure)
			}
			res, _ = send(t, a, "GET", "/console/login", "", tc.hdr)
			hsts := res.Header.Get("Strict-Transport-Security")
			if tc.secure != (hsts != "") {
				t.Errorf("Strict-Transport-Security %q over TLS=%v", hsts, tc.secure)
			}
			if tc.secure && !strings.Contains(hsts, "max-age=") {
				t.Errorf("HSTS %q has no max-age", hsts)
			}
		})
	}
}

// TestConsoleSignInRefusesCrossSitePosts: another site cannot sign a
// browser in with the attacker's token (login CSRF) or out (logout CSRF).
// A browser says where a form came from (Sec-Fetch-Site, Origin); a request
// that says neither is not from a browser and is allowed.
func TestConsoleSignInRefusesCrossSitePosts(t *testing.T) {
	a, s := bareApp(t, "https://give.kalyan.test")
	tok, err := s.Token("mallory", auth.UnitAdmin, "dmch", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	form := url.Values{"token": {tok}}.Encode()
	for _, tc := range []struct {
		name string
		hdr  map[string]string
		ok   bool
	}{
		{"cross-site fetch metadata", map[string]string{"Sec-Fetch-Site": "cross-site"}, false},
		{"same-site but another origin", map[string]string{"Sec-Fetch-Site": "same-site"}, false},
		{"foreign Origin", map[string]string{"Origin": "https://evil.example"}, false},
		{"null Origin", map[string]string{"Origin": "null"}, false},
		{"foreign Referer without Origin", map[string]string{"Referer": "https://evil.example/x"}, false},
		{"same origin", map[string]string{"Sec-Fetch-Site": "same-origin", "Origin": "https://give.kalyan.test"}, true},
		{"typed by the user", map[string]string{"Sec-Fetch-Site": "none"}, true},
		{"own Origin only", map[string]string{"Origin": "https://give.kalyan.test"}, true},
		{"not a browser", nil, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, path := range []string{"/console/login", "/console/logout"} {
				h := map[string]string{"Content-Type": "application/x-www-form-urlencoded", "Accept": "text/html"}
				for k, v := range tc.hdr {
					h[k] = v
				}
				res, body := send(t, a, "POST", path, form, h)
				if tc.ok {
					if res.StatusCode != fiber.StatusSeeOther {
						t.Errorf("%s: %d %.200s", path, res.StatusCode, body)
					}
					continue
				}
				if res.StatusCode != fiber.StatusForbidden || staffCookieOf(res) != nil {
					t.Errorf("%s from another site: %d, cookie %v", path, res.StatusCode, staffCookieOf(res))
				}
			}
		})
	}
}
