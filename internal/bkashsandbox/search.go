package bkashsandbox

import (
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// Search transaction and payments made inside the bKash app.
//
// bKash's search transaction is POST …/tokenized/checkout/general/searchTransaction
// with {trxID} (bKash's WooCommerce plugin, bKash-developer/bKash-for-woocommerce
// includes/classes/ApiComm.php searchTransaction; the plugin's admin page
// Admin/pages/transaction_search.php shows the answer's trxID, customerMsisdn
// ("Sender"), amount, currency, transactionType, organizationShortCode
// ("Merchant Account"), initiationTime, completedTime and transactionStatus).
// The answer's fields as typed by ShejanMahamud/bkash-js src/types/types.ts
// SearchTransactionResponse: statusCode, statusMessage, trxID,
// transactionStatus, transactionType, amount, currency, customerMsisdn,
// organizationShortCode, initiationTime, completedTime and an optional
// transactionReference; errors come as {errorCode, errorMessage}
// (SearchTransactionErrorResponse).
//
// Our choices where the sources say nothing: an unknown trxID answers 2033
// "Transaction not found" (bKash's error-code page); a trxID of another
// merchant is answered with that merchant's organizationShortCode (whether
// bKash hides it is not documented: answering it is the stricter case for a
// client, which must compare the short code itself); transactionType is
// "Checkout" for a tokenized-checkout payment and "Payment" for one made in
// the app; transactionReference is the checkout payment's
// merchantInvoiceNumber (the app's reference for an app payment).

// AppPayment is a payment a payer made to a merchant inside the bKash app:
// it never passes through create/execute, and only search finds it.
type AppPayment struct {
	// TrxID is bKash's transaction ID; empty: the sandbox makes one.
	TrxID  string
	Amount money.Amount
	// Payer is the payer's wallet number (01XXXXXXXXX).
	Payer string
	// At is when it completed; zero: now.
	At time.Time
	// Reference is what the payer typed as the reference (optional).
	Reference string
}

// RecordAppPayment records a payment made to merchant in the bKash app (a
// test hook standing in for a payer using the app) and returns its trxID.
// It counts in the merchant's settlement like any completed payment.
func (s *Server) RecordAppPayment(merchant string, ap AppPayment) (string, error) {
	if ap.Amount <= 0 {
		return "", errors.New("bkash sandbox: app payment amount must be positive")
	}
	wallet, ok := normaliseWallet(ap.Payer)
	if !ok {
		return "", errors.New("bkash sandbox: app payment payer must be a wallet number 01XXXXXXXXX")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, known := s.merchants[merchant]; !known && !s.open {
		return "", fmt.Errorf("bkash sandbox: unknown merchant %q", merchant)
	}
	now := s.cfg.Now()
	at := ap.At
	if at.IsZero() {
		at = now
	}
	trx := ap.TrxID
	switch {
	case trx == "":
		trx = s.newTrxIDLocked()
	case s.trxIDs[trx]:
		return "", fmt.Errorf("bkash sandbox: trxID %s exists", trx)
	default:
		s.trxIDs[trx] = true
	}
	p := &payment{
		ID: "APP" + trx, Merchant: merchant, Amount: ap.Amount, Currency: money.Currency, Intent: "sale",
		Invoice: ap.Reference, Status: statusCompleted, Authorised: true, Wallet: wallet, TrxID: trx,
		CreatedAt: at, AuthorisedAt: at, ExecutedAt: at, App: true,
	}
	if err := s.commitLocked(p); err != nil {
		return "", err
	}
	return trx, nil
}

// shortCodeLocked is a merchant's organizationShortCode: the configured
// one, or a stable 11-digit wallet-like number made from the username.
func (s *Server) shortCodeLocked(merchant string) string {
	if m, ok := s.merchants[merchant]; ok && m.ShortCode != "" {
		return m.ShortCode
	}
	return DefaultShortCode(merchant)
}

// DefaultShortCode is the organizationShortCode the sandbox gives a merchant
// configured without one.
func DefaultShortCode(merchant string) string {
	sum := sha256.Sum256([]byte(merchant))
	return fmt.Sprintf("01%09d", binary.BigEndian.Uint64(sum[:8])%1_000_000_000)
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	s.count(func(st *Stats) { st.Searches++ })
	if _, ok := s.authorise(w, r, false); !ok {
		return
	}
	b, ok := readBody(r)
	if !ok {
		writeInvalidBody(w)
		return
	}
	trx := b.get("trxID")
	if trx == "" {
		writeStatus(w, "2065")
		return
	}
	f := s.fault(opSearch, "")
	switch f {
	case FaultUnavailable:
		writeUnavailable(w)
		return
	case FaultFail:
		writeStatus(w, "2003")
		return
	}
	s.mu.Lock()
	var p *payment
	if id, ok := s.byTrx[trx]; ok {
		p = s.payments[id]
	}
	if p == nil || s.effectiveStatus(p, s.cfg.Now()) != statusCompleted {
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]string{"errorCode": "2033", "errorMessage": messages["2033"]})
		return
	}
	kind := "Checkout"
	if p.App {
		kind = "Payment"
	}
	resp := map[string]string{
		"trxID":                 p.TrxID,
		"transactionStatus":     string(statusCompleted),
		"transactionType":       kind,
		"amount":                p.Amount.String(),
		"currency":              p.Currency,
		"customerMsisdn":        p.Wallet,
		"organizationShortCode": s.shortCodeLocked(p.Merchant),
		"initiationTime":        bkashTime(p.CreatedAt),
		"completedTime":         bkashTime(p.ExecutedAt),
		"transactionReference":  p.Invoice,
		"statusCode":            "0000",
		"statusMessage":         "Successful",
	}
	s.mu.Unlock()
	s.answer(w, r, f, func() { writeJSON(w, http.StatusOK, resp) })
}

func (s *Server) handleAppPayment(w http.ResponseWriter, r *http.Request) {
	var in struct {
		TrxID     string    `json:"trxID"`
		Amount    string    `json:"amount"`
		Payer     string    `json:"payer"`
		Time      time.Time `json:"time"`
		Reference string    `json:"reference"`
	}
	if err := decodeStrict(r, &in); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	amount, err := money.Parse(in.Amount)
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "amount: " + err.Error()})
		return
	}
	trx, err := s.RecordAppPayment(r.PathValue("username"), AppPayment{TrxID: in.TrxID, Amount: amount, Payer: in.Payer, At: in.Time, Reference: in.Reference})
	if err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusCreated, map[string]string{"trxID": trx})
}
