package webkit

import (
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"
	"github.com/gofiber/fiber/v2/middleware/limiter"
)

// rateLimit bounds how many requests one client may make per minute to a
// public endpoint that writes (gifts, forms, statement requests): a donor
// never needs more, and a script hammering bKash payment creation or the
// SMS gateway through us is stopped here. max ≤ 0 disables it. client names
// the caller (clientIP).
func rateLimit(max int, client func(*fiber.Ctx) string) fiber.Handler {
	if max <= 0 {
		return func(c *fiber.Ctx) error { return c.Next() }
	}
	return limiter.New(limiter.Config{
		Max:               max,
		Expiration:        time.Minute,
		LimiterMiddleware: limiter.SlidingWindow{},
		KeyGenerator:      client,
		LimitReached: func(c *fiber.Ctx) error {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(60))
			return NewProblem(fiber.StatusTooManyRequests, "rate-limited", "Too many requests",
				"Please wait a minute and try again.")
		},
	})
}

// proxies are the configured load balancers (http.trustedProxies): single
// addresses or CIDR ranges.
type proxies []netip.Prefix

// parseProxies reads the setting; config validation has refused entries
// that are neither an address nor a range, so a bad one here is skipped.
func parseProxies(list []string) proxies {
	var out proxies
	for _, s := range list {
		s = strings.TrimSpace(s)
		if p, err := netip.ParsePrefix(s); err == nil {
			out = append(out, p.Masked())
		} else if a, err := netip.ParseAddr(s); err == nil {
			out = append(out, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
		}
	}
	return out
}

func (ps proxies) trusted(a netip.Addr) bool {
	a = a.Unmap()
	for _, p := range ps {
		if p.Contains(a) {
			return true
		}
	}
	return false
}

// clientIP is the address a per-client limit counts. The TCP peer, unless
// it is one of our proxies: then X-Forwarded-For is read from the right
// (each proxy appends the address it saw), skipping our own proxies, and
// the first address not ours is the client. Entries to its left were
// written by the client itself and are never believed; with Fiber's c.IP()
// (the leftmost entry) anyone could pick a fresh address per request.
func clientIP(ps proxies) func(c *fiber.Ctx) string {
	return func(c *fiber.Ctx) string {
		peer, ok := netip.AddrFromSlice(c.Context().RemoteIP())
		if !ok || !ps.trusted(peer) {
			return c.Context().RemoteIP().String()
		}
		client := peer.Unmap()
		hops := strings.Split(c.Get(fiber.HeaderXForwardedFor), ",")
		for i := len(hops) - 1; i >= 0; i-- {
			a, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
			if err != nil {
				break // garbage where a proxy's entry should be: stop at the last good one
			}
			client = a.Unmap()
			if !ps.trusted(client) {
				break
			}
		}
		return client.String()
	}
}
