package app

import (
	"cmp"
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
)

// cancel records the signed cancellation note of one refund. The note's ID
// is the event's, so a redelivered event finds it and never signs again;
// the original receipt is only read.
func (h *ReceiptIssuer) cancel(ctx context.Context, e events.Envelope) error {
	if h.Notes == nil {
		return nil
	}
	p, err := donations.DecodeRefunded(e)
	if err != nil {
		return events.PoisonError{Err: err}
	}
	if _, err := h.Notes.NoteByID(ctx, e.ID); err == nil {
		return nil
	} else if !errors.Is(err, receipts.ErrNotFound) {
		return fmt.Errorf("cancellation note for %s: %w", p.Refund, err)
	}
	// The receipt comes first on the donation's partition; until it exists
	// the consumer retries.
	orig, err := h.Receipts.Get(ctx, p.Donation)
	if err != nil {
		return fmt.Errorf("cancellation note for %s: receipt of %s: %w", p.Refund, p.Donation, err)
	}
	seq, refunded := 1, p.Amount
	nd := receipts.NoteDetails{Reason: p.Reason, RefundRef: p.RefundTrxID}
	if h.Donations != nil {
		d, err := h.Donations.Get(ctx, p.Donation)
		if err != nil {
			return fmt.Errorf("cancellation note for %s: %w", p.Refund, err)
		}
		seq, refunded = noteSeq(d, p.Refund, p.Amount)
		// Events from before the payload carried the reason: the gift's
		// record of the refund has it.
		if rf, ok := d.FindRefund(p.Refund); ok {
			nd.Reason = cmp.Or(nd.Reason, rf.Reason)
			nd.RefundRef = cmp.Or(nd.RefundRef, rf.RefundTrxID)
		}
	}
	nd.Eligible = max(orig.Amount-refunded, 0)
	n := receipts.Note{
		ID: e.ID, Donation: p.Donation, Refund: p.Refund, Unit: orig.Unit, Serial: receipts.NoteSerial(orig.Serial, seq),
		OriginalSerial: orig.Serial, Amount: p.Amount,
		RefundedAt: p.At.UTC().Truncate(time.Millisecond), IssuedAt: h.Now().UTC().Truncate(time.Millisecond),
	}
	if h.Keys != nil {
		if err := h.signNote(ctx, &n, orig, nd); err != nil {
			return fmt.Errorf("cancellation note for %s: %w", p.Refund, err)
		}
	}
	if err := h.Notes.InsertNote(ctx, &n); err != nil && !errors.Is(err, receipts.ErrNoteExists) {
		return fmt.Errorf("cancellation note for %s: %w", p.Refund, err)
	}
	return nil
}

// noteSeq numbers refund's note among the gift's completed refunds and sums
// what they refunded up to and including it (amount is refund's own). Only
// one refund of a gift is in flight at a time, so list order is completion
// order and both are the same on every delivery.
func noteSeq(d *donations.Donation, refund string, amount money.Amount) (seq int, refunded money.Amount) {
	for _, r := range d.Refunds {
		if r.ID == refund {
			return seq + 1, refunded + amount
		}
		if r.Status == donations.RefundCompleted {
			seq++
			refunded += r.Amount
		}
	}
	return seq + 1, refunded + amount
}

func (h *ReceiptIssuer) signNote(ctx context.Context, n *receipts.Note, orig *receipts.Receipt, nd receipts.NoteDetails) error {
	oc, err := receipts.ParseContent([]byte(orig.Content))
	if err != nil {
		// An unsigned original: take the names from the unit, no donor.
		u, uerr := h.Units.Get(ctx, orig.Unit)
		if uerr != nil {
			return uerr
		}
		oc = receipts.ContentOf(orig, receipts.UnitNames{BN: u.Names.BN, EN: u.Names.EN}, receipts.Donor{Anonymous: true})
	}
	key, err := h.Keys.Active(ctx, orig.Unit)
	if err != nil {
		return err
	}
	b, err := receipts.NoteContentOf(n, orig, oc, nd).Canonical()
	if err != nil {
		return err
	}
	n.Content, n.Signature, n.KeyID = string(b), key.Sign(b), key.Fingerprint
	return nil
}

// NoteView is a stored cancellation note with the outcome of verifying it.
type NoteView struct {
	*receipts.Note
	Valid  bool
	Reason string
	Signed receipts.NoteContent
}

// Notes returns the cancellation notes of donation id, oldest first.
func (s *ReceiptService) Notes(ctx context.Context, id string) ([]receipts.Note, error) {
	if s.NoteRepo == nil {
		return nil, nil
	}
	return s.NoteRepo.ListNotes(ctx, id)
}

// Note returns the cancellation note of refund of donation id, verified;
// receipts.ErrNotFound if there is none.
func (s *ReceiptService) Note(ctx context.Context, id, refund string) (*NoteView, error) {
	if s.NoteRepo == nil {
		return nil, receipts.ErrNotFound
	}
	n, err := s.NoteRepo.GetNote(ctx, id, refund)
	if err != nil {
		return nil, err
	}
	var pub ed25519.PublicKey
	if n.KeyID != "" {
		pub, err = s.Keys.PublicKey(ctx, n.Unit, n.KeyID)
		if err != nil && !errors.Is(err, signing.ErrKeyNotFound) {
			return nil, fmt.Errorf("verify cancellation note %s: %w", n.ID, err)
		}
	}
	v := receipts.VerifyNote(n, pub)
	return &NoteView{Note: n, Valid: v.Valid, Reason: v.Reason, Signed: v.Content}, nil
}
