package httpapi

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/testkit/httpkit"
)

// bareApp is the API with no services behind it (httpkit.BareApp).
func bareApp(t *testing.T, publicURL string, trusted ...string) (*fiber.App, *auth.Signer) {
	t.Helper()
	return httpkit.BareApp(t, publicURL, trusted, Routes(Deps{}))
}

func send(t *testing.T, a *fiber.App, method, path, body string, hdr map[string]string) (*http.Response, string) {
	t.Helper()
	return httpkit.Test(t, a, method, path, body, hdr)
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
