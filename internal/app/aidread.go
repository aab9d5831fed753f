package app

import (
	"context"

	"github.com/kalyan-platform/kalyan/internal/aid"
)

// Get returns the latest version of aid request id (aid.ErrNotFound).
func (s *Aid) Get(ctx context.Context, id string) (*aid.Request, error) {
	return s.Store.Get(ctx, id)
}

// History returns the stored versions of aid request id.
func (s *Aid) History(ctx context.Context, id string) ([]aid.Request, error) {
	return s.Store.History(ctx, id)
}

// List returns the requests f selects.
func (s *Aid) List(ctx context.Context, f aid.Filter) ([]aid.Request, error) {
	return s.Store.List(ctx, f)
}
