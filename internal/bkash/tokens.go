package bkash

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// bKash lets a merchant grant a token at most twice an hour; a third grant
// within the hour blocks the merchant for an hour ("Do not call more than
// twice within an hour or the caller is blocked for one hour", bKash
// developer docs, token management, as mirrored in api-evangelist/bkash
// authentication/bkash-authentication.yml; karim-007/laravel-bkash-tokenize
// PR #5 and #7 report bKash enforcing it). A fleet of API and worker
// processes that each granted their own token was over it within the hour.
// So, with Config.Tokens set, a merchant has one token for the whole fleet:
// kept in a TokenStore every process reads, renewed with the refresh token
// before it expires by the one process that holds the merchant's renewal
// lease, and granted anew only when the refresh fails, within a grant
// budget the store enforces fleet-wide.

// GrantsPerHour is bKash's limit of token grants per merchant per hour.
const GrantsPerHour = 2

// SharedToken is one merchant's token as the fleet shares it. Generations
// count up: each renewal stores the next one.
type SharedToken struct {
	Gen          int64
	IDToken      string
	RefreshToken string
	IssuedAt     time.Time
	ExpiresAt    time.Time
}

// TokenStore keeps each merchant's current token where every process of the
// fleet reads it (the adapter seals it at rest), and arbitrates who renews.
type TokenStore interface {
	// Latest returns merchant's newest token; ok is false when it has none.
	Latest(ctx context.Context, merchant string) (t SharedToken, ok bool, err error)
	// Put stores t as generation t.Gen of merchant's token; ErrTokenTaken
	// when another process stored that generation first.
	Put(ctx context.Context, merchant string, t SharedToken) error
	// Renewing reports whether this process holds merchant's renewal lease
	// now (one holder at a time, fleet-wide).
	Renewing(ctx context.Context, merchant string) (bool, error)
	// ReserveGrant records a grant about to be made at now, or refuses it
	// with ErrGrantBudget when merchant already had GrantsPerHour grants in
	// the hour before now, whichever process made them.
	ReserveGrant(ctx context.Context, merchant string, now time.Time) error
}

// SealedToken is a SharedToken as the fleet's store keeps it: the tokens
// sealed with the platform seal key (bkashgateway.SharedTokens seals and
// opens them; the store never sees them in the clear).
type SealedToken struct {
	Merchant  string
	Gen       int64
	Sealed    []byte
	SealKeyID string
	IssuedAt  time.Time
	ExpiresAt time.Time
}

// Grant records one token grant (attempted) for a merchant; Seq counts a
// merchant's grants up from 1.
type Grant struct {
	Merchant string
	Seq      int64
	At       time.Time
	Holder   string
}

var (
	// ErrGrantTaken: another process recorded the same grant number first.
	ErrGrantTaken = errors.New("bkash: token grant number already recorded")
	// ErrTokenTaken: another process stored the same token generation.
	ErrTokenTaken = errors.New("bkash: token generation already stored")
	// ErrGrantBudget: granting now would exceed bKash's limit of grants per
	// merchant per hour (and get the merchant blocked for an hour).
	ErrGrantBudget = errors.New("bkash: no token grant left in this hour for the merchant")
)

// shared timings.
const (
	// sharedWait bounds how long a process that does not hold the renewal
	// lease waits for the holder to store a first token.
	sharedWait = 5 * time.Second
	// sharedPoll is how often it looks meanwhile.
	sharedPoll = 100 * time.Millisecond
	// sharedRecheck: a process using a token another process is renewing
	// looks for the new one this often, not on every call.
	sharedRecheck = 15 * time.Second
)

func renewAt(issued, expires time.Time) time.Time {
	// Renew ahead of expiry (bKash suggests the 50th–55th minute) so a call
	// never goes out with a token about to lapse.
	life := expires.Sub(issued)
	return expires.Add(-min(5*time.Minute, life/5))
}

// install makes st this client's token until its renewal time (or until
// the sooner recheck, for a token someone else is renewing).
func (c *Client) install(st SharedToken, recheck time.Time) string {
	r := renewAt(st.IssuedAt, st.ExpiresAt)
	if !recheck.IsZero() && recheck.Before(r) {
		r = recheck
	}
	c.mu.Lock()
	c.tok = &token{id: st.IDToken, refresh: st.RefreshToken, expiresAt: st.ExpiresAt, renewAt: r, gen: st.Gen}
	c.mu.Unlock()
	return st.IDToken
}

