package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/ledger"
)

// AllocationWorker allocates approved aid and drains the waitlist whenever
// a gift is credited. It consumes both the aid and the donation topics.
type AllocationWorker struct {
	Aid *Aid
	// Credits applies a paid gift's ledger credit; it is idempotent, so the
	// worker applies it itself before draining instead of racing the ledger
	// consumer.
	Credits *LedgerCredits
}

// Handle implements the worker handler signature.
func (w *AllocationWorker) Handle(ctx context.Context, e events.Envelope) error {
	switch e.Type {
	case aid.EventApproved:
		var p aid.ApprovedPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.Request == "" {
			return events.PoisonError{Err: fmt.Errorf("decode %s: %v", e.ID, err)}
		}
		if _, err := w.Aid.Allocate(ctx, p.Request); err != nil {
			return fmt.Errorf("allocate %s: %w", p.Request, err)
		}
	case events.DonationPaid, donations.EventRefundReleased:
		// A released refund hold is money back in the fund, as a gift is.
		if err := w.Credits.Handle(ctx, e); err != nil {
			return err
		}
		if _, err := w.Aid.DrainWaitlist(ctx, e.Unit); err != nil {
			return fmt.Errorf("drain waitlist of %s: %w", e.Unit, err)
		}
	case aid.EventDisbursed:
		var p aid.DisbursedPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.Request == "" {
			return events.PoisonError{Err: fmt.Errorf("decode %s: %v", e.ID, err)}
		}
		// Dated when the part was confirmed, not when this worker got to it:
		// the month it counts in must not depend on the worker's lag (the
		// reports count it in the event's month too).
		at := e.OccurredAt.UTC()
		if at.IsZero() {
			at = time.Now().UTC()
		}
		t := ledger.Transaction{ID: e.ID, Cause: ledger.CauseDisbursement, Request: p.Request, At: at,
			Lines: []ledger.Line{{Account: ledger.RequestAccount(p.Request), Debit: p.Allocated}}}
		for _, s := range p.Spent {
			t.Lines = append(t.Lines, ledger.Line{Account: ledger.DisbursedPrefix + s.Fund, Credit: s.Amount})
		}
		for _, r := range p.Returns {
			t.Lines = append(t.Lines, ledger.Line{Account: r.Fund, Credit: r.Amount})
		}
		if p.Allocated == 0 {
			return nil
		}
		if _, err := w.Aid.Ledger.Append(ctx, e.Unit, ledger.Fixed(t)); err != nil {
			return fmt.Errorf("disburse %s: %w", p.Request, err)
		}
		// Returned money may cover someone waiting.
		if len(p.Returns) > 0 {
			if _, err := w.Aid.DrainWaitlist(ctx, e.Unit); err != nil {
				return fmt.Errorf("drain waitlist of %s: %w", e.Unit, err)
			}
		}
	}
	return nil
}

// refundReversalRefused turns a refund that would overdraw a fund (its
// money was allocated meanwhile) into a dead letter for a person to
// resolve, instead of blocking the unit's partition forever.
func refundReversalRefused(err error) error {
	if errors.Is(err, ledger.ErrInsufficient) {
		return events.PoisonError{Err: err}
	}
	return err
}
