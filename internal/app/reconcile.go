package app

import (
	"context"
	"errors"
	"slices"
	"time"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/lease"
)

// StaleFinder lists reconciliation candidates.
type StaleFinder interface {
	// Initiated lists donations still initiated that were created before
	// before (at most limit of them, in no particular order).
	Initiated(ctx context.Context, before time.Time, limit int) ([]string, error)
	WithPendingRefunds(ctx context.Context, limit int) ([]string, error)
}

// Reconciler settles what donors and bKash left hanging: payments still
// initiated after After are queried at bKash (executed if the payer
// confirmed, failed as expired after Expire), and refunds without an answer
// are asked about again.
//
// A payment that a query leaves unresolved (bKash still waits for the payer,
// or gives no answer) is asked about again later and later (see backoff). So hundreds of
// abandoned payments cannot take every place of a pass while a newer payment,
// whose payer confirmed and closed the tab, waits for a day. And bKash is not
// asked about one payment every minute for a day.
type Reconciler struct {
	Donations *Donations
	Stale     StaleFinder
	// Lease, when set, lets one replica at a time reconcile.
	Lease Lease
	// Interval between passes; After, the age at which a payment is first
	// queried; Expire, the age at which one bKash still calls waiting is
	// failed as expired.
	Interval, After, Expire time.Duration
	// PerPass bounds the payments queried in one pass (0: 500).
	PerPass int
	// RefundAfter is the age (since sending) at which a pending refund is
	// first asked about with bKash's refund status (0: 30 s).
	RefundAfter time.Duration
	// Unanswered, when set, is told after every pass how many open payments
	// bKash gave no usable answer for when last asked, and how many of those
	// are older than Expire. Those need a person: the money may have moved.
	Unanswered func(unanswered, overdue int)

	checks       rechecks
	refundChecks rechecks
}

// scanLimit bounds the candidates read per pass; PerPass of them are queried.
const scanLimit = 5000

