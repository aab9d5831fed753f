package donations

import (
	"crypto/sha256"
	"encoding/base32"
	"errors"
	"regexp"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Errors of claiming a gift made in the bKash app.
var (
	// ErrTrxNotFound: bKash knows no completed transaction with this trxID
	// into the unit's merchant wallet.
	ErrTrxNotFound = errors.New("no completed bKash transaction with this TrxID")
	// ErrTrxForeign: the transaction went to another merchant's wallet.
	ErrTrxForeign = errors.New("this TrxID paid another bKash merchant")
	// ErrTrxClaimed: the transaction is already a gift here (claimed, or
	// paid through a donation link).
	ErrTrxClaimed = errors.New("this TrxID was already received as a gift")
	// ErrTrxPayer: the transaction was paid from another wallet number.
	ErrTrxPayer = errors.New("this TrxID was paid from another bKash number")
	// ErrTrxTooOld: completed outside the window in which gifts are claimed
	// (the refund window).
	ErrTrxTooOld = errors.New("this TrxID is older than gifts can be claimed")
)

// trxPattern is what a bKash trxID looks like: 10 letters and digits in
// bKash's answers and receipts (e.g. "AGF7D2JH5K"); a few more or fewer are
// accepted, nothing else.
var trxPattern = regexp.MustCompile(`^[A-Z0-9]{8,20}$`)

// NormalizeTrxID upper-cases and trims a TrxID as a donor types it (from an
// SMS, with spaces), or reports it malformed.
func NormalizeTrxID(s string) (string, bool) {
	s = strings.ToUpper(strings.Join(strings.Fields(s), ""))
	return s, trxPattern.MatchString(s)
}

// AppGiftID is the donation ID of the gift claimed with trxID: the same for
// every claim of it, so a transaction is credited at most once (the unique
// key of the donation's first version).
func AppGiftID(trxID string) string {
	sum := sha256.Sum256([]byte("bkash-app\x00" + trxID))
	return "don_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

// NewAppGift builds the gift a donor claims for a payment made in the
// bKash app: amount as bKash reports it, the donor's kind, programme and
// name as they ask. The unit's limits on new gifts do not apply: the money
// has already arrived.
func NewAppGift(u *units.Unit, trxID string, amount money.Amount, r Request, now time.Time) (*Donation, error) {
	if amount <= 0 {
		var v validation.Errors
		v.Add("amount", "must be positive")
		return nil, v.Err()
	}
	relaxed := *u
	relaxed.Policy.MinDonation, relaxed.Policy.MaxDonation = 1, amount
	r.Amount, r.Currency = amount.String(), money.Currency
	d, err := New(&relaxed, AppGiftID(trxID), BKashApp, r, now)
	if err != nil {
		return nil, err
	}
	d.TrxID = trxID
	return d, nil
}
