package webkit

import (
	"errors"
	"slices"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/auth"
)

// StaffRoles are the roles of a unit's own staff who do aid work.
var StaffRoles = []auth.Role{auth.SocialWorker, auth.Committee, auth.UnitAdmin}

// CashRoles may take cash at a unit's counter and keep its cash book: a
// cashier or a unit admin, not any social worker (issue 17).
var CashRoles = []auth.Role{auth.Cashier, auth.UnitAdmin}

// CounterRoles may print a donor's annual statement at a counter, with the
// donor there to read out the one-time code.
var CounterRoles = []auth.Role{auth.SocialWorker, auth.UnitAdmin, auth.Cashier}

// UnitRoles are every role bound to one unit: who may use the console.
var UnitRoles = []auth.Role{auth.SocialWorker, auth.Committee, auth.UnitAdmin, auth.Cashier}

// principalKey holds the authorised caller in the request's locals.
const principalKey = "principal"

// Access says who may use a route; Kit.Authorize enforces it.
type Access struct {
	// Roles may use the route. On a unit-scoped route a platform admin
	// always may; otherwise only the roles listed.
	Roles []auth.Role
	// Unit names the unit the request acts on (nil: the route is not
	// scoped to a unit). Staff of another unit get a 404, so they cannot
	// even learn the resource exists; its errors are answered as they are.
	Unit func(c *fiber.Ctx) (string, error)
	// UnitFirst looks the unit up before checking the token, for resources
	// that are public anyway (a donation, a donation link): asking after a
	// missing one is a 404 whoever asks.
	UnitFirst bool
	// Unauthenticated, if set, answers a caller without a valid token
	// (the console sends a browser to its sign-in page).
	Unauthenticated func(c *fiber.Ctx, err error) error
}

// Authorize is the one authorisation middleware of the API and the
// console: it verifies the caller's bearer token (401), scopes them to the
// request's unit (404) and checks their role (403), then keeps the caller
// for the handler (Caller).
func (k *Kit) Authorize(a Access) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := k.check(c, a)
		if err != nil {
			return err
		}
		c.Locals(principalKey, p)
		return c.Next()
	}
}

func (k *Kit) check(c *fiber.Ctx, a Access) (auth.Principal, error) {
	var unit string
	if a.Unit != nil && a.UnitFirst {
		u, err := a.Unit(c)
		if err != nil {
			return auth.Principal{}, err
		}
		unit = u
	}
	p, err := k.principal(c)
	if err != nil {
		if a.Unauthenticated != nil {
			return p, a.Unauthenticated(c, err)
		}
		return p, err
	}
	if a.Unit == nil {
		if !slices.Contains(a.Roles, p.Role) {
			return p, errForbidden
		}
		return p, nil
	}
	if !a.UnitFirst {
		if unit, err = a.Unit(c); err != nil {
			return p, err
		}
	}
	return p, scope(p, unit, a.Roles)
}

// ActOn checks the authorised caller may act on unit with one of roles, for
// a handler that learns the unit only from the request's body or query.
func ActOn(c *fiber.Ctx, unit string, roles ...auth.Role) error {
	return scope(Caller(c), unit, roles)
}

// scope is the unit rule: staff act on their own unit only (another unit's
// resources are a 404), with one of roles; a platform admin on any.
func scope(p auth.Principal, unit string, roles []auth.Role) error {
	if !p.CanActOn(unit) {
		return NewProblem(fiber.StatusNotFound, "not-found", "Not found", "")
	}
	if p.Role == auth.PlatformAdmin || slices.Contains(roles, p.Role) {
		return nil
	}
	return errForbidden
}

var errForbidden = NewProblem(fiber.StatusForbidden, "forbidden", "Not allowed", "Your role may not do this.")

// Caller is the caller Authorize let through.
func Caller(c *fiber.Ctx) auth.Principal {
	p, _ := c.Locals(principalKey).(auth.Principal)
	return p
}

// principal returns the verified caller or a 401.
func (k *Kit) principal(c *fiber.Ctx) (auth.Principal, error) {
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

// Param names the unit by a route parameter.
func Param(name string) func(c *fiber.Ctx) (string, error) {
	return func(c *fiber.Ctx) (string, error) { return c.Params(name), nil }
}

// AidRequest names the unit of the aid request in the route's :id, loaded
// by get; the handler finds the request with LoadedAid.
func AidRequest(get func(c *fiber.Ctx, id string) (*aid.Request, error)) func(c *fiber.Ctx) (string, error) {
	return func(c *fiber.Ctx) (string, error) {
		q, err := get(c, c.Params("id"))
		if errors.Is(err, aid.ErrNotFound) {
			return "", NewProblem(fiber.StatusNotFound, "aid-request-not-found", "No such aid request", "")
		}
		if err != nil {
			return "", err
		}
		c.Locals(aidKey, q)
		return q.Unit, nil
	}
}

const aidKey = "aid-request"

// LoadedAid is the aid request AidRequest loaded.
func LoadedAid(c *fiber.Ctx) *aid.Request {
	q, _ := c.Locals(aidKey).(*aid.Request)
	return q
}

// Actor is the caller as the aid records name them.
func Actor(p auth.Principal) aid.Actor {
	return aid.Actor{Sub: p.Subject, Role: string(p.Role), Name: p.Name}
}
