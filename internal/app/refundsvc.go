package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// ErrRefundInProgress is returned while another refund of the same gift
// awaits bKash's answer.
var ErrRefundInProgress = errors.New("another refund of this gift is still in progress")

// DefaultRefundGrace is how long after a refund was sent bKash must have no
// record of it before it counts as never made: bKash answers a refund within
// its 30 s call timeout, so twice that leaves no call in flight.
const DefaultRefundGrace = 2 * bkashCallTimeout

const bkashCallTimeout = 30 * time.Second

// RefundLedger is what refunds need of the ledger: the guarded append that
// also keeps funds from going negative for allocations.
type RefundLedger interface {
	Append(ctx context.Context, unit string, build func(map[string]money.Amount) (ledger.Transaction, error)) (bool, error)
}

// refundID is the refund an Idempotency-Key names on donation id: a random
// ID (it names the cancellation note's URL) that the key's first use
// claims, and retries learn (Keys).
func (s *Donations) refundID(ctx context.Context, id, key string) (string, error) {
	if s.Keys == nil {
		return "", errors.New("refund: no idempotency key store configured")
	}
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	rid, _, err := s.Keys.Claim(ctx, "refund\x00"+id+"\x00"+key, "rf_"+hex.EncodeToString(b), s.Now())
	return rid, err
}

// keyDerivedRefundID is the ID a refund requested before IDs were random
// took from its key alone; a retry of such a refund still finds it.
func keyDerivedRefundID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "rf_" + hex.EncodeToString(sum[:10])
}

// Refund returns amount of a paid gift to the donor (docs/adr/0007):
//
//  1. The refund is recorded on the gift (a version insert, so concurrent
//     refunds cannot together exceed it, and one key names one refund).
//  2. Its amount moves from the gift's fund to the fund's refund-pending
//     account with the ledger's guarded append, the same one allocation
//     uses: if the fund no longer holds it, the refund fails here, before
//     bKash hears of it.
//  3. It is marked pending (sent) — only the writer of that version calls
//     bKash, once — and bKash is asked: Completed turns the hold into the
//     reversal, a definite refusal releases it, anything else leaves it
//     pending for the refund status query.
//
// A retry with the same key never refunds again: it answers the refund as it
// stands and, while it is pending, asks bKash for its status.
func (s *Donations) Refund(ctx context.Context, id, key string, amount money.Amount, reason, by string) (*donations.Donation, *donations.Refund, error) {
	rid, err := s.refundID(ctx, id, key)
	if err != nil {
		return nil, nil, err
	}
	now := s.Now()
	d, err := s.Repo.Update(ctx, id, func(d *donations.Donation) error {
		if d.Method == donations.BKashApp {
			// bKash's refund needs the checkout paymentID, which a gift made
			// in the bKash app does not have.
			return ErrAppGiftNotRefundable
		}
		for _, known := range []string{rid, keyDerivedRefundID(key)} {
			if r, ok := d.FindRefund(known); ok {
				if r.Amount != amount {
					return donations.ErrKeyReused
				}
				rid = known
				return donations.ErrNoChange
			}
		}
		for _, r := range d.Refunds {
			if r.Open() {
				return ErrRefundInProgress
			}
		}
		return d.RequestRefund(rid, amount, reason, by, now)
	})
	if err != nil {
		return d, nil, err
	}
	r, _ := d.FindRefund(rid)
	switch r.Status {
	case donations.RefundRequested:
		return s.sendRefund(ctx, d, rid)
	case donations.RefundPending:
		return s.askRefund(ctx, d, rid, true)
	}
	return d, r, nil
}

