// Package isolation checks tenant isolation across every staff route of the
// API on the embedded stack: staff of one unit can neither read nor change
// another unit's records, and bad tokens are refused.
package isolation

import (
	"context"
	"fmt"
	"maps"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/testkit/httpkit"
)

var stack *devstack.Stack

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "kalyan-isolation-")
	if err != nil {
		panic(err)
	}
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.HTTPAddr, cfg.WorkerAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.HTTP.RateLimit = 1_000_000 // one client address sends everything here
	// Every matrix run asks for counter codes for the same donors.
	cfg.Receipts.StatementsPerHour = 1000
	stack, err = devstack.Start(ctx, devstack.Options{Dir: dir, Config: &cfg})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start stack:", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := stack.Close(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "close stack:", err)
	}
	os.RemoveAll(dir)
	os.Exit(code)
}

var api = httpkit.Client{Base: func() string { return stack.APIURL() }, HTTP: httpkit.NoRedirects(60 * time.Second)}

// request is one HTTP call of the matrix.
type request struct {
	method, path string
	body         any
	hdr          map[string]string
	// form is sent urlencoded instead of body (a console form).
	form url.Values
}

type resp = httpkit.Resp

// call sends req with the Authorization header auth ("" = none).
func call(t *testing.T, req request, auth string) resp {
	t.Helper()
	hdr := maps.Clone(req.hdr)
	if auth != "" {
		if hdr == nil {
			hdr = map[string]string{}
		}
		hdr["Authorization"] = auth
	}
	var body any = req.body
	if req.form != nil {
		body = req.form
	}
	return api.Do(t, req.method, req.path, body, hdr)
}

// bearer is a valid token of role at unit from the stack's signing key.
func bearer(t *testing.T, role, unit string) string {
	t.Helper()
	tok, err := stack.Token(role, unit, "iso-"+role+"-"+unit)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

// problemBody checks r is an RFC 9457 problem with status and returns it
// without "instance" (which echoes the caller's own path).
func problemBody(t *testing.T, r resp, statuses ...int) map[string]any {
	t.Helper()
	p := httpkit.Problem(t, r, statuses...)
	delete(p, "instance")
	return p
}
