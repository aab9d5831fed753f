// Package bkashgateway adapts the bKash client to the app's Payments port:
// it picks the merchant (a unit's own, sealed in the store, or the
// platform's), keeps one client and token per merchant, and reduces bKash's
// answers and error codes to the few outcomes a donation cares about.
package bkashgateway

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/cenkalti/backoff/v5"
	"golang.org/x/sync/singleflight"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/bkash"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// Gateway implements app.Payments.
type Gateway struct {
	clients *bkash.Merchants
	// platform is the default merchant, from configuration; its ID is its
	// username.
	platform bkash.Credentials
	// platformShortCode is the platform merchant's wallet number.
	platformShortCode string
	stored            Credentials
	recheck           time.Duration
	// checkPause is the first pause before a credential check asks again.
	checkPause time.Duration
	now        func() time.Time
	log        *slog.Logger

	loads singleflight.Group
	mu    sync.Mutex
	known map[string]knownMerchant
	// refundV1 holds the merchants (by ID) whose refunds use bKash's v1
	// refund API: configured, or learned from a "not routed" v2 answer.
	refundV1 map[string]bool
}

// knownMerchant is a unit merchant's opened credentials as last loaded.
type knownMerchant struct {
	cred     bkash.Credentials
	rev      int64
	loadedAt time.Time
}

// Credentials opens units' own merchant credentials by merchant ID
// (app.Merchants).
type Credentials interface {
	Open(ctx context.Context, id string) (app.MerchantCredentials, int64, error)
}

// Options configure a Gateway.
type Options struct {
	// Platform is the platform's default merchant.
	Platform bkash.Credentials
	// PlatformShortCode is its wallet number (search transaction's
	// organizationShortCode); "" means gifts made in the bKash app to it
	// cannot be confirmed.
	PlatformShortCode string
	// Stored opens units' own merchants; nil means every unit uses Platform.
	Stored Credentials
	// Recheck is how long credentials loaded for a merchant ID are used
	// before the store is asked whether they were rotated (default 1 min).
	// Donation create never waits for it: the unit record carries the
	// revision of its merchant's credentials.
	Recheck time.Duration
	// MaxMerchants bounds the cached merchants (default bkash.DefaultMaxMerchants).
	MaxMerchants int
	// CheckPause is the first pause before a credential check answered 9999
	// asks again (default 1 s, then doubling).
	CheckPause time.Duration
	// RefundV1 names merchants (by username) whose bKash account routes only
	// the v1 refund API; others use v2 until bKash answers it is not routed.
	RefundV1 []string
	Now      func() time.Time
	Log      *slog.Logger
}

