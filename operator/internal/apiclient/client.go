// Package apiclient talks to the Kalyan API's admin endpoints on behalf of the operator: the API owns
// the unit registry, so registering and archiving a unit always goes through it.
package apiclient

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/unitwire"
)

// The unit contract's wire types (internal/unitwire, shared with the API),
// under the names the operator uses.
type (
	// Names of a unit in English and Bengali.
	Names = unitwire.Names
	// Policy is a unit's money policy. Empty fields take the API's defaults.
	Policy = unitwire.Policy
	// BKash holds a unit's own merchant credentials. Write-only: the API
	// never returns them.
	BKash = unitwire.Merchant
	// Registration is the body of PUT /api/v1/admin/units/{code}.
	Registration = unitwire.Registration
	// Unit is the API's view of a registered unit.
	Unit = unitwire.Unit
)

// Problem is an RFC 9457 problem detail returned by the API.
type Problem struct {
	Type   string `json:"type,omitempty"`
	Title  string `json:"title,omitempty"`
	Status int    `json:"status,omitempty"`
	Detail string `json:"detail,omitempty"`
}

// StatusError is a non-success HTTP answer from the API.
type StatusError struct {
	Method, Path string
	StatusCode   int
	Problem      Problem
}

func (e *StatusError) Error() string {
	msg := e.Problem.Detail
	if msg == "" {
		msg = e.Problem.Title
	}
	if msg == "" {
		msg = http.StatusText(e.StatusCode)
	}
	return fmt.Sprintf("%s %s: %d: %s", e.Method, e.Path, e.StatusCode, msg)
}

// Temporary reports whether retrying the same request later may succeed.
func (e *StatusError) Temporary() bool {
	return e.StatusCode >= 500 || e.StatusCode == http.StatusTooManyRequests || e.StatusCode == http.StatusRequestTimeout
}

// ErrNotFound is returned when the API does not know the unit.
var ErrNotFound = errors.New("unit not found")

// ErrArchived is returned when the unit exists but is archived.
var ErrArchived = errors.New("unit is archived")

// ErrToken means the platform-admin token could not be read.
var ErrToken = errors.New("platform admin token unavailable")

// Client calls the Kalyan API. It is safe for concurrent use.
type Client struct {
	base      *url.URL
	tokenFile string
	http      *http.Client
}

// New returns a client for the API at baseURL that authenticates admin calls with the bearer token
// in tokenFile. The file is read on every admin call so that a rotated token (a remounted Secret)
// takes effect without a restart.
func New(baseURL, tokenFile string, hc *http.Client) (*Client, error) {
	u, err := url.Parse(strings.TrimRight(baseURL, "/"))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("api url %q: must be an absolute http(s) URL", baseURL)
	}
	if hc == nil {
		hc = http.DefaultClient
	}
	return &Client{base: u, tokenFile: tokenFile, http: hc}, nil
}

// RegisterUnit creates or updates the unit. created is true when the API had not known the unit.
func (c *Client) RegisterUnit(ctx context.Context, code string, r Registration) (u Unit, created bool, err error) {
	body, err := json.Marshal(r)
	if err != nil {
		return Unit{}, false, fmt.Errorf("encode registration: %w", err)
	}
	status, err := c.do(ctx, http.MethodPut, "/api/v1/admin/units/"+url.PathEscape(code), body, true, &u)
	if err != nil {
		return Unit{}, false, err
	}
	return u, status == http.StatusCreated, nil
}

// ArchiveUnit archives the unit: intake stops, records are kept. It returns ErrNotFound when the unit
// was never registered; archiving an archived unit succeeds.
func (c *Client) ArchiveUnit(ctx context.Context, code string) error {
	_, err := c.do(ctx, http.MethodDelete, "/api/v1/admin/units/"+url.PathEscape(code), nil, true, nil)
	return err
}

// PublicUnit fetches the public profile of a unit. It returns ErrNotFound or ErrArchived.
func (c *Client) PublicUnit(ctx context.Context, code string) (Unit, error) {
	var u Unit
	_, err := c.do(ctx, http.MethodGet, "/api/v1/units/"+url.PathEscape(code), nil, false, &u)
	return u, err
}

func (c *Client) token() (string, error) {
	if c.tokenFile == "" {
		return "", fmt.Errorf("%w: no token file configured", ErrToken)
	}
	b, err := os.ReadFile(c.tokenFile)
	if err != nil {
		return "", fmt.Errorf("%w: %w", ErrToken, err)
	}
	t := strings.TrimSpace(string(b))
	if t == "" {
		return "", fmt.Errorf("%w: %s is empty", ErrToken, c.tokenFile)
	}
	return t, nil
}

func (c *Client) do(ctx context.Context, method, path string, body []byte, admin bool, out any) (int, error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base.String()+path, bytes.NewReader(body))
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	req.Header.Set("Accept", "application/json, application/problem+json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if admin {
		t, err := c.token()
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+t)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return resp.StatusCode, fmt.Errorf("%s %s: read response: %w", method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, ErrNotFound)
	case resp.StatusCode == http.StatusGone:
		return resp.StatusCode, fmt.Errorf("%s %s: %w", method, path, ErrArchived)
	case resp.StatusCode < 200 || resp.StatusCode > 299:
		e := &StatusError{Method: method, Path: path, StatusCode: resp.StatusCode}
		_ = json.Unmarshal(data, &e.Problem) // a body that is not problem+json still leaves the status
		return resp.StatusCode, e
	}
	if out != nil && len(data) > 0 {
		if err := json.Unmarshal(data, out); err != nil {
			return resp.StatusCode, fmt.Errorf("%s %s: decode response: %w", method, path, err)
		}
	}
	return resp.StatusCode, nil
}
