package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// ErrBadCallback is returned for a callback that does not belong to the
// donation it names.
var ErrBadCallback = errors.New("callback does not match the donation's payment")

// Donations runs the donation use cases.
type Donations struct {
	Units     *Units
	Repo      donations.Repository
	Receipts  receipts.Repository
	Payments  Payments
	PublicURL string
	Now       func() time.Time
	Log       *slog.Logger
	// Ledger holds a refund's amount before bKash is asked.
	Ledger RefundLedger
	// RefundGrace: how long after sending bKash must have no record of a
	// refund before it counts as never made (0: DefaultRefundGrace).
	RefundGrace time.Duration
	// Observe is told of every status a donation reaches (metrics).
	Observe func(kind donations.Kind, status donations.Status)
	// Seal seals the donor snapshot into donation.paid (nil: none).
	Seal Sealer
	// Profiles are what donors keep for future gifts ("My gifts"); a gift
	// given without a name, e-mail or TIN takes the kept one (nil: none).
	// DonorRef keys them by the mobile number.
	Profiles DonorProfiles
	DonorRef func(mobile string) (string, error)
	// ReconcileLease, when set, lets one replica at a time reconcile.
	ReconcileLease Lease
	// IDs keys a gift's ID with a server secret (signing.Sealer): the ID
	// names the receipt's URL, so it must be unguessable whatever
	// Idempotency-Key the client chose.
	IDs KeyedIDs
	// Keys maps refunds' Idempotency-Keys to their random IDs.
	Keys Claims
}

// KeyedIDs derives IDs from an input under a server secret
// (signing.Sealer.KeyedIDs): the same input gives the same IDs, nobody
// without the secret can compute them. The first is the one new records
// take; the others are the input's IDs under older keys of a rotating
// ring, which records made before the rotation still carry.
type KeyedIDs interface {
	KeyedIDs(input string) ([][]byte, error)
}

// View is a donation with its receipt, if any.
type View struct {
	*donations.Donation
	Receipt *receipts.Receipt
}

// EffectiveStatus reports receipted once a paid donation has its receipt.
// Refunds override it: a gift refunded in full or in part says so.
func (v View) EffectiveStatus() donations.Status {
	switch r := v.Refunded(); {
	case r > 0 && r == v.Amount:
		return donations.Refunded
	case r > 0:
		return donations.PartiallyRefunded
	case v.Receipt != nil:
		return donations.Receipted
	}
	return v.Status
}

// CallbackURL is where bKash sends the payer back for donation id.
func (s *Donations) CallbackURL(id string) string {
	return s.PublicURL + "/api/v1/donations/" + url.PathEscape(id) + "/bkash-callback"
}

// Create starts an online gift: it validates, creates the payment at bKash
// and stores the donation as initiated. The same idempotency key with the same
// request returns the same donation; with another request, ErrKeyReused.
// u is the unit as Units.Servable gave it to the caller, who needed it
// first (the API to answer for an unknown unit before reading the body,
// the donate page to show whose form it is): a gift looks its unit up once.
func (s *Donations) Create(ctx context.Context, u *units.Unit, idemKey string, req donations.Request) (*donations.Donation, bool, error) {
	req, err := s.withProfile(ctx, req)
	if err != nil {
		return nil, false, err
	}
	build := func(id string) (*donations.Donation, error) {
		return donations.New(u, id, donations.BKash, req, s.Now())
	}
	// A retry (a lost answer, the donor form's double submit) must find the
	// stored gift before any bKash call: bKash refuses a second payment for
	// an invoice already paid, and a retry must answer the stored gift
	// whatever its state. So every use of the key is looked up first.
	pay := func(d *donations.Donation) error {
		p, err := s.Payments.Create(ctx, u, d.ID, d.Amount, s.CallbackURL(d.ID))
		if err != nil {
			return fmt.Errorf("create payment: %w", err)
		}
		d.PaymentID, d.PaymentURL, d.Merchant = p.ID, p.URL, p.Merchant
		return nil
	}
	// Anyone may give without an account: the key's scope is the route and
	// the unit.
	return s.createOnce(ctx, "online\x00"+u.Code+"\x00"+idemKey, true, build, pay)
}

