// Package donorweb is the donor and public web pages: the home page, the
// donate form, the zakat calculator, a unit's transparency page, a gift's
// status, the bKash-app gift claim, and the receipt and statement pages a
// donor's QR code or SMS link opens. Handlers translate HTTP to app use
// cases; they hold no business rules.
package donorweb

import (
	"embed"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/webkit"
	"github.com/kalyan-platform/kalyan/internal/zakat"
)

// Deps are what the donor pages use.
type Deps struct {
	Units        *app.Units
	Donations    *app.Donations
	Transparency *app.Transparency
	Links        *app.Links
	// AppGifts claims gifts made inside the bKash app (nil: not offered).
	AppGifts *app.AppGifts

	// Receipts, Statements and PDF serve the receipt and cancellation
	// note pages and statement links; Citation is the configured
	// tax-rebate text ("" = receiptpdf.DefaultCitation).
	Receipts   *app.ReceiptService
	Statements *app.Statements
	PDF        *receiptpdf.Renderer
	Citation   string

	// Zakat are the calculator's default metal prices and nisab weights
	// (zero value = zakat.DefaultSettings).
	Zakat zakat.Settings
}

//go:embed web/*.html
var webFS embed.FS

var pages = webkit.ParsePages(webFS, []string{"home", "donate", "status", "zakat", "unit", "appgift"})

type handlers struct {
	Deps
	*webkit.Kit
	rv *webkit.ReceiptViews
}

// Routes registers the donor pages.
func Routes(d Deps) webkit.Mount {
	return func(a *fiber.App, k *webkit.Kit) {
		h := &handlers{Deps: d, Kit: k, rv: &webkit.ReceiptViews{Receipts: d.Receipts, PublicURL: k.PublicURL}}
		a.Get("/", h.home)
		a.Get("/d/:slug", h.donatePage)
		a.Post("/d/:slug", k.Limit, h.donateSubmit)
		a.Get("/u/:code/bkash-app", h.appGiftPage)
		a.Post("/u/:code/bkash-app", k.Limit, h.appGiftSubmit)
		a.Get("/donations/:id", h.statusPage)
		a.Get("/zakat", h.zakatPage)
		a.Get("/u/:code", h.unitPage)
		a.Get("/r/:id", h.verifyPage)
		a.Get("/r/:id/notes/:refund", h.notePage)
		a.Get("/s/:token", h.statementLink)
	}
}
