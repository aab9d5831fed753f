// Package donations holds a gift from a donor to a unit's Rogi Kalyan Samiti
// and the life of its payment: initiated at bKash, then paid, failed or
// cancelled. A donation's state and the events its changes cause are kept
// together so that storing one stores the other (a transactional outbox).
package donations

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Kind of gift. Zakat is restricted money: it may only reach eligible patients.
type Kind string

// Gift kinds.
const (
	Zakat   Kind = "zakat"
	Sadaqah Kind = "sadaqah"
	General Kind = "general"
)

// Status of a donation's payment. "receipted" is not a stored status: a paid
// donation is receipted once its receipt exists.
type Status string

// Donation statuses.
const (
	Initiated Status = "initiated"
	Paid      Status = "paid"
	Failed    Status = "failed"
	Cancelled Status = "cancelled"
	Receipted Status = "receipted"
	// Refunded and PartiallyRefunded are derived from a paid gift's refunds.
	Refunded          Status = "refunded"
	PartiallyRefunded Status = "partially_refunded"
)

// Final reports whether no further payment transition can happen.
func (s Status) Final() bool { return s != Initiated }

// Method by which the money arrived.
type Method string

// Payment methods.
const (
	BKash Method = "bkash"
	Cash  Method = "cash"
	// BKashApp is a gift made inside the bKash app to the unit's merchant
	// wallet, claimed afterwards with its trxID (appgift.go).
	BKashApp Method = "bkash_app"
)

// Errors of donation transitions.
var (
	ErrNotFound      = errors.New("donation not found")
	ErrNotInitiated  = errors.New("donation is no longer awaiting payment")
	ErrKeyReused     = errors.New("idempotency key was already used with a different request")
	ErrNoChange      = errors.New("no change")
	ErrAmountOutside = errors.New("amount outside the unit's limits")
)

// Donor is who gave. Personal data: never logged, never in public views.
type Donor struct {
	Name  string
	Phone string
	Email string
	TIN   string
}

// Donation is one gift.
type Donation struct {
	ID        string
	Unit      string
	Amount    money.Amount
	Kind      Kind
	Programme string
	// Link is the campaign link the gift came through (its slug), empty
	// for a unit's own link, the counter and the bKash app: each link's
	// totals are counted from it (indexed, link_status).
	Link      string
	Donor     Donor
	Anonymous bool
	Method    Method
	// CollectedBy is the staff member who took a cash gift, and
	// CollectedByName their name as their token carried it (the cash book
	// shows people by name, never by subject).
	CollectedBy     string
	CollectedByName string

	Status        Status
	PaymentID     string
	PaymentURL    string
	TrxID         string
	FailureReason string

	// RequestHash fingerprints the create request so a replay with the same
	// Idempotency-Key but another body can be refused.
	RequestHash string
	CreatedAt   time.Time
	UpdatedAt   time.Time
	PaidAt      time.Time

	// Merchant is the bKash merchant (its non-secret ID) the payment was
	// created with; execute, query and refunds go to the same merchant.
	// Empty (gifts from before per-unit merchants) means the platform's.
	Merchant string

	// Refunds of this gift, in the order requested.
	Refunds []Refund

	// Version increases by one with every stored change.
	Version int
	// Outbox holds the events caused by the change that produced this version.
	Outbox []events.Envelope
}

// Request is what a donor (or a cashier) asks for.
type Request struct {
	Amount    string
	Currency  string
	Kind      string
	Programme string
	// Link is the campaign link's slug the donor gave through, if any.
	Link      string
	Donor     struct{ Name, Phone, Email, TIN string }
	Anonymous bool
}

// Hash fingerprints the request's meaning (normalised fields).
func (d *Donation) hashRequest() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\x00%d\x00%s\x00%s\x00%s\x00%s\x00%s\x00%s\x00%t\x00%s",
		d.Unit, d.Amount, d.Kind, d.Programme, d.Donor.Name, d.Donor.Phone, d.Donor.Email, d.Donor.TIN, d.Anonymous, d.Method)
	if d.Link != "" {
		// Only when set, so the fingerprints of gifts stored before links
		// were recorded stay as they were.
		fmt.Fprintf(h, "\x00link=%s", d.Link)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// KeyWindow is how long an Idempotency-Key stands for one gift: a retry
// within it finds that gift; the same key used later starts a new one.
const KeyWindow = 24 * time.Hour

// MaxKeyUses bounds how many gifts one key may start, a day or more apart.
const MaxKeyUses = 1000

// NewID draws a random donation ID (128 bits).
//
// Reached only by tests: the API names gifts through its ID source (sealed, unguessable); tests that build gifts by hand use this.
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return IDOf(b[:])
}

// IDOf formats 128 bits as a donation ID. The ID is also the receipt's and
// names its public URL (full name and TIN on the PDF), so its bits must be
// unpredictable: random, or keyed with a server secret (app.Donations),
// never a function of what a client sent alone.
func IDOf(b []byte) string {
	return "don_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b))
}

