package bkashsandbox

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Credentials are one merchant's API credentials as bKash issues them.
type Credentials struct {
	Username, Password, AppKey, AppSecret string
	// Name is shown to payers on the payment page (default: Username).
	Name string
	// ShortCode is the merchant wallet's number, search transaction's
	// organizationShortCode (default: DefaultShortCode(Username)).
	ShortCode string
	// RefundV1Only makes bKash's gateway answer the v2 refund paths "not
	// routed" for this merchant, as merchants report for their accounts
	// (bKash-developer/pgw-merchant-backend-php issue #15): its refunds must
	// use the v1 path /tokenized/checkout/payment/refund.
	RefundV1Only bool
}

// Config configures a Server.
type Config struct {
	// DataDir persists payments (an append-only JSON-lines log, fsynced per
	// change); "" keeps everything in memory.
	DataDir string
	// PublicURL is the base URL payers' browsers use, e.g.
	// http://127.0.0.1:8090; bkashURL is PublicURL +
	// "/redirect/tokenized/?paymentID=…&hash=…&mode=0011&apiVersion=v1.2.0-beta".
	// Empty means: derived from each create request's Host.
	PublicURL string
	// Merchants lists the merchants the sandbox knows, each with its own
	// credentials, tokens, payments and settlement. Empty is open mode: any
	// non-empty credentials are accepted and the username names the merchant
	// (merchants added later with SetMerchant are still checked).
	Merchants []Credentials
	Logger    *slog.Logger

	// Now is the clock (default time.Now); tests move it to expire tokens and payments.
	Now func() time.Time
	// TokenTTL is the id_token lifetime (default 3600 s, as bKash).
	TokenTTL time.Duration
	// RefreshTTL is the refresh_token lifetime (default 7 days; bKash does
	// not document it).
	RefreshTTL time.Duration
	// PaymentTTL is how long an Initiated payment can be authorised and
	// executed before it expires (default 24 h, bKash's paymentID validity).
	PaymentTTL time.Duration
	// RefundWindow is how long after completion refunds are accepted
	// (default 15 days: bKash's WooCommerce plugin, ApiComm::refund, "Can be
	// refund a transaction which is no older than 15 days"). Past it a
	// refund answers 2071 "Refund window over".
	RefundWindow time.Duration
	// VerificationField is how query spells the payer-verification field:
	// "verificationStatus" (default; pybkash models.py reads it) or
	// "userVerificationStatus" (bkash-js src/types/types.ts,
	// dreygur/bkashgo). Public clients disagree, so a client must read both.
	VerificationField string
	// LateAnswer is how long a "late" fault delays an answer after the
	// operation was done (default 2 s).
	LateAnswer time.Duration
	// PendingRefund is how long a refund made under the "pending" fault
	// stays Pending before bKash completes it (default 5 s).
	PendingRefund time.Duration
	// FaultHold is how long a "timeout" fault holds a request before
	// answering anyway, unless the client gives up first (default 40 s,
	// above bKash's 30 s client timeout).
	FaultHold time.Duration
}

// Server is the sandbox. It is safe for concurrent use.
type Server struct {
	cfg  Config
	log  *slog.Logger
	open bool // no merchants configured: unknown usernames are accepted

	done      chan struct{}
	closeOnce sync.Once

	// secret keys the checkout URL's hash and the callback's signature.
	secret []byte

	mu            sync.Mutex
	merchants     map[string]Credentials // by username
	closed        bool
	store         *store
	payments      map[string]*payment
	paidInvoices  map[string]string // merchant+"\x00"+invoice → paymentID of a Completed payment
	trxIDs        map[string]bool
	byTrx         map[string]string // trxID → paymentID (search transaction)
	tokens        map[string]*tokenInfo
	refreshTokens map[string]*tokenInfo
	faults        Faults
	paymentFaults map[string]Faults
	stats         Stats
	grants        map[string]*merchantGrants // by merchant username
}

type tokenInfo struct {
	merchant  string
	appKey    string
	expiresAt time.Time
}

