package app

import (
	"context"

	"github.com/kalyan-platform/kalyan/internal/units"
)

// List returns every registered unit, archived ones too.
func (s *Units) List(ctx context.Context) ([]units.Unit, error) {
	return s.Store.List(ctx)
}
