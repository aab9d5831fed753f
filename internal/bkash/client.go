package bkash

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"golang.org/x/sync/singleflight"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// DefaultTimeout is bKash's documented per-call timeout: no answer within it
// means Query (or RefundStatus) before concluding anything.
const DefaultTimeout = 30 * time.Second

// maxBody bounds how much of an answer is read; bKash's are a few hundred bytes.
const maxBody = 1 << 20

// Config is shared by every Client of a Pool.
type Config struct {
	// BaseURL includes the version segment, e.g.
	// https://tokenized.sandbox.bka.sh/v1.2.0-beta.
	BaseURL string
	// RefundBaseURL is where /v2/tokenized-checkout/refund/... lives. bKash
	// serves it from the host root, so the default is BaseURL without its last
	// path segment.
	RefundBaseURL string
	// Timeout bounds every HTTP call (default DefaultTimeout).
	Timeout time.Duration
	// HTTPClient defaults to a plain http.Client; per-call timeouts come from
	// contexts, so its own Timeout may stay zero.
	HTTPClient *http.Client
	// Now is the clock used for token expiry (default time.Now).
	Now func() time.Time
	// Logger receives debug lines without personal data or secrets; nil
	// discards them.
	Logger *slog.Logger
	// Tokens, when set, shares one token per merchant across every process
	// of the fleet (tokens.go); nil keeps a token per process.
	Tokens TokenStore

	// spellings logs once per process which spelling of a field bKash uses.
	spellings *spellings
}

func (cfg Config) withDefaults() Config {
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.spellings == nil {
		cfg.spellings = &spellings{}
	}
	cfg.BaseURL = strings.TrimRight(cfg.BaseURL, "/")
	if cfg.RefundBaseURL == "" {
		cfg.RefundBaseURL = parentURL(cfg.BaseURL)
	}
	cfg.RefundBaseURL = strings.TrimRight(cfg.RefundBaseURL, "/")
	return cfg
}

// parentURL drops the last path segment (the API version) of base.
func parentURL(base string) string {
	u, err := url.Parse(base)
	if err != nil {
		return base
	}
	p := strings.TrimRight(u.Path, "/")
	if i := strings.LastIndex(p, "/"); i >= 0 {
		p = p[:i]
	}
	u.Path, u.RawPath = p, ""
	return strings.TrimRight(u.String(), "/")
}

// Client talks to bKash for one merchant. It is safe for concurrent use.
type Client struct {
	cfg  Config
	cred Credentials

	group singleflight.Group // one grant/refresh in flight at a time
	mu    sync.Mutex
	tok   *token
	// refused is the last id_token bKash refused: a shared store may still
	// hold it, and it must not be taken up again.
	refused string
}

type token struct {
	id, refresh string
	expiresAt   time.Time
	renewAt     time.Time
	gen         int64 // generation in the shared store (0: not shared)
}

// New returns a Client for one merchant's credentials.
func New(cfg Config, cred Credentials) *Client {
	return &Client{cfg: cfg.withDefaults(), cred: cred}
}

// Create starts a payment; send the payer to the returned BkashURL.
func (c *Client) Create(ctx context.Context, r CreateRequest) (*Payment, error) {
	const op = "bkash create payment"
	switch {
	case r.Amount <= 0:
		return nil, fmt.Errorf("%s: amount must be positive", op)
	case r.Invoice == "":
		return nil, fmt.Errorf("%s: invoice is required", op)
	case r.CallbackURL == "":
		return nil, fmt.Errorf("%s: callback URL is required", op)
	}
	payer := r.PayerReference
	if payer == "" {
		payer = r.Invoice
	}
	// A struct: a map is encoded with sorted keys, on every donation's path.
	body := createRequest{
		Mode:                  "0011",
		PayerReference:        payer,
		CallbackURL:           r.CallbackURL,
		Amount:                r.Amount.String(),
		Currency:              money.Currency,
		Intent:                "sale",
		MerchantInvoiceNumber: r.Invoice,
	}
	var p *Payment
	err := c.call(ctx, op, c.cfg.BaseURL+"/tokenized/checkout/create", body, func(st int, b []byte) (err error) {
		p, err = parsePayment(st, b)
		return err
	})
	if err != nil {
		return nil, err
	}
	if p.BkashURL == "" {
		return nil, fmt.Errorf("%s: %w", op, noAnswerf("create answer without bkashURL"))
	}
	if p.Status == "" {
		p.Status = StatusInitiated
	}
	return p, nil
}

