// Package webkit holds what the three HTTP front ends share — the JSON API
// (internal/httpapi), the donor pages (internal/donorweb) and the staff
// console (internal/console): the Fiber server with its middleware and
// error handler, RFC 9457 problem details, security headers, the rate
// limit, the caller's authorisation, and the page layout and form parts.
package webkit

import (
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/recover"

	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/metrics"
)

// Config is what the server and every front end share.
type Config struct {
	Verifier interface {
		Verify(raw string) (auth.Principal, error)
	}
	Metrics   *metrics.Metrics
	Log       *slog.Logger
	PublicURL string

	// RateLimit is public writes per client IP per minute (0: off).
	// TrustedProxies (addresses or CIDR ranges) may name the client in
	// X-Forwarded-For and the scheme in X-Forwarded-Proto.
	RateLimit      int
	TrustedProxies []string

	BodyLimit    int
	ReadTimeout  time.Duration
	WriteTimeout time.Duration
}

// Kit is handed to each front end's routes: the configuration and the
// pieces built once for the whole server.
type Kit struct {
	Config
	// ClientIP names the client behind our trusted proxies (ratelimit.go).
	ClientIP func(*fiber.Ctx) string
	// Limit is the one rate limiter every public write shares.
	Limit fiber.Handler
}

// Mount registers one front end's routes.
type Mount func(a *fiber.App, k *Kit)

// New builds the Fiber app: the shared middleware and error handler, then
// each front end's routes in order, then a 404 for everything else.
func New(cfg Config, mounts ...Mount) *fiber.App {
	k := &Kit{Config: cfg, ClientIP: clientIP(parseProxies(cfg.TrustedProxies))}
	a := fiber.New(fiber.Config{
		// Fiber reuses request buffers after a handler returns; Immutable
		// copies c.Params/Body/Query values so nothing we keep is overwritten.
		Immutable: true,
		BodyLimit: cfg.BodyLimit,
		// Only a trusted load balancer may say who the client is.
		ProxyHeader:             fiber.HeaderXForwardedFor,
		EnableTrustedProxyCheck: true,
		TrustedProxies:          cfg.TrustedProxies,
		ReadTimeout:             cfg.ReadTimeout,
		WriteTimeout:            cfg.WriteTimeout,
		IdleTimeout:             60 * time.Second,
		DisableStartupMessage:   true,
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			if Nonce(c) == "" {
				k.setSecurityHeaders(c) // raised before the middleware ran
			}
			p := ToProblem(err, cfg.Log, c)
			p.Instance = c.Path()
			if p.Status == fiber.StatusUnauthorized {
				c.Set(fiber.HeaderWWWAuthenticate, `Bearer realm="kalyan"`)
			}
			if WantsHTML(c) && p.Status >= 400 {
				return RenderError(c, p)
			}
			c.Set(fiber.HeaderContentType, "application/problem+json")
			return c.Status(p.Status).JSON(p, "application/problem+json")
		},
	})
	k.Limit = rateLimit(cfg.RateLimit, k.ClientIP)
	a.Use(recover.New())
	a.Use(k.securityHeaders)
	a.Use(observe(cfg.Metrics))
	// Donor pages travel compressed (brotli or gzip) to phones on 2G/3G;
	// the JSON API and operational endpoints are left as they are.
	a.Use(compressPages())
	for _, m := range mounts {
		m(a, k)
	}
	a.Use(func(c *fiber.Ctx) error { return fiber.ErrNotFound })
	return a
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

// WantsHTML reports whether the caller is a browser asking for a page;
// the API and the readiness probe always answer problem+json.
func WantsHTML(c *fiber.Ctx) bool {
	if strings.HasPrefix(c.Path(), "/api/") || c.Path() == "/readyz" {
		return false
	}
	return strings.Contains(c.Get(fiber.HeaderAccept), "text/html")
}
