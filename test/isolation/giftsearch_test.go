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
	d := call(t, request{method: "GET", path: "/api/v1/donations/" + b.donation}, "").JSON(t)
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
		if r.Status != 200 {
			t.Fatalf("A searching %q: %d %.300s", q, r.Status, r.Body)
		}
		// The page echoes what A's admin typed (the field, the language
		// switch's address); it must show none of B's gift.
		page := string(r.Body)
		for _, m := range []string{b.donation, b.donorName, b.receiptID, "777.77", "৭৭৭.৭৭", b.nameBN, b.nameEN} {
			if strings.Contains(page, m) {
				t.Errorf("A's refund search for %q shows %q of unit %s", q, m, b.code)
			}
		}
		if !strings.Contains(page, `id="none"`) {
			t.Errorf("A's refund search for %q does not say nothing was found: %.2000s", q, page)
		}
		if own := search(unitB); own.Status != 200 || !strings.Contains(string(own.Body), "/console/refunds/"+b.donation) {
			t.Errorf("B's own search for %q does not find B's gift: %d %.500s", q, own.Status, own.Body)
		}
	}
}
