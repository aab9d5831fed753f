package httpapi

import (
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
)

// rateLimit bounds how many requests one client IP may make per minute to
// a public endpoint that writes (gifts, forms): a donor never needs more,
// and a script hammering bKash payment creation through us is stopped here.
// max ≤ 0 disables it. Behind a proxy, c.IP() is the client only when the
// proxy is trusted (config http.trustedProxies).
func rateLimit(max int) fiber.Handler {
	if max <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:               max,
		Expiration:        time.Minute,
		LimiterMiddleware: limiter.SlidingWindow{},
		KeyGenerator:      func(c *fiber.Ctx) string { return c.IP() },
		LimitReached: func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(60))
			return problem(fiber.StatusTooManyRequests, "rate-limited", "Too many requests",
				"Please wait a minute and try again.")
		},
	})
}
