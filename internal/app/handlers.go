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

// LedgerCredits credits every paid gift to its fund. The transaction's ID is
// the event's, so redelivery never credits twice.
type LedgerCredits struct {
	Ledger ledger.Repository
}

// Handle implements the worker handler signature.
func (h *LedgerCredits) Handle(ctx context.Context, e events.Envelope) error {
	if e.Type == donations.EventRefunded || e.Type == donations.EventRefundReleased {
		tx, err := refundTx(e)
		if err != nil {
			return err
		}
		if _, err := h.Ledger.Append(ctx, e.Unit, ledger.Fixed(*tx)); err != nil {
			return refundReversalRefused(fmt.Errorf("%s %s: %w", tx.Cause, tx.ID, err))
		}
		return nil
	}
	if e.Type != events.DonationPaid {
		return nil
	}
	p, err := donations.DecodePaid(e)
	if err != nil {
		return events.PoisonError{Err: err}
	}
	tx := ledger.Gift(e.ID, e.Unit, p.Donation, string(p.Kind), p.Programme, string(p.Method), p.Amount, p.PaidAt)
	if _, err := h.Ledger.Append(ctx, e.Unit, ledger.Fixed(tx)); err != nil {
		return fmt.Errorf("credit gift %s: %w", p.Donation, err)
	}
	return nil
}

// refundTx is the ledger transaction of a refund's outcome: the reversal of a
// completed refund (from its hold, or, for refunds recorded before holds
// existed, from the fund) or the release of a refused refund's hold.
func refundTx(e events.Envelope) (*ledger.Transaction, error) {
	p, err := donations.DecodeRefunded(e)
	if err != nil {
		return nil, events.PoisonError{Err: err}
	}
	fund := ledger.FundForGift(string(p.Kind), p.Programme)
	var t ledger.Transaction
	switch {
	case e.Type == donations.EventRefundReleased:
		t = ledger.RefundRelease(e.ID, e.Unit, p.Donation, fund, p.Amount, p.At)
	case p.Held:
		t = ledger.RefundFromHold(e.ID, e.Unit, p.Donation, fund, string(p.Method), p.Amount, p.At)
	default:
		t = ledger.Refund(e.ID, e.Unit, p.Donation, string(p.Kind), p.Programme, string(p.Method), p.Amount, p.At)
	}
	return &t, nil
}

// ReceiptIssuer records the signed receipt of every paid gift.
type ReceiptIssuer struct {
	Receipts receipts.Repository
	Units    UnitStore
	Now      func() time.Time
	// Donations supplies the donor's name, number and TIN when the event
	// carries no sealed snapshot of them that Sealed opens.
	Donations donations.Repository
	// Sealed opens paid events' donor snapshots (nil: always read).
	Sealed Opener
	// Keys signs receipts with the unit's active key; nil issues unsigned
	// receipts (only for tests of serial allocation).
	Keys *UnitKeys
	// DonorRef keys a mobile number for annual statements.
	DonorRef func(mobile string) (string, error)
	// Notes records refunds' cancellation notes; nil ignores refunds.
	Notes receipts.NoteRepository
}

// Handle implements the worker handler signature.
func (h *ReceiptIssuer) Handle(ctx context.Context, e events.Envelope) error {
	if e.Type == donations.EventRefunded {
		return h.cancel(ctx, e)
	}
	if e.Type != events.DonationPaid {
		return nil
	}
	p, err := donations.DecodePaid(e)
	if err != nil {
		return events.PoisonError{Err: err}
	}
	u, err := h.Units.Get(ctx, e.Unit)
	if err != nil {
		return fmt.Errorf("receipt for %s: %w", p.Donation, err)
	}
	r := receiptOf(e.Unit, p, h.Now())
	var finish func(*receipts.Receipt) error
	if h.Keys != nil {
		finish, err = h.signer(ctx, u.Names.BN, u.Names.EN, &r, p)
		if err != nil {
			return fmt.Errorf("receipt for %s: %w", p.Donation, err)
		}
	}
	// A redelivered event finds the receipt and returns it: never re-signed.
	if _, err := receipts.IssueWith(ctx, h.Receipts, r, u.SerialPrefix(), 1000, finish); err != nil {
		return fmt.Errorf("receipt for %s: %w", p.Donation, err)
	}
	return nil
}

// receiptOf is the receipt of a paid gift, before its serial and signature.
func receiptOf(unit string, p donations.PaidPayload, now time.Time) receipts.Receipt {
	return receipts.Receipt{
		ID: p.Donation, Unit: unit, Amount: p.Amount, Kind: string(p.Kind), Programme: p.Programme,
		Method: string(p.Method), TrxID: p.TrxID,
		// Milliseconds: what the store keeps, so the record equals its signed content.
		PaidAt: p.PaidAt.UTC().Truncate(time.Millisecond), IssuedAt: now.UTC().Truncate(time.Millisecond),
	}
}

// signer prepares everything signing needs (donor, key) once, so each
// serial attempt only encodes and signs.
func (h *ReceiptIssuer) signer(ctx context.Context, nameBN, nameEN string, r *receipts.Receipt, p donations.PaidPayload) (func(*receipts.Receipt) error, error) {
	snap, ok := openDonor(h.Sealed, p)
	if !ok {
		d, err := h.Donations.Get(ctx, r.ID)
		if err != nil {
			return nil, err
		}
		snap = donorOf(d)
	}
	var err error
	if r.DonorRef, err = h.DonorRef(snap.Phone); err != nil {
		return nil, err
	}
	key, err := h.Keys.Active(ctx, r.Unit)
	if err != nil {
		return nil, err
	}
	donor := snap.receiptDonor()
	return func(r *receipts.Receipt) error {
		return sign(r, key, receipts.UnitNames{BN: nameBN, EN: nameEN}, donor)
	}, nil
}

// sign stores r's canonical content with the key's signature over it.
func sign(r *receipts.Receipt, key SigningKey, names receipts.UnitNames, donor receipts.Donor) error {
	b, err := receipts.ContentOf(r, names, donor).Canonical()
	if err != nil {
		return err
	}
	r.Content, r.Signature, r.KeyID = string(b), key.Sign(b), key.Fingerprint
	return nil
}
