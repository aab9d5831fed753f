package bkash

import (
	"container/list"
	"context"
	"fmt"
	"sync"
)

// DefaultMaxMerchants bounds a Merchants cache: the country's 538 units,
// each with at most a few merchants over time, plus the platform's.
const DefaultMaxMerchants = 2048

// Merchants keeps one Client, and so one cached token, per merchant ID (the
// merchant's bKash username), because bKash wants a token granted at most a
// couple of times an hour per merchant and a payment can only be executed,
// queried and refunded with a token of the merchant that created it. The
// cache is bounded: past max merchants the least recently used one is
// dropped (its next call grants a new token). It starts no goroutines and
// is safe for concurrent use.
type Merchants struct {
	cfg Config
	max int

	mu    sync.Mutex
	byID  map[string]*list.Element // of *merchantClient
	order *list.List               // most recently used first
}

type merchantClient struct {
	id     string
	client *Client
}

// NewMerchants returns an empty cache whose Clients share cfg; max ≤ 0
// means DefaultMaxMerchants.
func NewMerchants(cfg Config, max int) *Merchants {
	if max <= 0 {
		max = DefaultMaxMerchants
	}
	return &Merchants{cfg: cfg.withDefaults(), max: max, byID: make(map[string]*list.Element), order: list.New()}
}

// Client returns the Client of merchant id for cred. If the cached Client
// has other credentials (a rotation), it is replaced and its token dropped.
func (m *Merchants) Client(id string, cred Credentials) *Client {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.byID[id]; ok {
		mc := e.Value.(*merchantClient)
		if mc.client.cred == cred {
			m.order.MoveToFront(e)
			return mc.client
		}
		m.order.Remove(e)
		delete(m.byID, id)
	}
	c := New(m.cfg, cred)
	m.installLocked(id, c)
	return c
}

// Try grants a token with cred and, if bKash accepts them, makes that
// client merchant id's, replacing the one (and the token) held for its
// old credentials. A refusal or no answer leaves the cache as it was.
func (m *Merchants) Try(ctx context.Context, id string, cred Credentials) error {
	c := New(m.cfg, cred)
	// A grant, even when the fleet shares a token: only a grant with these
	// credentials tells whether bKash takes them.
	if err := c.grantNow(ctx); err != nil {
		return fmt.Errorf("bkash authenticate: %w", err)
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.byID[id]; ok {
		m.order.Remove(e)
		delete(m.byID, id)
	}
	m.installLocked(id, c)
	return nil
}

func (m *Merchants) installLocked(id string, c *Client) {
	m.byID[id] = m.order.PushFront(&merchantClient{id: id, client: c})
	for m.order.Len() > m.max {
		last := m.order.Back()
		m.order.Remove(last)
		delete(m.byID, last.Value.(*merchantClient).id)
	}
}

// Drop forgets merchant id's Client and token (after its credentials were
// rotated); the next call grants anew.
func (m *Merchants) Drop(id string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e, ok := m.byID[id]; ok {
		m.order.Remove(e)
		delete(m.byID, id)
	}
}

// Len is the number of cached merchants.
func (m *Merchants) Len() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.order.Len()
}

// Max is the cache's bound.
func (m *Merchants) Max() int { return m.max }

// Authenticate makes sure c holds a token, granting one if needed: it tells
// whether bKash accepts c's credentials (IsAuth when it refuses them).
func (c *Client) Authenticate(ctx context.Context) error {
	if _, err := c.idToken(ctx); err != nil {
		return fmt.Errorf("bkash authenticate: %w", err)
	}
	return nil
}