// sendRefund holds a requested refund's amount, marks it sent and asks
// bKash. It is safe to repeat (a retry, the reconciler resuming after a
// crash): the hold is keyed by the refund, and only the writer that marks it
// sent calls bKash.
func (s *Donations) sendRefund(ctx context.Context, d *donations.Donation, rid string) (*donations.Donation, *donations.Refund, error) {
	r, _ := d.FindRefund(rid)
	fund := ledger.FundForGift(string(d.Kind), d.Programme)
	// The gift's own credit may still be on its way through the ledger
	// consumer: apply it first (keyed by the paid event, so never twice), or
	// a refund right after paying would find the fund short.
	credit := ledger.Gift(donations.PaidEventID(d.ID), d.Unit, d.ID, string(d.Kind), d.Programme, string(d.Method), d.Amount, d.PaidAt)
	if _, err := s.Ledger.Append(ctx, d.Unit, ledger.Fixed(credit)); err != nil {
		return d, r, fmt.Errorf("credit gift %s before its refund: %w", d.ID, err)
	}
	hold := ledger.RefundHold(donations.HoldID(d.ID, rid), d.Unit, d.ID, fund, r.Amount, s.Now())
	if _, err := s.Ledger.Append(ctx, d.Unit, ledger.Fixed(hold)); errors.Is(err, ledger.ErrInsufficient) {
		// Allocated to patients meanwhile: nothing was sent, nothing moves.
		now := s.Now()
		why := "the " + fund + " fund no longer holds this amount: it is allocated to patients"
		out, uerr := s.Repo.Update(ctx, d.ID, func(x *donations.Donation) error {
			if xr, ok := x.FindRefund(rid); !ok || xr.Status != donations.RefundRequested {
				return donations.ErrNoChange
			}
			return x.FailRefund(rid, why, now)
		})
		if uerr != nil {
			return d, r, uerr
		}
		r, _ = out.FindRefund(rid)
		if r.Status != donations.RefundFailed {
			// Another attempt at the same refund held and sent it first.
			return out, r, nil
		}
		return out, r, fmt.Errorf("%w: %s", donations.ErrRefundTooLarge, why)
	} else if err != nil {
		// Left requested: a retry or the reconciler resumes it.
		return d, r, fmt.Errorf("hold refund %s: %w", rid, err)
	}
	sent := false
	now := s.Now()
	out, err := s.Repo.Update(ctx, d.ID, func(x *donations.Donation) error {
		sent = false
		if xr, ok := x.FindRefund(rid); !ok || xr.Status != donations.RefundRequested {
			return donations.ErrNoChange
		}
		sent = true
		return x.MarkRefundSent(rid, now)
	})
	if err != nil {
		return d, r, err
	}
	r, _ = out.FindRefund(rid)
	if !sent {
		if r.Status == donations.RefundFailed && !r.Held {
			// Failed by a racing attempt before our hold was recorded: give
			// the hold back (idempotent by its source).
			rel := ledger.RefundRelease(donations.ReleaseID(d.ID, rid), d.Unit, d.ID, fund, r.Amount, now)
			if _, err := s.Ledger.Append(ctx, d.Unit, ledger.Fixed(rel)); err != nil {
				return out, r, fmt.Errorf("release refund %s: %w", rid, err)
			}
		}
		return out, r, nil
	}
	return s.askRefund(ctx, out, rid, false)
}

