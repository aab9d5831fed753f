// Package httpapi is the Fiber adapter: the JSON API, the donor pages and
// the operational endpoints. Handlers translate HTTP to app use cases and
// errors to RFC 9457 problem details; they hold no business rules.
package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/adaptor"
	"github.com/gofiber/fiber/v2/middleware/recover"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/metrics"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/zakat"
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
	Verifier interface {
		Verify(raw string) (auth.Principal, error)
	}
	Metrics *metrics.Metrics
	Log     *slog.Logger
	// Ready reports whether the dependencies (Mongo, Kafka) answer.
	Ready     func(ctx context.Context) error
	PublicURL string

	// Receipts, Keys, Statements and PDF serve signed receipts, the units'
	// public keys and annual statements (receipts.go); Citation is the
	// configured tax-rebate text ("" = receiptpdf.DefaultCitation).
	Receipts   *app.ReceiptService
	Keys       *app.UnitKeys
	Statements *app.Statements
	PDF        *receiptpdf.Renderer
	Citation   string

	// Zakat are the calculator's default metal prices and nisab weights
	// (zero value = zakat.DefaultSettings).
	Zakat zakat.Settings

	// RateLimit is public writes per client IP per minute (0: off).
	// TrustedProxies (addresses or CIDR ranges) may name the client in
	// X-Forwarded-For and the scheme in X-Forwarded-Proto.
	RateLimit      int
	TrustedProxies []string

	BodyLimit    int
	ReadTimeout  time.Duration
	WriteTimeout time.Duration

	// GrantFund records the Department's grant allocations (nil: not
	// offered); Funds moves archived units' money.
	GrantFund *app.GrantFund
	Transfers *app.FundTransfers

	// Mount registers other front ends' routes (the oversight reports)
	// before the final 404.
	Mount func(fiber.Router)
}

// New builds the Fiber app with every route.
func New(d Deps) *fiber.App {
	h := &handlers{Deps: d, clientIP: clientIP(parseProxies(d.TrustedProxies))}
	a := fiber.New(fiber.Config{
		// Fiber reuses request buffers after a handler returns; Immutable
		// copies c.Params/Body/Query values so nothing we keep is overwritten.
		Immutable: true,
		BodyLimit: d.BodyLimit,
		// Only a trusted load balancer may say who the client is.
		ProxyHeader:             fiber.HeaderXForwardedFor,
		EnableTrustedProxyCheck: true,
		TrustedProxies:          d.TrustedProxies,
		ReadTimeout:             d.ReadTimeout,
		WriteTimeout:            d.WriteTimeout,
		IdleTimeout:             60 * time.Second,
		DisableStartupMessage:   true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			if nonceOf(c) == "" {
				h.setSecurityHeaders(c) // raised before the middleware ran
			}
			p := toProblem(err, d.Log, c)
			p.Instance = c.Path()
			if p.Status == fiber.StatusUnauthorized {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="kalyan"`)
			}
			if wantsHTML(c) && p.Status >= 400 {
				return renderError(c, p)
			}
			c.Set(fiber.HeaderContentType, "application/problem+json")
			return c.Status(p.Status).JSON(p, "application/problem+json")
		},
	})
	limit := rateLimit(d.RateLimit, h.clientIP)
	a.Use(recover.New())
	a.Use(h.securityHeaders)
	a.Use(observe(d.Metrics))
	// Donor pages travel compressed (brotli or gzip) to phones on 2G/3G;
	// the JSON API and operational endpoints are left as they are.
	a.Use(compressPages())

	a.Get("/livez", func(c *fiber.Ctx) error { return c.SendString("ok") })
	a.Get("/readyz", func(c *fiber.Ctx) error {
		ctx, cancel := context.WithTimeout(c.UserContext(), 2*time.Second)
		defer cancel()
		if err := d.Ready(ctx); err != nil {
			return problem(fiber.StatusServiceUnavailable, "not-ready", "Not ready", err.Error())
		}
		return c.SendString("ready")
	})
	a.Get("/metrics", adaptor.HTTPHandler(promhttp.HandlerFor(d.Metrics.Registry, promhttp.HandlerOpts{})))

	v1 := a.Group("/api/v1")
	admin := v1.Group("/admin", h.requireRole(auth.PlatformAdmin))
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

	a.Get("/", h.home)
	a.Get("/d/:slug", h.donatePage)
	a.Post("/d/:slug", limit, h.donateSubmit)
	a.Get("/u/:code/bkash-app", h.appGiftPage)
	a.Post("/u/:code/bkash-app", limit, h.appGiftSubmit)
	a.Get("/donations/:id", h.statusPage)
	a.Get("/zakat", h.zakatPage)
	a.Get("/u/:code", h.unitPage)
	h.receiptRoutes(a, v1, limit)
	h.consoleRoutes(a)
	if d.Mount != nil {
		d.Mount(a)
	}

	a.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return a
}

type handlers struct {
	Deps
	// clientIP names the client behind our trusted proxies (ratelimit.go).
	clientIP func(*fiber.Ctx) string
}

// observe records request latency by route template (never the raw path,
// which would carry IDs and explode cardinality).
func observe(m *metrics.Metrics) fiber.Handler {
	return func(c *fiber.Ctx) error {
		start := time.Now()
		err := c.Next()
		status := c.Response().StatusCode()
		if err != nil {
			var fe *fiber.Error
			var pe *problemError
			switch {
			case errors.As(err, &fe):
				status = fe.Code
			case errors.As(err, &pe):
				status = pe.p.Status
			default:
				status = fiber.StatusInternalServerError
			}
		}
		route := c.Route().Path
		if status == fiber.StatusNotFound && route == "/" && c.Path() != "/" {
			route = "unmatched"
		}
		m.HTTPDuration.WithLabelValues(c.Method(), route, strconv.Itoa(status)).Observe(time.Since(start).Seconds())
		return err
	}
}

// principal returns the verified caller or a 401.
func (h *handlers) principal(c *fiber.Ctx) (auth.Principal, error) {
	raw := c.Get(fiber.HeaderAuthorization)
	tok, ok := strings.CutPrefix(raw, "Bearer ")
	if !ok || tok == "" {
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	p, err := h.Verifier.Verify(tok)
	if err != nil {
		h.Log.InfoContext(c.UserContext(), "token refused", "route", c.Route().Path, "reason", err.Error())
		return auth.Principal{}, auth.ErrUnauthenticated
	}
	return p, nil
}

func (h *handlers) requireRole(roles ...auth.Role) fiber.Handler {
	return func(c *fiber.Ctx) error {
		p, err := h.principal(c)
		if err != nil {
			return err
		}
		for _, r := range roles {
			if p.Role == r {
				c.Locals("principal", p)
				return c.Next()
			}
		}
		return problem(fiber.StatusForbidden, "forbidden", "Not allowed", "Your role may not do this.")
	}
}

func wantsHTML(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") || c.Path() == "/readyz" {
		return false
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}
