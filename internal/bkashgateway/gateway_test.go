package bkashgateway_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/bkash"
	"github.com/kalyan-platform/kalyan/internal/bkashgateway"
	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// world is the real parts a gateway works with: FerretDB holding sealed
// credentials, the bKash sandbox knowing the merchants.
type world struct {
	clock     *clock
	store     *mongostore.Store
	sandbox   *bkashsandbox.Server
	cfg       bkash.Config
	platform  bkash.Credentials
	merchants *app.Merchants
}

func newWorld(t *testing.T) *world {
	t.Helper()
	f, err := devstack.StartFerret(t.TempDir(), slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Close)
	store, err := mongostore.Connect(context.Background(), f.URI(), "kalyan")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = store.Close(context.Background()) })
	key, _ := signing.ParseSealKey(signing.NewSealKey())
	sealer, err := signing.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	platform := bkashsandbox.Credentials{Username: "kalyan", Password: "pp", AppKey: "pk", AppSecret: "ps"}
	clk := &clock{t: time.Now()}
	sb, err := bkashsandbox.New(bkashsandbox.Config{Merchants: []bkashsandbox.Credentials{platform, unitMerchant("rks-1", "p1")}, Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { sb.Close(); ts.Close() })
	return &world{
		clock: clk, store: store, sandbox: sb, cfg: bkash.Config{BaseURL: ts.URL + "/v1.2.0-beta"},
		platform:  bkash.Credentials{Username: platform.Username, Password: platform.Password, AppKey: platform.AppKey, AppSecret: platform.AppSecret},
		merchants: &app.Merchants{Store: store.Merchants(), Sealer: sealer, Now: time.Now},
	}
}

func unitMerchant(user, password string) bkashsandbox.Credentials {
	return bkashsandbox.Credentials{Username: user, Password: password, AppKey: user + "-key", AppSecret: user + "-secret"}
}

func creds(user, password string) app.MerchantCredentials {
	return app.MerchantCredentials{Username: user, Password: password, AppKey: user + "-key", AppSecret: user + "-secret"}
}

// clock is the world's time: bKash's (the sandbox's) and the processes'.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

var holders atomic.Int64

// gateway is one process's gateway (the API's or a worker's), sharing the
// fleet's tokens through the store as the platform wires it (ADR 0009).
func (w *world) gateway(now func() time.Time) *bkashgateway.Gateway {
	if now == nil {
		now = w.clock.Now
	}
	holder := fmt.Sprintf("process-%d", holders.Add(1))
	cfg := w.cfg
	cfg.Now = now
	cfg.Tokens = &bkashgateway.SharedTokens{Repo: w.store.BKashTokens(), Sealer: w.merchants.Sealer, Holder: holder,
		Lease: func(m string) bkashgateway.Lease { return w.store.Lease("bkash-token/"+m, holder, time.Minute, now) }}
	return bkashgateway.New(cfg, bkashgateway.Options{Platform: w.platform, Stored: w.merchants, Now: now, CheckPause: 50 * time.Millisecond})
}

