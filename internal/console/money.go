package console

import (
	"slices"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// The money pages of the console (issue 17): cash at the counter, the cash
// book, refunds and the counter's annual statement. Each lives in its own
// file; this one holds what they share with the rest of the console.

var moneyPages = webkit.ParsePages(webFS, []string{
	"console_cash", "console_gift", "console_cashbook", "console_refunds", "console_refund", "console_refund_confirm",
	"console_statement", "console_links",
}, "web/console_parts.html")

// navItem is one console menu entry and who sees it.
type navItem struct {
	key, href string
	roles     []auth.Role
}

// consoleNav is the console's menu: aid work for the unit's aid staff,
// money work for those who handle it. Platform admins see everything.
var consoleNav = []navItem{
	{"console.nav.queue", "/console", webkit.StaffRoles},
	{"console.nav.new", "/console/requests/new", webkit.StaffRoles},
	{"console.nav.waitlist", "/console/waitlist", webkit.StaffRoles},
	{"console.nav.committee", "/console/committee", webkit.StaffRoles},
	{"console.nav.cash", "/console/cash", webkit.CashRoles},
	{"console.nav.cashbook", "/console/cash-book", webkit.CashRoles},
	{"console.nav.refunds", "/console/refunds", []auth.Role{auth.UnitAdmin}},
	{"console.nav.statement", "/console/statement", webkit.CounterRoles},
	{"console.nav.links", "/console/links", []auth.Role{auth.UnitAdmin}},
}

// navFor is the menu of role, each address with q (a platform admin's
// ?unit=), the current page marked.
func navFor(l i18n.Lang, role auth.Role, q, current string) []navLink {
	var out []navLink
	for _, n := range consoleNav {
		if role == auth.PlatformAdmin || slices.Contains(n.roles, role) {
			out = append(out, navLink{Label: l.T(n.key), Href: n.href + q, Current: n.href == current})
		}
	}
	return out
}

// homeOf is where a staff member lands after signing in: a cashier has no
// aid queue, so their console opens at the counter.
func homeOf(role auth.Role) string {
	if role == auth.Cashier {
		return "/console/cash"
	}
	return "/console"
}

// home sends a cashier from the aid queue to the counter.
func (cs *console) home(next fiber.Handler) fiber.Handler {
	return func(c *fiber.Ctx) error {
		if p := webkit.Caller(c); p.Role == auth.Cashier && webkit.WantsHTML(c) {
			return c.Redirect(homeOf(p.Role), fiber.StatusSeeOther)
		}
		return next(c)
	}
}

// staffName is a staff member as pages show them: their name, never the
// identity provider's subject.
func staffName(l i18n.Lang, name string) string { return historyName(l, name) }
