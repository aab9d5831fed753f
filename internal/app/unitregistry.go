package app

import (
	"context"

	"github.com/kalyan-platform/kalyan/internal/units"
)

// UnitRegistry registers units as a platform admin does: the unit with its
// bKash merchant credentials, then its receipt signing key.
type UnitRegistry struct {
	Units *Units
	Keys  *UnitKeys
}

// Put registers u (or updates it) with the merchant change mc, then gives
// it its signing key: seed, the operator's (a different one rotates: it
// becomes active, older ones stay), or with seed nil a generated one if it
// has none.
func (s *UnitRegistry) Put(ctx context.Context, u *units.Unit, mc MerchantChange, seed []byte) (created bool, err error) {
	created, err = s.Units.RegisterWith(ctx, u, mc)
	if err != nil {
		return false, err
	}
	if seed != nil {
		_, err = s.Keys.Install(ctx, u.Code, seed)
	} else {
		_, err = s.Keys.Ensure(ctx, u.Code)
	}
	return created, err
}
