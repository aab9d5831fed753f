// Package memstore implements the use cases' storage ports in memory, for
// fast use-case tests. It keeps the guarantees the MongoDB adapter gets from
// its unique indexes (a second insert of a key fails with the same domain
// error) and its version chains (concurrent updates re-apply, none is lost),
// and internal/storetest holds both adapters to them.
package memstore

import (
	"maps"
	"slices"
	"sync"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// Store is one in-memory database. Its zero value is not usable: call New.
type Store struct {
	mu sync.Mutex

	units     map[string]units.Unit
	donations map[string][]donations.Donation // versions, oldest first
	requests  map[string][]aid.Request        // versions, oldest first
	// order is the requests' creation order.
	order          []string
	window         map[string]aid.WindowEntry // by "<key>#<seq>"
	grantClaims    map[string]aid.GrantClaim
	grantsReceived map[string]aid.GrantClaim
	ledger         map[string][]ledger.Transaction // per unit, entry n at n-1
	sources        map[string]bool                 // every ledger entry's source
	receipts       map[string]receipts.Receipt     // by donation
	serials        map[string]string               // "<unit>/<fy>/<seq>" → donation
	links          map[string]links.Link
	claims         map[string]map[string]string // namespace → name → holder
}

// New returns an empty store.
func New() *Store {
	return &Store{
		units: map[string]units.Unit{}, donations: map[string][]donations.Donation{}, requests: map[string][]aid.Request{},
		window: map[string]aid.WindowEntry{}, grantClaims: map[string]aid.GrantClaim{}, grantsReceived: map[string]aid.GrantClaim{},
		ledger: map[string][]ledger.Transaction{}, sources: map[string]bool{}, receipts: map[string]receipts.Receipt{},
		serials: map[string]string{}, links: map[string]links.Link{}, claims: map[string]map[string]string{},
	}
}

// Values are copied in and out (cloneX), so callers can no more change what
// is stored than they can a database's documents.

func cloneUnit(u units.Unit) units.Unit {
	u.Policy.Programmes = slices.Clone(u.Policy.Programmes)
	u.Policy.AllocationOrder = slices.Clone(u.Policy.AllocationOrder)
	u.Policy.Checkers = slices.Clone(u.Policy.Checkers)
	if u.Merchant != nil {
		m := *u.Merchant
		u.Merchant = &m
	}
	return u
}

func cloneDonation(d donations.Donation) donations.Donation {
	d.Refunds = slices.Clone(d.Refunds)
	d.Outbox = slices.Clone(d.Outbox)
	return d
}

func cloneRequest(q aid.Request) aid.Request {
	q.Items = slices.Clone(q.Items)
	q.CaseStudy.DocumentsChecked = slices.Clone(q.CaseStudy.DocumentsChecked)
	q.Allocations = slices.Clone(q.Allocations)
	q.Outbox = slices.Clone(q.Outbox)
	q.Committee = slices.Clone(q.Committee)
	if q.Pending != nil {
		p := *q.Pending
		p.Items = slices.Clone(p.Items)
		q.Pending = &p
	}
	if q.Parts != nil {
		parts := make([]aid.Part, len(q.Parts))
		for i, p := range q.Parts {
			p.Items, p.Spent, p.Returned = slices.Clone(p.Items), slices.Clone(p.Spent), slices.Clone(p.Returned)
			parts[i] = p
		}
		q.Parts = parts
	}
	return q
}

func cloneTransaction(t ledger.Transaction) ledger.Transaction {
	t.Lines = slices.Clone(t.Lines)
	t.Balances = maps.Clone(t.Balances)
	return t
}

func cloneReceipt(r receipts.Receipt) receipts.Receipt {
	r.Signature = slices.Clone(r.Signature)
	return r
}

func cloneLink(l links.Link) links.Link {
	l.Amounts = slices.Clone(l.Amounts)
	return l
}
