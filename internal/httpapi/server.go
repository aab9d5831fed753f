// Package httpapi is the JSON API (/api/v1, described by openapi/) and the
// operational endpoints. Handlers translate HTTP to app use cases and
// errors to RFC 9457 problem details; they hold no business rules.
package httpapi

import (
	"context"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// Deps are what the handlers use.
type Deps struct {
	Units        *app.Units
	Donations    *app.Donations
	Transparency *app.Transparency
	Links        *app.Links
	Aid          *app.Aid
	// AppGifts claims gifts made inside the bKash app (nil: not offered).
	AppGifts *app.AppGifts
	// Ready reports whether the dependencies (Mongo, Kafka) answer.
	Ready func(ctx context.Context) error

	// Receipts, Keys, Statements and PDF serve signed receipts, the units'
	// public keys and annual statements (receipts.go); Citation is the
	// configured tax-rebate text ("" = receiptpdf.DefaultCitation).
	Receipts   *app.ReceiptService
	Keys       *app.UnitKeys
	Statements *app.Statements
	PDF        *receiptpdf.Renderer
	Citation   string

	// GrantFund records the Department's grant allocations (nil: not
	// offered); Funds moves archived units' money.
	GrantFund *app.GrantFund
	Transfers *app.FundTransfers
}

// Routes registers the API and the operational endpoints.
func Routes(d Deps) webkit.Mount {
	return func(a *fiber.App, k *webkit.Kit) {
		h := &handlers{Deps: d, Kit: k, rv: &webkit.ReceiptViews{Receipts: d.Receipts, PublicURL: k.PublicURL}}
		h.routes(a)
	}
}

func (h *handlers) routes(a *fiber.App) {
	limit := h.Limit
	a.Get("/livez", func(c *fiber.Ctx) error { return c.SendString("ok") })
	a.Get("/readyz", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := h.Ready(ctx); err != nil {
			return webkit.NewProblem(fiber.StatusServiceUnavailable, "not-ready", "Not ready", err.Error())
		}
		return c.SendString("ready")
	})
	a.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(h.Metrics.Registry, promhttp.HandlerOpts{})))

	v1 := a.Group("/api/v1")
	admin := v1.Group("/admin", h.RequireRole(auth.PlatformAdmin))
	admin.Put("/units/:code", h.putUnit)
	admin.Delete("/units/:code", h.archiveUnit)
	admin.Post("/units/:code/grant-allocations", h.allocateGrant)
	admin.Post("/units/:code/transfers", h.transferFunds)

	v1.Get("/openapi.json", serveOpenAPI)
	v1.Get("/units/:code", h.getUnit)
	v1.Post("/units/:code/donations", limit, h.createDonation)
	v1.Get("/donations/:id", h.getDonation)
	v1.Get("/donations/:id/bkash-callback", h.bkashCallback)
	v1.Post("/units/:code/cash-donations", h.createCashDonation)
	v1.Post("/units/:code/bkash-app-gifts", limit, h.claimAppGift)
	v1.Post("/donations/:id/refunds", h.refundDonation)
	v1.Get("/units/:code/ledger", h.unitLedger)
	v1.Get("/ledger", h.nationalLedger)
	v1.Post("/units/:code/aid-requests", h.fileAid)
	v1.Get("/units/:code/aid-requests", h.listAid)
	v1.Get("/aid-requests/:id", h.getAid)
	v1.Get("/aid-requests/:id/history", h.aidHistory)
	v1.Post("/aid-requests/:id/assess", h.assessAid)
	v1.Post("/aid-requests/:id/approve", h.approveAid)
	v1.Post("/aid-requests/:id/reject", h.rejectAid)
	v1.Post("/aid-requests/:id/disburse", h.disburseAid)
	v1.Post("/aid-requests/:id/confirm-disbursement", h.confirmDisbursement)
	v1.Post("/aid-requests/:id/decline-disbursement", h.declineDisbursement)
	v1.Post("/aid-requests/:id/withdraw", h.withdrawAid)
	v1.Post("/units/:code/links", h.createLink)
	v1.Get("/units/:code/links", h.listLinks)
	v1.Post("/links/:slug/disable", h.setLinkDisabled(true))
	v1.Post("/links/:slug/enable", h.setLinkDisabled(false))
	a.Get("/d/:slug/qr.:format<regex(png|svg)>", h.linkQR)

	h.receiptRoutes(v1, limit)
}

type handlers struct {
	Deps
	*webkit.Kit
	rv *webkit.ReceiptViews
}
