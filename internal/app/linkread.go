package app

import (
	"context"

	"github.com/kalyan-platform/kalyan/internal/links"
)

// Get returns link slug (links.ErrNotFound), disabled or not.
func (s *Links) Get(ctx context.Context, slug string) (*links.Link, error) {
	return s.Store.Get(ctx, slug)
}

// ForUnit lists a unit's links.
func (s *Links) ForUnit(ctx context.Context, unit string) ([]links.Link, error) {
	return s.Store.ForUnit(ctx, unit)
}

// SetDisabled switches link slug off (or on again): a disabled link takes
// no gifts and its page says so.
func (s *Links) SetDisabled(ctx context.Context, slug string, disabled bool) error {
	return s.Store.SetDisabled(ctx, slug, disabled)
}

// Totals returns what was given through each of the links.
func (s *Links) Totals(ctx context.Context, ls []links.Link) (map[string]links.Total, error) {
	slugs := make([]string, len(ls))
	for i := range ls {
		slugs[i] = ls[i].Slug
	}
	return s.Store.Totals(ctx, slugs)
}
