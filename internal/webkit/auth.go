package webkit

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/auth"
)

// StaffRoles are the roles of a unit's own staff.
var StaffRoles = []auth.Role{auth.SocialWorker, auth.Committee, auth.UnitAdmin}

// Principal returns the verified caller or a 401.
func (k *Kit) Principal(c *fiber.Ctx) (auth.Principal, error) {
	raw := c.Get(fiber.HeaderAuthorization)
	tok, ok := strings.CutPrefix(raw, "Bearer ")
	if !ok || tok == "" {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	p, err := k.Verifier.Verify(tok)
	if err != nil {
		k.Log.InfoContext(c.UserContext(), "token refused", "route", c.Route().Path, "reason", err.Error())
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return p, nil
}

// RequireRole lets through callers with one of roles.
func (k *Kit) RequireRole(roles ...auth.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := k.Principal(c)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if p.Role == r {
				c.Locals("principal", p)
				return c.Next()
			}
		}
		return NewProblem(fiber.StatusForbidden, "forbidden", "Not allowed", "Your role may not do this.")
	}
}

// StaffOf returns the caller if they are staff of unit (or a platform
// admin) with one of roles; otherwise a 401/404. Another unit's resources
// answer 404, so staff cannot even learn they exist.
func (k *Kit) StaffOf(c *fiber.Ctx, unit string, roles ...auth.Role) (auth.Principal, error) {
	p, err := k.Principal(c)
	if err != nil {
		return p, err
	}
	if !p.CanActOn(unit) {
		return p, NewProblem(fiber.StatusNotFound, "not-found", "Not found", "")
	}
	if p.Role == auth.PlatformAdmin {
		return p, nil
	}
	for _, r := range roles {
		if p.Role == r {
			return p, nil
		}
	}
	return p, NewProblem(fiber.StatusForbidden, "forbidden", "Not allowed", "Your role may not do this.")
}

// Actor is the caller as the aid records name them.
func Actor(p auth.Principal) aid.Actor {
	return aid.Actor{Sub: p.Subject, Role: string(p.Role), Name: p.Name}
}
