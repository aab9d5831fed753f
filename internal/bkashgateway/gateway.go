// Package bkashgateway adapts the bKash client to the app's Payments port:
// it picks the unit's merchant credentials and reduces bKash's answers and
// error codes to the few outcomes a donation cares about.
package bkashgateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/bkash"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// Gateway implements app.Payments.
type Gateway struct {
	pool *bkash.Pool
	// credentials returns the merchant wallet a unit's gifts go to.
	credentials func(u *units.Unit) bkash.Credentials
}

// New returns a gateway using credentials(u) for each unit.
func New(cfg bkash.Config, credentials func(u *units.Unit) bkash.Credentials) *Gateway {
	return &Gateway{pool: bkash.NewPool(cfg), credentials: credentials}
}

// Create implements app.Payments.
func (g *Gateway) Create(ctx context.Context, u *units.Unit, invoice string, amount money.Amount, callbackURL string) (app.Payment, error) {
	p, err := g.pool.Client(g.credentials(u)).Create(ctx, bkash.CreateRequest{Amount: amount, Invoice: invoice, CallbackURL: callbackURL})
	if err != nil {
		// Nothing was executed, so whatever happened the donor can retry.
		return app.Payment{}, fmt.Errorf("%w: %w", app.ErrPaymentUnavailable, err)
	}
	return app.Payment{ID: p.PaymentID, URL: p.BkashURL, Status: app.PaymentPending, Amount: p.Amount}, nil
}

// Execute implements app.Payments.
func (g *Gateway) Execute(ctx context.Context, u *units.Unit, paymentID string) (app.Payment, error) {
	p, err := g.pool.Client(g.credentials(u)).Execute(ctx, paymentID)
	return outcome(p, paymentID, err)
}

// Query implements app.Payments.
func (g *Gateway) Query(ctx context.Context, u *units.Unit, paymentID string) (app.Payment, error) {
	p, err := g.pool.Client(g.credentials(u)).Query(ctx, paymentID)
	return outcome(p, paymentID, err)
}

func outcome(p *bkash.Payment, paymentID string, err error) (app.Payment, error) {
	out := app.Payment{ID: paymentID, Status: app.PaymentPending}
	var se *bkash.StatusError
	switch {
	case errors.Is(err, bkash.ErrNoAnswer):
		return out, fmt.Errorf("%w: %w", app.ErrPaymentNoAnswer, err)
	case bkash.IsAlreadyCompleted(err):
		// Execute ran before (perhaps by us, unanswered): the caller queries.
		return out, fmt.Errorf("%w: %w", app.ErrPaymentNoAnswer, err)
	case errors.As(err, &se) && se.Category() == bkash.CategoryPayer:
		out.Status, out.Reason = app.PaymentFailed, se.Message
		return out, nil
	case err != nil:
		return out, err
	}
	out.TrxID, out.Amount = p.TrxID, p.Amount
	out.Authorised = p.VerificationStatus == "Complete"
	switch p.Status {
	case bkash.StatusCompleted:
		out.Status = app.PaymentCompleted
	case bkash.StatusCancelled:
		out.Status, out.Reason = app.PaymentCancelled, "cancelled by the payer"
	case bkash.StatusFailed, bkash.StatusExpired:
		out.Status, out.Reason = app.PaymentFailed, "payment "+string(p.Status)
	}
	return out, nil
}

// Refund implements app.Payments.
func (g *Gateway) Refund(ctx context.Context, u *units.Unit, r app.RefundRequest) (app.RefundResult, error) {
	res, err := g.pool.Client(g.credentials(u)).Refund(ctx, bkash.RefundRequest{PaymentID: r.PaymentID, TrxID: r.TrxID, Amount: r.Amount, SKU: r.Ref, Reason: r.Reason})
	var se *bkash.StatusError
	switch {
	case errors.Is(err, bkash.ErrNoAnswer):
		return app.RefundResult{}, fmt.Errorf("%w: %w", app.ErrPaymentNoAnswer, err)
	case errors.As(err, &se) && se.Category() != bkash.CategoryTransient && se.Category() != bkash.CategoryUnknown:
		return app.RefundResult{Refused: true, Reason: se.Message}, nil
	case err != nil:
		return app.RefundResult{}, err
	}
	if res.Status != bkash.StatusCompleted {
		return app.RefundResult{Refused: true, Reason: "refund " + string(res.Status)}, nil
	}
	return app.RefundResult{Completed: true, RefundTrxID: res.RefundTrxID}, nil
}

// RefundStatus implements app.Payments: it reports bKash's total refunded
// and latest refund; the caller decides whether its pending refund is in it.
func (g *Gateway) RefundStatus(ctx context.Context, u *units.Unit, r app.RefundRequest) (app.RefundResult, error) {
	res, err := g.pool.Client(g.credentials(u)).RefundStatus(ctx, r.PaymentID, r.TrxID)
	if errors.Is(err, bkash.ErrNoAnswer) {
		return app.RefundResult{}, fmt.Errorf("%w: %w", app.ErrPaymentNoAnswer, err)
	}
	if err != nil {
		return app.RefundResult{}, err
	}
	return app.RefundResult{Completed: res.Refunded > 0, RefundTrxID: res.RefundTrxID, TotalRefunded: res.Refunded}, nil
}
