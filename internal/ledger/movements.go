package ledger

import (
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// Causes of the Department's grant money and of transfers between units
// (docs/adr/0011-restricted-funds.md).
const (
	// CauseGovernmentAllocation credits the Department's one-time grant
	// money to a unit's grant fund.
	CauseGovernmentAllocation = "government_allocation"
	// CauseTransferOut and CauseTransferIn move an archived unit's fund to
	// the same fund of another unit: one entry in each unit's ledger.
	CauseTransferOut = "transfer_out"
	CauseTransferIn  = "transfer_in"
)

// ClearingGovernment is where the Department's grant money arrives from.
const ClearingGovernment = "clearing:government"

// TransferAccount is the clearing account, in one unit's ledger, of money
// moved to or from unit other.
func TransferAccount(other string) string { return "transfer:" + other }

// GovernmentAllocation builds the credit of a government allocation to the
// unit's grant fund.
func GovernmentAllocation(id, unit string, amount money.Amount, at time.Time) Transaction {
	return Transaction{ID: id, Unit: unit, Cause: CauseGovernmentAllocation, At: at.UTC(),
		Lines: []Line{{Account: ClearingGovernment, Debit: amount}, {Account: FundGrant, Credit: amount}}}
}

// TransferOut builds the source unit's side of a transfer of fund to unit
// to; TransferIn the target's side, into the same fund.
func TransferOut(id, unit, to, fund string, amount money.Amount, at time.Time) Transaction {
	return Transaction{ID: id, Unit: unit, Cause: CauseTransferOut, At: at.UTC(),
		Lines: []Line{{Account: fund, Debit: amount}, {Account: TransferAccount(to), Credit: amount}}}
}

// TransferIn is the target unit's side of a transfer from unit from.
func TransferIn(id, unit, from, fund string, amount money.Amount, at time.Time) Transaction {
	return Transaction{ID: id, Unit: unit, Cause: CauseTransferIn, At: at.UTC(),
		Lines: []Line{{Account: TransferAccount(from), Debit: amount}, {Account: fund, Credit: amount}}}
}
