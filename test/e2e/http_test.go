//go:build e2e

package e2e

import (
	"context"
	"encoding/json"
	"html"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/testkit/httpkit"
)

type resp = httpkit.Resp

// do sends a request to the API (or to an absolute URL) over real HTTP.
func do(t *testing.T, method, path string, body any, hdr map[string]string) resp {
	t.Helper()
	r, err := send(t.Context(), method, path, body, hdr)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// send is do without a *testing.T, for goroutines (which may not FailNow).
func send(ctx context.Context, method, path string, body any, hdr map[string]string) (resp, error) {
	return sys.Send(ctx, method, path, body, hdr)
}

func form(t *testing.T, u string, vals url.Values) resp {
	t.Helper()
	return do(t, "POST", u, vals, nil)
}

// staff returns headers carrying a token from `kalyan-api token`.
func staff(t *testing.T, role, unit string, extra ...string) map[string]string {
	t.Helper()
	tok, err := sys.Token(t.Context(), role, unit)
	if err != nil {
		t.Fatal(err)
	}
	h := httpkit.Bearer(tok)
	for i := 0; i+1 < len(extra); i += 2 {
		h[extra[i]] = extra[i+1]
	}
	return h
}

// eventually polls cond until it holds. The deadline only bounds a hang
// (a worker's partitions wait out Kafka's session timeout after a
// SIGKILL); it asserts nothing about speed.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	eventuallyWithin(t, 3*time.Minute, what, cond)
}

// eventuallyWithin is eventually with a deadline of its own, for work that
// scales with a test's size.
func eventuallyWithin(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

func jsonInto(b []byte, v any) error { return json.Unmarshal(b, v) }

func gift(amount, kind string) map[string]any {
	return map[string]any{"amount": amount, "currency": "BDT", "kind": kind,
		"donor": map[string]any{"name": "Rahima Begum", "phone": "01712345678", "email": "rahima@example.com"}, "anonymous": false}
}

func amountOf(t *testing.T, v any) money.Amount {
	t.Helper()
	s, _ := v.(string)
	a, err := money.Parse(s)
	if err != nil {
		t.Fatalf("amount %v: %v", v, err)
	}
	return a
}

func donation(t *testing.T, id string) map[string]any {
	t.Helper()
	r := do(t, "GET", "/api/v1/donations/"+id, nil, nil)
	if r.Status != 200 {
		t.Fatalf("donation %s: %d %s", id, r.Status, r.Body)
	}
	return r.JSON(t)
}

// fund returns one fund's figures from the unit's public ledger.
func fund(t *testing.T, unit, name string) map[string]any {
	t.Helper()
	r := do(t, "GET", "/api/v1/units/"+unit+"/ledger", nil, nil)
	if r.Status != 200 {
		t.Fatalf("ledger: %d %s", r.Status, r.Body)
	}
	funds, _ := r.JSON(t)["funds"].([]any)
	for _, f := range funds {
		if m, _ := f.(map[string]any); m["fund"] == name {
			return m
		}
	}
	return map[string]any{"fund": name, "received": "0.00", "refunded": "0.00", "balance": "0.00"}
}

var (
	formRE  = regexp.MustCompile(`(?is)<form[^>]*\baction="([^"]*)"`)
	inputRE = regexp.MustCompile(`(?is)<input\b[^>]*>`)
	attrRE  = regexp.MustCompile(`(?is)\b(name|value|type)="([^"]*)"|\b(checked)\b`)
)

// donorForm reads a donation page's form the way a browser submits it
// untouched: its action, hidden fields and pre-checked choices.
func donorForm(t *testing.T, page []byte) (string, url.Values) {
	t.Helper()
	m := formRE.FindSubmatch(page)
	if m == nil {
		t.Fatalf("no form on the page: %.400s", page)
	}
	vals := url.Values{}
	for _, tag := range inputRE.FindAll(page, -1) {
		var name, value, typ string
		checked := false
		for _, a := range attrRE.FindAllSubmatch(tag, -1) {
			switch strings.ToLower(string(a[1])) {
			case "name":
				name = html.UnescapeString(string(a[2]))
			case "value":
				value = html.UnescapeString(string(a[2]))
			case "type":
				typ = strings.ToLower(string(a[2]))
			}
			if len(a[3]) > 0 {
				checked = true
			}
		}
		if name == "" {
			continue
		}
		switch typ {
		case "hidden":
			vals.Set(name, value)
		case "radio", "checkbox":
			if checked {
				vals.Set(name, value)
			}
		}
	}
	return html.UnescapeString(string(m[1])), vals
}

// payAtSandbox presses Pay on bKash's page and returns where bKash sends
// the payer back (the API's callback).
func payAtSandbox(t *testing.T, paymentURL, action string) string {
	t.Helper()
	page := form(t, paymentURL, url.Values{"action": {action}})
	if page.Status != 303 {
		t.Fatalf("sandbox %s: %d %s", action, page.Status, page.Body)
	}
	return page.Header.Get("Location")
}

// payGift gives amount of kind at unit through the JSON API and the
// sandbox page and follows the callback; it returns the donation's ID.
func payGift(t *testing.T, unit, amount, kind, key string) string {
	t.Helper()
	r := do(t, "POST", "/api/v1/units/"+unit+"/donations", gift(amount, kind), map[string]string{"Idempotency-Key": key})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	d := r.JSON(t)
	id, _ := d["id"].(string)
	payURL, _ := d["paymentURL"].(string)
	cb := payAtSandbox(t, payURL, "pay")
	if back := do(t, "GET", cb, nil, nil); back.Status != 303 {
		t.Fatalf("callback: %d %s", back.Status, back.Body)
	}
	return id
}

func waitReceipted(t *testing.T, id string) map[string]any {
	t.Helper()
	var d map[string]any
	eventually(t, "receipt of "+id, func() bool {
		d = donation(t, id)
		return d["status"] == "receipted"
	})
	return d
}