// askRefund asks the provider about a pending refund — refund it (only right
// after marking it sent) or, with status, ask for its refund status — and
// records the outcome. Anything short of a definite answer leaves it pending.
func (s *Donations) askRefund(ctx context.Context, d *donations.Donation, rid string, status bool) (*donations.Donation, *donations.Refund, error) {
	r, _ := d.FindRefund(rid)
	if r.Status != donations.RefundPending {
		return d, r, nil
	}
	var res RefundResult
	noRecord := false
	if d.Method == donations.Cash {
		res = RefundResult{Completed: true, RefundTrxID: "CASH-" + rid}
	} else {
		var err error
		req := RefundRequest{PaymentID: d.PaymentID, TrxID: d.TrxID, Amount: r.Amount, Ref: rid, Reason: r.Reason}
		if status {
			res, err = s.Payments.RefundStatus(ctx, d.Merchant, req)
			if err == nil {
				res, noRecord = matchRefund(d, r, res)
			}
		} else {
			res, err = s.Payments.Refund(ctx, d.Merchant, req)
		}
		if err != nil {
			s.Log.WarnContext(ctx, "refund not settled; bKash's refund status will be asked", "donation", d.ID, "refund", rid, "err", err)
			return d, r, nil
		}
	}
	now := s.Now()
	var fn func(*donations.Donation) error
	switch {
	case res.Completed:
		fn = func(x *donations.Donation) error { return x.CompleteRefund(rid, res.RefundTrxID, now) }
	case res.Refused:
		fn = func(x *donations.Donation) error { return x.FailRefund(rid, res.Reason, now) }
	case noRecord && now.Sub(r.SentAt) >= s.refundGrace():
		fn = func(x *donations.Donation) error {
			return x.FailRefund(rid, "bKash has no record of this refund: it was never made", now)
		}
	default:
		return d, r, nil
	}
	out, err := s.Repo.Update(ctx, d.ID, fn)
	if errors.Is(err, donations.ErrRefundSettled) {
		s.Log.ErrorContext(ctx, "bKash's answer contradicts a settled refund; check it at the merchant portal", "donation", d.ID, "refund", rid, "err", err)
		return out, r, nil
	}
	if err != nil {
		return d, r, err
	}
	r, _ = out.FindRefund(rid)
	return out, r, nil
}

func (s *Donations) refundGrace() time.Duration {
	if s.RefundGrace > 0 {
		return s.RefundGrace
	}
	return DefaultRefundGrace
}

// matchRefund finds pending refund r among the refunds bKash holds for d's
// payment: one whose transaction ID no other refund of d has recorded and
// whose amount is r's. Only one refund of a gift is open at a time, so that
// one is r. noRecord reports that bKash holds no such refund.
func matchRefund(d *donations.Donation, r *donations.Refund, res RefundResult) (out RefundResult, noRecord bool) {
	known := map[string]bool{}
	for _, o := range d.Refunds {
		if o.ID != r.ID && o.RefundTrxID != "" {
			known[o.RefundTrxID] = true
		}
	}
	for _, t := range res.Transactions {
		if known[t.RefundTrxID] || t.Amount != r.Amount {
			continue
		}
		if t.Completed {
			return RefundResult{Completed: true, RefundTrxID: t.RefundTrxID, API: res.API}, false
		}
		return RefundResult{Pending: true, API: res.API}, false
	}
	return RefundResult{API: res.API}, true
}

// Collector is the staff member who takes a cash gift: the identity
// provider's subject (the gift's key is theirs) and the name the cash book
// shows.
type Collector struct {
	Subject, Name string
}

// CreateCash records a gift handed over at the unit's counter: paid at once,
// so it follows the same ledger and receipt path as a bKash gift.
func (s *Donations) CreateCash(ctx context.Context, unitCode, key string, by Collector, req donations.Request) (*donations.Donation, bool, error) {
	u, err := s.Units.Servable(ctx, unitCode)
	if err != nil {
		return nil, false, err
	}
	collector := by.Subject
	build := func(id string) (*donations.Donation, error) {
		d, err := donations.New(u, id, donations.Cash, req, s.Now())
		if err != nil {
			return nil, err
		}
		d.CollectedBy, d.CollectedByName = collector, by.Name
		return d, nil
	}
	paid := func(d *donations.Donation) error {
		return markPaid(s.Seal, d, "CASH-"+d.ID[len("don_"):len("don_")+10], s.Now())
	}
	// A counter's key is its staff member's: another's with the same key
	// records a gift of their own.
	return s.createOnce(ctx, "cash\x00"+u.Code+"\x00"+collector+"\x00"+key, false, build, paid)
}