// Execute finalises a payment the payer authorised. A nil error means bKash
// answered "0000"; the donation is paid only if Status is StatusCompleted.
// ErrNoAnswer means the money may or may not have moved: Query before
// concluding. IsAlreadyCompleted means an earlier execute went through.
func (c *Client) Execute(ctx context.Context, paymentID string) (*Payment, error) {
	return c.paymentCall(ctx, "bkash execute payment", "/tokenized/checkout/execute", paymentID)
}

// Query asks bKash for a payment's current state.
func (c *Client) Query(ctx context.Context, paymentID string) (*Payment, error) {
	return c.paymentCall(ctx, "bkash query payment", "/tokenized/checkout/payment/status", paymentID)
}

func (c *Client) paymentCall(ctx context.Context, op, path, paymentID string) (*Payment, error) {
	if paymentID == "" {
		return nil, fmt.Errorf("%s: payment ID is required", op)
	}
	var p *Payment
	err := c.call(ctx, op, c.cfg.BaseURL+path, map[string]string{"paymentID": paymentID}, func(st int, b []byte) (err error) {
		p, err = parsePayment(st, b)
		return err
	})
	if err != nil {
		return nil, err
	}
	c.cfg.spellings.note(ctx, c.cfg.Logger, "verificationStatus", p.VerificationField)
	return p, nil
}

