package integration

import (
	"strings"
	"testing"
)

// TestPagingIsBounded: every paging parameter is an integer within its
// documented bounds, and anything else is a 400 naming it: never a 500 from
// arithmetic that overflowed, never a silently huge scan.
func TestPagingIsBounded(t *testing.T) {
	staff := token(t, "committee", "dmch")
	for _, q := range []struct{ path, field string }{
		{"/api/v1/ledger?page=9223372036854775807", "page"},
		{"/api/v1/ledger?page=10001", "page"},
		{"/api/v1/ledger?page=99999999999999999999", "page"},
		{"/api/v1/ledger?page=0", "page"},
		{"/api/v1/ledger?page=-1", "page"},
		{"/api/v1/ledger?page=1.5", "page"},
		{"/api/v1/ledger?pageSize=9223372036854775807", "pageSize"},
		{"/api/v1/ledger?page=2&pageSize=9223372036854775807", "pageSize"},
		{"/api/v1/units/dmch/aid-requests?offset=9223372036854775807", "offset"},
		{"/api/v1/units/dmch/aid-requests?offset=1000001", "offset"},
		{"/api/v1/units/dmch/aid-requests?limit=9223372036854775807", "limit"},
		{"/api/v1/units/dmch/aid-requests?limit=-9223372036854775808", "limit"},
	} {
		problemOf(t, do(t, "GET", q.path, nil, staff), 400, q.field)
	}
	// The largest page allowed answers, empty.
	r := do(t, "GET", "/api/v1/ledger?page=10000&pageSize=200", nil, nil)
	if r.Status != 200 {
		t.Fatalf("last page: %d %s", r.Status, r.Body)
	}
	if units, _ := r.JSON(t)["units"].([]any); len(units) != 0 {
		t.Fatalf("page 10000 has %d units", len(units))
	}
	if r := do(t, "GET", "/api/v1/units/dmch/aid-requests?offset=1000000&limit=200", nil, staff); r.Status != 200 {
		t.Fatalf("largest offset: %d %s", r.Status, r.Body)
	}

	// The status page's reload counter: a huge n stops reloading, it does
	// not wrap round into reloading for ever.
	id := do(t, "POST", "/api/v1/units/dmch/donations", gift("100.00", "general"), map[string]string{"Idempotency-Key": "bounds-status-1"}).JSON(t)["id"].(string)
	for _, n := range []string{"1844674407370955162", "9223372036854775807", "99999999999999999999", "-5", "x"} {
		p := do(t, "GET", "/donations/"+id+"?n="+n, nil, map[string]string{"Accept": "text/html"})
		if p.Status != 200 {
			t.Fatalf("status page n=%s: %d", n, p.Status)
		}
		if strings.Contains(string(p.Body), `http-equiv="refresh"`) {
			t.Errorf("status page n=%s reloads itself", n)
		}
	}
}
