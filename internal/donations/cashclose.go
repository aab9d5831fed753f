package donations

import (
	"errors"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// ErrDayClosed is returned when a staff member's cash day at a counter is
// already closed.
var ErrDayClosed = errors.New("this staff member's cash day is already closed")

// CashClose is one staff member's day close at a unit's counter: what the
// cash book held for them, what they handed over and the bank deposit
// reference. It is written once (keyed by unit, day and staff member) and
// never changed.
type CashClose struct {
	Unit, Day string
	// Staff is the collector's subject, StaffName their name.
	Staff, StaffName string
	// Expected and Gifts are what the book held for the staff member when
	// the day was closed; HandedOver is what they handed over.
	Expected   money.Amount
	Gifts      int
	HandedOver money.Amount
	// Deposit is the bank deposit reference (slip or transaction number).
	Deposit string
	// ClosedBy (subject) and ClosedByName recorded the close.
	ClosedBy, ClosedByName string
	At                     time.Time
}

// Difference is what was handed over less what was expected (negative:
// short).
func (c *CashClose) Difference() money.Amount { return c.HandedOver - c.Expected }
