package app

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Errors of transfers.
var (
	// ErrNotArchived: only an archived unit's money may be moved.
	ErrNotArchived = errors.New("only an archived unit's funds can be transferred")
	// ErrTargetArchived: money may only go to a unit still serving patients.
	ErrTargetArchived = errors.New("the target unit is archived")
)

// TransferLedger is the ledger a transfer moves money in.
type TransferLedger interface {
	ledger.Repository
	SourceReader
}

// FundTransfers moves an archived unit's remaining money, fund by fund, to
// the same fund of another unit (docs/adr/0011-restricted-funds.md).
type FundTransfers struct {
	Units  *Units
	Ledger TransferLedger
	// Keys maps an Idempotency-Key to the transfer it started.
	Keys Claims
	Now  func() time.Time
}

// Moved is what one fund sent.
type Moved struct {
	Fund   string
	Amount money.Amount
}

// Transfer moves each fund's balance of archived unit from to unit to. Each
// fund is two ledger entries, the source's out then the target's in, keyed
// "transfer/<id>/<fund>/out|in": a retry with the same key finishes a
// transfer a crash interrupted and never moves money twice.
func (t *FundTransfers) Transfer(ctx context.Context, from, to, key string) (string, []Moved, error) {
	src, err := t.Units.Get(ctx, from)
	if err != nil {
		return "", nil, err
	}
	if src.Status != units.Archived {
		return "", nil, ErrNotArchived
	}
	if to == from {
		return "", nil, validation.Errors{{Field: "to", Message: "must be another unit"}}
	}
	dst, err := t.Units.Get(ctx, to)
	if errors.Is(err, units.ErrNotFound) {
		return "", nil, validation.Errors{{Field: "to", Message: "no such unit"}}
	}
	if err != nil {
		return "", nil, err
	}
	if dst.Status == units.Archived {
		return "", nil, ErrTargetArchived
	}
	var b [16]byte
	_, _ = rand.Read(b[:])
	id, _, err := t.Keys.Claim(ctx, "transfer\x00"+from+"\x00"+to+"\x00"+key, "tr_"+hex.EncodeToString(b[:]), t.Now())
	if err != nil {
		return "", nil, err
	}
	bal, err := t.Ledger.Balances(ctx, from)
	if err != nil {
		return "", nil, err
	}
	var funds []string
	for _, x := range bal {
		if ledger.IsFund(x.Account) {
			funds = append(funds, x.Account)
		}
	}
	slices.Sort(funds)
	var moved []Moved
	for _, fund := range funds {
		m, err := t.move(ctx, id, from, to, fund)
		if err != nil {
			return id, moved, err
		}
		if m > 0 {
			moved = append(moved, Moved{Fund: fund, Amount: m})
		}
	}
	return id, moved, nil
}

var errEmptyFund = errors.New("fund is empty")

// move sends fund's balance (as it stands when the entry is appended) and
// credits what was sent to the target. A retry first looks for its out
// entry, so a crash between the two entries is finished, not skipped.
func (t *FundTransfers) move(ctx context.Context, id, from, to, fund string) (money.Amount, error) {
	src := fmt.Sprintf("transfer/%s/%s", id, fund)
	var amount money.Amount
	if out, err := t.Ledger.BySource(ctx, from, src+"/out"); err == nil {
		amount = out.Lines[0].Debit
	} else if !errors.Is(err, ledger.ErrNotFound) {
		return 0, err
	} else {
		applied, err := t.Ledger.Append(ctx, from, func(bal map[string]money.Amount) (ledger.Transaction, error) {
			amount = bal[fund]
			if amount <= 0 {
				return ledger.Transaction{}, errEmptyFund
			}
			return ledger.TransferOut(src+"/out", from, to, fund, amount, t.Now()), nil
		})
		switch {
		case errors.Is(err, errEmptyFund):
			return 0, nil
		case err != nil:
			return 0, fmt.Errorf("transfer %s out of %s: %w", fund, from, err)
		case !applied:
			return 0, fmt.Errorf("transfer %s out of %s: a concurrent retry is moving it", fund, from)
		}
	}
	in := ledger.TransferIn(src+"/in", to, from, fund, amount, t.Now())
	if _, err := t.Ledger.Append(ctx, to, ledger.Fixed(in)); err != nil {
		return 0, fmt.Errorf("transfer %s into %s: %w", fund, to, err)
	}
	return amount, nil
}
