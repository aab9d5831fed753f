package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kalyan-platform/kalyan/internal/units"
)

// Units manages the registry.
type Units struct {
	Store UnitStore
	Now   func() time.Time
	// CacheTTL bounds how long a unit read from the store is reused. Every
	// gift needs its unit; the registry changes a few times a year. Another
	// API replica sees a registration or an archive within this time; this
	// replica at once.
	CacheTTL time.Duration

	mu    sync.Mutex
	cache map[string]cachedUnit
}

type cachedUnit struct {
	u  units.Unit
	at time.Time
}

// Get returns the unit (archived or not), from the cache when fresh.
func (s *Units) Get(ctx context.Context, code string) (*units.Unit, error) {
	now := s.Now()
	if s.CacheTTL > 0 {
		s.mu.Lock()
		c, ok := s.cache[code]
		s.mu.Unlock()
		if ok && now.Sub(c.at) < s.CacheTTL {
			u := c.u
			return &u, nil
		}
	}
	u, err := s.Store.Get(ctx, code)
	if err != nil {
		return nil, err
	}
	if s.CacheTTL > 0 {
		s.remember(*u, now)
	}
	return u, nil
}

func (s *Units) remember(u units.Unit, at time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cache == nil {
		s.cache = map[string]cachedUnit{}
	}
	s.cache[u.Code] = cachedUnit{u: u, at: at}
}

func (s *Units) forget(code string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.cache, code)
}

// Servable returns the unit if it exists and is not archived.
func (s *Units) Servable(ctx context.Context, code string) (*units.Unit, error) {
	u, err := s.Get(ctx, code)
	if err != nil {
		return nil, err
	}
	if err := u.Servable(); err != nil {
		return u, err
	}
	return u, nil
}

// Register creates or updates a unit. Re-registering an archived unit
// reactivates it: the operator's declaration is the desired state.
func (s *Units) Register(ctx context.Context, u *units.Unit) (created bool, err error) {
	if err := u.Validate(); err != nil {
		return false, err
	}
	now := s.Now().UTC()
	existing, err := s.Store.Get(ctx, u.Code)
	switch {
	case errors.Is(err, units.ErrNotFound):
		created = true
		u.CreatedAt = now
	case err != nil:
		return false, err
	default:
		u.CreatedAt = existing.CreatedAt
	}
	u.Status = units.Active
	u.UpdatedAt = now
	s.forget(u.Code)
	if err := s.Store.Put(ctx, u); err != nil {
		return false, err
	}
	return created, nil
}

// Archive stops intake for a unit and keeps every record.
func (s *Units) Archive(ctx context.Context, code string) error {
	u, err := s.Store.Get(ctx, code)
	if err != nil {
		return err
	}
	if u.Status == units.Archived {
		return nil
	}
	u.Status = units.Archived
	u.UpdatedAt = s.Now().UTC()
	s.forget(code)
	if err := s.Store.Put(ctx, u); err != nil {
		return fmt.Errorf("archive %s: %w", code, err)
	}
	return nil
}