// Refund returns all or part of a completed payment through bKash's v2
// refund API. ErrNoAnswer means: call RefundStatus before retrying.
func (c *Client) Refund(ctx context.Context, r RefundRequest) (*Refund, error) {
	const op = "bkash refund"
	switch {
	case r.PaymentID == "" || r.TrxID == "":
		return nil, fmt.Errorf("%s: payment ID and trxID are required", op)
	case r.Amount <= 0:
		return nil, fmt.Errorf("%s: amount must be positive", op)
	}
	sku, reason := refundLabels(r)
	body := map[string]string{
		"paymentId":    r.PaymentID,
		"trxId":        r.TrxID,
		"refundAmount": r.Amount.String(),
		"sku":          sku,
		"reason":       reason,
	}
	var out *Refund
	err := c.call(ctx, op, c.cfg.RefundBaseURL+"/v2/tokenized-checkout/refund/payment/transaction", body, func(st int, b []byte) (err error) {
		out, err = parseRefund(st, b)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.PaymentID = r.PaymentID
	if out.OriginalTrxID == "" {
		out.OriginalTrxID = r.TrxID
	}
	return out, nil
}

// RefundStatus lists the refunds bKash holds for a transaction.
func (c *Client) RefundStatus(ctx context.Context, paymentID, trxID string) (*Refund, error) {
	const op = "bkash refund status"
	if paymentID == "" || trxID == "" {
		return nil, fmt.Errorf("%s: payment ID and trxID are required", op)
	}
	body := map[string]string{"paymentId": paymentID, "trxId": trxID}
	var out *Refund
	err := c.call(ctx, op, c.cfg.RefundBaseURL+"/v2/tokenized-checkout/refund/payment/status", body, func(st int, b []byte) (err error) {
		out, err = parseRefundStatus(st, b)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.PaymentID = paymentID
	if out.OriginalTrxID == "" {
		out.OriginalTrxID = trxID
	}
	return out, nil
}

// RefundV1 refunds through the v1 refund API under the version segment,
// /tokenized/checkout/payment/refund with {paymentID, trxID, amount, sku,
// reason}: the one bKash's own WooCommerce plugin (ApiComm::refund) and
// public clients (dreygur/bkashgo BKASH_REFUND_URI) call, and the one
// merchants whose account does not route the v2 path must use
// (bKash-developer/pgw-merchant-backend-php issue #15). It answers
// {originalTrxID, refundTrxID, transactionStatus, amount, currency, charge,
// completedTime}. ErrNoAnswer means: RefundStatusV1 before anything else.
func (c *Client) RefundV1(ctx context.Context, r RefundRequest) (*Refund, error) {
	const op = "bkash refund (v1)"
	switch {
	case r.PaymentID == "" || r.TrxID == "":
		return nil, fmt.Errorf("%s: payment ID and trxID are required", op)
	case r.Amount <= 0:
		return nil, fmt.Errorf("%s: amount must be positive", op)
	}
	sku, reason := refundLabels(r)
	body := map[string]string{"paymentID": r.PaymentID, "trxID": r.TrxID, "amount": r.Amount.String(), "sku": sku, "reason": reason}
	var out *Refund
	err := c.call(ctx, op, c.cfg.BaseURL+"/tokenized/checkout/payment/refund", body, func(st int, b []byte) (err error) {
		out, err = parseRefund(st, b)
		return err
	})
	if err != nil {
		return nil, err
	}
	out.PaymentID = r.PaymentID
	if out.OriginalTrxID == "" {
		out.OriginalTrxID = r.TrxID
	}
	return out, nil
}

// RefundStatusV1 asks the v1 refund API (same path, {paymentID, trxID}) for a
// transaction's refund. bKash answers the refund, or 2002 "Invalid Payment
// ID" when the transaction was never refunded (plugin ApiComm::refundStatus:
// "get status if the transaction is already refunded otherwise invalid
// payment id will return"); that answer comes back as an empty Refund.
func (c *Client) RefundStatusV1(ctx context.Context, paymentID, trxID string) (*Refund, error) {
	const op = "bkash refund status (v1)"
	if paymentID == "" || trxID == "" {
		return nil, fmt.Errorf("%s: payment ID and trxID are required", op)
	}
	var out *Refund
	err := c.call(ctx, op, c.cfg.BaseURL+"/tokenized/checkout/payment/refund", map[string]string{"paymentID": paymentID, "trxID": trxID},
		func(st int, b []byte) (err error) {
			out, err = parseRefundStatus(st, b)
			return err
		})
	if se, ok := statusErr(err); ok && se.Code == CodeInvalidPaymentID {
		return &Refund{PaymentID: paymentID, OriginalTrxID: trxID}, nil
	}
	if err != nil {
		return nil, err
	}
	out.PaymentID = paymentID
	if out.OriginalTrxID == "" {
		out.OriginalTrxID = trxID
	}
	return out, nil
}

func refundLabels(r RefundRequest) (sku, reason string) {
	sku, reason = truncate(r.SKU, 255), truncate(r.Reason, 255)
	if sku == "" {
		sku = "donation"
	}
	if reason == "" {
		reason = "refund"
	}
	return sku, reason
}

func truncate(s string, n int) string {
	if utf8.RuneCountInString(s) <= n {
		return s
	}
	return string([]rune(s)[:n])
}

// call sends an authenticated request. A refused token is dropped and the
// call repeated once with a fresh one.
func (c *Client) call(ctx context.Context, op, url string, body any, parse func(int, []byte) error) error {
	for attempt := 0; ; attempt++ {
		tok, err := c.idToken(ctx)
		if err != nil {
			return fmt.Errorf("%s: %w", op, err)
		}
		start := c.cfg.Now()
		st, data, err := c.post(ctx, url, map[string]string{"Authorization": tok, "X-APP-Key": c.cred.AppKey}, body)
		if err != nil {
			c.cfg.Logger.DebugContext(ctx, "bkash call gave no answer", "op", op, "error", err.Error())
			return fmt.Errorf("%s: %w", op, noAnswer(err))
		}
		err = parse(st, data)
		c.cfg.Logger.DebugContext(ctx, "bkash call", "op", op, "http_status", st, "duration", c.cfg.Now().Sub(start), "ok", err == nil)
		// A refused token is rejected at bKash's gateway before any payment
		// logic runs, so repeating the call once is safe, even for execute.
		if err != nil && attempt == 0 && tokenRefused(err) {
			c.invalidate(tok)
			continue
		}
		if err != nil {
			if se, ok := statusErr(err); ok {
				se.Op = op
			}
			return fmt.Errorf("%s: %w", op, err)
		}
		return nil
	}
}

func tokenRefused(err error) bool {
	se, ok := statusErr(err)
	return ok && (se.HTTPStatus == http.StatusUnauthorized || se.Code == CodeInvalidAppToken)
}

func (c *Client) post(ctx context.Context, url string, headers map[string]string, body any) (int, []byte, error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.Timeout)
	defer cancel()
	b, err := json.Marshal(body)
	if err != nil {
		return 0, nil, fmt.Errorf("encode request: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(b))
	if err != nil {
		return 0, nil, fmt.Errorf("build request: %w", err)
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := c.cfg.HTTPClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return 0, nil, fmt.Errorf("read answer: %w", err)
	}
	return resp.StatusCode, data, nil
}

// idToken returns a valid id_token, granting or refreshing when needed.
// Concurrent callers share one grant.
func (c *Client) idToken(ctx context.Context) (string, error) {
	c.mu.Lock()
	t := c.tok
	c.mu.Unlock()
	if t != nil && c.cfg.Now().Before(t.renewAt) {
		return t.id, nil
	}
	// The shared renewal must not die with whichever caller started it, but
	// stays bounded by the call timeout (two calls at most: refresh, grant).
	rctx := context.WithoutCancel(ctx)
	ch := c.group.DoChan("token", func() (any, error) { return c.renew(rctx) })
	select {
	case r := <-ch:
		if r.Err != nil {
			return "", r.Err
		}
		return r.Val.(string), nil
	case <-ctx.Done():
		return "", noAnswer(ctx.Err())
	}
}

func (c *Client) renew(ctx context.Context) (string, error) {
	c.mu.Lock()
	t := c.tok
	c.mu.Unlock()
	now := c.cfg.Now()
	if t != nil && now.Before(t.renewAt) {
		return t.id, nil // renewed by the previous flight
	}
	if c.cfg.Tokens != nil {
		return c.renewShared(ctx)
	}
	if t != nil && t.refresh != "" {
		nt, err := c.tokenCall(ctx, "bkash refresh token", "/tokenized/checkout/token/refresh", t.refresh)
		if err == nil {
			return c.store(nt), nil
		}
		c.cfg.Logger.DebugContext(ctx, "bkash token refresh failed; granting", "error", err.Error())
	}
	nt, err := c.tokenCall(ctx, "bkash grant token", "/tokenized/checkout/token/grant", "")
	if err != nil {
		return "", err
	}
	return c.store(nt), nil
}

func (c *Client) store(nt tokenResponse) string {
	now := c.cfg.Now()
	exp := now.Add(nt.ExpiresIn)
	c.mu.Lock()
	c.tok = &token{id: nt.IDToken, refresh: nt.RefreshToken, expiresAt: exp, renewAt: renewAt(now, exp)}
	c.mu.Unlock()
	return nt.IDToken
}

func (c *Client) tokenCall(ctx context.Context, op, path, refresh string) (tokenResponse, error) {
	body := map[string]string{"app_key": c.cred.AppKey, "app_secret": c.cred.AppSecret}
	if refresh != "" {
		body["refresh_token"] = refresh
	}
	st, data, err := c.post(ctx, c.cfg.BaseURL+path, map[string]string{"username": c.cred.Username, "password": c.cred.Password}, body)
	if err != nil {
		return tokenResponse{}, fmt.Errorf("%s: %w", op, noAnswer(err))
	}
	nt, err := parseToken(st, data)
	if err != nil {
		if se, ok := statusErr(err); ok {
			se.Op = op
		}
		return tokenResponse{}, fmt.Errorf("%s: %w", op, err)
	}
	c.cfg.Logger.DebugContext(ctx, "bkash token obtained", "op", op, "expires_in", nt.ExpiresIn)
	return nt, nil
}

// invalidate drops a token bKash refused, unless it was already replaced.
func (c *Client) invalidate(used string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refused = used
	if c.tok != nil && c.tok.id == used {
		c.tok = nil
	}
}

// Pool keeps one Client per merchant credentials, so each unit's wallet has
// its own cached token.
type Pool struct {
	cfg     Config
	mu      sync.Mutex
	clients map[Credentials]*Client
}

// NewPool returns an empty Pool whose Clients share cfg.
//
// Reached only by tests: the platform keeps one client per merchant in Merchants; the pool stays a documented part of this client library and its test pins one client per credentials.
func NewPool(cfg Config) *Pool {
	return &Pool{cfg: cfg.withDefaults(), clients: make(map[Credentials]*Client)}
}

// Client returns the Client for cred, creating it on first use.
//
// Reached only by tests: see NewPool.
func (p *Pool) Client(cred Credentials) *Client {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c, ok := p.clients[cred]; ok {
		return c
	}
	c := New(p.cfg, cred)
	p.clients[cred] = c
	return c
}

// createRequest is the create-payment request body.
type createRequest struct {
	Mode                  string `json:"mode"`
	PayerReference        string `json:"payerReference"`
	CallbackURL           string `json:"callbackURL"`
	Amount                string `json:"amount"`
	Currency              string `json:"currency"`
	Intent                string `json:"intent"`
	MerchantInvoiceNumber string `json:"merchantInvoiceNumber"`
}
