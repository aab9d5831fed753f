// Package app holds the use cases: what the API and the workers do with the
// domain, expressed against ports that adapters implement.
package app

import (
	"context"
	"errors"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// UnitStore is the unit registry port.
type UnitStore interface {
	Get(ctx context.Context, code string) (*units.Unit, error)
	Put(ctx context.Context, u *units.Unit) error
	List(ctx context.Context) ([]units.Unit, error)
}

// PaymentStatus is a payment provider's answer reduced to what a donation
// needs to know.
type PaymentStatus string

// Payment statuses.
const (
	PaymentPending   PaymentStatus = "pending"
	PaymentCompleted PaymentStatus = "completed"
	PaymentCancelled PaymentStatus = "cancelled"
	PaymentFailed    PaymentStatus = "failed"
)

// Payment is a provider's view of one payment.
type Payment struct {
	ID     string
	URL    string
	Status PaymentStatus
	TrxID  string
	Amount money.Amount
	// Reason explains a failure in words a donor can read.
	Reason string
}

// Errors of the payment port.
var (
	// ErrPaymentNoAnswer: the provider may have acted; query before concluding.
	ErrPaymentNoAnswer = errors.New("payment provider gave no answer")
	// ErrPaymentUnavailable: the provider refused or is down; nothing happened.
	ErrPaymentUnavailable = errors.New("payment provider unavailable")
)

// Payments is the payment provider port (bKash tokenized checkout).
type Payments interface {
	Create(ctx context.Context, u *units.Unit, invoice string, amount money.Amount, callbackURL string) (Payment, error)
	// Execute asks the provider to move the money the payer authorised.
	Execute(ctx context.Context, u *units.Unit, paymentID string) (Payment, error)
	Query(ctx context.Context, u *units.Unit, paymentID string) (Payment, error)
}