func TestGatewayMerchantsAndRotation(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	api := w.gateway(nil)
	w.merchants.Check, w.merchants.Changed = api.Check, api.Forget
	grants := func() int { return w.sandbox.Stats().Grants }

	ref, err := w.merchants.Put(ctx, creds("rks-1", "p1"))
	if err != nil {
		t.Fatal(err)
	}
	own := &units.Unit{Code: "u1", Merchant: &ref}
	create := func(u *units.Unit, inv string) app.Payment {
		t.Helper()
		p, err := api.Create(ctx, u, inv, money.Taka(10), "http://127.0.0.1/cb")
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	p1 := create(own, "INV-1")
	if info, _ := w.sandbox.Payment(p1.ID); p1.Merchant != "rks-1" || info.Merchant != "rks-1" {
		t.Fatalf("payment made with %q, held by bKash under %q; want rks-1", p1.Merchant, info.Merchant)
	}
	if p := create(&units.Unit{Code: "u2"}, "INV-P"); p.Merchant != "kalyan" {
		t.Fatalf("unit without a merchant paid through %q", p.Merchant)
	}
	if g := grants(); g != 2 {
		t.Fatalf("%d grants, want one per merchant", g)
	}
	// Registering the same credentials again is no rotation: same revision,
	// same token.
	again, err := w.merchants.Put(ctx, creds("rks-1", "p1"))
	if err != nil || again != ref {
		t.Fatalf("same credentials stored again: %+v %v, want %+v", again, err, ref)
	}
	create(&units.Unit{Code: "u1", Merchant: &again}, "INV-2")
	if g := grants(); g != 2 {
		t.Fatalf("%d grants after an unchanged registration, want 2", g)
	}

	// Another process (the worker) opens the credentials by merchant ID and
	// uses the fleet's token: no grant of its own (ADR 0008).
	// The worker's clock, moved forward to reach its re-check.
	var ahead atomic.Int64
	worker := w.gateway(func() time.Time { return w.clock.Now().Add(time.Duration(ahead.Load())) })
	if p, err := worker.Query(ctx, "rks-1", p1.ID); err != nil || p.Status != app.PaymentPending {
		t.Fatalf("worker query: %+v %v", p, err)
	}
	if g := grants(); g != 2 {
		t.Fatalf("%d grants, want 2: the worker shares the token", g)
	}

	// bKash reissues the password; the admin stores it. This process drops
	// its token at once and grants with the new password.
	if err := w.sandbox.SetMerchant(unitMerchant("rks-1", "p1-new")); err != nil {
		t.Fatal(err)
	}
	rotated, err := w.merchants.Put(ctx, creds("rks-1", "p1-new"))
	if err != nil || rotated.Rev <= ref.Rev {
		t.Fatalf("rotation: %+v %v", rotated, err)
	}
	create(&units.Unit{Code: "u1", Merchant: &rotated}, "INV-3")
	if g := grants(); g != 3 {
		t.Fatalf("%d grants after rotation, want 3", g)
	}
	// That was rks-1's second grant this hour: a third check is not even
	// tried (bKash would block the merchant for an hour); nothing is stored.
	if _, err := w.merchants.Put(ctx, creds("rks-1", "p1-newer")); !errors.Is(err, app.ErrMerchantChecksLimited) || grants() != 3 {
		t.Fatalf("a third check within the hour: %v, %d grants", err, grants())
	}
	w.clock.Add(time.Hour)
	// Credentials bKash refuses (a wrong app key: 2001, one grant request)
	// are not stored, and cost the cached client nothing.
	bad := creds("rks-1", "p1-new")
	bad.AppKey = "typo"
	if _, err := w.merchants.Put(ctx, bad); !errors.Is(err, app.ErrMerchantRefused) {
		t.Fatalf("refused credentials: %v", err)
	}
	if c, _, err := w.merchants.Open(ctx, "rks-1"); err != nil || c.Password != "p1-new" || c.AppKey != "rks-1-key" {
		t.Fatalf("stored after a refusal: %v %v", c, err)
	}
	create(&units.Unit{Code: "u1", Merchant: &rotated}, "INV-4")
	if g := grants(); g != 4 {
		t.Fatalf("%d grant requests after a refused rotation, want 4", g)
	}
	// The worker keeps its (still valid) token until its re-check is due,
	// then loads the new credentials, and still shares the fleet's token.
	if _, err := worker.Query(ctx, "rks-1", p1.ID); err != nil || grants() != 4 {
		t.Fatalf("worker before re-check: %v, %d grants", err, grants())
	}
	ahead.Store(int64(2 * time.Minute))
	if _, err := worker.Query(ctx, "rks-1", p1.ID); err != nil || grants() != 4 {
		t.Fatalf("worker after re-check: %v, %d grants", err, grants())
	}

	// A merchant nobody stored: a clear error naming it, and refunds are
	// refused rather than left pending.
	if _, err := api.Execute(ctx, "rks-gone", p1.ID); err == nil || !strings.Contains(err.Error(), "rks-gone") {
		t.Fatalf("execute with an unknown merchant: %v", err)
	}
	res, err := api.Refund(ctx, "rks-gone", app.RefundRequest{PaymentID: p1.ID, TrxID: "T", Amount: money.Taka(1)})
	if err != nil || !res.Refused || !strings.Contains(res.Reason, "rks-gone") {
		t.Fatalf("refund with an unknown merchant: %+v %v", res, err)
	}
	// Credentials sealed under another seal key do not open.
	otherKey, _ := signing.ParseSealKey(signing.NewSealKey())
	otherSealer, _ := signing.NewSealer(otherKey)
	stranger := bkashgateway.New(w.cfg, bkashgateway.Options{Platform: w.platform, Stored: &app.Merchants{Store: w.store.Merchants(), Sealer: otherSealer, Now: time.Now}})
	if _, err := stranger.Query(ctx, "rks-1", p1.ID); err == nil || !errors.Is(err, signing.ErrSealed) {
		t.Fatalf("query with the wrong seal key: %v", err)
	}
}

func TestMerchantCredentialsRedacted(t *testing.T) {
	c := creds("rks-1", "hunter2")
	var b strings.Builder
	slog.New(slog.NewJSONHandler(&b, nil)).Info("x", "cred", c)
	for _, s := range []string{c.String(), c.GoString(), b.String()} {
		if strings.Contains(s, "hunter2") || strings.Contains(s, "rks-1-secret") {
			t.Fatalf("credentials leak: %s", s)
		}
	}
}

// TestCheckDuringBKashOutage: bKash answers 9999 both for an unknown
// username and when it fails ("System Error."), so a registration whose
// grant keeps getting 9999 is not told its credentials are wrong: the check
// asks again after a pause and then reports bKash unavailable
// (ErrMerchantUnverified, a 503), storing nothing. A 9999 that passes is
// retried into a normal registration.
func TestCheckDuringBKashOutage(t *testing.T) {
	w := newWorld(t)
	ctx := context.Background()
	api := w.gateway(nil)
	w.merchants.Check, w.merchants.Changed = api.Check, api.Forget
	if err := w.sandbox.SetMerchant(unitMerchant("rks-2", "p2")); err != nil {
		t.Fatal(err)
	}
	if err := w.sandbox.SetFaults(bkashsandbox.Faults{Grant: bkashsandbox.FaultSystemError}); err != nil {
		t.Fatal(err)
	}
	_, err := w.merchants.Put(ctx, creds("rks-2", "p2"))
	if !errors.Is(err, app.ErrMerchantUnverified) || errors.Is(err, app.ErrMerchantRefused) {
		t.Fatalf("registration during an outage: %v, want ErrMerchantUnverified", err)
	}
	if g := w.sandbox.Stats().Grants; g != 2 {
		t.Fatalf("%d grant attempts, want 2 (one retry, within bKash's two an hour)", g)
	}
	if _, _, err := w.merchants.Open(ctx, "rks-2"); !errors.Is(err, signing.ErrMerchantNotFound) {
		t.Fatalf("stored during an outage: %v", err)
	}

	// bKash recovers while the check waits to ask again.
	if err := w.sandbox.SetMerchant(unitMerchant("rks-3", "p3")); err != nil {
		t.Fatal(err)
	}
	before := w.sandbox.Stats().Grants
	go func() {
		for w.sandbox.Stats().Grants == before {
			time.Sleep(5 * time.Millisecond)
		}
		_ = w.sandbox.SetFaults(bkashsandbox.Faults{})
	}()
	if _, err := w.merchants.Put(ctx, creds("rks-3", "p3")); err != nil {
		t.Fatalf("registration after bKash recovered: %v", err)
	}
	if c, _, err := w.merchants.Open(ctx, "rks-3"); err != nil || c.Password != "p3" {
		t.Fatalf("not stored after recovery: %v %v", c, err)
	}
}
