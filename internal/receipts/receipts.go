// Package receipts issues tax-rebate receipts: one per paid gift, numbered
// without gaps per unit and fiscal year.
package receipts

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// dhaka is Bangladesh Standard Time. A fixed zone (no DST since 2009) avoids
// depending on tzdata being installed in minimal images.
var dhaka = time.FixedZone("Asia/Dhaka", 6*60*60)

// Dhaka returns the Asia/Dhaka location used for receipt dates.
func Dhaka() *time.Location { return dhaka }

// FiscalYear returns Bangladesh's July–June fiscal year of t, like "2025-26".
func FiscalYear(t time.Time) string {
	t = t.In(dhaka)
	start := t.Year()
	if t.Month() < time.July {
		start--
	}
	return fmt.Sprintf("%d-%02d", start, (start+1)%100)
}

// Serial formats a receipt number like "DMCH/2025-26/000001".
func Serial(prefix, fiscalYear string, seq int64) string {
	return fmt.Sprintf("%s/%s/%06d", prefix, fiscalYear, seq)
}

// Receipt is the record of one tax-rebate receipt. Its ID is the donation's,
// so a donation can never have two.
type Receipt struct {
	ID         string
	Unit       string
	FiscalYear string
	Seq        int64
	Serial     string
	Amount     money.Amount
	Kind       string
	Programme  string
	Method     string
	TrxID      string
	PaidAt     time.Time
	IssuedAt   time.Time

	// Content is the canonical content the unit signed (see Content),
	// Signature its Ed25519 signature and KeyID the signing key's
	// fingerprint. They are written by the same insert as the serial.
	Content   string
	Signature []byte
	KeyID     string
	// DonorRef is the keyed reference of the donor's mobile number, for
	// annual statements (never the number itself).
	DonorRef string
}

// Errors of the receipt store.
var (
	ErrNotFound = errors.New("receipt not found")
	// ErrSerialTaken means another receipt took the serial first; retry with
	// the next one.
	ErrSerialTaken = errors.New("serial taken")
	// ErrExists means the donation already has its receipt.
	ErrExists = errors.New("donation already receipted")
)

// Repository stores receipts. Insert must be atomic on both the donation and
// the (unit, fiscal year, seq) keys.
type Repository interface {
	Get(ctx context.Context, id string) (*Receipt, error)
	// LastSeq returns the highest serial number issued for unit in fy (0 if none).
	LastSeq(ctx context.Context, unit, fy string) (int64, error)
	Insert(ctx context.Context, r *Receipt) error
}

// Issue stores the receipt for r.ID with the next free serial. Concurrent
// issuers for other donations push it to retry with a later serial; a
// concurrent issuer for the same donation makes it return that receipt. No
// serial is ever skipped: a number is only used by a successful insert of
// last+1.
//
// Reached only by tests: the workers issue receipts in blocks (IssueMany); the store's concurrency tests drive the one-receipt path with it.
func Issue(ctx context.Context, repo Repository, r Receipt, prefix string, maxAttempts int) (*Receipt, error) {
	return IssueWith(ctx, repo, r, prefix, maxAttempts, nil)
}

// IssueWith is Issue with a finish step run on every attempt once the
// serial is chosen and before the insert: signing, so the signature covers
// the serial and is stored by the one insert that claims it.
func IssueWith(ctx context.Context, repo Repository, r Receipt, prefix string, maxAttempts int, finish func(*Receipt) error) (*Receipt, error) {
	if existing, err := repo.Get(ctx, r.ID); err == nil {
		return existing, nil
	} else if !errors.Is(err, ErrNotFound) {
		return nil, err
	}
	r.FiscalYear = FiscalYear(r.PaidAt)
	for attempt := 0; attempt < maxAttempts; attempt++ {
		last, err := repo.LastSeq(ctx, r.Unit, r.FiscalYear)
		if err != nil {
			return nil, err
		}
		r.Seq = last + 1
		r.Serial = Serial(prefix, r.FiscalYear, r.Seq)
		if finish != nil {
			if err := finish(&r); err != nil {
				return nil, err
			}
		}
		err = repo.Insert(ctx, &r)
		switch {
		case err == nil:
			return &r, nil
		case errors.Is(err, ErrExists):
			return repo.Get(ctx, r.ID)
		case errors.Is(err, ErrSerialTaken):
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			continue
		default:
			return nil, err
		}
	}
	return nil, fmt.Errorf("issue receipt for %s: serial contention after %d attempts", r.ID, maxAttempts)
}
