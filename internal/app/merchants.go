package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// ErrMerchantRefused means bKash refused a merchant's credentials.
var ErrMerchantRefused = errors.New("bkash refused the merchant credentials")

// ErrMerchantUnverified means bKash could not confirm new credentials: it
// kept answering 9999, which it uses both when failing ("System Error") and
// for an unknown username, or its grant limit leaves no grant this hour.
// Nothing is stored; the caller tries again later.
var ErrMerchantUnverified = errors.New("bkash could not confirm the merchant credentials now")

// ErrMerchantChecksLimited means checking new credentials would need a
// third token grant of the merchant within the hour, which bKash answers by
// blocking the merchant for an hour: too many credential changes. Nothing
// is stored; the caller tries again after the hour.
var ErrMerchantChecksLimited = errors.New("too many credential checks for this bKash merchant within the hour")

// MerchantCredentials are one bKash merchant wallet's API credentials. They
// never appear in logs or answers: String, GoString and LogValue redact them.
type MerchantCredentials struct {
	Username, Password, AppKey, AppSecret string
	// ShortCode is the merchant wallet's number (optional, not secret):
	// needed to confirm gifts made to it in the bKash app.
	ShortCode string `json:",omitempty"`
}

// String hides everything but the username (the merchant's ID).
func (c MerchantCredentials) String() string {
	return "app.MerchantCredentials{Username:" + c.Username + " (secrets redacted)}"
}

// GoString hides secrets from %#v too.
func (c MerchantCredentials) GoString() string { return c.String() }

// LogValue keeps credentials out of structured logs.
func (c MerchantCredentials) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// MerchantStore keeps sealed merchant credentials by merchant ID. Entries
// are replaced on rotation and never deleted: a donation's refund may need
// its merchant long after the unit moved to another one.
type MerchantStore interface {
	PutMerchant(ctx context.Context, m signing.SealedMerchant) error
	// GetMerchant returns signing.ErrMerchantNotFound for an unknown ID.
	GetMerchant(ctx context.Context, id string) (signing.SealedMerchant, error)
}

// Merchants seals, stores and opens units' own bKash merchant credentials.
// A merchant's ID is its bKash username: a payment belongs to the wallet
// that created it, so donations record the ID and later calls look the
// credentials up by it.
type Merchants struct {
	Store  MerchantStore
	Sealer *signing.Sealer
	Now    func() time.Time
	// Check, if set, asks bKash whether it accepts new credentials before
	// they are stored (ErrMerchantRefused if not), and makes this process
	// drop the token it holds for the merchant's old ones.
	Check func(ctx context.Context, id string, cred MerchantCredentials) error
	// Changed, if set, is told of a merchant whose stored credentials just
	// changed, so this process reloads them (other processes notice by the
	// unit's revision or on their periodic re-check).
	Changed func(id string)
}

func merchantAAD(id string) []byte { return []byte("kalyan/bkash-merchant/v1\x00" + id) }

// Put stores cred sealed, unless exactly these credentials are stored
// already (the operator re-registers every unit periodically: that must not
// look like a rotation), and returns the reference a unit keeps.
func (m *Merchants) Put(ctx context.Context, cred MerchantCredentials) (units.MerchantRef, error) {
	id := cred.Username
	now := m.Now().UTC()
	rev := now.UnixNano()
	old, err := m.Store.GetMerchant(ctx, id)
	switch {
	case err == nil:
		if prev, err := m.open(old); err == nil && prev == cred {
			return units.MerchantRef{ID: id, Rev: old.Rev}, nil
		}
		rev = max(rev, old.Rev+1)
	case !errors.Is(err, signing.ErrMerchantNotFound):
		return units.MerchantRef{}, fmt.Errorf("store merchant %s: %w", id, err)
	}
	if m.Check != nil {
		if err := m.Check(ctx, id, cred); err != nil {
			return units.MerchantRef{}, err
		}
	}
	plain, err := json.Marshal(cred)
	if err != nil {
		return units.MerchantRef{}, fmt.Errorf("store merchant %s: %w", id, err)
	}
	sealed, err := m.Sealer.Seal(plain, merchantAAD(id))
	if err != nil {
		return units.MerchantRef{}, fmt.Errorf("store merchant %s: %w", id, err)
	}
	if err := m.Store.PutMerchant(ctx, signing.SealedMerchant{ID: id, Sealed: sealed, SealKeyID: m.Sealer.ID(), Rev: rev, UpdatedAt: now}); err != nil {
		return units.MerchantRef{}, err
	}
	if m.Changed != nil {
		m.Changed(id)
	}
	return units.MerchantRef{ID: id, Rev: rev}, nil
}

// Open returns the stored credentials of merchant id and their revision.
func (m *Merchants) Open(ctx context.Context, id string) (MerchantCredentials, int64, error) {
	sm, err := m.Store.GetMerchant(ctx, id)
	if err != nil {
		return MerchantCredentials{}, 0, err
	}
	cred, err := m.open(sm)
	if err != nil {
		return MerchantCredentials{}, 0, err
	}
	return cred, sm.Rev, nil
}

func (m *Merchants) open(sm signing.SealedMerchant) (MerchantCredentials, error) {
	plain, err := m.Sealer.Open(sm.Sealed, merchantAAD(sm.ID))
	if err != nil {
		return MerchantCredentials{}, fmt.Errorf("open merchant %s (sealed under key %s): %w", sm.ID, sm.SealKeyID, err)
	}
	var cred MerchantCredentials
	if err := json.Unmarshal(plain, &cred); err != nil || cred.Username != sm.ID {
		return MerchantCredentials{}, fmt.Errorf("open merchant %s: %w", sm.ID, signing.ErrSealed)
	}
	return cred, nil
}
