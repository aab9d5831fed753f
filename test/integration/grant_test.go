package integration

import (
	"crypto/rand"
	"fmt"
	"math/big"
	"strings"
	"sync"
	"testing"
)

// newNID draws a 13-digit NID no other test uses.
func newNID(t *testing.T) string {
	t.Helper()
	n, err := rand.Int(rand.Reader, big.NewInt(9_000_000_000_000))
	if err != nil {
		t.Fatal(err)
	}
	return fmt.Sprint(1_000_000_000_000 + n.Int64())
}

func grantBody(nid, mobile string) map[string]any {
	b := aidBody("cancer", nid, mobile, "1000.00")
	b["grantRequested"] = true
	return b
}

func wantConflict(t *testing.T, r resp, typ string) {
	t.Helper()
	if r.status != 409 || !strings.Contains(string(r.body), typ) {
		t.Fatalf("want 409 %s, got %d %s", typ, r.status, r.body)
	}
}

// TestGrantClaimGivenBackWhenRejectedOrWithdrawn: the one-time grant is
// claimed at filing (a parallel application elsewhere is refused), but a
// rejected or withdrawn application gives it back; it is not "received".
func TestGrantClaimGivenBackWhenRejectedOrWithdrawn(t *testing.T) {
	nid := newNID(t)
	swA, swB, swC := token(t, "social_worker", "dmch"), token(t, "social_worker", "dh-cumilla"), token(t, "social_worker", "uhc-debidwar")
	first := fileAid(t, "dmch", grantBody(nid, "01744444441"), swA)
	// The grant's item is marked as the grant's.
	items := aidStatus(t, first, swA)["items"].([]any)
	if last := items[len(items)-1].(map[string]any); last["grant"] != true || last["estimated"] != "50000.00" {
		t.Fatalf("grant item %v", last)
	}
	// Open elsewhere: refused while it is pending, and said so.
	wantConflict(t, do(t, "POST", "/api/v1/units/dh-cumilla/aid-requests", grantBody(nid, "01744444442"), swB), "grant-application-open")

	// Rejected: the claim goes back, another unit may file.
	if r := do(t, "POST", "/api/v1/aid-requests/"+first+"/reject", map[string]any{"reason": "not poor enough"}, swA); r.status != 200 {
		t.Fatalf("reject: %d %s", r.status, r.body)
	}
	second := fileAid(t, "dh-cumilla", grantBody(nid, "01744444442"), swB)

	// Withdrawn: likewise (and a reason is required; not after approval).
	problemOf(t, do(t, "POST", "/api/v1/aid-requests/"+second+"/withdraw", map[string]any{"reason": ""}, swB), 422, "reason")
	if r := do(t, "POST", "/api/v1/aid-requests/"+second+"/withdraw", map[string]any{"reason": "patient moved to India for treatment"}, swB); r.status != 200 || r.json(t)["status"] != "withdrawn" {
		t.Fatalf("withdraw: %d %s", r.status, r.body)
	}
	wantConflict(t, do(t, "POST", "/api/v1/aid-requests/"+second+"/withdraw", map[string]any{"reason": "again"}, swB), "invalid-state")

	// Parallel applications at two units: exactly one goes ahead.
	var wg sync.WaitGroup
	codes := make([]int, 2)
	for i, u := range []string{"dmch", "uhc-debidwar"} {
		hdr := []map[string]string{swA, swC}[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = do(t, "POST", "/api/v1/units/"+u+"/aid-requests", grantBody(nid, "01744444443"), hdr).status
		}()
	}
	wg.Wait()
	if fmt.Sprint(codes) != "[201 409]" && fmt.Sprint(codes) != "[409 201]" {
		t.Fatalf("parallel grant applications: %v", codes)
	}
}
