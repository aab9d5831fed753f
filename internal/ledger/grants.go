package ledger

import (
	"errors"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// GrantAllocation is one government allocation into a unit's grant fund: an
// entry of the national sequence of a fiscal year (ADR 0011).
type GrantAllocation struct {
	DocID string
	// ID names the allocation (unique): its ledger entry's source is
	// "grant-allocation/<ID>".
	ID        string
	FY        string
	Seq       int64
	Unit      string
	Amount    money.Amount
	Total     money.Amount
	Envelope  money.Amount
	Reference string
	By        string
	At        time.Time
}

// ErrEnvelope is returned when an allocation would pass the year's budget.
var ErrEnvelope = errors.New("the fiscal year's grant budget envelope would be exceeded")
