package httpkit

import (
	"io"
	"log/slog"
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

// BareApp is the server with the given front ends and no services behind
// them: enough for what answers before a use case runs (headers, sign-in,
// body decoding). Its tokens are signed by the returned signer. Fiber's
// test requests come from 0.0.0.0, which trusted names as a proxy.
func BareApp(t testing.TB, publicURL string, trusted []string, mounts ...webkit.Mount) (*fiber.App, *auth.Signer) {
	t.Helper()
	v, s, err := auth.LocalKeys(filepath.Join(t.TempDir(), "k.jwk"), "kalyan", "kalyan-api")
	if err != nil {
		t.Fatal(err)
	}
	return webkit.New(webkit.Config{Verifier: v, Metrics: metrics.New(), Log: slog.New(slog.DiscardHandler), PublicURL: publicURL,
		TrustedProxies: trusted, BodyLimit: 64 << 10, ReadTimeout: time.Second, WriteTimeout: time.Second}, mounts...), s
}

// Test sends a request to an in-process app and returns the answer and
// its body.
func Test(t testing.TB, a *fiber.App, method, path, body string, hdr map[string]string) (*http.Response, string) {
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
