package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// Batch handlers take what a consumer fetched at once (events of several
// units, each unit's in order) and write each unit's share with a few
// multi-document inserts instead of one round trip per event. They are the
// fast path: an error makes the consumer process the same events one by one
// with the single-event handlers, which are idempotent, so whatever the batch
// stored is recognised, not repeated.

// ManyAppender appends a block of transactions to a unit's ledger sequence
// (mongostore.Ledger.AppendMany).
type ManyAppender interface {
	AppendMany(ctx context.Context, unit string, sources []string, build func(i int, balances map[string]money.Amount) (ledger.Transaction, error)) ([]ledger.Outcome, error)
}

// byUnit splits envelopes per unit, keeping each unit's order, units in
// order of first appearance. An event repeated within the batch (a producer
// retry, a relay that published twice) is kept once: its effect is
// idempotent anyway, but inside one block it would cost a conflict round.
func byUnit(envs []events.Envelope) ([]string, map[string][]events.Envelope) {
	var order []string
	per := map[string][]events.Envelope{}
	seen := make(map[string]bool, len(envs))
	for _, e := range envs {
		if seen[e.ID] {
			continue
		}
		seen[e.ID] = true
		if _, ok := per[e.Unit]; !ok {
			order = append(order, e.Unit)
		}
		per[e.Unit] = append(per[e.Unit], e)
	}
	return order, per
}

// eachUnit runs fn for every unit of a batch concurrently: units are
// independent (each has its own ledger sequence and serials), so their round
// trips overlap, while each unit's events stay in order within fn.
func eachUnit(ctx context.Context, order []string, fn func(ctx context.Context, unit string) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for _, unit := range order {
		g.Go(func() error { return fn(gctx, unit) })
	}
	return g.Wait()
}

// ledgerTx is the ledger transaction an event causes (nil if none).
func ledgerTx(e events.Envelope) (*ledger.Transaction, error) {
	switch e.Type {
	case events.DonationPaid:
		p, err := donations.DecodePaid(e)
		if err != nil {
			return nil, events.PoisonError{Err: err}
		}
		t := ledger.Gift(e.ID, e.Unit, p.Donation, string(p.Kind), p.Programme, string(p.Method), p.Amount, p.PaidAt)
		return &t, nil
	case donations.EventRefunded, donations.EventRefundReleased:
		return refundTx(e)
	}
	return nil, nil
}

// HandleBatch credits gifts and reverses refunds, one block of consecutive
// ledger entries per unit.
func (h *LedgerCredits) HandleBatch(ctx context.Context, envs []events.Envelope) error {
	ma, ok := h.Ledger.(ManyAppender)
	if !ok {
		return errors.New("ledger cannot append in blocks")
	}
	order, per := byUnit(envs)
	return eachUnit(ctx, order, func(ctx context.Context, unit string) error {
		var txs []ledger.Transaction
		for _, e := range per[unit] {
			t, err := ledgerTx(e)
			if err != nil {
				return err
			}
			if t != nil {
				txs = append(txs, *t)
			}
		}
		return appendFixed(ctx, ma, unit, txs)
	})
}

// appendFixed appends transactions that do not depend on balances. A
// refund that would overdraw stops the batch: the one-by-one path
// dead-letters it.
func appendFixed(ctx context.Context, ma ManyAppender, unit string, txs []ledger.Transaction) error {
	if len(txs) == 0 {
		return nil
	}
	sources := make([]string, len(txs))
	for i, t := range txs {
		sources[i] = t.ID
	}
	outs, err := ma.AppendMany(ctx, unit, sources, func(i int, _ map[string]money.Amount) (ledger.Transaction, error) { return txs[i], nil })
	if err != nil {
		return fmt.Errorf("append %d ledger entries to %s: %w", len(txs), unit, err)
	}
	for i, o := range outs {
		if o.Err != nil {
			return fmt.Errorf("append %s: %w", txs[i].ID, o.Err)
		}
	}
	return nil
}