// New opens (or creates) the sandbox's state.
func New(cfg Config) (*Server, error) {
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	if cfg.TokenTTL <= 0 {
		cfg.TokenTTL = 3600 * time.Second
	}
	if cfg.RefreshTTL <= 0 {
		cfg.RefreshTTL = 7 * 24 * time.Hour
	}
	if cfg.PaymentTTL <= 0 {
		cfg.PaymentTTL = 24 * time.Hour
	}
	if cfg.RefundWindow <= 0 {
		cfg.RefundWindow = 15 * 24 * time.Hour
	}
	if cfg.LateAnswer <= 0 {
		cfg.LateAnswer = 2 * time.Second
	}
	if cfg.PendingRefund <= 0 {
		cfg.PendingRefund = 5 * time.Second
	}
	switch cfg.VerificationField {
	case "":
		cfg.VerificationField = "verificationStatus"
	case "verificationStatus", "userVerificationStatus":
	default:
		return nil, fmt.Errorf("bkash sandbox: verification field %q is neither verificationStatus nor userVerificationStatus", cfg.VerificationField)
	}
	if cfg.FaultHold <= 0 {
		cfg.FaultHold = 40 * time.Second
	}
	cfg.PublicURL = strings.TrimRight(cfg.PublicURL, "/")
	s := &Server{
		cfg:           cfg,
		log:           cfg.Logger,
		open:          len(cfg.Merchants) == 0,
		merchants:     make(map[string]Credentials, len(cfg.Merchants)),
		done:          make(chan struct{}),
		payments:      make(map[string]*payment),
		paidInvoices:  make(map[string]string),
		trxIDs:        make(map[string]bool),
		byTrx:         make(map[string]string),
		tokens:        make(map[string]*tokenInfo),
		refreshTokens: make(map[string]*tokenInfo),
		paymentFaults: make(map[string]Faults),
		grants:        make(map[string]*merchantGrants),
		secret:        []byte(randomToken("")),
	}
	for _, m := range cfg.Merchants {
		if err := s.SetMerchant(m); err != nil {
			return nil, err
		}
	}
	if cfg.DataDir != "" {
		st, loaded, err := openStore(cfg.DataDir)
		if err != nil {
			return nil, fmt.Errorf("bkash sandbox: %w", err)
		}
		s.store = st
		for _, p := range loaded {
			s.index(p)
		}
	}
	return s, nil
}

// SetMerchant adds a merchant or changes its credentials (bKash reissuing
// a password or app secret). Tokens already granted stay valid until they
// expire, as at bKash; new grants need the new credentials.
func (s *Server) SetMerchant(m Credentials) error {
	if m.Username == "" || m.Password == "" || m.AppKey == "" || m.AppSecret == "" {
		return errors.New("bkash sandbox: merchant credentials must all be non-empty")
	}
	s.mu.Lock()
	s.merchants[m.Username] = m
	s.mu.Unlock()
	return nil
}

// merchant returns the known merchant with username.
func (s *Server) merchant(username string) (Credentials, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.merchants[username]
	return m, ok
}

func (s *Server) index(p *payment) {
	s.payments[p.ID] = p
	if p.TrxID != "" {
		s.trxIDs[p.TrxID] = true
		s.byTrx[p.TrxID] = p.ID
	}
	for _, r := range p.Refunds {
		s.trxIDs[r.RefundTrxID] = true
	}
	if p.Status == statusCompleted {
		s.paidInvoices[p.Merchant+"\x00"+p.Invoice] = p.ID
	}
}

// Close releases requests held by "timeout" faults and closes the data
// files. Later calls that change state answer 503.
func (s *Server) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.done)
		s.mu.Lock()
		defer s.mu.Unlock()
		s.closed = true
		if s.store != nil {
			err = s.store.close()
		}
	})
	return err
}

