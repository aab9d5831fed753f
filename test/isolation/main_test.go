// Package isolation checks tenant isolation across every staff route of the
// API on the embedded stack: staff of one unit can neither read nor change
// another unit's records, and bad tokens are refused.
package isolation

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/devstack"
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

var client = &http.Client{Timeout: 60 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// request is one HTTP call of the matrix.
type request struct {
	method, path string
	body         any
	hdr          map[string]string
	// form is sent urlencoded instead of body (a console form).
	form url.Values
}

type resp struct {
	status int
	header http.Header
	body   []byte
}

func (r resp) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.body, &m); err != nil {
		t.Fatalf("decode %q: %v", r.body, err)
	}
	return m
}

// call sends req with the Authorization header auth ("" = none).
func call(t *testing.T, req request, auth string) resp {
	t.Helper()
	var rd io.Reader
	if req.form != nil {
		rd = strings.NewReader(req.form.Encode())
	} else if req.body != nil {
		j, err := json.Marshal(req.body)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	hr, err := http.NewRequestWithContext(t.Context(), req.method, stack.APIURL()+req.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	switch {
	case req.form != nil:
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	case req.body != nil:
		hr.Header.Set("Content-Type", "application/json")
	}
	for k, v := range req.hdr {
		hr.Header.Set(k, v)
	}
	if auth != "" {
		hr.Header.Set("Authorization", auth)
	}
	res, err := client.Do(hr)
	if err != nil {
		t.Fatalf("%s %s: %v", req.method, req.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp{res.StatusCode, res.Header, b}
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
	ok := false
	for _, s := range statuses {
		ok = ok || r.status == s
	}
	if !ok {
		t.Fatalf("status %d, want one of %v: %.500s", r.status, statuses, r.body)
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want application/problem+json: %.300s", ct, r.body)
	}
	p := r.json(t)
	if p["type"] == nil || p["title"] == nil || p["status"] != float64(r.status) {
		t.Fatalf("not a problem document: %s", r.body)
	}
	delete(p, "instance")
	return p
}
