package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Gifts given inside the bKash app (issue #15). A donor who gave to a
// Samiti through the bKash app's donation option never passed through our
// links or callbacks; they claim the gift with its TrxID and the number
// they paid from. bKash's search transaction says whether the unit's
// merchant wallet received it, how much and from whom; the gift is then
// stored paid, as one insert whose ID derives from the TrxID, and follows
// the ledger and receipt path of every other gift.

// FoundTransaction is bKash's search transaction answer, reduced.
type FoundTransaction struct {
	TrxID     string
	Completed bool
	Amount    money.Amount
	Currency  string
	// Payer is the wallet number that paid (personal data).
	Payer string
	// ShortCode is the wallet that received it, when bKash says.
	ShortCode   string
	CompletedAt time.Time
	// Reference is bKash's transactionReference: for a checkout payment,
	// the merchant invoice (our donation ID).
	Reference string
	// Merchant is the merchant ID searched with; OurShortCode that
	// merchant's wallet number as configured ("" unknown).
	Merchant, OurShortCode string
}

// TransactionSearch is the port the claim needs: bKash's search
// transaction with a merchant's token ("" is the platform's merchant).
// ErrTrxNotFound for a trxID bKash does not know; ErrPaymentUnavailable or
// ErrPaymentNoAnswer when bKash cannot say.
type TransactionSearch interface {
	SearchTransaction(ctx context.Context, merchant, trxID string) (FoundTransaction, error)
}

// TrxLookup finds a donation already paid with a trxID (a gift through a
// donation link whose payment bKash also reports).
type TrxLookup interface {
	PaidWithTrxID(ctx context.Context, trxID string) (id string, found bool, err error)
}

// ErrClaimRateLimited means too many claims from one address or for one
// number; ErrAppGiftsUnavailable that this unit's merchant wallet number is
// not configured, so a TrxID cannot be checked against it.
var (
	// ErrAppGiftNotRefundable: bKash's refund API needs a checkout payment's
	// paymentID; a gift made in the bKash app is refunded by the unit at
	// bKash's merchant portal.
	ErrAppGiftNotRefundable = errors.New("a gift made in the bKash app cannot be refunded through Kalyan; refund it in bKash's merchant portal")
	ErrClaimRateLimited     = errors.New("too many gift claims; try again later")
	ErrAppGiftsUnavailable  = errors.New("gifts made in the bKash app cannot be confirmed for this unit yet")
)

// AppGifts claims gifts made inside the bKash app.
type AppGifts struct {
	Donations *Donations
	Search    TransactionSearch
	Trx       TrxLookup
	Limits    RateLimiter
	// Window is how old (since completion) a transaction may be to be
	// claimed: bKash's refund window, so a claimed gift can still be
	// refunded (default 15 days, bKash's plugin).
	Window time.Duration
	// PerIP and PerNumber bound claims per hour (defaults 20 and 5).
	PerIP, PerNumber int
	// NumberRef keys the per-number limit without keeping the number
	// (signing.Sealer.DonorRef); nil keys it by the number itself.
	NumberRef func(mobile string) (string, error)
}

// AppGiftRequest is what the donor enters.
type AppGiftRequest struct {
	TrxID string
	// Phone is the number the donor paid from.
	Phone     string
	Kind      string
	Programme string
	Name, TIN string
	Anonymous bool
	// ClientIP is the claimant's address (rate limit).
	ClientIP string
}

// Claim verifies trxID with bKash and records it as a paid gift to unit.
// The same TrxID and number claimed again at the same unit returns the gift
// already recorded (created false).
func (a *AppGifts) Claim(ctx context.Context, unitCode string, r AppGiftRequest) (*donations.Donation, bool, error) {
	s := a.Donations
	u, err := s.Units.Servable(ctx, unitCode)
	if err != nil {
		return nil, false, err
	}
	var v validation.Errors
	trx, ok := donations.NormalizeTrxID(r.TrxID)
	if !ok {
		v.Add("trxID", "must be the 10-character TrxID bKash sent (letters and digits)")
	}
	phone, err := contact.NormalizeMobile(r.Phone)
	if err != nil {
		v.AddErr("donor.phone", err)
	}
	if r.Kind == "" {
		r.Kind = string(donations.General)
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	now := s.Now()
	if err := a.limit(ctx, r.ClientIP, phone, now); err != nil {
		return nil, false, err
	}
	id := donations.AppGiftID(trx)
	if d, err := s.Repo.Get(ctx, id); err == nil {
		return a.again(d, u.Code, phone)
	} else if !errors.Is(err, donations.ErrNotFound) {
		return nil, false, err
	}
	if other, found, err := a.Trx.PaidWithTrxID(ctx, trx); err != nil {
		return nil, false, err
	} else if found {
		return nil, false, fmt.Errorf("%w (donation %s)", donations.ErrTrxClaimed, other)
	}
	merchant := ""
	if u.Merchant != nil {
		merchant = u.Merchant.ID
	}
	t, err := a.Search.SearchTransaction(ctx, merchant, trx)
	if err != nil {
		return nil, false, err
	}
	if err := a.check(ctx, t, phone, now); err != nil {
		return nil, false, err
	}
	var req donations.Request
	req.Kind, req.Programme, req.Anonymous = r.Kind, r.Programme, r.Anonymous
	req.Donor.Name, req.Donor.Phone, req.Donor.TIN = r.Name, phone, r.TIN
	d, err := donations.NewAppGift(u, trx, t.Amount, req, now)
	if err != nil {
		return nil, false, err
	}
	d.Merchant = t.Merchant
	paidAt := t.CompletedAt
	if paidAt.IsZero() || paidAt.After(now) {
		paidAt = now
	}
	if err := markPaid(s.Seal, d, trx, paidAt); err != nil {
		return nil, false, err
	}
	stored, created, err := s.Repo.Create(ctx, d)
	if err != nil {
		return nil, false, err
	}
	if !created {
		// A concurrent claim of the same TrxID stored it first.
		return a.again(stored, u.Code, phone)
	}
	s.observe(stored)
	return stored, true, nil
}

// again answers a claim of a TrxID already recorded: the same donor at the
// same unit gets their gift back; anyone else is told it was claimed.
func (a *AppGifts) again(d *donations.Donation, unit, phone string) (*donations.Donation, bool, error) {
	if d.Unit == unit && d.Donor.Phone == phone {
		return d, false, nil
	}
	return nil, false, donations.ErrTrxClaimed
}

// check applies what bKash said to the claim.
func (a *AppGifts) check(ctx context.Context, t FoundTransaction, phone string, now time.Time) error {
	window := a.Window
	if window <= 0 {
		window = 15 * 24 * time.Hour
	}
	payer, _ := contact.NormalizeMobile(t.Payer)
	switch {
	case !t.Completed:
		return donations.ErrTrxNotFound
	case t.OurShortCode == "":
		return ErrAppGiftsUnavailable
	case t.ShortCode != "" && t.ShortCode != t.OurShortCode:
		return donations.ErrTrxForeign
	case t.Currency != "" && t.Currency != money.Currency, t.Amount <= 0:
		return donations.ErrTrxNotFound
	case payer != phone:
		return donations.ErrTrxPayer
	case !t.CompletedAt.IsZero() && now.Sub(t.CompletedAt) > window:
		return donations.ErrTrxTooOld
	}
	if t.Reference != "" {
		// A checkout payment names our donation as its invoice: that gift
		// is credited through its own payment.
		if _, err := a.Donations.Repo.Get(ctx, t.Reference); err == nil {
			return fmt.Errorf("%w (donation %s)", donations.ErrTrxClaimed, t.Reference)
		}
	}
	return nil
}

func (a *AppGifts) limit(ctx context.Context, ip, phone string, now time.Time) error {
	if a.Limits == nil {
		return nil
	}
	number := phone
	if a.NumberRef != nil {
		if ref, err := a.NumberRef(phone); err == nil {
			number = ref
		}
	}
	perIP, perNumber := a.PerIP, a.PerNumber
	if perIP <= 0 {
		perIP = 20
	}
	if perNumber <= 0 {
		perNumber = 5
	}
	for _, l := range []struct {
		key string
		n   int
	}{{"appgift-ip:" + ip, perIP}, {"appgift-number:" + number, perNumber}} {
		ok, err := a.Limits.Allow(ctx, l.key, l.n, time.Hour, now)
		if err != nil {
			return err
		}
		if !ok {
			return ErrClaimRateLimited
		}
	}
	return nil
}
