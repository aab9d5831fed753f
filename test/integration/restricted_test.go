package integration

import (
	"strings"
	"testing"
)

// approved files, assesses and approves a request at unit (threshold high
// enough for the social worker) and returns its ID.
func approved(t *testing.T, unit, diagnosis, nid, amount string, zakatEligible bool) string {
	t.Helper()
	sw, cm := token(t, "social_worker", unit), token(t, "committee", unit)
	id := fileAid(t, unit, aidBody(diagnosis, nid, "01766666666", amount), sw)
	if r := do(t, "POST", "/api/v1/aid-requests/"+id+"/assess", map[string]any{"approved": []string{amount}, "zakatEligible": zakatEligible}, sw); r.Status != 200 {
		t.Fatalf("assess: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", "/api/v1/aid-requests/"+id+"/approve", nil, cm); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	return id
}

func allocations(t *testing.T, id, unit string) map[string]string {
	t.Helper()
	out := map[string]string{}
	as, _ := aidStatus(t, id, token(t, "social_worker", unit))["allocations"].([]any)
	for _, a := range as {
		m := a.(map[string]any)
		out[m["fund"].(string)] = m["amount"].(string)
	}
	return out
}

// TestZakatForCancerNeverPaysAKidneyPatient: a gift's kind and programme
// both restrict it. Zakat for cancer funds only zakat-eligible cancer
// patients; sadaqah is its own fund (not general); each is its own row on
// the public ledger.
func TestZakatForCancerNeverPaysAKidneyPatient(t *testing.T) {
	const unit = "dh-restricted"
	newUnit(t, unit, nil)
	payGift(t, unit, "5000.00", "zakat", "cancer", "restricted-1")
	eventually(t, "zakat for cancer on its own row", func() bool { return fundRow(t, unit, "zakat:cancer")["received"] == "5000.00" })
	if z := fund(t, unit, "zakat"); z["received"] != "0.00" {
		t.Fatalf("zakat for cancer landed in the zakat fund: %v", z)
	}
	// An eligible, identified kidney patient: the cancer zakat is not theirs.
	kidney := approved(t, unit, "kidney", newNID(t), "3000.00", true)
	eventually(t, "kidney request waitlisted", func() bool { return aidStatus(t, kidney, token(t, "social_worker", unit))["status"] == "waitlisted" })
	// A cancer patient not assessed zakat-eligible: not theirs either.
	cancerPoor := approved(t, unit, "cancer", "", "1000.00", false)
	eventually(t, "ineligible cancer request waitlisted", func() bool {
		return aidStatus(t, cancerPoor, token(t, "social_worker", unit))["status"] == "waitlisted"
	})
	// An eligible cancer patient is paid from it.
	cancer := approved(t, unit, "cancer", newNID(t), "2000.00", true)
	eventually(t, "eligible cancer request allocated", func() bool {
		return aidStatus(t, cancer, token(t, "social_worker", unit))["status"] == "allocated"
	})
	if a := allocations(t, cancer, unit); len(a) != 1 || a["fund:zakat:programme:cancer"] != "2000.00" {
		t.Fatalf("cancer request allocated %v", a)
	}

	// Sadaqah without a programme: its own fund and row, paying any patient.
	payGift(t, unit, "1000.00", "sadaqah", "", "restricted-2")
	eventually(t, "sadaqah on its own row", func() bool { return fundRow(t, unit, "sadaqah")["received"] == "1000.00" })
	if g := fund(t, unit, "general"); g["received"] != "0.00" {
		t.Fatalf("sadaqah landed in general: %v", g)
	}
	eventually(t, "sadaqah reaches the waitlist", func() bool {
		return allocations(t, kidney, unit)["fund:sadaqah"] != "" || allocations(t, cancerPoor, unit)["fund:sadaqah"] != ""
	})
	for _, id := range []string{kidney, cancerPoor} {
		if a := allocations(t, id, unit); a["fund:zakat:programme:cancer"] != "" || a["fund:zakat"] != "" {
			t.Fatalf("request %s got zakat: %v", id, a)
		}
	}
	eventually(t, "zakat for cancer row shows the allocation", func() bool {
		z := fundRow(t, unit, "zakat:cancer")
		return z["allocated"] == "2000.00" && z["balance"] == "3000.00"
	})
}

// fundRow is the unit's public ledger row of fund, or nil.
func fundRow(t *testing.T, unit, name string) map[string]any {
	t.Helper()
	r := do(t, "GET", "/api/v1/units/"+unit+"/ledger", nil, nil)
	if r.Status != 200 {
		t.Fatalf("ledger: %d %s", r.Status, r.Body)
	}
	for _, f := range r.JSON(t)["funds"].([]any) {
		if m := f.(map[string]any); m["fund"] == name {
			return m
		}
	}
	return nil
}

// TestArchivedUnitFundsTransfer: a platform admin moves an archived unit's
// remaining money, fund by fund and restrictions kept, to the same funds of
// another unit; both ledgers and both public pages show it.
func TestArchivedUnitFundsTransfer(t *testing.T) {
	for _, u := range []string{"dh-closing", "dh-receiving", "dh-closed"} {
		newUnit(t, u, nil)
	}
	payGift(t, "dh-closing", "700.00", "zakat", "cancer", "closing-1")
	payGift(t, "dh-closing", "300.00", "general", "", "closing-2")
	eventually(t, "gifts credited", func() bool {
		z := fundRow(t, "dh-closing", "zakat:cancer")
		return z != nil && z["balance"] == "700.00" && fundRow(t, "dh-closing", "general")["balance"] == "300.00"
	})
	admin := token(t, "platform_admin", "")
	move := func(from, to, key string) resp {
		hdr := map[string]string{"Authorization": admin["Authorization"], "Idempotency-Key": key}
		return do(t, "POST", "/api/v1/admin/units/"+from+"/transfers", map[string]any{"to": to}, hdr)
	}
	wantConflict(t, move("dh-closing", "dh-receiving", "tr-0"), "unit-not-archived")
	for _, u := range []string{"dh-closing", "dh-closed"} {
		if r := do(t, "DELETE", "/api/v1/admin/units/"+u, nil, admin); r.Status != 204 {
			t.Fatalf("archive %s: %d %s", u, r.Status, r.Body)
		}
	}
	problemOf(t, move("dh-closing", "dh-nowhere", "tr-1"), 422, "to")
	problemOf(t, move("dh-closing", "dh-closed", "tr-2"), 422, "to")
	problemOf(t, move("dh-nowhere", "dh-receiving", "tr-3"), 404, "")
	if r := do(t, "POST", "/api/v1/admin/units/dh-closing/transfers", map[string]any{"to": "dh-receiving"},
		map[string]string{"Authorization": token(t, "unit_admin", "dh-closing")["Authorization"], "Idempotency-Key": "tr-4"}); r.Status != 403 {
		t.Fatalf("unit admin moved money: %d", r.Status)
	}

	r := move("dh-closing", "dh-receiving", "tr-5")
	if r.Status != 200 || !strings.Contains(string(r.Body), `{"amount":"700.00","fund":"zakat:cancer"}`) || !strings.Contains(string(r.Body), `{"amount":"300.00","fund":"general"}`) {
		t.Fatalf("transfer: %d %s", r.Status, r.Body)
	}
	if again := move("dh-closing", "dh-receiving", "tr-5"); again.Status != 200 || again.JSON(t)["id"] != r.JSON(t)["id"] {
		t.Fatalf("retried transfer: %d %s", again.Status, again.Body)
	}
	eventually(t, "both ledgers show the transfer", func() bool {
		out, in := fundRow(t, "dh-closing", "zakat:cancer"), fundRow(t, "dh-receiving", "zakat:cancer")
		return out["transferredOut"] == "700.00" && out["balance"] == "0.00" && in != nil && in["transferredIn"] == "700.00" && in["balance"] == "700.00" &&
			fundRow(t, "dh-receiving", "general")["transferredIn"] == "300.00" && fundRow(t, "dh-receiving", "zakat")["balance"] == "0.00"
	})
	for _, u := range []string{"dh-closing", "dh-receiving"} {
		page := do(t, "GET", "/u/"+u+"?lang=en", nil, map[string]string{"Accept": "text/html"})
		if page.Status != 200 || !strings.Contains(string(page.Body), "700") || !strings.Contains(string(page.Body), map[string]string{"dh-closing": "−", "dh-receiving": "+"}[u]) {
			t.Fatalf("public page of %s: %d %s", u, page.Status, page.Body)
		}
	}
}
