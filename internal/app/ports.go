// Package app holds the use cases: what the API and the workers do with the
// domain, expressed against ports that adapters implement.
package app

import (
	"context"
	"errors"
	"time"

	"github.com/kalyan-platform/kalyan/internal/lease"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// Claims takes names once (mongostore.Claims): the first claim of a name
// wins, and later claims learn who holds it (took=false). Idempotency-Keys
// map to the IDs of what they created this way, and unit codes and link
// slugs share one namespace.
type Claims interface {
	Claim(ctx context.Context, name, holder string, at time.Time) (held string, took bool, err error)
	Release(ctx context.Context, name, holder string) error
}

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
	// Authorised reports that the payer confirmed the payment at bKash
	// (query's verificationStatus), so executing it will move the money.
	Authorised bool
	// Merchant is the merchant wallet (its non-secret ID) Create made the
	// payment with; every later call about it names the same merchant.
	Merchant string
}

// Errors of the payment port.
var (
	// ErrPaymentNoAnswer: the provider may have acted; query before concluding.
	ErrPaymentNoAnswer = errors.New("payment provider gave no answer")
	// ErrPaymentUnavailable: the provider refused or is down; nothing happened.
	ErrPaymentUnavailable = errors.New("payment provider unavailable")
)

// Payments is the payment provider port (bKash tokenized checkout). Create
// uses the unit's merchant wallet (the platform's if it has none) and says
// which in Payment.Merchant; the other calls name that merchant (a
// donation's Merchant, "" for the platform's), because a payment belongs to
// the merchant that created it, whatever the unit uses today.
type Payments interface {
	Create(ctx context.Context, u *units.Unit, invoice string, amount money.Amount, callbackURL string) (Payment, error)
	// Execute asks the provider to move the money the payer authorised.
	Execute(ctx context.Context, merchant, paymentID string) (Payment, error)
	Query(ctx context.Context, merchant, paymentID string) (Payment, error)
	// Refund returns amount of a completed payment to the payer.
	Refund(ctx context.Context, merchant string, r RefundRequest) (RefundResult, error)
	// RefundStatus reports whether the refund with r's reference completed.
	RefundStatus(ctx context.Context, merchant string, r RefundRequest) (RefundResult, error)
}

// RefundRequest asks the provider to refund part or all of a payment.
type RefundRequest struct {
	PaymentID, TrxID string
	Amount           money.Amount
	// Ref identifies this refund at the provider (bKash "sku").
	Ref    string
	Reason string
}

// RefundResult is the provider's answer. Refund: Completed with its
// transaction ID; Refused with a reason (nothing moved); Pending (the
// provider took it but it is not Completed yet: only RefundStatus settles
// it). RefundStatus: Transactions, every refund the provider holds for the
// payment. API names the provider API that answered.
type RefundResult struct {
	Completed    bool
	RefundTrxID  string
	Refused      bool
	Reason       string
	Pending      bool
	API          string
	Transactions []RefundTransaction
}

// RefundTransaction is one refund the provider holds for a payment.
type RefundTransaction struct {
	RefundTrxID string
	Amount      money.Amount
	Completed   bool
}

// Lease elects the one replica that runs the reconciler (lease.Lease; the
// store implements it, see mongostore.Lease).
type Lease = lease.Lease
