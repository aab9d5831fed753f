package bkashsandbox

import (
	"encoding/json"
	"net/http"
	"sort"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// Settlement is what a merchant wallet received, for reconciling our ledger
// against "bKash". Amounts are decimal strings in JSON.
type Settlement struct {
	Merchant       string       `json:"merchant"`
	Currency       string       `json:"currency"`
	CompletedCount int          `json:"completedCount"`
	CompletedTotal money.Amount `json:"completedTotal"`
	RefundCount    int          `json:"refundCount"`
	RefundedTotal  money.Amount `json:"refundedTotal"`
	// NetTotal is CompletedTotal minus RefundedTotal.
	NetTotal money.Amount `json:"netTotal"`
}

// Settlement totals a merchant's completed payments and refunds.
func (s *Server) Settlement(merchant string) Settlement {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := Settlement{Merchant: merchant, Currency: money.Currency}
	for _, p := range s.payments {
		if p.Merchant != merchant || p.Status != statusCompleted {
			continue
		}
		out.CompletedCount++
		out.CompletedTotal += p.Amount
		for _, r := range p.Refunds {
			if r.Status == statusCompleted {
				out.RefundCount++
				out.RefundedTotal += r.Amount
			}
		}
	}
	out.NetTotal = out.CompletedTotal - out.RefundedTotal
	return out
}

// Settlements reports every merchant the sandbox knows or took payments
// for, by username.
func (s *Server) Settlements() []Settlement {
	s.mu.Lock()
	names := make(map[string]bool, len(s.merchants))
	for m := range s.merchants {
		names[m] = true
	}
	for _, p := range s.payments {
		names[p.Merchant] = true
	}
	s.mu.Unlock()
	out := make([]Settlement, 0, len(names))
	for m := range names {
		out = append(out, s.Settlement(m))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Merchant < out[j].Merchant })
	return out
}

func (s *Server) handleSettlement(w http.ResponseWriter, r *http.Request) {
	m := r.PathValue("username")
	if _, ok := s.merchant(m); !ok && !s.open {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown merchant"})
		return
	}
	writeJSON(w, http.StatusOK, s.Settlement(m))
}

func (s *Server) handleSettlements(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Settlements())
}

// handlePutMerchant adds a merchant or changes its credentials, as bKash
// does when it onboards a wallet or reissues its secrets.
func (s *Server) handlePutMerchant(w http.ResponseWriter, r *http.Request) {
	var m Credentials
	var in struct {
		Password  string `json:"password"`
		AppKey    string `json:"appKey"`
		AppSecret string `json:"appSecret"`
		Name      string `json:"name"`
		ShortCode string `json:"shortCode"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10)).Decode(&in); err != nil {
		writeInvalidBody(w)
		return
	}
	m = Credentials{Username: r.PathValue("username"), Password: in.Password, AppKey: in.AppKey, AppSecret: in.AppSecret, Name: in.Name, ShortCode: in.ShortCode}
	if err := s.SetMerchant(m); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"message": err.Error()})
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// PaymentInfo is the sandbox's full view of a payment (GET /sandbox/payments/{id}).
type PaymentInfo struct {
	PaymentID      string       `json:"paymentID"`
	Merchant       string       `json:"merchant"`
	Amount         money.Amount `json:"amount"`
	Currency       string       `json:"currency"`
	Intent         string       `json:"intent"`
	Mode           string       `json:"mode"`
	Invoice        string       `json:"merchantInvoiceNumber"`
	PayerReference string       `json:"payerReference"`
	CallbackURL    string       `json:"callbackURL"`
	// Status is the transactionStatus query would answer now (expiry applied).
	Status       string       `json:"transactionStatus"`
	Authorised   bool         `json:"authorised"`
	Wallet       string       `json:"customerMsisdn,omitempty"`
	TrxID        string       `json:"trxID,omitempty"`
	CreatedAt    time.Time    `json:"createdAt"`
	AuthorisedAt time.Time    `json:"authorisedAt,omitzero"`
	ExecutedAt   time.Time    `json:"executedAt,omitzero"`
	UpdatedAt    time.Time    `json:"updatedAt"`
	Refunded     money.Amount `json:"refundedAmount"`
	Refunds      []RefundInfo `json:"refunds"`
	Faults       Faults       `json:"faults"`
}

// RefundInfo is one refund of a payment.
type RefundInfo struct {
	RefundTrxID string       `json:"refundTrxId"`
	Amount      money.Amount `json:"refundAmount"`
	SKU         string       `json:"sku"`
	Reason      string       `json:"reason"`
	Status      string       `json:"refundTransactionStatus"`
	CompletedAt time.Time    `json:"completedTime"`
}

// Payment returns a payment's full state.
func (s *Server) Payment(id string) (PaymentInfo, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.payments[id]
	if p == nil {
		return PaymentInfo{}, false
	}
	info := PaymentInfo{
		PaymentID: p.ID, Merchant: p.Merchant, Amount: p.Amount, Currency: p.Currency,
		Intent: p.Intent, Mode: p.Mode, Invoice: p.Invoice, PayerReference: p.PayerReference,
		CallbackURL: p.CallbackURL, Status: string(s.effectiveStatus(p, s.cfg.Now())),
		Authorised: p.Authorised, Wallet: p.Wallet, TrxID: p.TrxID, CreatedAt: p.CreatedAt,
		AuthorisedAt: p.AuthorisedAt, ExecutedAt: p.ExecutedAt, UpdatedAt: p.UpdatedAt,
		Refunded: p.refunded(), Refunds: []RefundInfo{}, Faults: s.paymentFaults[id],
	}
	for _, r := range p.Refunds {
		info.Refunds = append(info.Refunds, RefundInfo{
			RefundTrxID: r.RefundTrxID, Amount: r.Amount, SKU: r.SKU, Reason: r.Reason,
			Status: string(r.Status), CompletedAt: r.CompletedAt,
		})
	}
	return info, true
}

// Payments lists the IDs of a merchant's payments, oldest first ("" lists all).
//
// Reached only by tests: inspection of the sandbox for tests.
func (s *Server) Payments(merchant string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var list []*payment
	for _, p := range s.payments {
		if merchant == "" || p.Merchant == merchant {
			list = append(list, p)
		}
	}
	sort.Slice(list, func(i, j int) bool {
		if !list[i].CreatedAt.Equal(list[j].CreatedAt) {
			return list[i].CreatedAt.Before(list[j].CreatedAt)
		}
		return list[i].ID < list[j].ID
	})
	ids := make([]string, len(list))
	for i, p := range list {
		ids[i] = p.ID
	}
	return ids
}

func (s *Server) handleGetPayment(w http.ResponseWriter, r *http.Request) {
	info, ok := s.Payment(r.PathValue("id"))
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown payment"})
		return
	}
	writeJSON(w, http.StatusOK, info)
}