// New returns a gateway.
func New(cfg bkash.Config, o Options) *Gateway {
	if o.Recheck <= 0 {
		o.Recheck = time.Minute
	}
	if o.MaxMerchants <= 0 {
		o.MaxMerchants = bkash.DefaultMaxMerchants
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.CheckPause <= 0 {
		o.CheckPause = time.Second
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	v1 := make(map[string]bool, len(o.RefundV1))
	for _, m := range o.RefundV1 {
		v1[m] = true
	}
	return &Gateway{
		clients: bkash.NewMerchants(cfg, o.MaxMerchants), platform: o.Platform, platformShortCode: o.PlatformShortCode, stored: o.Stored,
		recheck: o.Recheck, checkPause: o.CheckPause, now: o.Now, log: o.Log, known: make(map[string]knownMerchant), refundV1: v1,
	}
}

// Forget makes this process load merchant id's credentials from the store
// again: they were just stored anew. A client holding a token for other
// credentials of id is replaced at its next use (or already was, by Check).
func (g *Gateway) Forget(id string) {
	g.mu.Lock()
	delete(g.known, id)
	g.mu.Unlock()
}

// loadTimeout bounds a store read of a merchant's credentials.
const loadTimeout = 10 * time.Second

// checkTimeout bounds how long a registration waits for bKash to accept new
// credentials; without an answer they are stored unchecked.
const checkTimeout = 10 * time.Second

// Check asks bKash to grant a token for credentials about to be stored for
// merchant id; if it does, that client replaces the one (and drops the
// token) held for the old credentials. It returns app.ErrMerchantRefused when
// bKash refuses them. bKash answers 9999 both when it fails ("System Error")
// and for an unknown username, so a 9999 is asked again after a pause
// (within the merchant's grant budget) and, if it persists, reported as
// app.ErrMerchantUnverified: valid credentials are never called wrong during
// an outage. When bKash gives no answer at all it logs and returns nil, so a
// slow bKash does not block registrations.
func (g *Gateway) Check(ctx context.Context, id string, cred app.MerchantCredentials) error {
	ctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = g.checkPause, 4*g.checkPause
	for attempt := 1; ; attempt++ {
		err := g.clients.Try(ctx, id, bkash.Credentials(cred))
		var se *bkash.StatusError
		switch {
		case err == nil:
			return nil
		case errors.Is(err, bkash.ErrGrantBudget):
			return fmt.Errorf("%w: bKash allows %d token grants an hour per merchant: %w", app.ErrMerchantChecksLimited, bkash.GrantsPerHour, err)
		case bkash.IsAmbiguousGrant(err) && attempt < checkAttempts && ctx.Err() == nil:
			g.log.WarnContext(ctx, "bkash answered 9999 to a credential check; asking again", "merchant", id, "attempt", attempt)
			select {
			case <-ctx.Done():
			case <-time.After(b.NextBackOff()):
			}
			continue
		case bkash.IsAmbiguousGrant(err):
			return fmt.Errorf("%w: it answered 9999 (System Error, or an unknown username) %d times", app.ErrMerchantUnverified, attempt)
		case bkash.IsAuth(err) && errors.As(err, &se):
			return fmt.Errorf("%w: %s", app.ErrMerchantRefused, se.Message)
		default:
			g.log.WarnContext(ctx, "bkash merchant credentials stored unchecked", "merchant", id, "err", err)
			return nil
		}
	}
}

// checkAttempts bounds the grants one credential check makes: bKash allows
// two an hour per merchant.
const checkAttempts = bkash.GrantsPerHour

// errNoCredentials marks a merchant whose credentials cannot be had: none
// stored for its ID, or sealed under another seal key.
var errNoCredentials = errors.New("bkash merchant credentials unavailable")

// client returns the client of merchant id ("" is the platform's). minRev
// > 0 (donation create, from the unit record) accepts loaded credentials of
// at least that revision without asking the store; otherwise loaded
// credentials are re-checked after g.recheck.
func (g *Gateway) client(ctx context.Context, id string, minRev int64) (*bkash.Client, error) {
	if id == "" || id == g.platform.Username {
		return g.clients.Client(g.platform.Username, g.platform), nil
	}
	g.mu.Lock()
	k, ok := g.known[id]
	g.mu.Unlock()
	fresh := ok && (minRev > 0 && k.rev >= minRev || minRev == 0 && g.now().Sub(k.loadedAt) < g.recheck)
	if !fresh {
		nk, err := g.load(ctx, id)
		switch {
		case err == nil:
			k = nk
		case ok && !errors.Is(err, errNoCredentials):
			// The store is unreachable: keep using what we have.
			g.log.WarnContext(ctx, "bkash merchant credentials not re-checked", "merchant", id, "err", err)
		default:
			return nil, err
		}
	}
	// A rotated credential replaces the merchant's client and its token.
	return g.clients.Client(id, k.cred), nil
}

// load opens merchant id's stored credentials, once for concurrent callers.
func (g *Gateway) load(ctx context.Context, id string) (knownMerchant, error) {
	if g.stored == nil {
		return knownMerchant{}, fmt.Errorf("merchant %s: %w (no credential store)", id, errNoCredentials)
	}
	v, err, _ := g.loads.Do(id, func() (any, error) {
		// Shared by concurrent callers: it must not die with the first one.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), loadTimeout)
		defer cancel()
		c, rev, err := g.stored.Open(ctx, id)
		if errors.Is(err, signing.ErrMerchantNotFound) || errors.Is(err, signing.ErrSealed) || errors.Is(err, signing.ErrNoSealKey) {
			return nil, fmt.Errorf("merchant %s: %w: %w", id, errNoCredentials, err)
		}
		if err != nil {
			return nil, fmt.Errorf("merchant %s: %w", id, err)
		}
		k := knownMerchant{cred: bkash.Credentials(c), rev: rev, loadedAt: g.now()}
		g.mu.Lock()
		if len(g.known) >= g.clients.Max() {
			for other := range g.known { // bounded like the clients: drop any one
				delete(g.known, other)
				break
			}
		}
		g.known[id] = k
		g.mu.Unlock()
		return k, nil
	})
	if err != nil {
		return knownMerchant{}, err
	}
	return v.(knownMerchant), nil
}

// Create implements app.Payments: the unit's own merchant, or the
// platform's when it has none.
func (g *Gateway) Create(ctx context.Context, u *units.Unit, invoice string, amount money.Amount, callbackURL string) (app.Payment, error) {
	id, rev := g.platform.Username, int64(0)
	if u.Merchant != nil {
		id, rev = u.Merchant.ID, max(u.Merchant.Rev, 1)
	}
	c, err := g.client(ctx, id, rev)
	if err != nil {
		return app.Payment{}, fmt.Errorf("%w: %w", app.ErrPaymentUnavailable, err)
	}
	p, err := c.Create(ctx, bkash.CreateRequest{Amount: amount, Invoice: invoice, CallbackURL: callbackURL})
	if err != nil {
		// Nothing was executed, so whatever happened the donor can retry.
		return app.Payment{}, fmt.Errorf("%w: %w", app.ErrPaymentUnavailable, err)
	}
	return app.Payment{ID: p.PaymentID, URL: p.BkashURL, Status: app.PaymentPending, Amount: p.Amount, Merchant: id}, nil
}

// Execute implements app.Payments.
func (g *Gateway) Execute(ctx context.Context, merchant, paymentID string) (app.Payment, error) {
	c, err := g.client(ctx, merchant, 0)
	if err != nil {
		return app.Payment{ID: paymentID, Status: app.PaymentPending}, err
	}
	p, err := c.Execute(ctx, paymentID)
	return outcome(p, paymentID, err)
}

// Query implements app.Payments.
func (g *Gateway) Query(ctx context.Context, merchant, paymentID string) (app.Payment, error) {
	c, err := g.client(ctx, merchant, 0)
	if err != nil {
		return app.Payment{ID: paymentID, Status: app.PaymentPending}, err
	}
	p, err := c.Query(ctx, paymentID)
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

// Refund implements app.Payments. A merchant's refunds go through bKash's v2
// refund API unless it is configured for v1 or v2 answered "not routed" for
// it (learned once per process): such an answer means nothing reached bKash,
// so the same refund then goes to v1 — once; it was never sent before.
func (g *Gateway) Refund(ctx context.Context, merchant string, r app.RefundRequest) (app.RefundResult, error) {
	c, err := g.client(ctx, merchant, 0)
	if errors.Is(err, errNoCredentials) {
		// Nothing was sent: refuse clearly rather than leave it pending.
		return app.RefundResult{Refused: true, Reason: err.Error()}, nil
	}
	if err != nil {
		return app.RefundResult{}, err
	}
	id := g.merchantID(merchant)
	req := bkash.RefundRequest{PaymentID: r.PaymentID, TrxID: r.TrxID, Amount: r.Amount, SKU: r.Ref, Reason: r.Reason}
	api := g.refundAPI(id)
	var res *bkash.Refund
	if api == apiV2 {
		res, err = c.Refund(ctx, req)
		if bkash.IsNotRouted(err) {
			g.learnV1(ctx, id)
			api = apiV1
		}
	}
	if api == apiV1 {
		res, err = c.RefundV1(ctx, req)
	}
	var se *bkash.StatusError
	switch {
	case errors.Is(err, bkash.ErrNoAnswer):
		return app.RefundResult{API: api}, fmt.Errorf("%w: %w", app.ErrPaymentNoAnswer, err)
	case errors.As(err, &se) && se.Category() != bkash.CategoryTransient && se.Category() != bkash.CategoryUnknown && !bkash.IsNotRouted(err):
		return app.RefundResult{Refused: true, Reason: se.Message, API: api}, nil
	case err != nil:
		// Transient or unknown: bKash may have acted; its refund status tells.
		return app.RefundResult{API: api}, fmt.Errorf("%w: %w", app.ErrPaymentNoAnswer, err)
	}
	if res.Status != bkash.StatusCompleted {
		// Taken but not (yet) Completed: not a refusal. Only the refund
		// status settles it (issue 15).
		return app.RefundResult{Pending: true, API: api}, nil
	}
	return app.RefundResult{Completed: true, RefundTrxID: res.RefundTrxID, API: api}, nil
}

// RefundStatus implements app.Payments: every refund bKash holds for the
// payment, asked where the merchant's refunds go (v1 or v2).
func (g *Gateway) RefundStatus(ctx context.Context, merchant string, r app.RefundRequest) (app.RefundResult, error) {
	c, err := g.client(ctx, merchant, 0)
	if err != nil {
		return app.RefundResult{}, err
	}
	id := g.merchantID(merchant)
	api := g.refundAPI(id)
	var res *bkash.Refund
	if api == apiV2 {
		res, err = c.RefundStatus(ctx, r.PaymentID, r.TrxID)
		if bkash.IsNotRouted(err) {
			g.learnV1(ctx, id)
			api = apiV1
		}
	}
	if api == apiV1 {
		res, err = c.RefundStatusV1(ctx, r.PaymentID, r.TrxID)
	}
	if err != nil {
		return app.RefundResult{API: api}, fmt.Errorf("%w: %w", app.ErrPaymentNoAnswer, err)
	}
	out := app.RefundResult{API: api}
	for _, t := range res.Transactions {
		out.Transactions = append(out.Transactions, app.RefundTransaction{RefundTrxID: t.RefundTrxID, Amount: t.Amount, Completed: t.Status == bkash.StatusCompleted})
	}
	return out, nil
}

const (
	apiV1 = "v1"
	apiV2 = "v2"
)

func (g *Gateway) merchantID(merchant string) string {
	if merchant == "" {
		return g.platform.Username
	}
	return merchant
}

// refundAPI is the refund API merchant id's refunds go to.
func (g *Gateway) refundAPI(id string) string {
	g.mu.Lock()
	defer g.mu.Unlock()
	if g.refundV1[id] {
		return apiV1
	}
	return apiV2
}

func (g *Gateway) learnV1(ctx context.Context, id string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	if !g.refundV1[id] {
		g.refundV1[id] = true
		g.log.WarnContext(ctx, "bKash does not route the v2 refund API for this merchant; its refunds use v1 from now on", "merchant", id)
	}
}