// withProfile fills what the donor left out from what they keep in "My
// gifts": what the donor typed always wins.
func (s *Donations) withProfile(ctx context.Context, req donations.Request) (donations.Request, error) {
	if s.Profiles == nil || s.DonorRef == nil {
		return req, nil
	}
	mobile, err := contact.NormalizeMobile(req.Donor.Phone)
	if err != nil {
		return req, nil // the gift's own validation says what is wrong
	}
	ref, err := s.DonorRef(mobile)
	if err != nil {
		return req, err
	}
	p, err := s.Profiles.Get(ctx, ref)
	if err != nil || p == nil {
		return req, err
	}
	if strings.TrimSpace(req.Donor.Name) == "" && !req.Anonymous {
		req.Donor.Name = p.Name
	}
	if strings.TrimSpace(req.Donor.Email) == "" {
		req.Donor.Email = p.Email
	}
	if strings.TrimSpace(req.Donor.TIN) == "" {
		req.Donor.TIN = p.TIN
	}
	return req, nil
}

// createOnce stores the gift an Idempotency-Key names: build makes it with
// the key's n-th ID, finish readies it to store (creates the payment, or marks
// a cash gift paid). Within donations.KeyWindow of the stored gift's creation
// the same request gets that gift and another request ErrKeyReused; later, the
// key names a new gift with its next ID. A concurrent request with the same
// key but another body may win the insert; our bKash payment then expires.
// lookFirst looks the key's first gift up before finish too (finish calls
// bKash); otherwise only later uses are, and a first request is one insert.
//
// The n-th ID is keyed from the scope (route, unit, caller), the key and n
// with a server secret, so creating a gift stays one insert that the store's
// unique ID makes idempotent, while no client can tell a gift's ID (its
// receipt's URL) from a key it knows or guessed.
func (s *Donations) createOnce(ctx context.Context, scope string, lookFirst bool, build func(id string) (*donations.Donation, error),
	finish func(*donations.Donation) error) (*donations.Donation, bool, error) {
	if s.IDs == nil {
		return nil, false, errors.New("create donation: no ID key configured")
	}
	for n := 1; n <= donations.MaxKeyUses; n++ {
		ids, err := s.IDs.KeyedIDs("donation\x00" + scope + "\x00" + strconv.Itoa(n))
		if err != nil {
			return nil, false, fmt.Errorf("donation ID: %w", err)
		}
		d, err := build(donations.IDOf(ids[0]))
		if err != nil {
			return nil, false, err
		}
		// During a seal key rotation the key may name a gift made under an
		// older key: find it before making a second one.
		if prev, found, err := s.findRotated(ctx, ids[1:]); err != nil {
			return nil, false, err
		} else if found {
			if s.Now().Sub(prev.CreatedAt) >= donations.KeyWindow {
				continue
			}
			if !prev.SameRequest(d) {
				return nil, false, donations.ErrKeyReused
			}
			return prev, false, nil
		}
		if n > 1 || lookFirst {
			// Look before paying for another bKash payment (at later uses:
			// the key named a gift over a day ago).
			prev, err := s.Repo.Get(ctx, d.ID)
			switch {
			case err == nil:
				if s.Now().Sub(prev.CreatedAt) >= donations.KeyWindow {
					continue
				}
				if !prev.SameRequest(d) {
					return nil, false, donations.ErrKeyReused
				}
				return prev, false, nil
			case !errors.Is(err, donations.ErrNotFound):
				return nil, false, err
			}
		}
		if err := finish(d); err != nil {
			return nil, false, err
		}
		stored, created, err := s.Repo.Create(ctx, d)
		if err != nil {
			return nil, false, err
		}
		if created {
			s.observe(stored)
			return stored, true, nil
		}
		if s.Now().Sub(stored.CreatedAt) >= donations.KeyWindow {
			continue
		}
		if !stored.SameRequest(d) {
			return nil, false, donations.ErrKeyReused
		}
		return stored, false, nil
	}
	return nil, false, donations.ErrKeyReused
}

