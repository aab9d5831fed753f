package app

import (
	"context"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// PoisonError marks an event that can never be processed (malformed); the
// worker dead-letters it instead of retrying.
type PoisonError struct{ Err error }

func (e PoisonError) Error() string { return "poison event: " + e.Err.Error() }
func (e PoisonError) Unwrap() error { return e.Err }

// LedgerCredits credits every paid gift to its fund. The transaction's ID is
// the event's, so redelivery never credits twice.
type LedgerCredits struct {
	Ledger ledger.Repository
}

// Handle implements the worker handler signature.
func (h *LedgerCredits) Handle(ctx context.Context, e events.Envelope) error {
	if e.Type != events.DonationPaid {
		return nil
	}
	p, err := donations.DecodePaid(e)
	if err != nil {
		return PoisonError{err}
	}
	tx := ledger.Gift(e.ID, e.Unit, p.Donation, string(p.Kind), p.Programme, string(p.Method), p.Amount, p.PaidAt)
	if _, err := h.Ledger.Append(ctx, tx); err != nil {
		return fmt.Errorf("credit gift %s: %w", p.Donation, err)
	}
	return nil
}

// ReceiptIssuer records the receipt of every paid gift.
type ReceiptIssuer struct {
	Receipts receipts.Repository
	Units    UnitStore
	Now      func() time.Time
}

// Handle implements the worker handler signature.
func (h *ReceiptIssuer) Handle(ctx context.Context, e events.Envelope) error {
	if e.Type != events.DonationPaid {
		return nil
	}
	p, err := donations.DecodePaid(e)
	if err != nil {
		return PoisonError{err}
	}
	u, err := h.Units.Get(ctx, e.Unit)
	if err != nil {
		return fmt.Errorf("receipt for %s: %w", p.Donation, err)
	}
	r := receipts.Receipt{
		ID: p.Donation, Unit: e.Unit, Amount: p.Amount, Kind: string(p.Kind), Programme: p.Programme,
		Method: string(p.Method), TrxID: p.TrxID, PaidAt: p.PaidAt, IssuedAt: h.Now().UTC(),
	}
	if _, err := receipts.Issue(ctx, h.Receipts, r, u.SerialPrefix(), 1000); err != nil {
		return fmt.Errorf("receipt for %s: %w", p.Donation, err)
	}
	return nil
}
