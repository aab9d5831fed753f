package integration

import (
	"bufio"
	"fmt"
	"github.com/kalyan-platform/kalyan/internal/testkit/httpkit"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
)

func problemOf(t *testing.T, r resp, status int, field string) {
	t.Helper()
	httpkit.Problem(t, r, status)
	if field != "" && !strings.Contains(string(r.Body), `"field":"`+field+`"`) {
		t.Fatalf("problem does not name %s: %s", field, r.Body)
	}
}

func TestDonationBadInput(t *testing.T) {
	post := func(t *testing.T, body any, key string) resp {
		return do(t, "POST", "/api/v1/units/dmch/donations", body, map[string]string{"Idempotency-Key": key})
	}
	g := func(mut func(m map[string]any)) map[string]any { m := gift("500.00", "zakat"); mut(m); return m }
	cases := []struct {
		name   string
		body   any
		status int
		field  string
	}{
		{"negative", g(func(m map[string]any) { m["amount"] = "-5" }), 422, "amount"},
		{"zero", g(func(m map[string]any) { m["amount"] = "0" }), 422, "amount"},
		{"three decimals", g(func(m map[string]any) { m["amount"] = "10.001" }), 422, "amount"},
		{"over unit maximum", g(func(m map[string]any) { m["amount"] = "500000.01" }), 422, "amount"},
		{"amount as number", g(func(m map[string]any) { m["amount"] = 500 }), 400, "amount"},
		{"bad phone", g(func(m map[string]any) { m["donor"].(map[string]any)["phone"] = "12345" }), 422, "donor.phone"},
		{"bad email", g(func(m map[string]any) { m["donor"].(map[string]any)["email"] = "nope" }), 422, "donor.email"},
		{"bad kind", g(func(m map[string]any) { m["kind"] = "lottery" }), 422, "kind"},
		{"bad currency", g(func(m map[string]any) { m["currency"] = "USD" }), 422, "currency"},
		{"unknown programme", g(func(m map[string]any) { m["programme"] = "dentistry" }), 422, "programme"},
		{"unknown field", g(func(m map[string]any) { m["tip"] = "5" }), 400, "tip"},
		{"malformed json", `{"amount":`, 400, ""},
		{"trailing data", `{"amount":"5"} {}`, 400, ""},
	}
	for i, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			problemOf(t, post(t, c.body, "bad-"+string(rune('a'+i))), c.status, c.field)
		})
	}
	t.Run("missing idempotency key", func(t *testing.T) {
		problemOf(t, do(t, "POST", "/api/v1/units/dmch/donations", gift("5.00", "zakat"), nil), 400, "Idempotency-Key")
	})
	t.Run("idempotency key with a space", func(t *testing.T) {
		problemOf(t, do(t, "POST", "/api/v1/units/dmch/donations", gift("5.00", "zakat"), map[string]string{"Idempotency-Key": "two words"}), 400, "Idempotency-Key")
	})
	t.Run("body too large", func(t *testing.T) {
		// The server refuses on Content-Length alone. The body is never sent:
		// a client still writing it when the server answers and closes can be
		// reset (as Go's client, even with Expect: 100-continue, was now and
		// then), so the request goes out by hand, headers only.
		conn, err := net.Dial("tcp", strings.TrimPrefix(stack.APIURL(), "http://"))
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		req, _ := http.NewRequest("POST", stack.APIURL()+"/api/v1/units/dmch/donations", nil)
		fmt.Fprintf(conn, "POST /api/v1/units/dmch/donations HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\nIdempotency-Key: big\r\nContent-Length: %d\r\n\r\n",
			req.Host, 200<<10)
		res, err := http.ReadResponse(bufio.NewReader(conn), req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		problemOf(t, resp{Status: res.StatusCode, Header: res.Header, Body: b}, 413, "")
	})
	t.Run("unknown unit", func(t *testing.T) {
		problemOf(t, do(t, "POST", "/api/v1/units/no-such-unit/donations", gift("50.00", "zakat"), map[string]string{"Idempotency-Key": "nu"}), 404, "")
	})
}

