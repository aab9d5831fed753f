package webkit

import (
	"encoding/json"
	"io"
	"log/slog"
	"net/http/httptest"
	"testing"

	"github.com/gofiber/fiber/v2"
)

func TestRateLimitPerClientIP(t *testing.T) {
	ps := parseProxies([]string{"0.0.0.0", "10.0.0.0/8"})
	a := fiber.New(fiber.Config{
		ErrorHandler: func(c *fiber.Ctx, err error) error {
			p := ToProblem(err, slog.New(slog.DiscardHandler), c)
			return c.Status(p.Status).JSON(p, "application/problem+json")
		},
	})
	a.Post("/give", rateLimit(3, clientIP(ps)), func(c *fiber.Ctx) error { return c.SendStatus(201) })
	post := func(xff string) (int, string, map[string]any) {
		req := httptest.NewRequest("POST", "/give", nil)
		req.Header.Set("X-Forwarded-For", xff)
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
	if s != 429 || retry == "" || body["type"] != ProblemBase+"rate-limited" {
		t.Fatalf("4th request: %d retry=%q %v", s, retry, body)
	}
	if s, _, _ := post("198.51.100.9"); s != 201 {
		t.Fatalf("another client was limited: %d", s)
	}
	if s, _, _ := post("203.0.113.7"); s != 429 {
		t.Fatalf("still within the minute: %d", s)
	}
	// The client writes whatever it likes to the left of what our proxies
	// append: a fresh made-up address per request must not reset its count.
	for _, spoof := range []string{"1.1.1.1, 203.0.113.7", "2.2.2.2,203.0.113.7, 10.1.2.3", "garbage, 203.0.113.7"} {
		if s, _, _ := post(spoof); s != 429 {
			t.Errorf("X-Forwarded-For %q escaped the limit: %d", spoof, s)
		}
	}
}

func TestClientIP(t *testing.T) {
	ps := parseProxies([]string{"0.0.0.0", "10.0.0.0/8", "2001:db8::/32"})
	a := fiber.New()
	a.Get("/", func(c *fiber.Ctx) error { return c.SendString(clientIP(ps)(c)) })
	for xff, want := range map[string]string{
		"":                                  "0.0.0.0", // the proxy itself
		"203.0.113.7":                       "203.0.113.7",
		"203.0.113.7, 10.0.0.5":             "203.0.113.7",
		"198.51.100.1, 203.0.113.7":         "203.0.113.7",
		"10.0.0.9, 10.0.0.5":                "10.0.0.9", // every hop ours: the first
		"2001:db8::1, 2001:db9::7":          "2001:db9::7",
		"::ffff:203.0.113.8":                "203.0.113.8",
		"198.51.100.1, not-an-ip, 10.0.0.5": "10.0.0.5",
	} {
		req := httptest.NewRequest("GET", "/", nil)
		if xff != "" {
			req.Header.Set("X-Forwarded-For", xff)
		}
		res, err := a.Test(req)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		if string(b) != want {
			t.Errorf("X-Forwarded-For %q: client %s, want %s", xff, b, want)
		}
	}
	// Without trusted proxies the header is ignored.
	b := fiber.New()
	b.Get("/", func(c *fiber.Ctx) error { return c.SendString(clientIP(nil)(c)) })
	req := httptest.NewRequest("GET", "/", nil)
	req.Header.Set("X-Forwarded-For", "203.0.113.7")
	res, _ := b.Test(req)
	if got, _ := io.ReadAll(res.Body); string(got) != "0.0.0.0" {
		t.Errorf("untrusted peer's X-Forwarded-For believed: %s", got)
	}
}