// New validates a request against the unit's policy and builds a donation
// awaiting payment.
func New(u *units.Unit, id string, method Method, r Request, now time.Time) (*Donation, error) {
	var v validation.Errors
	d := &Donation{ID: id, Unit: u.Code, Method: method, Status: Initiated, CreatedAt: now.UTC(), UpdatedAt: now.UTC(), Anonymous: r.Anonymous}
	amt, err := money.Parse(r.Amount)
	switch {
	case err != nil:
		v.AddErr("amount", err)
	case amt < u.Policy.MinDonation:
		v.Add("amount", "must be at least "+u.Policy.MinDonation.String()+" BDT at this unit")
	case amt > u.Policy.MaxDonation:
		v.Add("amount", "must be at most "+u.Policy.MaxDonation.String()+" BDT at this unit")
	}
	d.Amount = amt
	if r.Currency != "" && r.Currency != money.Currency {
		v.Add("currency", "must be BDT")
	}
	switch k := Kind(r.Kind); k {
	case Zakat, Sadaqah, General:
		d.Kind = k
	default:
		v.Add("kind", "must be one of zakat, sadaqah, general")
	}
	if r.Programme != "" {
		if !u.HasProgramme(r.Programme) {
			v.Add("programme", "is not a programme of this unit")
		}
		d.Programme = r.Programme
	}
	// The name is printed on a signed receipt: one line of Bengali or
	// Latin letters, nothing that could pass for a label or an amount.
	name := r.Donor.Name
	if freetext.Into(&v, "donor.name", &name, freetext.PersonName) && name == "" && !r.Anonymous {
		v.Add("donor.name", "is required unless the gift is anonymous")
	}
	d.Donor.Name = name
	d.Link = r.Link
	if d.Donor.Phone, err = contact.NormalizeMobile(r.Donor.Phone); err != nil {
		v.AddErr("donor.phone", err)
	}
	if r.Donor.Email != "" {
		if d.Donor.Email, err = contact.NormalizeEmail(r.Donor.Email); err != nil {
			v.AddErr("donor.email", err)
		}
	}
	if r.Donor.TIN != "" {
		if d.Donor.TIN, err = contact.NormalizeTIN(r.Donor.TIN); err != nil {
			v.AddErr("donor.tin", err)
		}
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	d.RequestHash = d.hashRequest()
	return d, nil
}

// SameRequest reports whether other asks for the same gift as d.
func (d *Donation) SameRequest(other *Donation) bool { return d.RequestHash == other.RequestHash }

// PaidPayload is the body of a donation.paid event. It carries no personal
// data in the clear.
type PaidPayload struct {
	Donation  string       `json:"donation"`
	Amount    money.Amount `json:"amount"`
	Kind      Kind         `json:"kind"`
	Programme string       `json:"programme,omitempty"`
	Method    Method       `json:"method"`
	TrxID     string       `json:"trxID,omitempty"`
	PaidAt    time.Time    `json:"paidAt"`
	// DonorSealed is an opaque snapshot of the donor fields a receipt needs,
	// sealed by the application before the change is stored (ADR 0005);
	// absent in events written before it existed.
	DonorSealed []byte `json:"donorSealed,omitempty"`
}

// PaidEventID is the ID of the event marking d paid; it is the idempotency
// key for everything that follows from the payment (ledger credit, receipt).
func PaidEventID(donationID string) string { return donationID + "/paid" }

// MarkPaid records that the money arrived (bKash execute/query said
// Completed, or a cashier took cash) and emits donation.paid.
func (d *Donation) MarkPaid(trxID string, at time.Time) error {
	return d.MarkPaidSealed(trxID, at, nil)
}

// MarkPaidSealed is MarkPaid with the donor snapshot the application
// sealed for the event (PaidPayload.DonorSealed; nil for none).
func (d *Donation) MarkPaidSealed(trxID string, at time.Time, donorSealed []byte) error {
	if d.Status == Paid {
		return ErrNoChange
	}
	if d.Status != Initiated {
		return ErrNotInitiated
	}
	d.Status, d.TrxID, d.PaidAt, d.UpdatedAt = Paid, trxID, at.UTC(), at.UTC()
	ev, err := events.New(PaidEventID(d.ID), events.DonationPaid, d.Unit, at, PaidPayload{
		Donation: d.ID, Amount: d.Amount, Kind: d.Kind, Programme: d.Programme, Method: d.Method, TrxID: trxID, PaidAt: d.PaidAt,
		DonorSealed: donorSealed,
	})
	if err != nil {
		return fmt.Errorf("build paid event: %w", err)
	}
	d.Outbox = append(d.Outbox, ev)
	return nil
}

// MarkUnpaid finalises a payment that will not complete (cancelled by the
// payer, failed at bKash, or expired).
func (d *Donation) MarkUnpaid(status Status, reason string, at time.Time) error {
	if status != Failed && status != Cancelled {
		return fmt.Errorf("mark unpaid: bad status %q", status)
	}
	if d.Status == status {
		return ErrNoChange
	}
	if d.Status != Initiated {
		return ErrNotInitiated
	}
	d.Status, d.FailureReason, d.UpdatedAt = status, reason, at.UTC()
	return nil
}

// DecodePaid reads a donation.paid payload.
func DecodePaid(e events.Envelope) (PaidPayload, error) {
	var p PaidPayload
	if e.Type != events.DonationPaid {
		return p, fmt.Errorf("event %s is %s, not %s", e.ID, e.Type, events.DonationPaid)
	}
	if err := jsonUnmarshal(e.Payload, &p); err != nil {
		return p, fmt.Errorf("decode %s: %w", e.Type, err)
	}
	if p.Donation == "" || p.Amount <= 0 {
		return p, fmt.Errorf("event %s: incomplete payload", e.ID)
	}
	return p, nil
}

// Repository stores donations. Implementations keep their concurrency scheme
// inside: Update re-reads and re-applies fn until its change is stored
// without overwriting a concurrent one.
type Repository interface {
	// Create stores d unless a donation with its ID exists; it returns the
	// stored donation and whether this call created it.
	Create(ctx context.Context, d *Donation) (*Donation, bool, error)
	Get(ctx context.Context, id string) (*Donation, error)
	// Update applies fn to the latest version and stores the result as the
	// next version. fn returning ErrNoChange stores nothing and is not an error.
	Update(ctx context.Context, id string, fn func(*Donation) error) (*Donation, error)
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
