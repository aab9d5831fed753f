package platform

import (
	"log/slog"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/bkashgateway"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/metrics"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/signing"
)

// Services is the application as a process builds it, once (Build): the
// API and the worker run the same use cases over the same adapters, so a
// setting (the unit registry's merchants, the seal key ring) cannot differ
// between them, and each adapter's in-process state (the ledger's cache of
// each unit's last entry, the donation intake's insert batches, the seal
// key file's reloads) is kept once.
type Services struct {
	Sealer    *signing.Sealer
	Gateway   *bkashgateway.Gateway
	Merchants *app.Merchants
	// Ledger is the process's one ledger repository.
	Ledger *mongostore.Ledger

	Units        *app.Units
	Donations    *app.Donations
	Aid          *app.Aid
	Links        *app.Links
	Transparency *app.Transparency
	GrantFund    *app.GrantFund
	Transfers    *app.FundTransfers
	Keys         *app.UnitKeys
	Receipts     *app.ReceiptService
	CashBook     *app.CashBook
	Reports      *app.Reports

	// The worker's event handlers.
	LedgerCredits *app.LedgerCredits
	Allocation    *app.AllocationWorker
	ReceiptIssuer *app.ReceiptIssuer
}

// Build wires the use cases to the adapters of config c over store.
func Build(c config.Config, store *mongostore.Store, log *slog.Logger, m *metrics.Metrics) *Services {
	now := time.Now
	publicURL := strings.TrimRight(c.PublicURL, "/")
	seal := sealer(c, log)
	gw, merchants := newGateway(c, store, log, seal, now, replicaName())
	book := store.Ledger()
	slugs, idem := store.Slugs(), store.IdempotencyKeys()
	keys := &app.UnitKeys{Store: store.UnitKeys(), Sealer: seal, Now: now}
	s := &Services{Sealer: seal, Gateway: gw, Merchants: merchants, Ledger: book, Keys: keys,
		Receipts: &app.ReceiptService{Repo: store.Receipts(), NoteRepo: store.ReceiptNotes(), Keys: keys, PublicURL: publicURL}}
	s.Units = &app.Units{Store: store.Units(), Now: now, CacheTTL: 5 * time.Second, Merchants: merchants, PlatformMerchant: c.BKash.Username,
		Slugs: slugs}
	s.Donations = &app.Donations{
		Units: s.Units, Repo: store.Donations(), Receipts: store.Receipts(), Payments: gw, Ledger: book,
		RefundGrace: c.Reconcile.RefundGrace, PublicURL: publicURL, Now: now, Log: log,
		Observe: func(k donations.Kind, st donations.Status) { m.Donations.WithLabelValues(string(k), string(st)).Inc() },
		Seal:    seal, IDs: seal, Keys: idem,
		Profiles: store.DonorProfiles(), DonorRef: seal.DonorRef,
	}
	s.CashBook = &app.CashBook{Store: store.CashBook(), Units: s.Units, Now: now}
	s.Reports = &app.Reports{Facts: store.ReportFacts(), Ledger: book, Units: store.Units(), Waitlists: store.Waitlists(), Now: now, TTL: 5 * time.Second,
		ReportTTL: 5 * time.Second}
	s.Aid = &app.Aid{Store: store.AidRequests(), Units: s.Units, Ledger: book, Now: now, Log: log, Snapshots: seal, Keys: idem}
	s.Links = &app.Links{Store: store.Links(), Units: s.Units, Now: now, Slugs: slugs}
	s.Transparency = &app.Transparency{Ledger: book, Units: s.Units, TTL: 2 * time.Second, Now: now}
	s.GrantFund = &app.GrantFund{Units: s.Units, Ledger: book, Allocations: store.GrantAllocations(), Keys: idem, Now: now}
	s.Transfers = &app.FundTransfers{Units: s.Units, Ledger: book, Keys: idem, Now: now}
	s.LedgerCredits = &app.LedgerCredits{Ledger: book}
	s.Allocation = &app.AllocationWorker{Aid: s.Aid, Credits: s.LedgerCredits}
	s.ReceiptIssuer = &app.ReceiptIssuer{
		Receipts: store.Receipts(), Units: store.Units(), Now: now,
		Donations: store.Donations(), Keys: keys, DonorRef: seal.DonorRef, Notes: store.ReceiptNotes(), Sealed: seal,
	}
	return s
}
