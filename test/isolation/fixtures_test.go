package isolation

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// unitFx are one unit's records the matrix aims at.
type unitFx struct {
	code                      string
	nameEN, nameBN            string
	donation                  string
	donorName, donorPhone     string
	receiptID, serial         string
	fiscalYear                string
	link                      string
	aid                       string
	patientName, patientPhone string
	aidStatus                 string
	aidHistory                int
}

type fixtures struct{ a, b *unitFx }

func giftBody(amount, name, phone string) map[string]any {
	return map[string]any{"amount": amount, "currency": "BDT", "kind": "sadaqah",
		"donor": map[string]any{"name": name, "phone": phone}, "anonymous": false}
}

func aidBody(patient, phone string) map[string]any {
	return map[string]any{
		"patient": map[string]any{"name": patient, "age": 42, "sex": "female", "guardian": "Abdul Kader", "mobile": phone,
			"district": "Cumilla", "hospitalReg": "REG-4711", "ward": "7"},
		"diagnosis": "kidney", "urgency": "high",
		"items": []map[string]any{{"category": "medicine", "description": "dialysis kit", "estimated": "2500.00"}},
		"caseStudy": map[string]any{"householdSize": 5, "monthlyIncome": "6000.00", "occupation": "day labourer",
			"assets": "none", "narrative": "cannot afford dialysis", "documentsChecked": []string{"nid"}},
	}
}

var (
	fxMu     sync.Mutex
	fxShared *fixtures
)

// setupFixturesOnce makes both units' records on first use; the tests
// share them (record IDs, and unit B's records stay untouched).
func setupFixturesOnce(t *testing.T) *fixtures {
	t.Helper()
	fxMu.Lock()
	defer fxMu.Unlock()
	if fxShared != nil {
		return fxShared
	}
	fxShared = &fixtures{
		a: makeUnitFx(t, unitA, "Rahim Uddin", "01711000111", "Karima Bibi", "01711000222"),
		b: makeUnitFx(t, unitB, "Fatema Khatun", "01911223344", "Jahanara Begum", "01911223355"),
	}
	return fxShared
}

var scratchSeq atomic.Int64

// freshScratch registers a new unit for an admin route's control call.
func (fx *fixtures) freshScratch(t *testing.T) *unitFx {
	t.Helper()
	code := fmt.Sprintf("%s-%d", scratch, scratchSeq.Add(1))
	r := call(t, request{method: "PUT", path: "/api/v1/admin/units/" + code, body: map[string]any{
		"names": map[string]any{"en": "Scratch Hospital", "bn": "পরীক্ষা হাসপাতাল"}, "level": "district",
		"division": "Dhaka", "district": "Dhaka"}}, bearer(t, "platform_admin", ""))
	if r.Status != 201 {
		t.Fatalf("register %s: %d %s", code, r.Status, r.Body)
	}
	return &unitFx{code: code}
}

// makeUnitFx gives unit code a receipted cash gift, a campaign link and an
// aid request, each made by the unit's own staff.
func makeUnitFx(t *testing.T, code, donor, phone, patient, patientPhone string) *unitFx {
	t.Helper()
	u := &unitFx{code: code, donorName: donor, donorPhone: phone, patientName: patient, patientPhone: patientPhone}
	prof := call(t, request{method: "GET", path: "/api/v1/units/" + code}, "")
	if prof.Status != 200 {
		t.Fatalf("unit %s: %d %s", code, prof.Status, prof.Body)
	}
	names, _ := prof.JSON(t)["names"].(map[string]any)
	u.nameEN, _ = names["en"].(string)
	u.nameBN, _ = names["bn"].(string)

	cash := call(t, request{method: "POST", path: "/api/v1/units/" + code + "/cash-donations", hdr: jsonKey("iso-fx-" + code),
		body: giftBody("777.77", donor, phone)}, bearer(t, "cashier", code))
	if cash.Status != 201 {
		t.Fatalf("cash gift at %s: %d %s", code, cash.Status, cash.Body)
	}
	u.donation, _ = cash.JSON(t)["id"].(string)
	deadline := time.Now().Add(60 * time.Second)
	for {
		d := call(t, request{method: "GET", path: "/api/v1/donations/" + u.donation}, "").JSON(t)
		if d["status"] == "receipted" {
			rc, _ := d["receipt"].(map[string]any)
			u.receiptID, _ = rc["id"].(string)
			u.serial, _ = rc["serial"].(string)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no receipt for the fixture gift at %s", code)
		}
		time.Sleep(50 * time.Millisecond)
	}
	rec := call(t, request{method: "GET", path: "/api/v1/receipts/" + u.receiptID}, "")
	if rec.Status != 200 {
		t.Fatalf("receipt %s: %d %s", u.receiptID, rec.Status, rec.Body)
	}
	u.fiscalYear, _ = rec.JSON(t)["fiscalYear"].(string)

	u.link = code + "-iso-link"
	link := call(t, request{method: "POST", path: "/api/v1/units/" + code + "/links", body: map[string]any{
		"slug": u.link, "title": map[string]any{"en": "Isolation drive", "bn": "বিচ্ছিন্নতা"}, "kind": "general"}}, bearer(t, "unit_admin", code))
	if link.Status != 201 {
		t.Fatalf("link at %s: %d %s", code, link.Status, link.Body)
	}

	filed := call(t, request{method: "POST", path: "/api/v1/units/" + code + "/aid-requests", body: aidBody(patient, patientPhone)},
		bearer(t, "social_worker", code))
	if filed.Status != 201 {
		t.Fatalf("aid request at %s: %d %s", code, filed.Status, filed.Body)
	}
	u.aid, _ = filed.JSON(t)["id"].(string)
	u.aidStatus, u.aidHistory = u.aidState(t)
	return u
}

