package ledger

import (
	"errors"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// GrantAllocation is one government allocation into a unit's grant fund: an
// entry of the national sequence of a fiscal year (ADR 0011).
type GrantAllocation struct {
	DocID string `bson:"_id"`
	// ID names the allocation (unique): its ledger entry's source is
	// "grant-allocation/<ID>".
	ID        string       `bson:"alloc"`
	FY        string       `bson:"fy"`
	Seq       int64        `bson:"seq"`
	Unit      string       `bson:"unit"`
	Amount    money.Amount `bson:"amount"`
	Total     money.Amount `bson:"total"`
	Envelope  money.Amount `bson:"envelope"`
	Reference string       `bson:"reference"`
	By        string       `bson:"by"`
	At        time.Time    `bson:"at"`
}

// ErrEnvelope is returned when an allocation would pass the year's budget.
var ErrEnvelope = errors.New("the fiscal year's grant budget envelope would be exceeded")
