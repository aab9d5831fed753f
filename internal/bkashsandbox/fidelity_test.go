package bkashsandbox

import (
	"sync"
	"testing"
	"time"
)

type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func newClockedHarness(t *testing.T) (*harness, *testClock) {
	clk := &testClock{t: time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)}
	return newHarness(t, Config{Now: clk.now}), clk
}

// TestGrantLimitBlocksForAnHour follows bKash's token management page ("Do
// not call more than twice within an hour or the caller is blocked for one
// hour", mirrored in api-evangelist/bkash authentication/bkash-authentication.yml
// and rate-limits/bkash-rate-limits.yml: the block is signalled in the
// errorCode envelope, not with HTTP 429).
func TestGrantLimitBlocksForAnHour(t *testing.T) {
	h, clk := newClockedHarness(t) // grant 1 at 10:00
	grant := func() (int, map[string]any) {
		return h.do("/v1.2.0-beta/tokenized/checkout/token/grant",
			map[string]string{"username": testMerchant.Username, "password": testMerchant.Password}, `{"app_key":"key","app_secret":"secret"}`)
	}
	clk.add(30 * time.Minute)
	if st, b := grant(); st != 200 || b["statusCode"] != "0000" {
		t.Fatalf("second grant within the hour: %d %v", st, b)
	}
	clk.add(20 * time.Minute) // 10:50: a third within the hour of the first
	st, b := grant()
	if st != 200 || b["errorCode"] == nil || b["id_token"] != nil {
		t.Fatalf("third grant within the hour: %d %v, want a refusal in the errorCode envelope", st, b)
	}
	if !h.srv.Blocked(testMerchant.Username) || h.srv.Stats().GrantsRefused != 1 {
		t.Fatalf("merchant not blocked: %+v", h.srv.Stats())
	}
	// The API calls of a token already granted go on.
	h.create("https://k.test/cb", "INV-BLOCKED")
	// Blocked for an hour from the refusal, refresh included, even though
	// the first grant's hour has passed at 11:01.
	clk.add(11 * time.Minute)
	if _, b := grant(); b["id_token"] != nil {
		t.Fatalf("grant while blocked: %v", b)
	}
	if _, b := h.do("/v1.2.0-beta/tokenized/checkout/token/refresh",
		map[string]string{"username": testMerchant.Username, "password": testMerchant.Password},
		`{"app_key":"key","app_secret":"secret","refresh_token":"x"}`); b["id_token"] != nil || b["errorCode"] == nil {
		t.Fatalf("refresh while blocked: %v", b)
	}
	clk.add(50 * time.Minute) // 11:51: the block of 10:50 is over
	if st, b := grant(); st != 200 || b["statusCode"] != "0000" {
		t.Fatalf("grant after the block: %d %v", st, b)
	}
	if n := len(h.srv.GrantTimes(testMerchant.Username)); n != 3 {
		t.Fatalf("%d grants issued, want 3", n)
	}
}

// TestGrantSystemError: bKash answers a failing grant statusCode 9999
// "System Error." (bKash-developer/pgw-merchant-backend-php issue #10).
func TestGrantSystemError(t *testing.T) {
	h, _ := newClockedHarness(t)
	if err := h.srv.SetFaults(Faults{Grant: FaultSystemError}); err != nil {
		t.Fatal(err)
	}
	st, b := h.do("/v1.2.0-beta/tokenized/checkout/token/grant",
		map[string]string{"username": testMerchant.Username, "password": testMerchant.Password}, `{"app_key":"key","app_secret":"secret"}`)
	if st != 200 || b["statusCode"] != "9999" || b["statusMessage"] != "System Error." {
		t.Fatalf("grant during an outage: %d %v", st, b)
	}
	if err := h.srv.SetFaults(Faults{Create: FaultSystemError}); err == nil {
		t.Fatal("system_error accepted for create")
	}
}
