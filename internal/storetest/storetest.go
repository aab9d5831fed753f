// Package storetest is the conformance suite of the storage adapters: Run
// holds an adapter to what the use cases rely on (the unique keys, the
// version chains' updates under concurrency, the queries' filters and
// order). mongostore runs it on FerretDB, memstore in memory, so a use-case
// test on memstore tells what the platform does.
package storetest

import (
	"context"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// AidStore is the aid requests' port with the grant claims.
type AidStore interface {
	app.AidStore
	app.GrantClaims
}

// Ledger is the ledger's port as the aid and donation use cases use it.
type Ledger interface {
	ledger.Repository
	app.SourceReader
	FundBalances(ctx context.Context, unit string) (map[string]money.Amount, error)
}

// Store is one adapter's repositories over one empty database.
type Store struct {
	Units     app.UnitStore
	Donations donations.Repository
	Aid       AidStore
	Ledger    Ledger
	Receipts  receipts.Repository
	Links     app.LinkStore
	Slugs     app.Claims
	Keys      app.Claims
}

// Run runs the suite; newStore returns repositories over a database of
// their own (every subtest gets one).
func Run(t *testing.T, newStore func(t *testing.T) Store) {
	for _, c := range []struct {
		name string
		fn   func(t *testing.T, s Store)
	}{
		{"Units", units},
		{"Claims", claims},
		{"Links", linksSuite},
		{"DonationCreate", donationCreate},
		{"DonationUpdate", donationUpdate},
		{"DonationConcurrentUpdates", donationConcurrentUpdates},
		{"AidCreateAndHistory", aidCreate},
		{"AidConcurrentUpdates", aidConcurrentUpdates},
		{"AidList", aidList},
		{"AidApprovedSince", aidApprovedSince},
		{"AidWindow", aidWindow},
		{"AidGrants", aidGrants},
		{"LedgerAppend", ledgerAppend},
		{"LedgerConcurrentDebits", ledgerConcurrentDebits},
		{"Receipts", receiptsSuite},
		{"ReceiptsConcurrentIssue", receiptsConcurrentIssue},
	} {
		t.Run(c.name, func(t *testing.T) { c.fn(t, newStore(t)) })
	}
}
