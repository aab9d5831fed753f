package httpapi

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestRateLimitPerClientIP(t *testing.T) {
	a := fiber.New(fiber.Config{
		ProxyHeader: fiber.HeaderXForwardedFor, EnableTrustedProxyCheck: true, TrustedProxies: []string{"0.0.0.0"},
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			p := toProblem(err, slog.New(slog.DiscardHandler), c)
			return c.Status(p.Status).JSON(p, "application/problem+json")
		},
	})
	a.Post("/give", rateLimit(3), func(c *fiber.Ctx) error { return c.SendStatus(201) })
	post := func(ip string) (int, string, map[string]any) {
		req := httptest.NewRequest("POST", "/give", nil)
		req.Header.Set("X-Forwarded-For", ip)
		res, err := a.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		var body map[string]any
		b, _ := io.ReadAll(res.Body)
		_ = json.Unmarshal(b, &body)
		return res.StatusCode, res.Header.Get("Retry-After"), body
	}
	for i := 0; i < 3; i++ {
		if s, _, _ := post("203.0.113.7"); s != 201 {
			t.Fatalf("request %d: %d", i, s)
		}
	}
	s, retry, body := post("203.0.113.7")
	if s != 429 || retry == "" || body["type"] != problemBase+"rate-limited" {
		t.Fatalf("4th request: %d retry=%q %v", s, retry, body)
	}
	if s, _, _ := post("198.51.100.9"); s != 201 {
		t.Fatalf("another client was limited: %d", s)
	}
	if s, _, _ := post("203.0.113.7"); s != 429 {
		t.Fatalf("still within the minute: %d", s)
	}
}
