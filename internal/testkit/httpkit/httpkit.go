// Package httpkit is the HTTP plumbing the integration, isolation, browser
// and end-to-end suites share: one request builder over real HTTP, the
// answer read whole, bearer headers and RFC 9457 problem checks.
package httpkit

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// Resp is an HTTP answer, read whole.
type Resp struct {
	Status int
	Header http.Header
	Body   []byte
}

// JSON decodes the body as a JSON object.
func (r Resp) JSON(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(r.Body, &m); err != nil {
		t.Fatalf("decode %q: %v", r.Body, err)
	}
	return m
}

// NoRedirects is a client that does not follow redirects, so callers see
// each 303 the way a browser receives it.
func NoRedirects(timeout time.Duration) *http.Client {
	return &http.Client{Timeout: timeout, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
}

// Client sends requests to one server.
type Client struct {
	// Base is the server's URL, put before a path (an absolute URL is sent
	// as it is). A func, since suites learn it once their stack runs.
	Base func() string
	HTTP *http.Client
}

// Send sends a request over real HTTP. A url.Values body is sent as a
// form, a string as is, anything else as JSON; a string or JSON body is
// labelled application/json.
func (c Client) Send(ctx context.Context, method, path string, body any, hdr map[string]string) (Resp, error) {
	var rd io.Reader
	ct := "application/json"
	switch b := body.(type) {
	case nil:
	case url.Values:
		rd, ct = strings.NewReader(b.Encode()), "application/x-www-form-urlencoded"
	case string:
		rd = strings.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			return Resp{}, err
		}
		rd = bytes.NewReader(j)
	}
	u := path
	if !strings.HasPrefix(path, "http") {
		u = c.Base() + path
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return Resp{}, err
	}
	if body != nil {
		req.Header.Set("Content-Type", ct)
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		return Resp{}, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return Resp{}, fmt.Errorf("%s %s: read body: %w", method, path, err)
	}
	return Resp{res.StatusCode, res.Header, b}, nil
}

// Do is Send failing the test on a transport error.
func (c Client) Do(t testing.TB, method, path string, body any, hdr map[string]string) Resp {
	t.Helper()
	r, err := c.Send(t.Context(), method, path, body, hdr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// Bearer is the Authorization header carrying tok.
func Bearer(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }

// Problem checks r is an RFC 9457 problem document (problem+json, a type,
// a title, its status) with one of statuses, and returns it.
func Problem(t testing.TB, r Resp, statuses ...int) map[string]any {
	t.Helper()
	ok := false
	for _, s := range statuses {
		ok = ok || r.Status == s
	}
	if !ok {
		t.Fatalf("status %d, want one of %v: %.500s", r.Status, statuses, r.Body)
	}
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Fatalf("content type %q, want application/problem+json: %.300s", ct, r.Body)
	}
	p := r.JSON(t)
	typ, _ := p["type"].(string)
	title, _ := p["title"].(string)
	if typ == "" || title == "" || p["status"] != float64(r.Status) {
		t.Fatalf("not a problem document: %s", r.Body)
	}
	return p
}