// Run reconciles every Interval until ctx ends.
func (r *Reconciler) Run(ctx context.Context) error {
	t := time.NewTicker(r.Interval)
	defer t.Stop()
	for {
		// One replica at a time: each pass scans the donations and queries
		// bKash for what it finds.
		if lease.Held(ctx, r.Lease, r.Donations.Log, "reconciler") {
			if n, err := r.Pass(ctx); err != nil && ctx.Err() == nil {
				r.Donations.Log.WarnContext(ctx, "reconciliation pass failed", "err", err)
			} else if n > 0 {
				r.Donations.Log.InfoContext(ctx, "reconciliation settled payments", "count", n)
			}
		} else {
			// Another replica reconciles: what this one knew goes stale.
			r.checks, r.refundChecks = rechecks{}, rechecks{}
			r.report(time.Time{})
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Pass runs one reconciliation pass and reports how many payments it settled.
func (r *Reconciler) Pass(ctx context.Context) (settled int, err error) {
	s := r.Donations
	now := s.Now()
	ids, err := r.Stale.Initiated(ctx, now.Add(-r.After), scanLimit)
	if err != nil {
		return 0, err
	}
	perPass := r.PerPass
	if perPass <= 0 {
		perPass = 500
	}
	defer r.report(now)
	for _, id := range r.checks.due(ids, now, perPass) {
		d, answered, err := r.payment(ctx, id, now)
		if err != nil {
			return settled, err
		}
		if d == nil || d.Status != donations.Initiated {
			r.checks.forget(id)
			if d != nil {
				settled++
			}
			continue
		}
		r.checks.record(id, d.CreatedAt, answered, now, r.backoff)
		if !answered && now.Sub(d.CreatedAt) > r.Expire && r.checks.firstOverdue(id) {
			s.Log.ErrorContext(ctx, "payment unresolved past its expiry: bKash gives no answer, and the money may have moved; check it at the merchant portal",
				"donation", id, "unit", d.Unit, "age", now.Sub(d.CreatedAt).Round(time.Minute))
		}
	}
	return settled, r.refunds(ctx, now)
}

// refunds settles open refunds: a requested one that no request carried on
// (its process died before bKash was called) is resumed — held, marked sent,
// sent once; a pending one is settled only by bKash's refund status, asked
// RefundAfter its sending and then later and later (backoff), never by refunding
// again.
func (r *Reconciler) refunds(ctx context.Context, now time.Time) error {
	s := r.Donations
	ids, err := r.Stale.WithPendingRefunds(ctx, scanLimit)
	if err != nil {
		return err
	}
	open := map[string]bool{}
	for _, id := range ids {
		d, err := s.Repo.Get(ctx, id)
		if err != nil {
			return err
		}
		for _, rf := range d.Refunds {
			key := d.ID + "/" + rf.ID
			switch {
			case rf.Status == donations.RefundRequested && now.Sub(rf.RequestedAt) > r.refundAfter():
				open[key] = true
				if _, _, err := s.sendRefund(ctx, d, rf.ID); err != nil {
					s.Log.WarnContext(ctx, "resuming refund failed", "donation", id, "refund", rf.ID, "err", err)
				}
			case rf.Status == donations.RefundPending:
				open[key] = true
				if now.Sub(rf.SentAt) < r.refundAfter() || !r.refundChecks.dueOne(key, now) {
					continue
				}
				out, got, err := s.askRefund(ctx, d, rf.ID, true)
				if err != nil {
					s.Log.WarnContext(ctx, "reconcile refund failed", "donation", id, "refund", rf.ID, "err", err)
				}
				if got != nil && got.Status == donations.RefundPending {
					r.refundChecks.record(key, rf.SentAt, true, now, r.backoff)
				}
				if out != nil {
					d = out
				}
			}
		}
	}
	r.refundChecks.keep(open)
	return nil
}

func (r *Reconciler) refundAfter() time.Duration {
	if r.RefundAfter > 0 {
		return r.RefundAfter
	}
	return 30 * time.Second
}

// payment queries one initiated payment and settles it if bKash's answer is
// final. It returns the donation as it now stands (nil if it no longer needs
// reconciling) and whether bKash answered. Only store failures are errors.
func (r *Reconciler) payment(ctx context.Context, id string, now time.Time) (*donations.Donation, bool, error) {
	s := r.Donations
	d, err := s.Repo.Get(ctx, id)
	if err != nil {
		return nil, false, err
	}
	if d.Status != donations.Initiated || d.PaymentID == "" {
		return nil, true, nil
	}
	u, err := s.Units.Get(ctx, d.Unit)
	if err != nil {
		return nil, false, err
	}
	pay, err := s.Payments.Query(ctx, d.Merchant, d.PaymentID)
	if err == nil && pay.Status == PaymentPending && pay.Authorised {
		// The donor confirmed at bKash but closed the tab before the
		// callback: execute now, as the callback would have.
		pay, err = s.Payments.Execute(ctx, d.Merchant, d.PaymentID)
		if errors.Is(err, ErrPaymentNoAnswer) {
			pay, err = s.Payments.Query(ctx, d.Merchant, d.PaymentID)
		}
	}
	if err != nil {
		s.Log.WarnContext(ctx, "reconcile query failed", "donation", id, "err", err)
		return d, false, nil
	}
	if pay.Status == PaymentPending && now.Sub(d.CreatedAt) > r.Expire {
		pay.Status, pay.Reason = PaymentFailed, "payment expired unpaid"
	}
	out, err := s.settle(ctx, u, d, pay)
	if err != nil {
		// Asked again at its next check.
		s.Log.WarnContext(ctx, "reconcile settle failed", "donation", id, "err", err)
		return d, true, nil
	}
	return out, true, nil
}

// backoff is the wait before the n-th re-check of an unresolved payment:
// Interval, doubling, at most 15 minutes (or Interval, if longer). The
// ceiling bounds how long a payer who confirms late and closes the tab
// waits for the execute; at it, a payment abandoned for a day is asked
// about some 100 times instead of once a minute.
func (r *Reconciler) backoff(n int) time.Duration {
	ceiling := max(r.Interval, 15*time.Minute)
	d := r.Interval
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	return min(d, ceiling)
}

func (r *Reconciler) report(now time.Time) {
	if r.Unanswered != nil {
		r.Unanswered(r.checks.unanswered(now, r.Expire))
	}
}

// rechecks remembers, for the reconciler, the open payments it has asked
// bKash about. It lives in the replica that holds the lease; a replica
// that takes over starts afresh, asking about everything once.
type rechecks struct {
	m map[string]*recheck
}

type recheck struct {
	n          int       // queries that left it unresolved
	next       time.Time // when it may be asked again
	created    time.Time
	unanswered bool // the last query got no usable answer
	overdue    bool // reported as unresolved past its expiry
}

// due picks from the open payments ids those to query now, at most limit:
// first those never asked, then those whose wait ended longest ago. It
// forgets payments no longer open.
func (c *rechecks) due(ids []string, now time.Time, limit int) []string {
	open := make(map[string]bool, len(ids))
	var todo []string
	for _, id := range ids {
		if open[id] {
			continue
		}
		open[id] = true
		if rc := c.m[id]; rc == nil || !now.Before(rc.next) {
			todo = append(todo, id)
		}
	}
	for id := range c.m {
		if !open[id] {
			delete(c.m, id)
		}
	}
	next := func(id string) time.Time {
		if rc := c.m[id]; rc != nil {
			return rc.next
		}
		return time.Time{}
	}
	slices.SortStableFunc(todo, func(a, b string) int { return next(a).Compare(next(b)) })
	return todo[:min(len(todo), limit)]
}

// dueOne reports whether id may be asked about now.
func (c *rechecks) dueOne(id string, now time.Time) bool {
	rc := c.m[id]
	return rc == nil || !now.Before(rc.next)
}

// keep forgets everything not in open.
func (c *rechecks) keep(open map[string]bool) {
	for id := range c.m {
		if !open[id] {
			delete(c.m, id)
		}
	}
}

// record notes a query that left id unresolved.
func (c *rechecks) record(id string, created time.Time, answered bool, now time.Time, wait func(n int) time.Duration) {
	if c.m == nil {
		c.m = map[string]*recheck{}
	}
	rc := c.m[id]
	if rc == nil {
		rc = &recheck{created: created}
		c.m[id] = rc
	}
	rc.n++
	rc.next = now.Add(wait(rc.n))
	rc.unanswered = !answered
	if answered {
		rc.overdue = false
	}
}

// firstOverdue reports whether id is now reported overdue for the first time.
func (c *rechecks) firstOverdue(id string) bool {
	rc := c.m[id]
	if rc == nil || rc.overdue {
		return false
	}
	rc.overdue = true
	return true
}

func (c *rechecks) forget(id string) { delete(c.m, id) }

// unanswered counts the payments whose last query got no usable answer, and
// those of them older than expire.
func (c *rechecks) unanswered(now time.Time, expire time.Duration) (all, overdue int) {
	for _, rc := range c.m {
		if rc.unanswered {
			all++
			if now.Sub(rc.created) > expire {
				overdue++
			}
		}
	}
	return all, overdue
}
