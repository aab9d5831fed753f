package isolation

import (
	"net/url"
	"strings"
	"testing"
)

// TestGiftSearchStaysInTheUnit: the console's refund search is a unit's own,
// whatever is typed into it. Unit A's admin searching at A for unit B's
// receipt number, bKash TrxID or donor's mobile finds nothing of B's; the
// same searches by B's admin find B's gift (the control).
func TestGiftSearchStaysInTheUnit(t *testing.T) {
	fx := setupFixturesOnce(t)
	b := fx.b
	d := call(t, request{method: "GET", path: "/api/v1/donations/" + b.donation}, "").json(t)
	trx, _ := d["trxID"].(string)
	if trx == "" {
		t.Fatalf("the fixture gift has no TrxID: %v", d)
	}
	for _, q := range []string{b.serial, trx, b.donorPhone} {
		search := func(unit string) resp {
			return call(t, request{method: "GET", path: "/console/refunds?unit=" + unit + "&q=" + url.QueryEscape(q),
				hdr: map[string]string{"Accept": "text/html"}}, bearer(t, "unit_admin", unit))
		}
		r := search(unitA)
		if r.status != 200 {
			t.Fatalf("A searching %q: %d %.300s", q, r.status, r.body)
		}
		noForeignData(t, "A's refund search for "+q, map[string]any{"page": strings.ReplaceAll(string(r.body), `value="`+q+`"`, "")}, b)
		if own := search(unitB); own.status != 200 || !strings.Contains(string(own.body), "/console/refunds/"+b.donation) {
			t.Errorf("B's own search for %q does not find B's gift: %d %.500s", q, own.status, own.body)
		}
	}
}
