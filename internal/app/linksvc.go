package app

import (
	"context"
	"errors"
	"time"

	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// LinkStore is the donation link port.
type LinkStore interface {
	Create(ctx context.Context, l *links.Link) error
	Get(ctx context.Context, slug string) (*links.Link, error)
	SetDisabled(ctx context.Context, slug string, disabled bool) error
	ForUnit(ctx context.Context, unit string) ([]links.Link, error)
}

// Links manages donation links.
type Links struct {
	Store LinkStore
	Units *Units
	Now   func() time.Time
}

// Create adds a campaign link to a unit. A slug equal to another unit's
// code is refused: unit codes are their units' default links.
func (s *Links) Create(ctx context.Context, unitCode string, l *links.Link) error {
	u, err := s.Units.Servable(ctx, unitCode)
	if err != nil {
		return err
	}
	l.Unit, l.CreatedAt = u.Code, s.Now().UTC()
	if err := l.Validate(u, s.Now()); err != nil {
		return err
	}
	if _, err := s.Units.Get(ctx, l.Slug); err == nil {
		return links.ErrTaken
	} else if !errors.Is(err, units.ErrNotFound) {
		return err
	}
	return s.Store.Create(ctx, l)
}

// Resolve finds what a donor opening /d/{slug} gives to: a campaign link,
// or a unit's default link (its code). The error says why a link cannot be
// used (unknown, ended, disabled, unit archived); the link and unit are
// returned whenever known so a page can still say whose link it was.
func (s *Links) Resolve(ctx context.Context, slug string) (*links.Link, *units.Unit, error) {
	l, err := s.Store.Get(ctx, slug)
	switch {
	case errors.Is(err, links.ErrNotFound):
		u, uerr := s.Units.Servable(ctx, slug)
		if errors.Is(uerr, units.ErrNotFound) {
			return nil, nil, links.ErrNotFound
		}
		if u == nil {
			return nil, nil, uerr
		}
		return links.Default(u), u, uerr
	case err != nil:
		return nil, nil, err
	}
	u, err := s.Units.Servable(ctx, l.Unit)
	if err != nil {
		return l, u, err
	}
	return l, u, l.Usable(s.Now())
}
