package bkashgateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bkash"
)

// TokenRepo is the port SharedTokens keeps the fleet's merchant tokens
// (sealed) and grant log through; mongostore.BKashTokens implements it with
// unique-key inserts, the one compare-and-swap FerretDB keeps.
type TokenRepo interface {
	// LatestToken returns merchant's newest generation; ok is false when it
	// has none.
	LatestToken(ctx context.Context, merchant string) (t bkash.SealedToken, ok bool, err error)
	// InsertToken stores generation t.Gen, or returns bkash.ErrTokenTaken
	// when another process stored it first.
	InsertToken(ctx context.Context, t bkash.SealedToken) error
	// LastGrants returns merchant's n most recent grants, newest first.
	LastGrants(ctx context.Context, merchant string, n int) ([]bkash.Grant, error)
	// InsertGrant records grant g.Seq, or returns bkash.ErrGrantTaken when
	// another process recorded it first.
	InsertGrant(ctx context.Context, g bkash.Grant) error
}

// TokenSealer seals tokens at rest (signing.Sealer).
type TokenSealer interface {
	Seal(plain, aad []byte) ([]byte, error)
	Open(sealed, aad []byte) ([]byte, error)
	ID() string
}

// Lease is one holder's lease on a job (mongostore.Lease).
type Lease interface {
	Held(ctx context.Context) (bool, error)
}

// SharedTokens implements bkash.TokenStore on the store every process
// shares (ADR 0008): tokens sealed with the platform seal key, renewal
// arbitrated by a lease per merchant, grants counted in a log per merchant.
type SharedTokens struct {
	Repo   TokenRepo
	Sealer TokenSealer
	// Lease returns this process's renewal lease of a merchant.
	Lease  func(merchant string) Lease
	Holder string

	mu     sync.Mutex
	leases map[string]Lease
}

var _ bkash.TokenStore = (*SharedTokens)(nil)

func tokenAAD(merchant string, gen int64) []byte {
	return fmt.Appendf(nil, "kalyan/bkash-token/v1\x00%s#%d", merchant, gen)
}

type sealedToken struct {
	IDToken      string `json:"id"`
	RefreshToken string `json:"refresh"`
}

// Latest implements bkash.TokenStore.
func (s *SharedTokens) Latest(ctx context.Context, merchant string) (bkash.SharedToken, bool, error) {
	doc, ok, err := s.Repo.LatestToken(ctx, merchant)
	if err != nil || !ok {
		return bkash.SharedToken{}, false, err
	}
	plain, err := s.Sealer.Open(doc.Sealed, tokenAAD(merchant, doc.Gen))
	if err != nil {
		// Sealed under another key (a rotated seal key): this generation
		// cannot be used, and the next renewal stores one that can.
		return bkash.SharedToken{Gen: doc.Gen}, true, nil
	}
	var st sealedToken
	if err := json.Unmarshal(plain, &st); err != nil {
		return bkash.SharedToken{Gen: doc.Gen}, true, nil
	}
	return bkash.SharedToken{Gen: doc.Gen, IDToken: st.IDToken, RefreshToken: st.RefreshToken, IssuedAt: doc.IssuedAt, ExpiresAt: doc.ExpiresAt}, true, nil
}

// Put implements bkash.TokenStore.
func (s *SharedTokens) Put(ctx context.Context, merchant string, t bkash.SharedToken) error {
	plain, err := json.Marshal(sealedToken{IDToken: t.IDToken, RefreshToken: t.RefreshToken})
	if err != nil {
		return err
	}
	sealed, err := s.Sealer.Seal(plain, tokenAAD(merchant, t.Gen))
	if err != nil {
		return fmt.Errorf("seal bkash token: %w", err)
	}
	return s.Repo.InsertToken(ctx, bkash.SealedToken{
		Merchant: merchant, Gen: t.Gen, Sealed: sealed, SealKeyID: s.Sealer.ID(), IssuedAt: t.IssuedAt.UTC(), ExpiresAt: t.ExpiresAt.UTC(),
	})
}

// Renewing implements bkash.TokenStore.
func (s *SharedTokens) Renewing(ctx context.Context, merchant string) (bool, error) {
	s.mu.Lock()
	if s.leases == nil {
		s.leases = map[string]Lease{}
	}
	l, ok := s.leases[merchant]
	if !ok {
		l = s.Lease(merchant)
		s.leases[merchant] = l
	}
	s.mu.Unlock()
	return l.Held(ctx)
}

// ReserveGrant implements bkash.TokenStore: grant number n of a merchant
// may be made only if grant n-2 was an hour or more ago, and taking number
// n is a unique insert, so two processes cannot both take it.
func (s *SharedTokens) ReserveGrant(ctx context.Context, merchant string, now time.Time) error {
	last, err := s.Repo.LastGrants(ctx, merchant, bkash.GrantsPerHour)
	if err != nil {
		return err
	}
	var seq int64
	if len(last) > 0 {
		seq = last[0].Seq
	}
	if len(last) >= bkash.GrantsPerHour {
		if oldest := last[bkash.GrantsPerHour-1]; now.Sub(oldest.At) < time.Hour {
			return fmt.Errorf("%w (next at %s)", bkash.ErrGrantBudget, oldest.At.Add(time.Hour).UTC().Format(time.RFC3339))
		}
	}
	err = s.Repo.InsertGrant(ctx, bkash.Grant{Merchant: merchant, Seq: seq + 1, At: now.UTC(), Holder: s.Holder})
	if errors.Is(err, bkash.ErrGrantTaken) {
		// Another process granted just now: its token is the one to use.
		return fmt.Errorf("%w (another process is granting)", bkash.ErrGrantBudget)
	}
	return err
}
