package app

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// The cash book is a unit's counter day: the cash gifts each staff member
// took, and each one's day close — the total handed over and the bank
// deposit reference. A close is one insert keyed by unit, day and staff
// member (FerretDB loses concurrent read-modify-write updates, so there is
// nothing to update): the first close of a day stands, a second is refused.

// MaxCashGiftsPerDay bounds one day's book (a counter takes far fewer).
const MaxCashGiftsPerDay = 2000

// CashBookStore is the storage port of the cash book.
type CashBookStore interface {
	// CashGifts returns at most limit cash gifts of unit paid in [from, to),
	// oldest first, as they were recorded.
	CashGifts(ctx context.Context, unit string, from, to time.Time, limit int) ([]donations.Donation, error)
	// InsertClose stores c unless a close of its unit, day and staff member
	// exists: then it returns that one and donations.ErrDayClosed.
	InsertClose(ctx context.Context, c *donations.CashClose) (*donations.CashClose, error)
	// Closes returns the day closes of unit on day.
	Closes(ctx context.Context, unit, day string) ([]donations.CashClose, error)
}

// CashBook runs the cash book use cases.
type CashBook struct {
	Store CashBookStore
	Units *Units
	Now   func() time.Time
}

// CashStaffDay is one staff member's gifts of a day and their close.
type CashStaffDay struct {
	Staff, Name string
	Gifts       []donations.Donation
	Total       money.Amount
	Close       *donations.CashClose
}

// CashDay is a unit's cash book of one day.
type CashDay struct {
	Unit, Day string
	Staff     []CashStaffDay
	Total     money.Amount
	Count     int
	// Truncated: the day had more gifts than MaxCashGiftsPerDay.
	Truncated bool
}

// StaffDay returns the staff member's part of the day (nil: no gifts).
func (d *CashDay) StaffDay(staff string) *CashStaffDay {
	for i := range d.Staff {
		if d.Staff[i].Staff == staff {
			return &d.Staff[i]
		}
	}
	return nil
}

// Today is the counter's day now, in Dhaka.
func (b *CashBook) Today() string { return b.Now().In(receipts.Dhaka()).Format(time.DateOnly) }

// day parses a counter day ("" is today); a day after today is refused.
func (b *CashBook) day(s string) (string, time.Time, error) {
	if s == "" {
		s = b.Today()
	}
	t, err := time.ParseInLocation(time.DateOnly, s, receipts.Dhaka())
	if err != nil || t.Format(time.DateOnly) != s {
		return "", t, validation.Errors{{Field: "date", Message: "must be a date like 2026-12-02"}}
	}
	if s > b.Today() {
		return "", t, validation.Errors{{Field: "date", Message: "must not be in the future"}}
	}
	return s, t, nil
}

// Day returns unit's cash book of day ("2006-01-02" in Dhaka; "" today).
func (b *CashBook) Day(ctx context.Context, unit, day string) (*CashDay, error) {
	day, from, err := b.day(day)
	if err != nil {
		return nil, err
	}
	if _, err := b.Units.Get(ctx, unit); err != nil {
		return nil, err
	}
	gifts, err := b.Store.CashGifts(ctx, unit, from, from.AddDate(0, 0, 1), MaxCashGiftsPerDay+1)
	if err != nil {
		return nil, err
	}
	closes, err := b.Store.Closes(ctx, unit, day)
	if err != nil {
		return nil, err
	}
	out := &CashDay{Unit: unit, Day: day}
	if len(gifts) > MaxCashGiftsPerDay {
		gifts, out.Truncated = gifts[:MaxCashGiftsPerDay], true
	}
	by := map[string]*CashStaffDay{}
	var order []string
	for _, g := range gifts {
		s := by[g.CollectedBy]
		if s == nil {
			s = &CashStaffDay{Staff: g.CollectedBy}
			by[g.CollectedBy] = s
			order = append(order, g.CollectedBy)
		}
		if g.CollectedByName != "" {
			s.Name = g.CollectedByName
		}
		s.Gifts = append(s.Gifts, g)
		s.Total += g.Amount
		out.Total += g.Amount
		out.Count++
	}
	for i := range closes {
		c := &closes[i]
		s := by[c.Staff]
		if s == nil {
			// Closed with nothing left in the book: still shown.
			s = &CashStaffDay{Staff: c.Staff, Name: c.StaffName}
			by[c.Staff] = s
			order = append(order, c.Staff)
		}
		s.Close = c
	}
	for _, k := range order {
		out.Staff = append(out.Staff, *by[k])
	}
	sort.SliceStable(out.Staff, func(i, j int) bool { return out.Staff[i].Name < out.Staff[j].Name })
	return out, nil
}

// CloseInput is a day close as staff enter it.
type CloseInput struct {
	Day, Staff, HandedOver, Deposit string
}

// Close records staff's day close at unit: the total handed over and the
// bank deposit reference, against the book's total for them now. The same
// close again (a double submit, a retry) answers the stored one with
// created false; another close of the same day is donations.ErrDayClosed.
func (b *CashBook) Close(ctx context.Context, unit string, by Collector, in CloseInput) (*donations.CashClose, bool, error) {
	var v validation.Errors
	handed, err := money.Parse(in.HandedOver)
	if err != nil {
		v.AddErr("handedOver", err)
	}
	deposit := in.Deposit
	if freetext.Into(&v, "depositReference", &deposit, freetext.Line.WithMax(64)) && deposit == "" {
		v.Add("depositReference", "is required (at most 64 characters)")
	}
	if in.Staff == "" {
		v.Add("staff", "is required")
	}
	day, _, dayErr := b.day(in.Day)
	var ve validation.Errors
	if errors.As(dayErr, &ve) {
		v = append(v, ve...)
	}
	if err := v.Err(); err != nil {
		return nil, false, err
	}
	book, err := b.Day(ctx, unit, day)
	if err != nil {
		return nil, false, err
	}
	s := book.StaffDay(in.Staff)
	if s == nil || len(s.Gifts) == 0 {
		return nil, false, validation.Errors{{Field: "staff", Message: "took no cash gifts on this day"}}
	}
	c := &donations.CashClose{Unit: unit, Day: day, Staff: s.Staff, StaffName: s.Name, Expected: s.Total, Gifts: len(s.Gifts),
		HandedOver: handed, Deposit: deposit, ClosedBy: by.Subject, ClosedByName: by.Name, At: b.Now().UTC()}
	stored, err := b.Store.InsertClose(ctx, c)
	if errors.Is(err, donations.ErrDayClosed) {
		if stored != nil && stored.HandedOver == c.HandedOver && stored.Deposit == c.Deposit {
			return stored, false, nil
		}
		return stored, false, err
	}
	if err != nil {
		return nil, false, fmt.Errorf("close cash day: %w", err)
	}
	return stored, true, nil
}
