package app

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/units"
)

// Units manages the registry.
type Units struct {
	Store UnitStore
	Now   func() time.Time
}

// Servable returns the unit if it exists and is not archived.
func (s *Units) Servable(ctx context.Context, code string) (*units.Unit, error) {
	u, err := s.Store.Get(ctx, code)
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
	if err := s.Store.Put(ctx, u); err != nil {
		return fmt.Errorf("archive %s: %w", code, err)
	}
	return nil
}