// AidBatchStore is what allocating in blocks needs of the aid store.
type AidBatchStore interface {
	Versions(ctx context.Context, refs []aid.VersionRef) ([]*aid.Request, error)
	InsertNext(ctx context.Context, qs []*aid.Request) (map[int]bool, error)
}

// ApprovedRef names an approved version to allocate to, with the snapshot
// of it its event carried (nil: none that opened; the version is read).
type ApprovedRef struct {
	aid.VersionRef
	Snapshot *aid.Request
}

// AllocateMany allocates to the unit's requests in refs, in order: each
// request's named version (from the event's snapshot, else one read), one
// block of ledger entries, one insert of the new versions. Whatever the
// block cannot settle (a version that is no longer the latest, an
// allocation applied before) goes through Allocate, which re-reads. It
// returns the requests as last known (nil: not read).
func (s *Aid) AllocateMany(ctx context.Context, unit string, refs []ApprovedRef) ([]*aid.Request, error) {
	out := make([]*aid.Request, len(refs))
	bs, ok := s.Store.(AidBatchStore)
	if !ok {
		return s.allocateEach(ctx, refs, out)
	}
	named := make([]*aid.Request, len(refs))
	var exact []aid.VersionRef
	var at []int
	for i, r := range refs {
		switch {
		case r.Version <= 0:
		case r.Snapshot != nil && r.Snapshot.ID == r.ID && r.Snapshot.Version == r.Version:
			named[i] = r.Snapshot
		default:
			exact, at = append(exact, r.VersionRef), append(at, i)
		}
	}
	if len(exact) > 0 {
		qs, err := bs.Versions(ctx, exact)
		if err != nil {
			return nil, err
		}
		for j, q := range qs {
			named[at[j]] = q
		}
	}
	var todo []*aid.Request
	var todoAt []int
	var slow []int
	for i, q := range named {
		if q == nil || q.Unit != unit || !q.AwaitingFunds() {
			slow = append(slow, i)
			continue
		}
		todo, todoAt = append(todo, q), append(todoAt, i)
	}
	again, err := s.allocateRead(ctx, unit, todo, out, todoAt)
	if err != nil {
		return nil, err
	}
	for _, i := range append(slow, again...) {
		q, err := s.Allocate(ctx, refs[i].ID)
		if err != nil {
			return out, err
		}
		out[i] = q
	}
	return out, nil
}

func (s *Aid) allocateEach(ctx context.Context, refs []ApprovedRef, out []*aid.Request) ([]*aid.Request, error) {
	for i, r := range refs {
		q, err := s.Allocate(ctx, r.ID)
		if err != nil {
			return out, err
		}
		out[i] = q
	}
	return out, nil
}

// allocateRead allocates to requests just read (each awaiting funds) as one
// block and stores their next versions; out[pos[i]] receives request i's
// new version. It returns the positions the block could not settle.
func (s *Aid) allocateRead(ctx context.Context, unit string, qs []*aid.Request, out []*aid.Request, pos []int) ([]int, error) {
	if len(qs) == 0 {
		return nil, nil
	}
	ma, ok := s.Ledger.(ManyAppender)
	if !ok {
		return pos, nil
	}
	bs := s.Store.(AidBatchStore)
	u, err := s.Units.Get(ctx, unit)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	moved := make([][]aid.Allocation, len(qs))
	sources := make([]string, len(qs))
	for i, q := range qs {
		sources[i] = q.AllocationSource()
	}
	outs, err := ma.AppendMany(ctx, unit, sources, func(i int, bal map[string]money.Amount) (ledger.Transaction, error) {
		return allocationTx(u, qs[i], sources[i], bal, now, &moved[i])
	})
	if err != nil {
		// Some entries may be stored: the one-by-one path finds them by source.
		return pos, nil
	}
	var again []int
	var next []*aid.Request
	var nextAt []int
	for i, o := range outs {
		switch {
		case errors.Is(o.Err, errNothingToMove):
			moved[i] = nil
		case o.Err != nil || !o.Applied:
			// Applied before (or refused): the one-by-one path reads what moved.
			again = append(again, pos[i])
			continue
		}
		x := cloneRequest(qs[i])
		if err := x.ApplyAllocation(sources[i], moved[i], now); err != nil {
			if errors.Is(err, aid.ErrNoChange) {
				out[pos[i]] = qs[i]
				continue
			}
			return nil, err
		}
		x.Version++
		next, nextAt = append(next, x), append(nextAt, pos[i])
	}
	refused, err := bs.InsertNext(ctx, next)
	if err != nil {
		return append(again, nextAt...), nil
	}
	for j, x := range next {
		if refused[j] {
			again = append(again, nextAt[j])
		} else {
			out[nextAt[j]] = x
		}
	}
	return again, nil
}

