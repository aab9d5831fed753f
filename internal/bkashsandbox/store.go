package bkashsandbox

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

type status string

const (
	statusInitiated status = "Initiated"
	statusCompleted status = "Completed"
	statusCancelled status = "Cancelled"
	statusFailed    status = "Failed"
	statusExpired   status = "Expired"
	// statusPending: a refund bKash took but has not completed yet (the
	// "pending" fault).
	statusPending status = "Pending"
)

// payment is the sandbox's record of one payment, persisted as one JSON line
// per change.
type payment struct {
	ID             string       `json:"paymentID"`
	Merchant       string       `json:"merchant"`
	Amount         money.Amount `json:"amount"`
	Currency       string       `json:"currency"`
	Intent         string       `json:"intent"`
	Mode           string       `json:"mode"`
	Invoice        string       `json:"merchantInvoiceNumber"`
	PayerReference string       `json:"payerReference"`
	CallbackURL    string       `json:"callbackURL"`
	Status         status       `json:"transactionStatus"`
	// Authorised is set when the payer pressed Pay on the payment page.
	Authorised   bool      `json:"authorised"`
	Wallet       string    `json:"customerMsisdn,omitempty"`
	TrxID        string    `json:"trxID,omitempty"`
	CreatedAt    time.Time `json:"createdAt"`
	AuthorisedAt time.Time `json:"authorisedAt,omitzero"`
	ExecutedAt   time.Time `json:"executedAt,omitzero"`
	UpdatedAt    time.Time `json:"updatedAt"`
	Refunds      []refund  `json:"refunds,omitempty"`
	// App marks a payment made inside the bKash app (search.go): it has no
	// paymentID a client knows, only its trxID.
	App bool `json:"app,omitempty"`
}

type refund struct {
	RefundTrxID string       `json:"refundTrxId"`
	Amount      money.Amount `json:"refundAmount"`
	SKU         string       `json:"sku"`
	Reason      string       `json:"reason"`
	Status      status       `json:"refundTransactionStatus"`
	CompletedAt time.Time    `json:"completedTime"`
}

func (p *payment) clone() *payment {
	c := *p
	c.Refunds = append([]refund(nil), p.Refunds...)
	return &c
}

// refundedOrPending is what the payment's refunds have taken or are
// taking: no refund may go beyond the paid amount with it.
func (p *payment) refundedOrPending() money.Amount {
	var sum money.Amount
	for _, r := range p.Refunds {
		if r.Status == statusCompleted || r.Status == statusPending {
			sum += r.Amount
		}
	}
	return sum
}

func (p *payment) refunded() money.Amount {
	var sum money.Amount
	for _, r := range p.Refunds {
		if r.Status == statusCompleted {
			sum += r.Amount
		}
	}
	return sum
}

// store is an append-only log of payment records: each change appends the
// whole record and fsyncs, the last record of an ID wins. Opening compacts
// it (write a new file, fsync, rename), so it stays as large as the state.
type store struct {
	dir string
	f   *os.File
}

const logName = "payments.jsonl"

func openStore(dir string) (*store, []*payment, error) {
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, nil, fmt.Errorf("create data dir: %w", err)
	}
	path := filepath.Join(dir, logName)
	payments, err := readLog(path)
	if err != nil {
		return nil, nil, err
	}
	if err := compact(dir, payments); err != nil {
		return nil, nil, err
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
	if err != nil {
		return nil, nil, fmt.Errorf("open log: %w", err)
	}
	return &store{dir: dir, f: f}, payments, nil
}

func readLog(path string) ([]*payment, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read log: %w", err)
	}
	byID := make(map[string]int)
	var out []*payment
	r := bufio.NewReader(bytes.NewReader(data))
	for lineNo := 1; ; lineNo++ {
		line, err := r.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			// A last line without newline is a write cut short by a crash:
			// that change was never acknowledged, so dropping it is right.
			break
		}
		line = bytes.TrimSpace(line)
		if len(line) == 0 {
			continue
		}
		var p payment
		if err := json.Unmarshal(line, &p); err != nil || p.ID == "" {
			return nil, fmt.Errorf("read log: line %d is damaged", lineNo)
		}
		if i, ok := byID[p.ID]; ok {
			out[i] = &p
			continue
		}
		byID[p.ID] = len(out)
		out = append(out, &p)
	}
	return out, nil
}

func compact(dir string, payments []*payment) error {
	tmp := filepath.Join(dir, logName+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o640)
	if err != nil {
		return fmt.Errorf("compact log: %w", err)
	}
	w := bufio.NewWriter(f)
	for _, p := range payments {
		b, err := json.Marshal(p)
		if err != nil {
			f.Close()
			return fmt.Errorf("compact log: %w", err)
		}
		w.Write(b)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return fmt.Errorf("compact log: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("compact log: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("compact log: %w", err)
	}
	if err := os.Rename(tmp, filepath.Join(dir, logName)); err != nil {
		return fmt.Errorf("compact log: %w", err)
	}
	return syncDir(dir)
}

func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("sync dir: %w", err)
	}
	return nil
}

func (s *store) append(p *payment) error {
	b, err := json.Marshal(p)
	if err != nil {
		return fmt.Errorf("encode payment: %w", err)
	}
	b = append(b, '\n')
	if _, err := s.f.Write(b); err != nil {
		return fmt.Errorf("append log: %w", err)
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("sync log: %w", err)
	}
	return nil
}

func (s *store) close() error {
	if err := s.f.Close(); err != nil {
		return fmt.Errorf("close log: %w", err)
	}
	return nil
}

// commitLocked persists p and makes it the current record; s.mu must be held.
func (s *Server) commitLocked(p *payment) error {
	if s.closed {
		return errors.New("sandbox is closed")
	}
	p.UpdatedAt = s.cfg.Now()
	if s.store != nil {
		if err := s.store.append(p); err != nil {
			s.log.Error("bkash sandbox: persist payment", "payment_id", p.ID, "error", err)
			return err
		}
	}
	s.index(p)
	return nil
}
