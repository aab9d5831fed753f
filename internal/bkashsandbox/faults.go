package bkashsandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
)

// Fault is what the sandbox does instead of answering an operation normally.
type Fault string

// Faults. An empty Fault means "not set": per-payment switches then fall
// back to the global ones, and global ones behave like FaultNone.
const (
	FaultNone Fault = "none"
	// FaultTimeout performs the operation (the payment completes, the refund
	// is made, the token is issued) but holds the answer until the client
	// gives up or Config.FaultHold passes: the "no answer" case, after which
	// a Query must show the real state.
	FaultTimeout Fault = "timeout"
	// FaultFail answers bKash's 2003 "Process failed". On execute the payment
	// becomes Failed; elsewhere nothing changes.
	FaultFail Fault = "fail"
	// FaultInsufficientBalance answers 2023 (execute: the payment becomes
	// Failed; refund: nothing changes). Execute and refund only.
	FaultInsufficientBalance Fault = "insufficient_balance"
	// FaultCancel makes execute find the payment cancelled by the payer:
	// the payment becomes Cancelled and execute answers 2056. Execute only.
	FaultCancel Fault = "cancel"
	// FaultUnavailable answers HTTP 503 (bKash's maintenance answer) without
	// doing anything.
	FaultUnavailable Fault = "unavailable"
	// FaultMalformed performs the operation but answers HTTP 200 with a body
	// that is not JSON.
	FaultMalformed Fault = "malformed"
	// FaultSystemError answers a grant or refresh with statusCode 9999
	// "System Error." as bKash does when it fails
	// (bKash-developer/pgw-merchant-backend-php issue #10) — the code it also
	// answers for an unknown username. Grant and refresh only.
	FaultSystemError Fault = "system_error"
	// FaultLate performs the operation and answers Config.LateAnswer later
	// (a slow bKash: the answer may still arrive within the client's timeout).
	FaultLate Fault = "late"
	// FaultPending takes a refund as Pending (refundTransactionStatus other
	// than Completed) and completes it Config.PendingRefund later; only the
	// refund status then shows it Completed. Refund only.
	FaultPending Fault = "pending"
)

// Faults holds one switch per operation. As JSON:
//
//	{"grant":"none","refresh":"none","create":"none","execute":"timeout",
//	 "query":"none","refund":"none","refund_status":"none"}
//
// Omitted fields are unset. Per-payment switches use execute, query, refund
// and refund_status only.
type Faults struct {
	Grant        Fault `json:"grant,omitempty"`
	Refresh      Fault `json:"refresh,omitempty"`
	Create       Fault `json:"create,omitempty"`
	Execute      Fault `json:"execute,omitempty"`
	Query        Fault `json:"query,omitempty"`
	Refund       Fault `json:"refund,omitempty"`
	RefundStatus Fault `json:"refund_status,omitempty"`
	Search       Fault `json:"search,omitempty"`
}

type operation int

const (
	opGrant operation = iota
	opRefresh
	opCreate
	opExecute
	opQuery
	opRefund
	opRefundStatus
	opSearch
)

func (f *Faults) get(op operation) Fault {
	switch op {
	case opGrant:
		return f.Grant
	case opRefresh:
		return f.Refresh
	case opCreate:
		return f.Create
	case opExecute:
		return f.Execute
	case opQuery:
		return f.Query
	case opRefund:
		return f.Refund
	case opRefundStatus:
		return f.RefundStatus
	case opSearch:
		return f.Search
	}
	return ""
}

var opNames = map[operation]string{
	opGrant: "grant", opRefresh: "refresh", opCreate: "create", opExecute: "execute",
	opQuery: "query", opRefund: "refund", opRefundStatus: "refund_status", opSearch: "search",
}

func allowed(op operation, f Fault) bool {
	switch f {
	case "", FaultNone, FaultTimeout, FaultFail, FaultUnavailable, FaultMalformed, FaultLate:
		return true
	case FaultPending:
		return op == opRefund
	case FaultInsufficientBalance:
		return op == opExecute || op == opRefund
	case FaultCancel:
		return op == opExecute
	case FaultSystemError:
		return op == opGrant || op == opRefresh
	}
	return false
}

func (f Faults) validate(perPayment bool) error {
	for op := opGrant; op <= opSearch; op++ {
		v := f.get(op)
		if !allowed(op, v) {
			return fmt.Errorf("fault %q is not supported for %s", v, opNames[op])
		}
		if perPayment && v != "" && (op == opGrant || op == opRefresh || op == opCreate || op == opSearch) {
			return fmt.Errorf("%s faults cannot be set per payment", opNames[op])
		}
	}
	return nil
}

// SetFaults replaces the global fault switches.
func (s *Server) SetFaults(f Faults) error {
	if err := f.validate(false); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = f
	return nil
}

// Faults returns the global fault switches.
func (s *Server) Faults() Faults {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faults
}

// SetPaymentFaults replaces one payment's fault switches; they override the
// global ones for that payment.
func (s *Server) SetPaymentFaults(paymentID string, f Faults) error {
	if err := f.validate(true); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.payments[paymentID]; !ok {
		return fmt.Errorf("unknown payment %q", paymentID)
	}
	s.paymentFaults[paymentID] = f
	return nil
}

// faultLocked resolves the fault for op; s.mu must be held.
func (s *Server) faultLocked(op operation, paymentID string) Fault {
	if pf, ok := s.paymentFaults[paymentID]; ok && paymentID != "" {
		if v := pf.get(op); v != "" {
			return v
		}
	}
	if v := s.faults.get(op); v != "" {
		return v
	}
	return FaultNone
}

func (s *Server) fault(op operation, paymentID string) Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.faultLocked(op, paymentID)
}

func (s *Server) handleGetFaults(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) handlePutFaults(w http.ResponseWriter, r *http.Request) {
	var f Faults
	if err := decodeStrict(r, &f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if err := s.SetFaults(f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, s.Faults())
}

func (s *Server) handleGetPaymentFaults(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	s.mu.Lock()
	_, ok := s.payments[id]
	f := s.paymentFaults[id]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "unknown payment"})
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func (s *Server) handlePutPaymentFaults(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	var f Faults
	if err := decodeStrict(r, &f); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": err.Error()})
		return
	}
	if err := s.SetPaymentFaults(id, f); err != nil {
		status := http.StatusBadRequest
		s.mu.Lock()
		if _, ok := s.payments[id]; !ok {
			status = http.StatusNotFound
		}
		s.mu.Unlock()
		writeJSON(w, status, map[string]string{"error": err.Error()})
		return
	}
	writeJSON(w, http.StatusOK, f)
}

func decodeStrict(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return fmt.Errorf("decode body: %w", err)
	}
	return nil
}
