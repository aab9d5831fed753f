package bkash

import (
	"log/slog"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// Credentials are one merchant wallet's API credentials, issued by bKash at
// onboarding. They never appear in logs: String and LogValue redact them.
type Credentials struct {
	Username, Password, AppKey, AppSecret string
	// ShortCode is the merchant wallet's number (not secret, not sent to
	// bKash): search transaction answers it as organizationShortCode.
	ShortCode string
}

// String hides everything but the username.
func (c Credentials) String() string {
	return "bkash.Credentials{Username:" + c.Username + " (secrets redacted)}"
}

// GoString hides secrets from %#v too.
func (c Credentials) GoString() string { return c.String() }

// LogValue keeps credentials out of structured logs.
func (c Credentials) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// TransactionStatus is bKash's transactionStatus (and refundTransactionStatus).
type TransactionStatus string

// Statuses bKash documents. Only StatusCompleted means money moved.
const (
	StatusInitiated  TransactionStatus = "Initiated"
	StatusCompleted  TransactionStatus = "Completed"
	StatusAuthorized TransactionStatus = "Authorized" // intent "authorization" only; not used here
	StatusCancelled  TransactionStatus = "Cancelled"
	StatusFailed     TransactionStatus = "Failed"
	StatusExpired    TransactionStatus = "Expired"
)

// Final reports whether the status can no longer change through execute.
func (s TransactionStatus) Final() bool {
	switch s {
	case StatusCompleted, StatusCancelled, StatusFailed, StatusExpired:
		return true
	}
	return false
}

// CreateRequest is what Create needs. Mode "0011", intent "sale" and currency
// "BDT" are fixed.
type CreateRequest struct {
	Amount money.Amount
	// Invoice is the merchantInvoiceNumber (≤255 characters, no < > &). Keep
	// it unique per donation: bKash uses it to spot duplicates.
	Invoice string
	// PayerReference is shown to / prefilled for the payer by bKash. Empty
	// means Invoice is sent, since bKash requires the field.
	PayerReference string
	// CallbackURL receives the payer's browser with ?paymentID=…&status=….
	CallbackURL string
}

// Payment is bKash's view of a payment, from create, execute or query.
type Payment struct {
	PaymentID      string
	BkashURL       string // create only: where to send the payer
	TrxID          string // set once Completed
	Invoice        string
	PayerReference string
	// CustomerMSISDN is the payer's wallet number (execute/query). Personal
	// data: never log it.
	CustomerMSISDN string
	Amount         money.Amount
	Currency       string
	Intent         string
	Mode           string
	Status         TransactionStatus
	// VerificationStatus is returned by query though not documented:
	// "Complete" once the payer authorised, "Incomplete" before.
	VerificationStatus string
	// VerificationField is the spelling the answer used:
	// "verificationStatus" or "userVerificationStatus" ("" if neither).
	VerificationField string
	CreateTime        time.Time
	ExecuteTime       time.Time
	StatusCode        string
	StatusMessage     string
}

// RefundRequest asks for a full or partial refund of a completed payment.
// bKash allows up to 10 refunds per transaction, cumulatively at most the paid
// amount, within its refund window.
type RefundRequest struct {
	PaymentID string
	TrxID     string
	Amount    money.Amount
	// SKU and Reason are required by the live API (≤255 characters each);
	// empty values are replaced by "donation" and "refund".
	SKU, Reason string
}

// RefundTransaction is one refund of a transaction.
type RefundTransaction struct {
	RefundTrxID   string
	Amount        money.Amount
	Status        TransactionStatus
	CompletedTime time.Time
}

// Refund is the answer of Refund (the refund just made) or RefundStatus (all
// refunds of the transaction).
type Refund struct {
	PaymentID             string
	OriginalTrxID         string
	OriginalAmount        money.Amount
	OriginalCompletedTime time.Time // RefundStatus only
	// RefundTrxID, Amount, Status and CompletedTime describe the refund just
	// made (Refund) or the latest one (RefundStatus); empty when there is none.
	RefundTrxID   string
	Amount        money.Amount
	Status        TransactionStatus
	CompletedTime time.Time
	// Transactions lists every refund the answer reports.
	Transactions []RefundTransaction
	// Refunded is the sum of the Completed refunds in Transactions.
	Refunded money.Amount
}

func (r *Refund) summarise() {
	r.Refunded = 0
	for _, t := range r.Transactions {
		if t.Status == StatusCompleted {
			r.Refunded += t.Amount
		}
	}
	if n := len(r.Transactions); n > 0 {
		last := r.Transactions[n-1]
		r.RefundTrxID, r.Amount, r.Status, r.CompletedTime = last.RefundTrxID, last.Amount, last.Status, last.CompletedTime
	}
}