// renewShared returns the fleet's token of this merchant, renewing it if
// this process holds the renewal lease and the token is due.
func (c *Client) renewShared(ctx context.Context) (string, error) {
	ts, m := c.cfg.Tokens, c.cred.Username
	// Waiting for another process is real time, whatever c.cfg.Now says.
	wait := time.NewTimer(sharedWait)
	defer wait.Stop()
	for {
		now := c.cfg.Now()
		cur, ok, err := ts.Latest(ctx, m)
		if err != nil {
			// The store is unreachable: a token we hold stays good until it expires.
			if t := c.current(); t != nil && now.Before(t.expiresAt) {
				return t.id, nil
			}
			return "", noAnswer(fmt.Errorf("read shared token: %w", err))
		}
		usable := ok && cur.IDToken != c.refusedToken() && now.Before(cur.ExpiresAt)
		if usable && now.Before(renewAt(cur.IssuedAt, cur.ExpiresAt)) {
			return c.install(cur, time.Time{}), nil
		}
		held, err := ts.Renewing(ctx, m)
		if err != nil {
			// Never grant on a lease we cannot read: a grant too many blocks
			// the merchant for an hour.
			c.cfg.Logger.WarnContext(ctx, "bkash token renewal lease unreadable", "merchant", m, "error", err.Error())
			held = false
		}
		if held {
			return c.renewHeld(ctx, cur, ok, usable)
		}
		if usable {
			// Another process renews it; this token is good until it expires.
			return c.install(cur, now.Add(sharedRecheck)), nil
		}
		select {
		case <-ctx.Done():
			return "", noAnswer(ctx.Err())
		case <-wait.C:
			return "", noAnswerf("merchant %s has no usable token yet; another process is renewing it", m)
		case <-time.After(sharedPoll):
		}
	}
}

// renewHeld renews the merchant's token as the lease holder: the refresh
// token first; a grant only when that fails, and only within the budget.
func (c *Client) renewHeld(ctx context.Context, cur SharedToken, ok, usable bool) (string, error) {
	m := c.cred.Username
	if ok && cur.RefreshToken != "" {
		nt, err := c.tokenCall(ctx, "bkash refresh token", "/tokenized/checkout/token/refresh", cur.RefreshToken)
		if err == nil {
			return c.publish(ctx, cur.Gen+1, nt), nil
		}
		c.cfg.Logger.WarnContext(ctx, "bkash token refresh failed; granting", "merchant", m, "error", err.Error())
	}
	nt, err := c.grantShared(ctx)
	if err != nil {
		if usable {
			return c.install(cur, c.cfg.Now().Add(sharedRecheck)), nil
		}
		return "", err
	}
	return c.publish(ctx, cur.Gen+1, nt), nil
}

// grantShared grants a token if the fleet's grant budget allows it.
func (c *Client) grantShared(ctx context.Context) (tokenResponse, error) {
	const op = "bkash grant token"
	if err := c.cfg.Tokens.ReserveGrant(ctx, c.cred.Username, c.cfg.Now()); err != nil {
		if !errors.Is(err, ErrGrantBudget) {
			err = noAnswer(err)
		}
		c.cfg.Logger.ErrorContext(ctx, "bkash token grant not attempted", "merchant", c.cred.Username, "error", err.Error())
		return tokenResponse{}, fmt.Errorf("%s: %w", op, err)
	}
	return c.tokenCall(ctx, op, "/tokenized/checkout/token/grant", "")
}

// publish stores a new token as generation gen for the fleet and uses it.
// If another process stored that generation first, ours is still a valid
// token: this process uses it until the next renewal.
func (c *Client) publish(ctx context.Context, gen int64, nt tokenResponse) string {
	now := c.cfg.Now()
	st := SharedToken{Gen: gen, IDToken: nt.IDToken, RefreshToken: nt.RefreshToken, IssuedAt: now, ExpiresAt: now.Add(nt.ExpiresIn)}
	if err := c.cfg.Tokens.Put(ctx, c.cred.Username, st); err != nil && !errors.Is(err, ErrTokenTaken) {
		c.cfg.Logger.WarnContext(ctx, "bkash token not shared; other processes will renew on their own lease", "merchant", c.cred.Username, "error", err.Error())
	}
	return c.install(st, time.Time{})
}

// grantNow grants a token with this client's credentials at once (a
// registration checking new credentials) and shares it, within the budget.
func (c *Client) grantNow(ctx context.Context) error {
	if c.cfg.Tokens == nil {
		nt, err := c.tokenCall(ctx, "bkash grant token", "/tokenized/checkout/token/grant", "")
		if err != nil {
			return err
		}
		c.store(nt)
		return nil
	}
	cur, _, err := c.cfg.Tokens.Latest(ctx, c.cred.Username)
	if err != nil {
		return noAnswer(fmt.Errorf("read shared token: %w", err))
	}
	nt, err := c.grantShared(ctx)
	if err != nil {
		return err
	}
	c.publish(ctx, cur.Gen+1, nt)
	return nil
}

func (c *Client) current() *token {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.tok
}

func (c *Client) refusedToken() string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.refused
}
