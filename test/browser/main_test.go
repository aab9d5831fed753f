// Package browser drives the donor pages in headless Chromium (Debian's
// chromium, through chromedp) on a phone-sized screen against the embedded
// stack, the way a donor uses them: open a unit's link, give zakat to a
// programme, pay on the bKash sandbox page, land on the receipt link. Every
// page is checked with axe-core for WCAG 2.2 AA.
//
// Needs: chromium on PATH (or CHROMIUM=/path), and AXE_JS=/path/to/axe.min.js
// (hack/axe.sh installs axe-core and prints the path):
//
//	AXE_JS="$(hack/axe.sh)" go test ./test/browser/
//
// Without either, the browser tests fail (they never skip), saying what to
// install.
package browser

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/testkit/httpkit"
	"github.com/kalyan-platform/kalyan/internal/units"
)

var stack *devstack.Stack

func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kalyan-browser-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx := context.Background()
	cfg := config.Defaults()
	cfg.HTTPAddr, cfg.WorkerAddr = "127.0.0.1:0", "127.0.0.1:0"
	cfg.HTTP.RateLimit = 1_000_000 // one client address sends everything here
	stack, err = devstack.Start(ctx, devstack.Options{Dir: dir, Config: &cfg, SandboxInMemory: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start stack:", err)
		return 1
	}
	defer func() {
		if err := stack.Close(ctx); err != nil {
			fmt.Fprintln(os.Stderr, "close stack:", err)
		}
	}()
	// The whole registry, so the home page is measured and checked as
	// donors will see it.
	if err := registerAll(ctx, filepath.Join("..", "..", "config", "units", "units.csv")); err != nil {
		fmt.Fprintln(os.Stderr, "register units:", err)
		return 1
	}
	return m.Run()
}

// registerAll registers the 538 units of config/units/units.csv.
func registerAll(ctx context.Context, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	rows, err := csv.NewReader(f).ReadAll()
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	if len(rows) < 2 {
		return errors.New("no units in " + path)
	}
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(4)
	for _, r := range rows[1:] {
		u := units.Unit{Code: r[0], Names: units.Names{EN: r[1], BN: r[2]}, Level: units.Level(r[3]),
			Division: r[4], District: r[5], Upazila: r[6], Policy: units.DefaultPolicy()}
		if r[7] != "" {
			u.Policy.Programmes = strings.Split(r[7], ";")
		}
		if a, err := money.Parse(r[8]); err == nil && a > 0 {
			u.Policy.ApprovalThreshold = a
		}
		g.Go(func() error {
			if _, err := stack.API.Units.Register(gctx, &u); err != nil {
				return fmt.Errorf("%s: %w", u.Code, err)
			}
			return nil
		})
	}
	return g.Wait()
}

// web talks to the stack's server without following redirects.
var web = httpkit.Client{Base: func() string { return stack.APIURL() }, HTTP: httpkit.NoRedirects(30 * time.Second)}

// fetch GETs a page as a browser would, without following redirects.
func fetch(t testing.TB, path string, hdr map[string]string) httpkit.Resp {
	t.Helper()
	h := map[string]string{"Accept": "text/html"}
	maps.Copy(h, hdr)
	return web.Do(t, http.MethodGet, path, nil, h)
}

// createDonation starts a bKash gift through the JSON API and returns its id.
func createDonation(t testing.TB, unit, key string) string {
	t.Helper()
	body := `{"amount":"750","kind":"sadaqah","donor":{"name":"Test Donor","phone":"01712345678"}}`
	r := web.Do(t, http.MethodPost, "/api/v1/units/"+unit+"/donations", body, map[string]string{"Idempotency-Key": key})
	var d struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(r.Body, &d); err != nil || r.Status != http.StatusCreated || d.ID == "" {
		t.Fatalf("create donation: %d %v", r.Status, err)
	}
	return d.ID
}

// apiCall sends a JSON request to the API and returns the status.
func apiCall(t testing.TB, method, path, body, auth string) int {
	t.Helper()
	var b any
	if body != "" {
		b = body
	}
	return web.Do(t, method, path, b, map[string]string{"Authorization": auth}).Status
}
