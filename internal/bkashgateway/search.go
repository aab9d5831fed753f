package bkashgateway

import (
	"context"
	"errors"
	"fmt"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/bkash"
	"github.com/kalyan-platform/kalyan/internal/donations"
)

// SearchTransaction implements app.TransactionSearch: bKash's search
// transaction with merchant's token ("" is the platform's), and the
// merchant's own wallet number to compare the answer with.
func (g *Gateway) SearchTransaction(ctx context.Context, merchant, trxID string) (app.FoundTransaction, error) {
	if merchant == "" {
		merchant = g.platform.Username
	}
	c, err := g.client(ctx, merchant, 0)
	if err != nil {
		return app.FoundTransaction{}, fmt.Errorf("%w: %w", app.ErrPaymentUnavailable, err)
	}
	t, err := c.Search(ctx, trxID)
	switch {
	case bkash.IsTransactionNotFound(err):
		return app.FoundTransaction{}, donations.ErrTrxNotFound
	case errors.Is(err, bkash.ErrNoAnswer), err != nil:
		return app.FoundTransaction{}, fmt.Errorf("%w: %w", app.ErrPaymentUnavailable, err)
	}
	return app.FoundTransaction{
		TrxID: t.TrxID, Completed: t.Status == bkash.StatusCompleted, Amount: t.Amount, Currency: t.Currency,
		Payer: t.CustomerMSISDN, ShortCode: t.ShortCode, CompletedAt: t.CompletedTime, Reference: t.Reference,
		Merchant: merchant, OurShortCode: g.shortCode(merchant),
	}, nil
}

// shortCode is merchant's wallet number as configured ("" unknown).
func (g *Gateway) shortCode(merchant string) string {
	if merchant == g.platform.Username {
		return g.platformShortCode
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.known[merchant].cred.ShortCode
}
