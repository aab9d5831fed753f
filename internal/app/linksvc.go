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
	// Totals is what was given through each link (paid gifts that
	// recorded it), read by an index on the link, never a fold of the
	// unit's gifts.
	Totals(ctx context.Context, slugs []string) (map[string]links.Total, error)
}

// Links manages donation links.
type Links struct {
	Store LinkStore
	Units *Units
	Now   func() time.Time
	// Slugs is the namespace links share with unit codes (Units.Slugs).
	Slugs Claims
}

// Create adds a campaign link to a unit. Its slug is claimed in the one
// namespace of unit codes and link slugs: a unit's code (now, or of a unit
// registered later) is its default link and never a campaign's.
func (s *Links) Create(ctx context.Context, unitCode string, l *links.Link) error {
	u, err := s.Units.Servable(ctx, unitCode)
	if err != nil {
		return err
	}
	l.Unit, l.CreatedAt = u.Code, s.Now().UTC()
	if err := l.Validate(u, s.Now()); err != nil {
		return err
	}
	if s.Slugs == nil {
		return errors.New("create link: no slug registry configured")
	}
	held, took, err := s.Slugs.Claim(ctx, l.Slug, SlugLink, l.CreatedAt)
	if err != nil {
		return err
	}
	if held != SlugLink {
		return links.ErrTaken
	}
	// Held by a link: that link, or a claim whose link was never stored;
	// the links' own unique slug decides.
	err = s.Store.Create(ctx, l)
	if err != nil && took && !errors.Is(err, links.ErrTaken) {
		_ = s.Slugs.Release(context.WithoutCancel(ctx), l.Slug, SlugLink)
	}
	return err
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