// Handler serves bKash's API, the payer page and the sandbox endpoints.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	const v1 = "/v1.2.0-beta/tokenized/checkout"
	mux.HandleFunc("POST "+v1+"/token/grant", s.handleGrant)
	mux.HandleFunc("POST "+v1+"/token/refresh", s.handleRefresh)
	mux.HandleFunc("POST "+v1+"/create", s.handleCreate)
	mux.HandleFunc("POST "+v1+"/execute", s.handleExecute)
	mux.HandleFunc("POST "+v1+"/payment/status", s.handleQuery)
	mux.HandleFunc("POST "+v1+"/general/searchTransaction", s.handleSearch)
	mux.HandleFunc("POST "+v1+"/payment/refund", s.handleRefundV1)
	mux.HandleFunc("POST /v2/tokenized-checkout/refund/payment/transaction", s.handleRefund)
	mux.HandleFunc("POST /v2/tokenized-checkout/refund/payment/status", s.handleRefundStatus)
	// bKash's API gateway answers unknown routes like this.
	mux.HandleFunc("/v1.2.0-beta/", gatewayNoRoute)
	mux.HandleFunc("/v2/", gatewayNoRoute)

	mux.HandleFunc("GET /pay/{id}", s.handlePage)
	mux.HandleFunc("POST /pay/{id}", s.handlePagePost)
	mux.HandleFunc("GET /redirect/tokenized/{$}", s.handlePage)
	mux.HandleFunc("POST /redirect/tokenized/{$}", s.handlePagePost)

	mux.HandleFunc("GET /sandbox/faults", s.handleGetFaults)
	mux.HandleFunc("PUT /sandbox/faults", s.handlePutFaults)
	mux.HandleFunc("GET /sandbox/payments/{id}/faults", s.handleGetPaymentFaults)
	mux.HandleFunc("PUT /sandbox/payments/{id}/faults", s.handlePutPaymentFaults)
	mux.HandleFunc("GET /sandbox/payments/{id}", s.handleGetPayment)
	mux.HandleFunc("GET /sandbox/merchants/{username}/settlement", s.handleSettlement)
	mux.HandleFunc("PUT /sandbox/merchants/{username}", s.handlePutMerchant)
	mux.HandleFunc("POST /sandbox/merchants/{username}/app-payments", s.handleAppPayment)
	mux.HandleFunc("GET /sandbox/settlements", s.handleSettlements)
	mux.HandleFunc("GET /sandbox/stats", s.handleStats)
	mux.HandleFunc("GET /{$}", s.handleIndex)
	return mux
}

func gatewayNoRoute(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusForbidden, map[string]string{"message": "Missing Authentication Token"})
}

func (s *Server) handleIndex(w http.ResponseWriter, _ *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	fmt.Fprint(w, `Kalyan bKash sandbox (Tokenized Checkout, v1.2.0-beta)

Client base URL: <this server>/v1.2.0-beta
Payer page:      GET/POST /redirect/tokenized/?paymentID=…&hash=…&mode=0011&apiVersion=v1.2.0-beta (bkashURL), or /pay/{paymentID}
Faults:          GET/PUT /sandbox/faults, GET/PUT /sandbox/payments/{id}/faults
State:           GET /sandbox/payments/{id}, GET /sandbox/merchants/{username}/settlement,
                 GET /sandbox/settlements, GET /sandbox/stats
Merchants:       PUT /sandbox/merchants/{username} {"password","appKey","appSecret","name","shortCode"}
App payments:    POST /sandbox/merchants/{username}/app-payments {"amount","payer","trxID","time","reference"}
`)
}

// hold keeps a request unanswered until the client gives up, the server
// closes, or FaultHold passes; it reports whether to answer after all.
func (s *Server) hold(ctx context.Context) bool {
	return s.wait(ctx, s.cfg.FaultHold)
}

// wait waits d unless the client or the server goes first.
func (s *Server) wait(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-s.done:
		return false
	case <-t.C:
		return true
	}
}

// Stats counts requests that reached each endpoint (after routing).
type Stats struct {
	Grants int `json:"grants"`
	// GrantsRefused counts grant and refresh calls refused because the
	// merchant exceeded bKash's two grants an hour (grants.go).
	GrantsRefused int `json:"grantsRefused"`
	Refreshes     int `json:"refreshes"`
	Creates       int `json:"creates"`
	Executes      int `json:"executes"`
	Queries       int `json:"queries"`
	Searches      int `json:"searches"`
	Refunds       int `json:"refunds"`
	RefundQueries int `json:"refundQueries"`
	// Unauthorized counts calls refused for a missing, unknown or expired token.
	Unauthorized int `json:"unauthorized"`
}

// Stats returns the request counters.
func (s *Server) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stats
}

func (s *Server) count(f func(*Stats)) {
	s.mu.Lock()
	f(&s.stats)
	s.mu.Unlock()
}

func (s *Server) handleStats(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Stats())
}
