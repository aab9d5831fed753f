package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/metrics"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// bareApp is the API with no services behind it: enough for what
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

// TestOnlyJSONIsReadAsJSON: a JSON endpoint reads application/json and
// application/*+json (parameters allowed); anything else is a 415 problem,
// before the body is looked at.
func TestOnlyJSONIsReadAsJSON(t *testing.T) {
	a, _ := bareApp(t, "http://kalyan.test")
	body := `{"phone":"017","fiscalYear":"2025-26","extra":1}`
	for ct, ok := range map[string]bool{
		"application/json":                  true,
		"application/json; charset=utf-8":   true,
		"Application/JSON":                  true,
		"application/merge-patch+json":      true,
		"application/vnd.kalyan+json":       true,
		"":                                  false,
		"text/plain":                        false,
		"text/plain; x=application/json":    false,
		"application/jsonp":                 false,
		"application/json-seq":              false,
		"application/jsonfoo; charset=utf8": false,
		"application/x-www-form-urlencoded": false,
		"application/json; charset=latin1":  false,
		"application/json;;":                false,
	} {
		res, b := send(t, a, "POST", "/api/v1/statements", body, map[string]string{"Content-Type": ct})
		// Accepted media types reach the decoder, which refuses the unknown field.
		if ok && (res.StatusCode != fiber.StatusBadRequest || !strings.Contains(b, "extra")) {
			t.Errorf("%q: %d %s, want the decoder's 400 about the unknown field", ct, res.StatusCode, b)
		}
		if !ok && (res.StatusCode != fiber.StatusUnsupportedMediaType || !strings.Contains(res.Header.Get("Content-Type"), "problem+json")) {
			t.Errorf("%q: %d %s, want a 415 problem", ct, res.StatusCode, b)
		}
	}
}

// TestHeadersOnServerErrors: a body over the limit is refused by the
// server before any middleware runs; the answer still carries the headers.
func TestHeadersOnServerErrors(t *testing.T) {
	a, _ := bareApp(t, "http://kalyan.test")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = a.Listener(ln) }()
	t.Cleanup(func() { _ = a.Shutdown() })
	// Headers only, over a raw connection: the server answers as soon as it
	// reads the Content-Length (Go's client may be reset while still writing).
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	fmt.Fprintf(conn, "POST /api/v1/statements HTTP/1.1\r\nHost: kalyan.test\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n", 1<<20)
	res, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != fiber.StatusRequestEntityTooLarge {
		t.Fatalf("status %d", res.StatusCode)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "same-origin"} {
		if got := res.Header.Get(h); got != want {
			t.Errorf("%s = %q, want %q", h, got, want)
		}
	}
	if !strings.Contains(res.Header.Get("Content-Security-Policy"), "default-src 'none'") {
		t.Errorf("CSP %q", res.Header.Get("Content-Security-Policy"))
	}
}