func TestUnitRegistryAndArchive(t *testing.T) {
	body := map[string]any{
		"names": map[string]any{"en": "Rajshahi Medical College Hospital", "bn": "রাজশাহী মেডিকেল কলেজ হাসপাতাল"},
		"level": "medical-college", "division": "Rajshahi", "district": "Rajshahi",
		"policy": map[string]any{"approvalThreshold": "15000.00", "maxDonation": "100000.00"},
	}
	// Staff other than platform admins, and anonymous callers, may not register.
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/rmch", body, nil), 401, "")
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/rmch", body, token(t, "unit_admin", "rmch")), 403, "")
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/rmch", body, map[string]string{"Authorization": "Bearer not.a.token"}), 401, "")

	admin := token(t, "platform_admin", "")
	r := do(t, "PUT", "/api/v1/admin/units/rmch", body, admin)
	if r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	if r := do(t, "PUT", "/api/v1/admin/units/rmch", body, admin); r.Status != 200 {
		t.Fatalf("re-register: %d", r.Status)
	}
	u := do(t, "GET", "/api/v1/units/rmch", nil, nil).JSON(t)
	if u["policy"].(map[string]any)["approvalThreshold"] != "15000.00" || u["names"].(map[string]any)["bn"] != "রাজশাহী মেডিকেল কলেজ হাসপাতাল" {
		t.Fatalf("profile %v", u)
	}
	// The unit's maximum applies to gifts.
	problemOf(t, do(t, "POST", "/api/v1/units/rmch/donations", gift("100000.01", "general"), map[string]string{"Idempotency-Key": "max"}), 422, "amount")

	bad := map[string]any{"names": map[string]any{"en": ""}, "level": "clinic", "division": "", "district": "x"}
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/Bad_Code", bad, admin), 422, "code")
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/ok-code", bad, admin), 422, "level")

	// A gift made before archiving stays readable afterwards.
	g := do(t, "POST", "/api/v1/units/rmch/donations", gift("20.00", "general"), map[string]string{"Idempotency-Key": "pre-archive"})
	if g.Status != 201 {
		t.Fatalf("gift: %d %s", g.Status, g.Body)
	}
	if r := do(t, "DELETE", "/api/v1/admin/units/rmch", nil, admin); r.Status != 204 {
		t.Fatalf("archive: %d %s", r.Status, r.Body)
	}
	if r := do(t, "DELETE", "/api/v1/admin/units/rmch", nil, admin); r.Status != 204 {
		t.Fatalf("archive again: %d", r.Status)
	}
	problemOf(t, do(t, "GET", "/api/v1/units/rmch", nil, nil), 410, "")
	problemOf(t, do(t, "POST", "/api/v1/units/rmch/donations", gift("20.00", "general"), map[string]string{"Idempotency-Key": "post-archive"}), 410, "")
	if r := do(t, "GET", "/api/v1/donations/"+g.JSON(t)["id"].(string), nil, nil); r.Status != 200 {
		t.Fatalf("donation after archive: %d", r.Status)
	}
	problemOf(t, do(t, "DELETE", "/api/v1/admin/units/never-was", nil, admin), 404, "")
}

func TestOperationalEndpoints(t *testing.T) {
	for _, base := range []string{stack.APIURL(), stack.WorkerURL()} {
		for _, p := range []string{"/livez", "/readyz"} {
			r := do(t, "GET", base+p, nil, nil)
			if r.Status != 200 {
				t.Fatalf("%s%s: %d %s", base, p, r.Status, r.Body)
			}
			if r.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.Contains(r.Header.Get("Content-Security-Policy"), "default-src 'none'") {
				t.Errorf("%s%s: security headers missing: %v", base, p, r.Header)
			}
		}
	}
	do(t, "GET", "/api/v1/units/dmch", nil, nil)
	m := string(do(t, "GET", "/metrics", nil, nil).Body)
	for _, want := range []string{`kalyan_http_request_duration_seconds_bucket{code="200",method="GET",route="/api/v1/units/:code"`, "kalyan_donations_total", "kalyan_build_info{"} {
		if !strings.Contains(m, want) {
			t.Errorf("api metrics lack %s", want)
		}
	}
	wm := string(do(t, "GET", stack.WorkerURL()+"/metrics", nil, nil).Body)
	for _, want := range []string{"kalyan_kafka_consumer_lag", "kalyan_event_processing_seconds", "kalyan_outbox_published_total", "kalyan_build_info{"} {
		if !strings.Contains(wm, want) {
			t.Errorf("worker metrics lack %s", want)
		}
	}
	problemOf(t, do(t, "GET", "/api/v1/nothing-here", nil, nil), 404, "")
}
