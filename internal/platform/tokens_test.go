package platform_test

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/bkashgateway"
	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/platform"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// simClock is the fleet's simulated time: the sandbox, every process's
// bKash client and their leases read it.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// fleetProcess is one API or worker process: its own gateway (bKash
// clients, token caches, lease holder name), sharing only the store.
type fleetProcess struct {
	name string
	gw   *bkashgateway.Gateway
	life int
}

// TestFleetSharesOneTokenPerMerchant is issue #15's proof: 4 API and 2
// worker processes, started, killed and restarted over two hours of
// simulated time (and redeployed all at once twice), each making bKash calls
// for a unit on the platform's merchant and a unit on its own merchant,
// make at most two token grants per merchant in any hour — the sandbox
// refuses a third and blocks the merchant, so every call would fail if they
// did. Before the shared token, each process granted its own token on
// start, on every restart and every hour.
func TestFleetSharesOneTokenPerMerchant(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kalyan-tokens-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	f, err := devstack.StartFerret(dir, quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	store, err := mongostore.Connect(ctx, f.URI(), "tokens")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(ctx)

	clk := &simClock{t: time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)}
	platformM := bkashsandbox.Credentials{Username: "kalyan-fleet", Password: "pw", AppKey: "k", AppSecret: "s"}
	ownM := bkashsandbox.Credentials{Username: "rks-fleet", Password: "pw2", AppKey: "k2", AppSecret: "s2"}
	sb, err := bkashsandbox.New(bkashsandbox.Config{Merchants: []bkashsandbox.Credentials{platformM, ownM}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sb.Handler())
	defer ts.Close()
	defer sb.Close()

	key := make([]byte, 32)
	rand.Read(key)
	cfg := config.Defaults()
	cfg.SealKey = base64.StdEncoding.EncodeToString(key)
	cfg.BKash = config.BKash{BaseURL: ts.URL + "/v1.2.0-beta", Username: platformM.Username, Password: platformM.Password,
		AppKey: platformM.AppKey, AppSecret: platformM.AppSecret, Timeout: 10 * time.Second}

	start := func(p *fleetProcess) {
		p.life++
		p.gw, _ = platform.NewGateway(cfg, store, quiet, clk.Now, fmt.Sprintf("%s-life%d", p.name, p.life))
	}
	var fleet []*fleetProcess
	for i := range 4 {
		fleet = append(fleet, &fleetProcess{name: fmt.Sprintf("api-%d", i)})
	}
	for i := range 2 {
		fleet = append(fleet, &fleetProcess{name: fmt.Sprintf("worker-%d", i)})
	}
	for _, p := range fleet {
		start(p)
	}

	// The unit with a merchant of its own is registered through an API
	// process: bKash is asked (one grant) before the credentials are stored.
	_, merchants := platform.NewGateway(cfg, store, quiet, clk.Now, "api-admin")
	ref, err := merchants.Put(ctx, app.MerchantCredentials{Username: ownM.Username, Password: ownM.Password, AppKey: ownM.AppKey, AppSecret: ownM.AppSecret})
	if err != nil {
		t.Fatal(err)
	}
	onPlatform := &units.Unit{Code: "fleet-a", Policy: units.DefaultPolicy()}
	onOwn := &units.Unit{Code: "fleet-b", Policy: units.DefaultPolicy(), Merchant: &ref}

	var (
		mu       sync.Mutex
		payments []app.Payment
		failures []string
		calls    int
	)
	step := func(minute int) {
		var wg sync.WaitGroup
		for _, p := range fleet {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for _, u := range []*units.Unit{onPlatform, onOwn} {
					var err error
					if p.name[:3] == "api" {
						var pay app.Payment
						pay, err = p.gw.Create(ctx, u, fmt.Sprintf("inv-%s-%d-%s-%d", p.name, p.life, u.Code, minute), money.Taka(10), "http://127.0.0.1/cb")
						if err == nil {
							mu.Lock()
							payments = append(payments, pay)
							mu.Unlock()
						}
					} else {
						// Workers reconcile: query a payment some API process made.
						mu.Lock()
						var pay app.Payment
						for i := len(payments) - 1; i >= 0; i-- {
							if (payments[i].Merchant == ownM.Username) == (u == onOwn) {
								pay = payments[i]
								break
							}
						}
						mu.Unlock()
						if pay.ID == "" {
							continue
						}
						_, err = p.gw.Query(ctx, pay.Merchant, pay.ID)
					}
					mu.Lock()
					calls++
					if err != nil {
						failures = append(failures, fmt.Sprintf("minute %d, %s: %v", minute, p.name, err))
					}
					mu.Unlock()
				}
			}()
		}
		wg.Wait()
	}

	const minutes = 130
	for minute := 0; minute < minutes; minute++ {
		switch {
		case minute == 45 || minute == 100:
			// A redeploy: every process replaced at once.
			for _, p := range fleet {
				start(p)
			}
		case minute%7 == 3:
			// A crash (OOM kill, eviction): one process restarts.
			start(fleet[(minute/7)%len(fleet)])
		}
		step(minute)
		clk.Add(time.Minute)
	}

	for _, m := range []string{platformM.Username, ownM.Username} {
		grants := sb.GrantTimes(m)
		for i, g := range grants {
			n := 0
			for _, h := range grants[i:] {
				if h.Sub(g) < time.Hour {
					n++
				}
			}
			if n > 2 {
				t.Errorf("merchant %s: %d token grants in the hour from %s (all: %v)", m, n, g.Format(time.TimeOnly), grants)
			}
		}
		if len(grants) == 0 {
			t.Errorf("merchant %s: no grant at all", m)
		}
		t.Logf("merchant %s: %d grants in %d simulated minutes", m, len(grants), minutes)
	}
	st := sb.Stats()
	if st.GrantsRefused != 0 {
		t.Errorf("bKash refused %d token calls (merchant blocked)", st.GrantsRefused)
	}
	if st.Refreshes == 0 {
		t.Error("no token was refreshed: renewal did not happen before expiry")
	}
	if len(failures) > 0 {
		t.Errorf("%d of %d calls failed, first: %s", len(failures), calls, failures[0])
	}
	t.Logf("%d calls, %d grants, %d refreshes, %d unauthorised", calls, st.Grants, st.Refreshes, st.Unauthorized)
}
