package integration

import (
	"testing"
)

// approved files, assesses and approves a request at unit (threshold high
// enough for the social worker) and returns its ID.
func approved(t *testing.T, unit, diagnosis, nid, amount string, zakatEligible bool) string {
	t.Helper()
	sw, cm := token(t, "social_worker", unit), token(t, "committee", unit)
	id := fileAid(t, unit, aidBody(diagnosis, nid, "01766666666", amount), sw)
	if r := do(t, "POST", "/api/v1/aid-requests/"+id+"/assess", map[string]any{"approved": []string{amount}, "zakatEligible": zakatEligible}, sw); r.status != 200 {
		t.Fatalf("assess: %d %s", r.status, r.body)
	}
	if r := do(t, "POST", "/api/v1/aid-requests/"+id+"/approve", nil, cm); r.status != 200 {
		t.Fatalf("approve: %d %s", r.status, r.body)
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
	if r.status != 200 {
		t.Fatalf("ledger: %d %s", r.status, r.body)
	}
	for _, f := range r.json(t)["funds"].([]any) {
		if m := f.(map[string]any); m["fund"] == name {
			return m
		}
	}
	return nil
}
