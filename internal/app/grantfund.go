package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// GrantEnvelope is the Department's budget for the one-time grant in one
// fiscal year, nationally.
type GrantEnvelope struct {
	Amount   money.Amount
	Patients int
}

// DefaultGrantEnvelope is the financial assistance programme's budget in
// the source documents: Tk 300 crore for 60,000 patients (Tk 50,000 each).
func DefaultGrantEnvelope() GrantEnvelope {
	return GrantEnvelope{Amount: money.Taka(300_00_00_000), Patients: 60_000}
}

// GrantAllocations is the national sequence of grant allocations per fiscal
// year (ADR 0011), the port GrantFund needs (mongostore.GrantAllocations).
type GrantAllocations interface {
	// ByID returns the allocation named id, or nil.
	ByID(ctx context.Context, id string) (*ledger.GrantAllocation, error)
	// Append stores a as the year's next entry unless the running total
	// would pass a.Envelope (ledger.ErrEnvelope); an allocation with a's ID
	// stored already is returned as it is.
	Append(ctx context.Context, a ledger.GrantAllocation) (*ledger.GrantAllocation, error)
}

// GrantFund records the Department's grant money into units' grant funds
// (docs/adr/0011-restricted-funds.md): never donors' gifts.
type GrantFund struct {
	Units       *Units
	Ledger      ledger.Repository
	Allocations GrantAllocations
	// Keys maps an Idempotency-Key to the allocation it made.
	Keys Claims
	// Envelope returns a fiscal year's budget (nil: DefaultGrantEnvelope).
	Envelope func(fy string) GrantEnvelope
	Now      func() time.Time
}

func (g *GrantFund) envelope(fy string) GrantEnvelope {
	if g.Envelope != nil {
		return g.Envelope(fy)
	}
	return DefaultGrantEnvelope()
}

// Allocate records an allocation of amount from fiscal year fy's budget to
// the unit's grant fund: the national sequence (the envelope's guard)
// first, then the unit's ledger, both keyed by the allocation's ID, so a
// retry with the same key finishes what a crash interrupted and never
// allocates twice. It returns the allocation and whether this call made it.
func (g *GrantFund) Allocate(ctx context.Context, by, unit, fy, key, reference string, amount money.Amount) (*ledger.GrantAllocation, bool, error) {
	var v validation.Errors
	if !ValidFiscalYear(fy) {
		v.Add("fiscalYear", "must be a fiscal year such as 2026-27")
	}
	if amount <= 0 {
		v.Add("amount", "must be positive")
	}
	if freetext.Into(&v, "reference", &reference, freetext.Line.WithMax(200)) && reference == "" {
		v.Add("reference", "is required (the Department's allocation order)")
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	u, err := g.Units.Servable(ctx, unit)
	if err != nil {
		return nil, false, err
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	id, took, err := g.Keys.Claim(ctx, "grant-allocation\x00"+key, "ga_"+hex.EncodeToString(b[:]), g.Now())
	if err != nil {
		return nil, false, err
	}
	a, err := g.Allocations.ByID(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if a != nil && (a.Unit != u.Code || a.FY != fy || a.Amount != amount) {
		return nil, false, aid.ErrKeyReused
	}
	created := a == nil && took
	if a == nil {
		a, err = g.Allocations.Append(ctx, ledger.GrantAllocation{ID: id, FY: fy, Unit: u.Code, Amount: amount,
			Envelope: g.envelope(fy).Amount, Reference: reference, By: by, At: g.Now().UTC()})
		if err != nil {
			return nil, false, err
		}
	}
	t := ledger.GovernmentAllocation("grant-allocation/"+a.ID, a.Unit, a.Amount, a.At)
	if _, err := g.Ledger.Append(ctx, a.Unit, ledger.Fixed(t)); err != nil {
		return a, false, fmt.Errorf("credit grant allocation %s: %w", a.ID, err)
	}
	return a, created, nil
}

// Budget is the fiscal year's national envelope.
func (g *GrantFund) Budget(fy string) money.Amount { return g.envelope(fy).Amount }
