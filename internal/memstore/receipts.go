package memstore

import (
	"context"
	"fmt"

	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// Receipts is the receipt repository (receipts.Repository): unique by
// donation and by (unit, fiscal year, serial number).
type Receipts struct{ s *Store }

// Receipts returns the receipt repository.
func (s *Store) Receipts() *Receipts { return &Receipts{s: s} }

func serialKey(unit, fy string, seq int64) string { return fmt.Sprintf("%s/%s/%d", unit, fy, seq) }

// Get returns the donation's receipt, or receipts.ErrNotFound.
func (r *Receipts) Get(_ context.Context, id string) (*receipts.Receipt, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	rc, ok := r.s.receipts[id]
	if !ok {
		return nil, receipts.ErrNotFound
	}
	rc = cloneReceipt(rc)
	return &rc, nil
}

// LastSeq returns the highest serial number of unit in fy (0 if none).
func (r *Receipts) LastSeq(_ context.Context, unit, fy string) (int64, error) {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	var last int64
	for _, rc := range r.s.receipts {
		if rc.Unit == unit && rc.FiscalYear == fy {
			last = max(last, rc.Seq)
		}
	}
	return last, nil
}

// Insert stores rc: receipts.ErrSerialTaken when another donation holds its
// serial, receipts.ErrExists when its donation has a receipt.
func (r *Receipts) Insert(_ context.Context, rc *receipts.Receipt) error {
	r.s.mu.Lock()
	defer r.s.mu.Unlock()
	key := serialKey(rc.Unit, rc.FiscalYear, rc.Seq)
	if holder, ok := r.s.serials[key]; ok {
		if holder == rc.ID {
			return receipts.ErrExists
		}
		return receipts.ErrSerialTaken
	}
	if _, ok := r.s.receipts[rc.ID]; ok {
		return receipts.ErrExists
	}
	r.s.serials[key] = rc.ID
	r.s.receipts[rc.ID] = cloneReceipt(*rc)
	return nil
}
