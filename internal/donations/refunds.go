package donations

import (
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Refund states. A refund is requested (recorded before bKash is asked, so
// two concurrent requests cannot together exceed the gift), then completed
// or failed.
const (
	RefundRequested = "requested"
	RefundCompleted = "completed"
	RefundFailed    = "failed"
)

// Event types of refunds.
const EventRefunded = "donation.refunded"

// Refund errors.
var (
	ErrNotRefundable  = errors.New("only a paid gift can be refunded")
	ErrRefundTooLarge = errors.New("refund exceeds what is left of the gift")
	ErrRefundUnknown  = errors.New("no such refund")
)

// Refund is one full or partial refund of a paid gift.
type Refund struct {
	ID          string       `bson:"id"`
	Amount      money.Amount `bson:"amount"`
	Reason      string       `bson:"reason"`
	Status      string       `bson:"status"`
	By          string       `bson:"by"`
	RefundTrxID string       `bson:"refundTrxID,omitempty"`
	Failure     string       `bson:"failure,omitempty"`
	RequestedAt time.Time    `bson:"requestedAt"`
	CompletedAt time.Time    `bson:"completedAt,omitzero"`
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
}

// RefundEventID identifies the event of one refund: the ledger reversal's key.
func RefundEventID(donationID, refundID string) string { return donationID + "/refund/" + refundID }

// CompleteRefund records that the money went back and emits donation.refunded.
func (d *Donation) CompleteRefund(id, refundTrxID string, at time.Time) error {
	r, ok := d.FindRefund(id)
	if !ok {
		return ErrRefundUnknown
	}
	if r.Status == RefundCompleted {
		return ErrNoChange
	}
	r.Status, r.RefundTrxID, r.CompletedAt = RefundCompleted, refundTrxID, at.UTC()
	d.UpdatedAt = at.UTC()
	ev, err := events.New(RefundEventID(d.ID, id), EventRefunded, d.Unit, at, RefundedPayload{
		Donation: d.ID, Refund: id, Amount: r.Amount, Kind: d.Kind, Programme: d.Programme, Method: d.Method, RefundTrxID: refundTrxID, At: r.CompletedAt,
	})
	if err != nil {
		return fmt.Errorf("build refund event: %w", err)
	}
	d.Outbox = append(d.Outbox, ev)
	return nil
}

// FailRefund releases the reservation of a refund bKash refused.
func (d *Donation) FailRefund(id, why string, at time.Time) error {
	r, ok := d.FindRefund(id)
	if !ok {
		return ErrRefundUnknown
	}
	if r.Status != RefundRequested {
		return ErrNoChange
	}
	r.Status, r.Failure = RefundFailed, why
	d.UpdatedAt = at.UTC()
	return nil
}

// DecodeRefunded reads a donation.refunded payload.
func DecodeRefunded(e events.Envelope) (RefundedPayload, error) {
	var p RefundedPayload
	if e.Type != EventRefunded {
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