func cloneRequest(q *aid.Request) *aid.Request {
	cp := *q
	cp.Items = append([]aid.Item(nil), q.Items...)
	cp.Allocations = append([]aid.Allocation(nil), q.Allocations...)
	cp.Outbox = nil
	return &cp
}

// HandleBatch allocates each unit's approved requests in blocks and credits
// runs of paid gifts in one block before draining the waitlist once; every
// other event goes through Handle in its place in the unit's order.
func (w *AllocationWorker) HandleBatch(ctx context.Context, envs []events.Envelope) error {
	ma, ok := w.Credits.Ledger.(ManyAppender)
	if !ok {
		return errors.New("ledger cannot append in blocks")
	}
	order, per := byUnit(envs)
	return eachUnit(ctx, order, func(ctx context.Context, unit string) error {
		var approved []ApprovedRef
		var gifts []ledger.Transaction
		flush := func() error {
			if len(approved) > 0 {
				if _, err := w.Aid.AllocateMany(ctx, unit, approved); err != nil {
					return fmt.Errorf("allocate in %s: %w", unit, err)
				}
				approved = approved[:0]
			}
			if len(gifts) > 0 {
				if err := appendFixed(ctx, ma, unit, gifts); err != nil {
					return err
				}
				gifts = gifts[:0]
				if _, err := w.Aid.DrainWaitlist(ctx, unit); err != nil {
					return fmt.Errorf("drain waitlist of %s: %w", unit, err)
				}
			}
			return nil
		}
		for _, e := range per[unit] {
			switch e.Type {
			case aid.EventApproved:
				var p aid.ApprovedPayload
				if err := json.Unmarshal(e.Payload, &p); err != nil || p.Request == "" {
					return events.PoisonError{Err: fmt.Errorf("decode %s: %v", e.ID, err)}
				}
				if len(gifts) > 0 {
					if err := flush(); err != nil {
						return err
					}
				}
				approved = append(approved, ApprovedRef{VersionRef: aid.VersionRef{ID: p.Request, Version: p.Version},
					Snapshot: openApproved(w.Aid.Snapshots, unit, p)})
			case events.DonationPaid:
				t, err := ledgerTx(e)
				if err != nil {
					return err
				}
				if len(approved) > 0 {
					if err := flush(); err != nil {
						return err
					}
				}
				gifts = append(gifts, *t)
			default:
				if err := flush(); err != nil {
					return err
				}
				if err := w.Handle(ctx, e); err != nil {
					return err
				}
			}
		}
		return flush()
	})
}

// ReceiptBatchStore is what issuing receipts in blocks needs of the store.
type ReceiptBatchStore interface {
	IssueMany(ctx context.Context, rs []receipts.Receipt, prefix string, finish func(*receipts.Receipt) error) ([]*receipts.Receipt, error)
	// Originals returns the donations' first (immutable) versions.
	Originals(ctx context.Context, ids []string) (map[string]*donations.Donation, error)
}

