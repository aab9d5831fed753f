package bkashgateway_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http/httptest"
	"strings"
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
	sb, err := bkashsandbox.New(bkashsandbox.Config{Merchants: []bkashsandbox.Credentials{platform, unitMerchant("rks-1", "p1")}})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(sb.Handler())
	t.Cleanup(func() { sb.Close(); ts.Close() })
	return &world{
		store: store, sandbox: sb, cfg: bkash.Config{BaseURL: ts.URL + "/v1.2.0-beta"},
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

// gateway is one process's gateway (the API's or a worker's).
func (w *world) gateway(now func() time.Time) *bkashgateway.Gateway {
	return bkashgateway.New(w.cfg, bkashgateway.Options{Platform: w.platform, Stored: w.merchants, Now: now})
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

	// Another process (the worker) opens the credentials by merchant ID.
	// The worker's clock, moved forward to reach its re-check.
	var ahead atomic.Int64
	worker := w.gateway(func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) })
	if p, err := worker.Query(ctx, "rks-1", p1.ID); err != nil || p.Status != app.PaymentPending {
		t.Fatalf("worker query: %+v %v", p, err)
	}
	if g := grants(); g != 3 {
		t.Fatalf("%d grants, want 3", g)
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
	if g := grants(); g != 4 {
		t.Fatalf("%d grants after rotation, want 4", g)
	}
	// Credentials bKash refuses (one grant request) are not stored, and cost
	// the cached client nothing.
	if _, err := w.merchants.Put(ctx, creds("rks-1", "typo")); !errors.Is(err, app.ErrMerchantRefused) {
		t.Fatalf("refused credentials: %v", err)
	}
	if c, _, err := w.merchants.Open(ctx, "rks-1"); err != nil || c.Password != "p1-new" {
		t.Fatalf("stored after a refusal: %v %v", c, err)
	}
	create(&units.Unit{Code: "u1", Merchant: &rotated}, "INV-4")
	if g := grants(); g != 5 {
		t.Fatalf("%d grant requests after a refused rotation, want 5", g)
	}
	// The worker keeps its (still valid) token until its re-check is due,
	// then loads the new credentials: its next grant uses the new password.
	if _, err := worker.Query(ctx, "rks-1", p1.ID); err != nil || grants() != 5 {
		t.Fatalf("worker before re-check: %v, %d grants", err, grants())
	}
	ahead.Store(int64(2 * time.Minute))
	if _, err := worker.Query(ctx, "rks-1", p1.ID); err != nil || grants() != 6 {
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