// findRotated looks up the gifts older seal keys would have named.
func (s *Donations) findRotated(ctx context.Context, ids [][]byte) (*donations.Donation, bool, error) {
	for _, b := range ids {
		d, err := s.Repo.Get(ctx, donations.IDOf(b))
		switch {
		case err == nil:
			return d, true, nil
		case !errors.Is(err, donations.ErrNotFound):
			return nil, false, err
		}
	}
	return nil, false, nil
}

// Get returns a donation and its receipt.
func (s *Donations) Get(ctx context.Context, id string) (View, error) {
	d, err := s.Repo.Get(ctx, id)
	if err != nil {
		return View{}, err
	}
	v := View{Donation: d}
	if d.Status == donations.Paid {
		r, err := s.Receipts.Get(ctx, id)
		switch {
		case err == nil:
			v.Receipt = r
		case !errors.Is(err, receipts.ErrNotFound):
			return View{}, err
		}
	}
	return v, nil
}

// Callback handles the payer's return from bKash. The status in the URL is
// only a hint of which call to make: money counts as paid only when bKash's
// execute (or query) answers Completed for this donation's payment.
func (s *Donations) Callback(ctx context.Context, id, paymentID, status string) (*donations.Donation, error) {
	d, err := s.Repo.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if paymentID == "" || paymentID != d.PaymentID {
		return d, ErrBadCallback
	}
	if d.Status.Final() {
		return d, nil
	}
	u, err := s.Units.Get(ctx, d.Unit)
	if err != nil {
		return d, err
	}
	var pay Payment
	if status == "success" {
		pay, err = s.Payments.Execute(ctx, d.Merchant, paymentID)
		if errors.Is(err, ErrPaymentNoAnswer) {
			// bKash may have moved the money; only query can tell.
			pay, err = s.Payments.Query(ctx, d.Merchant, paymentID)
		}
	} else {
		pay, err = s.Payments.Query(ctx, d.Merchant, paymentID)
	}
	if err != nil {
		// Leave the donation initiated: reconciliation queries it later.
		s.Log.WarnContext(ctx, "payment not settled at callback", "donation", id, "err", err)
		return d, nil
	}
	return s.settle(ctx, u, d, pay)
}

// settle applies a provider's final answer to the donation.
func (s *Donations) settle(ctx context.Context, u *units.Unit, d *donations.Donation, pay Payment) (*donations.Donation, error) {
	now := s.Now()
	var fn func(*donations.Donation) error
	switch pay.Status {
	case PaymentCompleted:
		if pay.Amount != d.Amount {
			return d, fmt.Errorf("payment %s amount %s differs from donation's %s", pay.ID, pay.Amount, d.Amount)
		}
		fn = func(x *donations.Donation) error { return markPaid(s.Seal, x, pay.TrxID, now) }
	case PaymentCancelled:
		fn = func(x *donations.Donation) error { return x.MarkUnpaid(donations.Cancelled, pay.Reason, now) }
	case PaymentFailed:
		fn = func(x *donations.Donation) error { return x.MarkUnpaid(donations.Failed, pay.Reason, now) }
	default:
		return d, nil
	}
	out, err := s.Repo.Update(ctx, d.ID, fn)
	if errors.Is(err, donations.ErrNotInitiated) {
		return out, nil
	}
	if err != nil {
		return d, err
	}
	if out.Version != d.Version {
		s.observe(out)
	}
	_ = u
	return out, nil
}

func (s *Donations) observe(d *donations.Donation) {
	if s.Observe != nil {
		s.Observe(d.Kind, d.Status)
	}
}