// HandleBatch issues the receipts of a batch's paid gifts: per unit and
// fiscal year one block of consecutive serials, each receipt signed by the
// insert that claims its serial. Refunds' cancellation notes follow, one by
// one, after the receipts they cancel.
func (h *ReceiptIssuer) HandleBatch(ctx context.Context, envs []events.Envelope) error {
	rb, ok := h.Receipts.(ReceiptBatchStore)
	if !ok {
		return errors.New("receipt store cannot issue in blocks")
	}
	order, per := byUnit(envs)
	return eachUnit(ctx, order, func(ctx context.Context, unit string) error {
		var paid []donations.PaidPayload
		var refunds []events.Envelope
		for _, e := range per[unit] {
			switch e.Type {
			case events.DonationPaid:
				p, err := donations.DecodePaid(e)
				if err != nil {
					return events.PoisonError{Err: err}
				}
				paid = append(paid, p)
			case donations.EventRefunded:
				refunds = append(refunds, e)
			}
		}
		if err := h.issueMany(ctx, rb, unit, paid); err != nil {
			return err
		}
		for _, e := range refunds {
			if err := h.cancel(ctx, e); err != nil {
				return err
			}
		}
		return nil
	})
}

func (h *ReceiptIssuer) issueMany(ctx context.Context, rb ReceiptBatchStore, unit string, paid []donations.PaidPayload) error {
	if len(paid) == 0 {
		return nil
	}
	u, err := h.Units.Get(ctx, unit)
	if err != nil {
		return fmt.Errorf("receipts of %s: %w", unit, err)
	}
	snaps := map[string]donorSnapshot{}
	var key SigningKey
	if h.Keys != nil {
		// Donors come from the events' sealed snapshots; only gifts without
		// one that opens are read (version 1 of the donation).
		var ids []string
		for _, p := range paid {
			if s, ok := openDonor(h.Sealed, p); ok {
				snaps[p.Donation] = s
			} else {
				ids = append(ids, p.Donation)
			}
		}
		if len(ids) > 0 {
			originals, err := rb.Originals(ctx, ids)
			if err != nil {
				return fmt.Errorf("receipts of %s: %w", unit, err)
			}
			for id, d := range originals {
				snaps[id] = donorOf(d)
			}
		}
		if key, err = h.Keys.Active(ctx, unit); err != nil {
			return fmt.Errorf("receipts of %s: %w", unit, err)
		}
	}
	now := h.Now().UTC().Truncate(time.Millisecond)
	names := receipts.UnitNames{BN: u.Names.BN, EN: u.Names.EN}
	donors := map[string]receipts.Donor{}
	var fys []string
	perFY := map[string][]receipts.Receipt{}
	for _, p := range paid {
		r := receiptOf(unit, p, now)
		if h.Keys != nil {
			s, ok := snaps[p.Donation]
			if !ok {
				return fmt.Errorf("receipt for %s: %w", p.Donation, donations.ErrNotFound)
			}
			if r.DonorRef, err = h.DonorRef(s.Phone); err != nil {
				return fmt.Errorf("receipt for %s: %w", p.Donation, err)
			}
			donors[p.Donation] = s.receiptDonor()
		}
		r.FiscalYear = receipts.FiscalYear(r.PaidAt)
		if _, ok := perFY[r.FiscalYear]; !ok {
			fys = append(fys, r.FiscalYear)
		}
		perFY[r.FiscalYear] = append(perFY[r.FiscalYear], r)
	}
	var finish func(*receipts.Receipt) error
	if h.Keys != nil {
		finish = func(r *receipts.Receipt) error { return sign(r, key, names, donors[r.ID]) }
	}
	for _, fy := range fys {
		if _, err := rb.IssueMany(ctx, perFY[fy], u.SerialPrefix(), finish); err != nil {
			return fmt.Errorf("receipts of %s/%s: %w", unit, fy, err)
		}
	}
	return nil
}
