package platform_test

import (
	"context"
	"io"
	"log/slog"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/metrics"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/platform"
	"github.com/kalyan-platform/kalyan/internal/signing"
)

// TestBuildWiresOneApplication: a process builds its use cases once, over
// one unit registry (with the merchant store: the worker's used to lack it),
// one seal key holder and one ledger repository.
func TestBuildWiresOneApplication(t *testing.T) {
	ctx := context.Background()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	ferret, err := devstack.StartFerret(t.TempDir(), quiet)
	if err != nil {
		t.Fatal(err)
	}
	defer ferret.Close()
	store, err := mongostore.Connect(ctx, ferret.URI(), "build")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(ctx)
	cfg := config.Defaults()
	cfg.SealKey = signing.NewSealKey()
	s := platform.Build(cfg, store, quiet, metrics.New())

	for name, u := range map[string]*app.Units{"donations": s.Donations.Units, "aid": s.Aid.Units, "links": s.Links.Units,
		"transparency": s.Transparency.Units, "grant fund": s.GrantFund.Units, "transfers": s.Transfers.Units} {
		if u != s.Units {
			t.Errorf("%s has a unit registry of its own", name)
		}
	}
	if s.Units.Merchants == nil || s.Units.Merchants != s.Merchants || s.Units.PlatformMerchant != cfg.BKash.Username {
		t.Error("the unit registry lacks the merchants")
	}
	if s.Donations.Seal != s.Sealer || s.Aid.Snapshots != s.Sealer || s.Keys.Sealer != s.Sealer || s.ReceiptIssuer.Sealed != s.Sealer {
		t.Error("more than one seal key holder")
	}
	if s.Donations.Ledger != s.Ledger || s.Aid.Ledger != s.Ledger || s.LedgerCredits.Ledger != s.Ledger || s.Transparency.Ledger != s.Ledger {
		t.Error("more than one ledger repository")
	}
	if s.Allocation.Aid != s.Aid || s.Allocation.Credits != s.LedgerCredits || s.Donations.Payments != s.Gateway {
		t.Error("the worker's handlers are not the application's")
	}
}