func (u *unitFx) aidState(t *testing.T) (string, int) {
	t.Helper()
	own := bearer(t, "committee", u.code)
	q := call(t, request{method: "GET", path: "/api/v1/aid-requests/" + u.aid}, own)
	h := call(t, request{method: "GET", path: "/api/v1/aid-requests/" + u.aid + "/history"}, own)
	if q.Status != 200 || h.Status != 200 {
		t.Fatalf("aid request %s: %d %s / %d %s", u.aid, q.Status, q.Body, h.Status, h.Body)
	}
	status, _ := q.JSON(t)["status"].(string)
	hist, _ := h.JSON(t)["history"].([]any)
	return status, len(hist)
}

// markers are strings of the unit's records that must never reach another
// unit's staff.
func (u *unitFx) markers() []string {
	m := []string{u.code, u.nameEN, u.nameBN, u.donation, u.donorName, u.donorPhone, strings.TrimPrefix(u.donorPhone, "0"),
		u.link, u.aid, u.patientName, u.patientPhone, strings.TrimPrefix(u.patientPhone, "0"), u.receiptID, "777.77"}
	var out []string
	for _, s := range m {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// unchanged checks that no cross-tenant call altered the unit's records.
func (u *unitFx) unchanged(t *testing.T) {
	t.Helper()
	u.stateUnchanged(t)
	// The cross-tenant cash call's key was never used at this unit: the
	// unit's own call with it creates a gift rather than replaying one.
	cash := call(t, request{method: "POST", path: "/api/v1/units/" + u.code + "/cash-donations", hdr: jsonKey("iso-cross-cash"),
		body: giftBody("55.00", "Mallory", "01555000111")}, bearer(t, "cashier", u.code))
	if cash.Status != 201 {
		t.Errorf("another unit's staff recorded cash at %s: %d %s", u.code, cash.Status, cash.Body)
	}
}

// stateUnchanged checks, reading only, that the unit's profile, gift,
// links and aid request are as the fixtures made them.
func (u *unitFx) stateUnchanged(t *testing.T) {
	t.Helper()
	prof := call(t, request{method: "GET", path: "/api/v1/units/" + u.code}, "")
	if prof.Status != 200 {
		t.Errorf("unit %s after the matrix: %d %s (archived?)", u.code, prof.Status, prof.Body)
	} else if names, _ := prof.JSON(t)["names"].(map[string]any); names["en"] != u.nameEN {
		t.Errorf("unit %s renamed to %v", u.code, names["en"])
	}
	d := call(t, request{method: "GET", path: "/api/v1/donations/" + u.donation}, "").JSON(t)
	if d["status"] != "receipted" || (d["refunded"] != nil && d["refunded"] != "" && d["refunded"] != "0.00") {
		t.Errorf("gift %s after the matrix: status %v, refunded %v", u.donation, d["status"], d["refunded"])
	}
	own := bearer(t, "unit_admin", u.code)
	// Nobody closed a counter day of this unit.
	if book := call(t, request{method: "GET", path: "/api/v1/units/" + u.code + "/cash-book"}, own); book.Status != 200 ||
		strings.Contains(string(book.Body), `"close"`) {
		t.Errorf("cash book of %s after the matrix: %d %s", u.code, book.Status, book.Body)
	}
	ls := call(t, request{method: "GET", path: "/api/v1/units/" + u.code + "/links"}, own)
	var links struct {
		Links []struct {
			Slug     string `json:"slug"`
			Disabled bool   `json:"disabled"`
		} `json:"links"`
	}
	if err := json.Unmarshal(ls.Body, &links); err != nil || ls.Status != 200 {
		t.Fatalf("links of %s: %d %s", u.code, ls.Status, ls.Body)
	}
	if len(links.Links) != 1 || links.Links[0].Slug != u.link || links.Links[0].Disabled {
		t.Errorf("links of %s after the matrix: %s", u.code, ls.Body)
	}
	aids := call(t, request{method: "GET", path: "/api/v1/units/" + u.code + "/aid-requests"}, own)
	if aids.Status != 200 || strings.Count(string(aids.Body), `"id":`) != 1 {
		t.Errorf("aid requests of %s after the matrix: %d %s", u.code, aids.Status, aids.Body)
	}
	if st, n := u.aidState(t); st != u.aidStatus || n != u.aidHistory {
		t.Errorf("aid request %s after the matrix: status %s (was %s), %d history entries (was %d)", u.aid, st, u.aidStatus, n, u.aidHistory)
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
