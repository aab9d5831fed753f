package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// ErrRefundInProgress is returned while another refund of the same gift
// awaits bKash's answer.
var ErrRefundInProgress = errors.New("another refund of this gift is still in progress")

// RefundID derives a refund's ID from the caller's Idempotency-Key.
func RefundID(idempotencyKey string) string {
	sum := sha256.Sum256([]byte(idempotencyKey))
	return "rf_" + hex.EncodeToString(sum[:10])
}

// Refund returns amount of a paid gift to the donor. The refund is first
// recorded as requested on the donation (a version insert, so concurrent
// refunds cannot together exceed the gift), then bKash is asked; its answer
// completes or releases it. With no answer it stays requested and the
// reconciler asks bKash again.
func (s *Donations) Refund(ctx context.Context, id, key string, amount money.Amount, reason, by string) (*donations.Donation, *donations.Refund, error) {
	rid := RefundID(key)
	now := s.Now()
	if s.FundBalances != nil {
		// Money already allocated to patients cannot go back to the donor.
		// (Checked again by the ledger, which refuses to overdraw.)
		d, err := s.Repo.Get(ctx, id)
		if err != nil {
			return nil, nil, err
		}
		bal, err := s.FundBalances(ctx, d.Unit)
		if err != nil {
			return nil, nil, err
		}
		if fund := ledger.FundForGift(string(d.Kind), d.Programme); bal[fund] < amount {
			return d, nil, fmt.Errorf("%w: the %s fund holds %s; the rest is allocated to patients", donations.ErrRefundTooLarge, fund, bal[fund])
		}
	}
	d, err := s.Repo.Update(ctx, id, func(d *donations.Donation) error {
		if d.Method == donations.BKashApp {
			// bKash's refund needs the checkout paymentID, which a gift made
			// in the bKash app does not have.
			return ErrAppGiftNotRefundable
		}
		if r, ok := d.FindRefund(rid); ok {
			if r.Amount != amount {
				return donations.ErrKeyReused
			}
			return donations.ErrNoChange
		}
		for _, r := range d.Refunds {
			if r.Status == donations.RefundRequested {
				return ErrRefundInProgress
			}
		}
		return d.RequestRefund(rid, amount, reason, by, now)
	})
	if err != nil {
		return d, nil, err
	}
	r, _ := d.FindRefund(rid)
	if r.Status != donations.RefundRequested {
		return d, r, nil
	}
	return s.settleRefund(ctx, d, rid, false)
}

// settleRefund asks the provider (or, for cash, completes at once) and
// records the outcome. query=true asks for status instead of refunding.
func (s *Donations) settleRefund(ctx context.Context, d *donations.Donation, rid string, query bool) (*donations.Donation, *donations.Refund, error) {
	r, _ := d.FindRefund(rid)
	var res RefundResult
	if d.Method == donations.Cash {
		res = RefundResult{Completed: true, RefundTrxID: "CASH-" + rid}
	} else {
		var err error
		req := RefundRequest{PaymentID: d.PaymentID, TrxID: d.TrxID, Amount: r.Amount, Ref: rid, Reason: r.Reason}
		if query {
			res, err = s.Payments.RefundStatus(ctx, d.Merchant, req)
			// Ours is in bKash's total only if the total reached what we
			// completed before plus this one.
			if err == nil {
				res.Completed = res.TotalRefunded >= d.Refunded()+r.Amount
			}
		} else {
			res, err = s.Payments.Refund(ctx, d.Merchant, req)
		}
		if err != nil {
			s.Log.WarnContext(ctx, "refund not settled; reconciliation will ask again", "donation", d.ID, "refund", rid, "err", err)
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
	default:
		return d, r, nil
	}
	out, err := s.Repo.Update(ctx, d.ID, fn)
	if err != nil {
		return d, r, err
	}
	r, _ = out.FindRefund(rid)
	return out, r, nil
}

// CreateCash records a gift handed over at the unit's counter: paid at once,
// so it follows the same ledger and receipt path as a bKash gift.
func (s *Donations) CreateCash(ctx context.Context, unitCode, key, collector string, req donations.Request) (*donations.Donation, bool, error) {
	u, err := s.Units.Servable(ctx, unitCode)
	if err != nil {
		return nil, false, err
	}
	build := func(id string) (*donations.Donation, error) {
		d, err := donations.New(u, id, donations.Cash, req, s.Now())
		if err != nil {
			return nil, err
		}
		d.CollectedBy = collector
		return d, nil
	}
	paid := func(d *donations.Donation) error {
		return markPaid(s.Seal, d, "CASH-"+d.ID[len("don_"):len("don_")+10], s.Now())
	}
	return s.createOnce(ctx, u.Code, "cash\x00"+key, build, paid)
}
