package apiclient

import (
	"context"
	"errors"
	"net/http"
	"os"
	"path/filepath"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/devstack"
)

func TestNewRejectsBadURLs(t *testing.T) {
	for _, u := range []string{"", "kalyan-api:8080", "ftp://x", "http://"} {
		if _, err := New(u, "/t", nil); err == nil {
			t.Errorf("%q accepted", u)
		}
	}
}

// TestAgainstTheAPI pins the admin contract the operator relies on, against the real Kalyan API.
func TestAgainstTheAPI(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	st, err := devstack.Start(ctx, devstack.Options{Dir: filepath.Join(dir, "stack"), NoSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	tokenFile := filepath.Join(dir, "token")
	c, err := New(st.APIURL()+"/", tokenFile, nil)
	if err != nil {
		t.Fatal(err)
	}
	reg := Registration{
		Names: Names{EN: "Debidwar Upazila Health Complex", BN: "দেবিদ্বার উপজেলা স্বাস্থ্য কমপ্লেক্স"},
		Level: "upazila", Division: "Chattagram", District: "Cumilla", Upazila: "Debidwar",
		Policy:     Policy{ApprovalThreshold: "5000.00"},
		SigningKey: "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",
	}

	// No token file yet.
	if _, _, err := c.RegisterUnit(ctx, "uhc-debidwar", reg); !errors.Is(err, ErrToken) {
		t.Fatalf("without a token: %v", err)
	}
	if err := os.WriteFile(tokenFile, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	var se *StatusError
	if _, _, err := c.RegisterUnit(ctx, "uhc-debidwar", reg); !errors.As(err, &se) || se.StatusCode != http.StatusUnauthorized || se.Temporary() {
		t.Fatalf("with a bad token: %v", err)
	}
	tok, err := st.Token("platform_admin", "", "kalyan-operator")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tokenFile, []byte(tok+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	u, created, err := c.RegisterUnit(ctx, "uhc-debidwar", reg)
	if err != nil || !created || u.Code != "uhc-debidwar" || u.Status != "active" || u.DonationURL == "" {
		t.Fatalf("register: %+v %v %v", u, created, err)
	}
	if _, created, err = c.RegisterUnit(ctx, "uhc-debidwar", reg); err != nil || created {
		t.Fatalf("register again: created=%v %v", created, err)
	}
	bad := reg
	bad.Level = "clinic"
	if _, _, err := c.RegisterUnit(ctx, "uhc-debidwar", bad); !errors.As(err, &se) || se.StatusCode/100 != 4 || se.Temporary() {
		t.Fatalf("invalid registration: %v", err)
	}

	if got, err := c.PublicUnit(ctx, "uhc-debidwar"); err != nil || got.Names.EN != reg.Names.EN {
		t.Fatalf("public unit: %+v %v", got, err)
	}
	if _, err := c.PublicUnit(ctx, "uhc-nowhere"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown unit: %v", err)
	}
	if err := c.ArchiveUnit(ctx, "uhc-nowhere"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("archive unknown unit: %v", err)
	}
	if err := c.ArchiveUnit(ctx, "uhc-debidwar"); err != nil {
		t.Fatalf("archive: %v", err)
	}
	if err := c.ArchiveUnit(ctx, "uhc-debidwar"); err != nil {
		t.Fatalf("archive again: %v", err)
	}
	if _, err := c.PublicUnit(ctx, "uhc-debidwar"); !errors.Is(err, ErrArchived) {
		t.Fatalf("archived unit: %v", err)
	}

	if err := st.StopAPI(ctx); err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.RegisterUnit(ctx, "uhc-debidwar", reg); err == nil || errors.As(err, &se) {
		t.Fatalf("API down: want a transport error, got %v", err)
	}
}
