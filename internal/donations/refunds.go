package donations

import (
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Refund states (docs/adr/0007-refunds-hold-before-bkash.md). A refund is
// requested (recorded on the gift, so concurrent refunds cannot together
// exceed it), then pending once its amount is held in the ledger and it is
// handed to bKash: from then on only bKash's answer, or its refund status,
// settles it, and it is never sent again. It ends completed (the hold becomes
// the reversal) or failed (the hold, if any, is released).
const (
	RefundRequested = "requested"
	RefundPending   = "pending"
	RefundCompleted = "completed"
	RefundFailed    = "failed"
)

// Open reports whether the refund awaits its outcome.
func (r *Refund) Open() bool { return r.Status == RefundRequested || r.Status == RefundPending }

// Event types of refunds: donation.refunded when the money went back,
// donation.refund_released when a refused refund's hold goes back to its fund.
const (
	EventRefunded       = "donation.refunded"
	EventRefundReleased = "donation.refund_released"
)

// Refund errors.
var (
	ErrNotRefundable  = errors.New("only a paid gift can be refunded")
	ErrRefundTooLarge = errors.New("refund exceeds what is left of the gift")
	ErrRefundUnknown  = errors.New("no such refund")
)

// Refund is one full or partial refund of a paid gift.
type Refund struct {
	ID          string
	Amount      money.Amount
	Reason      string
	Status      string
	By          string
	RefundTrxID string
	Failure     string
	RequestedAt time.Time
	CompletedAt time.Time
	// Held: the ledger holds the amount (source HoldID) since it was sent.
	Held bool
	// SentAt is when it was handed to bKash (pending).
	SentAt time.Time
}

// HoldID is the ledger source of refund's hold; ReleaseID that of its release.
func HoldID(donationID, refundID string) string { return RefundEventID(donationID, refundID) + "/hold" }
func ReleaseID(donationID, refundID string) string {
	return RefundEventID(donationID, refundID) + "/release"
}

// Refunded is the total of completed refunds.
func (d *Donation) Refunded() money.Amount {
	var sum money.Amount
	for _, r := range d.Refunds {
		if r.Status == RefundCompleted {
			sum += r.Amount
		}
	}
	return sum
}

// committed is the total of refunds completed or still in flight.
func (d *Donation) committed() money.Amount {
	var sum money.Amount
	for _, r := range d.Refunds {
		if r.Status != RefundFailed {
			sum += r.Amount
		}
	}
	return sum
}

// Refundable is what of the gift may still be refunded: the amount less
// refunds completed or in flight (0 unless it is paid).
func (d *Donation) Refundable() money.Amount {
	if d.Status != Paid {
		return 0
	}
	return max(d.Amount-d.committed(), 0)
}

// FindRefund returns the refund with id.
func (d *Donation) FindRefund(id string) (*Refund, bool) {
	for i := range d.Refunds {
		if d.Refunds[i].ID == id {
			return &d.Refunds[i], true
		}
	}
	return nil, false
}

// RequestRefund reserves amount of the gift for a refund with id. The same id
// again is a no-op (idempotent retries).
func (d *Donation) RequestRefund(id string, amount money.Amount, reason, by string, at time.Time) error {
	if _, ok := d.FindRefund(id); ok {
		return ErrNoChange
	}
	if d.Status != Paid {
		return ErrNotRefundable
	}
	// The reason reaches staff pages and bKash: one clean line (freetext).
	var v validation.Errors
	if freetext.Into(&v, "reason", &reason, freetext.Line.WithMax(255)) && reason == "" {
		v.Add("reason", "is required (at most 255 characters)")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if amount <= 0 {
		return fmt.Errorf("%w: amount must be positive", ErrRefundTooLarge)
	}
	if d.committed()+amount > d.Amount {
		return fmt.Errorf("%w: %s of %s is already refunded or being refunded", ErrRefundTooLarge, d.committed(), d.Amount)
	}
	d.Refunds = append(d.Refunds, Refund{ID: id, Amount: amount, Reason: reason, By: by, Status: RefundRequested, RequestedAt: at.UTC()})
	d.UpdatedAt = at.UTC()
	return nil
}

// RefundedPayload is the body of a donation.refunded event.
type RefundedPayload struct {
	Donation    string       `json:"donation"`
	Refund      string       `json:"refund"`
	Amount      money.Amount `json:"amount"`
	Kind        Kind         `json:"kind"`
	Programme   string       `json:"programme,omitempty"`
	Method      Method       `json:"method"`
	RefundTrxID string       `json:"refundTrxID,omitempty"`
	At          time.Time    `json:"at"`
	// Held: the amount was held in the ledger before bKash was asked, so the
	// reversal (or release) moves it from the hold, not from the fund.
	Held bool `json:"held,omitempty"`
	// Reason is staff's reason for the refund (donor notice, note).
	Reason string `json:"reason,omitempty"`
}

// RefundEventID identifies the event of one refund: the ledger reversal's key.
func RefundEventID(donationID, refundID string) string { return donationID + "/refund/" + refundID }

// ErrRefundSettled is returned for a transition of a refund that already
// reached another outcome.
var ErrRefundSettled = errors.New("refund already settled")

// MarkRefundSent records that refund id's amount is held in the ledger and
// that it is being handed to bKash. Only the writer whose
// version makes this change may call bKash; any other finds it pending and
// asks for its status instead.
func (d *Donation) MarkRefundSent(id string, at time.Time) error {
	r, ok := d.FindRefund(id)
	if !ok {
		return ErrRefundUnknown
	}
	if r.Status != RefundRequested {
		return ErrNoChange
	}
	r.Status, r.Held, r.SentAt = RefundPending, true, at.UTC()
	d.UpdatedAt = at.UTC()
	return nil
}

// CompleteRefund records that the money went back and emits donation.refunded.
func (d *Donation) CompleteRefund(id, refundTrxID string, at time.Time) error {
	r, ok := d.FindRefund(id)
	if !ok {
		return ErrRefundUnknown
	}
	switch r.Status {
	case RefundCompleted:
		return ErrNoChange
	case RefundFailed:
		return fmt.Errorf("%w: refund %s failed: %s", ErrRefundSettled, id, r.Failure)
	}
	r.Status, r.RefundTrxID, r.CompletedAt = RefundCompleted, refundTrxID, at.UTC()
	d.UpdatedAt = at.UTC()
	ev, err := events.New(RefundEventID(d.ID, id), EventRefunded, d.Unit, at, RefundedPayload{
		Donation: d.ID, Refund: id, Amount: r.Amount, Kind: d.Kind, Programme: d.Programme, Method: d.Method, RefundTrxID: refundTrxID, At: r.CompletedAt,
		Held: r.Held, Reason: r.Reason,
	})
	if err != nil {
		return fmt.Errorf("build refund event: %w", err)
	}
	d.Outbox = append(d.Outbox, ev)
	return nil
}

// FailRefund ends a refund that moved no money: bKash refused it, bKash has
// no record of it long after it was sent, or its hold was refused (the fund
// no longer holds the amount). A held amount goes back to its fund through
// donation.refund_released, in the same version.
func (d *Donation) FailRefund(id, why string, at time.Time) error {
	r, ok := d.FindRefund(id)
	if !ok {
		return ErrRefundUnknown
	}
	switch r.Status {
	case RefundFailed:
		return ErrNoChange
	case RefundCompleted:
		return fmt.Errorf("%w: refund %s completed", ErrRefundSettled, id)
	}
	r.Status, r.Failure = RefundFailed, why
	d.UpdatedAt = at.UTC()
	if !r.Held {
		return nil
	}
	ev, err := events.New(ReleaseID(d.ID, id), EventRefundReleased, d.Unit, at, RefundedPayload{
		Donation: d.ID, Refund: id, Amount: r.Amount, Kind: d.Kind, Programme: d.Programme, Method: d.Method, Held: true, At: at.UTC(),
	})
	if err != nil {
		return fmt.Errorf("build release event: %w", err)
	}
	d.Outbox = append(d.Outbox, ev)
	return nil
}

// DecodeRefunded reads a donation.refunded (or donation.refund_released) payload.
func DecodeRefunded(e events.Envelope) (RefundedPayload, error) {
	var p RefundedPayload
	if e.Type != EventRefunded && e.Type != EventRefundReleased {
		return p, fmt.Errorf("event %s is %s, not %s", e.ID, e.Type, EventRefunded)
	}
	if err := jsonUnmarshal(e.Payload, &p); err != nil {
		return p, fmt.Errorf("decode %s: %w", e.Type, err)
	}
	if p.Donation == "" || p.Refund == "" || p.Amount <= 0 {
		return p, fmt.Errorf("event %s: incomplete payload", e.ID)
	}
	return p, nil
}
