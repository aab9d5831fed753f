package app

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
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
	// Merchants stores units' own bKash merchant credentials (needed only
	// to register a unit with credentials).
	Merchants *Merchants
	// PlatformMerchant is the platform's merchant username: a unit cannot
	// register it as its own (omit the credentials to use it).
	PlatformMerchant string
	// Slugs is the one namespace of /d/<slug>, shared with campaign links:
	// a new unit claims its code there.
	Slugs Claims

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

// MerchantChange is what a registration does to the unit's own bKash
// merchant. The zero value keeps whatever the unit has.
type MerchantChange struct {
	// Set gives the unit these credentials (new, or a rotation).
	Set *MerchantCredentials
	// Remove puts the unit back on the platform's merchant. The stored
	// credentials stay, for the gifts already made through them.
	Remove bool
}

// Register creates or updates a unit, keeping its merchant. Re-registering
// an archived unit reactivates it: the operator's declaration is the
// desired state.
func (s *Units) Register(ctx context.Context, u *units.Unit) (created bool, err error) {
	return s.RegisterWith(ctx, u, MerchantChange{})
}

// RegisterWith is Register that also sets, keeps or removes the unit's own
// bKash merchant. A nil u.Contact keeps the stored unit's contact; an empty
// one removes it.
func (s *Units) RegisterWith(ctx context.Context, u *units.Unit, mc MerchantChange) (created bool, err error) {
	removeContact := u.Contact != nil && *u.Contact == (units.Contact{})
	if removeContact {
		u.Contact = nil
	}
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
		u.Merchant = existing.Merchant
		if u.Contact == nil && !removeContact {
			u.Contact = existing.Contact
		}
	}
	if created {
		// Its code becomes its donation address /d/<code>: a link there
		// would take its donors' gifts to another unit.
		var release func()
		if release, err = s.claimCode(ctx, u.Code, now); err != nil {
			return false, err
		}
		defer func() {
			if err != nil {
				release()
			}
		}()
	}
	switch {
	case mc.Set != nil && mc.Set.Username == s.PlatformMerchant:
		var v validation.Errors
		v.Add("bkash.username", "is the platform's merchant: send \"bkash\": null to use it")
		return false, v.Err()
	case mc.Set != nil:
		if s.Merchants == nil {
			return false, fmt.Errorf("register %s: no merchant credential store configured", u.Code)
		}
		ref, err := s.Merchants.Put(ctx, *mc.Set)
		if errors.Is(err, ErrMerchantRefused) {
			var v validation.Errors
			v.Add("bkash", err.Error())
			return false, v.Err()
		}
		if err != nil {
			return false, err
		}
		u.Merchant = &ref
	case mc.Remove:
		u.Merchant = nil
	}
	u.Status = units.Active
	u.UpdatedAt = now
	s.forget(u.Code)
	if err := s.Store.Put(ctx, u); err != nil {
		return false, err
	}
	return created, nil
}

// ErrSlugTaken is a new unit's code that a campaign link holds.
var ErrSlugTaken = errors.New("a donation link already uses this code as its address")

// claimCode claims a new unit's code in the slug namespace; release gives
// it up again if the registration fails after all (only a claim this call
// took: a concurrent registration of the same unit may hold it).
func (s *Units) claimCode(ctx context.Context, code string, now time.Time) (release func(), err error) {
	if s.Slugs == nil {
		return nil, fmt.Errorf("register %s: no slug registry configured", code)
	}
	held, took, err := s.Slugs.Claim(ctx, code, SlugUnit, now)
	if err != nil {
		return nil, err
	}
	if held != SlugUnit {
		return nil, ErrSlugTaken
	}
	return func() {
		if took {
			_ = s.Slugs.Release(context.WithoutCancel(ctx), code, SlugUnit)
		}
	}, nil
}

// Holders in the slug namespace.
const (
	SlugUnit = "unit"
	SlugLink = "link"
)

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
