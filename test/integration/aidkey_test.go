package integration

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestAidFilingIdempotencyKey: a social worker's client that retries a
// filing after a lost answer gets the request it filed, never a second one;
// a key reused with another body is refused and claims nothing.
func TestAidFilingIdempotencyKey(t *testing.T) {
	run := time.Now().UnixNano()
	with := func(key string) map[string]string {
		h := token(t, "social_worker", "dmch")
		h["Idempotency-Key"] = key
		return h
	}
	path := "/api/v1/units/dmch/aid-requests"
	mobile := fmt.Sprintf("017%08d", run%100_000_000)
	body := aidBody("cancer", "", mobile, "2000.00")

	key := fmt.Sprintf("aid-key-%d", run)
	first := do(t, "POST", path, body, with(key))
	if first.Status != 201 {
		t.Fatalf("first filing: %d %s", first.Status, first.Body)
	}
	id := first.JSON(t)["id"].(string)
	again := do(t, "POST", path, body, with(key))
	if again.Status != 200 || again.Header.Get("Idempotent-Replayed") != "true" || again.JSON(t)["id"] != id {
		t.Fatalf("retry: %d %v %s, want 200 replay of %s", again.Status, again.Header, again.Body, id)
	}

	// Retries racing each other: one filing, every answer names it.
	key2 := fmt.Sprintf("aid-key-race-%d", run)
	body2 := aidBody("kidney", "", mobile, "900.00")
	var mu sync.Mutex
	ids, created := map[string]bool{}, 0
	var wg sync.WaitGroup
	for range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := do(t, "POST", path, body2, with(key2))
			mu.Lock()
			defer mu.Unlock()
			if r.Status == 201 {
				created++
			} else if r.Status != 200 {
				t.Errorf("racing retry: %d %s", r.Status, r.Body)
				return
			}
			ids[r.JSON(t)["id"].(string)] = true
		}()
	}
	wg.Wait()
	if created != 1 || len(ids) != 1 {
		t.Fatalf("racing retries: %d created, ids %v; want one request", created, ids)
	}

	// The unit's list holds each filing once.
	list := string(do(t, "GET", path+"?limit=200", nil, token(t, "committee", "dmch")).Body)
	for got := range ids {
		if n := strings.Count(list, `"`+got+`"`); n != 1 {
			t.Fatalf("request %s listed %d times", got, n)
		}
	}
	if n := strings.Count(list, `"`+id+`"`); n != 1 {
		t.Fatalf("request %s listed %d times", id, n)
	}

	// The same key with another body: 422 naming the header.
	problemOf(t, do(t, "POST", path, aidBody("cancer", "", mobile, "2500.00"), with(key)), 422, "Idempotency-Key")
	problemOf(t, do(t, "POST", path, body, with(strings.Repeat("k", 256))), 400, "Idempotency-Key")

	// The one-time grant: a retry is the same application, not a second one;
	// a reused key for another patient claims nothing for that patient.
	nid := fmt.Sprintf("1990%013d", run%10_000_000_000_000)
	// Another person: another 13-digit number (the birth year alone does
	// not make another identity, ADR 0010).
	other := fmt.Sprintf("1991%013d", (run+1)%10_000_000_000_000)
	grant := aidBody("thalassaemia", nid, mobile, "1000.00")
	grant["grantRequested"] = true
	gkey := fmt.Sprintf("aid-key-grant-%d", run)
	if r := do(t, "POST", path, grant, with(gkey)); r.Status != 201 {
		t.Fatalf("grant filing: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", path, grant, with(gkey)); r.Status != 200 {
		t.Fatalf("grant retry: %d %s, want 200 (the same application)", r.Status, r.Body)
	}
	otherGrant := aidBody("thalassaemia", other, mobile, "1000.00")
	otherGrant["grantRequested"] = true
	problemOf(t, do(t, "POST", path, otherGrant, with(gkey)), 422, "Idempotency-Key")
	if r := do(t, "POST", path, otherGrant, with(gkey+"-new")); r.Status != 201 {
		t.Fatalf("the other patient's own application: %d %s (the reused key must not have claimed the grant)", r.Status, r.Body)
	}
}
