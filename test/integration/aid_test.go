package integration

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func aidBody(diagnosis, nid, mobile string, estimates ...string) map[string]any {
	items := []map[string]any{}
	for i, e := range estimates {
		items = append(items, map[string]any{"category": []string{"medicine", "tests", "blood", "surgery"}[i%4], "description": "item", "estimated": e})
	}
	p := map[string]any{"name": "Amena Khatun", "age": 34, "sex": "female", "guardian": "Abdul Karim", "mobile": mobile,
		"district": "Cumilla", "upazila": "Debidwar", "hospitalReg": "REG-1", "ward": "7", "bed": "12"}
	if nid != "" {
		p["nid"] = nid
	}
	return map[string]any{"patient": p, "diagnosis": diagnosis, "items": items, "urgency": "high",
		"caseStudy": map[string]any{"householdSize": 5, "monthlyIncome": "6000", "occupation": "day labourer", "assets": "none",
			"narrative": "Husband is a day labourer; no savings.", "documentsChecked": []string{"nid", "prescription"}}}
}

func fileAid(t *testing.T, unit string, body map[string]any, hdr map[string]string) string {
	t.Helper()
	r := do(t, "POST", "/api/v1/units/"+unit+"/aid-requests", body, hdr)
	if r.Status != 201 {
		t.Fatalf("file: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)["id"].(string)
}

func aidStatus(t *testing.T, id string, hdr map[string]string) map[string]any {
	t.Helper()
	r := do(t, "GET", "/api/v1/aid-requests/"+id, nil, hdr)
	if r.Status != 200 {
		t.Fatalf("get: %d %s", r.Status, r.Body)
	}
	return r.JSON(t)
}

// TestAidLifecycle: a small request approved by the social worker is
// allocated from the programme fund; a large one needs a committee member
// who did not file it; one larger than the funds waits and is allocated
// when a gift arrives; disbursing returns the unspent part.
func TestAidLifecycle(t *testing.T) {
	reg := map[string]any{"names": map[string]any{"en": "Chandina Upazila Health Complex", "bn": "চান্দিনা উপজেলা স্বাস্থ্য কমপ্লেক্স"},
		"level": "upazila", "division": "Chattagram", "district": "Cumilla", "upazila": "Chandina", "policy": map[string]any{"approvalThreshold": "10000.00"}}
	if r := do(t, "PUT", "/api/v1/admin/units/uhc-chandina", reg, token(t, "platform_admin", "")); r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	sw, _ := stack.Token("social_worker", "uhc-chandina", "sw-rahima")
	sw2, _ := stack.Token("social_worker", "uhc-chandina", "sw-karim")
	cm, _ := stack.Token("committee", "uhc-chandina", "cm-hasan")
	hdr := func(tok string) map[string]string { return map[string]string{"Authorization": "Bearer " + tok} }
	// Funds: 3,000 to the kidney programme, 2,000 zakat.
	payGift(t, "uhc-chandina", "3000.00", "sadaqah", "kidney", "aid-fund-1")
	payGift(t, "uhc-chandina", "2000.00", "zakat", "", "aid-fund-2")

	// Small request: filed and assessed by one social worker, approved by
	// another (four-eyes at every amount).
	small := fileAid(t, "uhc-chandina", aidBody("kidney", "1234567890", "01711111111", "1500.00", "800.00"), hdr(sw))
	if r := do(t, "POST", "/api/v1/aid-requests/"+small+"/approve", nil, hdr(sw2)); r.Status != 409 {
		t.Fatalf("approve before assessment: %d", r.Status)
	}
	if r := do(t, "POST", "/api/v1/aid-requests/"+small+"/assess", map[string]any{"approved": []string{"1500.00", "500.00"}, "zakatEligible": true}, hdr(sw)); r.Status != 200 {
		t.Fatalf("assess: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", "/api/v1/aid-requests/"+small+"/approve", nil, hdr(sw2)); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	eventually(t, "small request allocated", func() bool { return aidStatus(t, small, hdr(sw))["status"] == "allocated" })
	got := aidStatus(t, small, hdr(sw))
	if got["allocations"].([]any)[0].(map[string]any)["fund"] != "fund:programme:kidney" {
		t.Fatalf("allocated from %v, want the kidney programme first", got["allocations"])
	}

	// Large request (over the threshold): the filer cannot approve, a
	// committee member can; with 1,000 kidney + 2,000 zakat left and the
	// patient not zakat-eligible, it is partially covered... by nothing
	// here, since general is empty: it waits.
	large := fileAid(t, "uhc-chandina", aidBody("cancer", "", "01722222222", "12000.00"), hdr(sw2))
	do(t, "POST", "/api/v1/aid-requests/"+large+"/assess", map[string]any{"approved": []string{"12000.00"}, "zakatEligible": false}, hdr(sw2))
	if r := do(t, "POST", "/api/v1/aid-requests/"+large+"/approve", nil, hdr(sw2)); r.Status != 403 {
		t.Fatalf("social worker approved above threshold: %d", r.Status)
	}
	// Concurrent committee approvals: exactly one takes effect.
	var wg sync.WaitGroup
	codes := make([]int, 3)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			codes[i] = do(t, "POST", "/api/v1/aid-requests/"+large+"/approve", map[string]any{"resolution": map[string]any{"number": "RKS-1", "date": meetingDate()}}, hdr(cm)).Status
		}()
	}
	wg.Wait()
	if fmt.Sprint(codes) != "[200 409 409]" && fmt.Sprint(codes) != "[409 200 409]" && fmt.Sprint(codes) != "[409 409 200]" {
		t.Fatalf("concurrent approvals: %v", codes)
	}
	eventually(t, "large request waitlisted", func() bool { return aidStatus(t, large, hdr(cm))["status"] == "waitlisted" })
	// Zakat is never given to a patient not assessed eligible.
	if a := aidStatus(t, large, hdr(cm))["allocated"]; a != "0.00" {
		t.Fatalf("waitlisted request got %v", a)
	}
	// A general gift arrives: the waitlist drains.
	payGift(t, "uhc-chandina", "15000.00", "general", "", "aid-fund-3")
	eventually(t, "waitlisted request allocated", func() bool { return aidStatus(t, large, hdr(cm))["status"] == "allocated" })

	// Disburse the small request: 1,500 medicine in kind, 300 of 500 tests.
	r := do(t, "POST", "/api/v1/aid-requests/"+small+"/disburse", map[string]any{"items": []map[string]any{
		{"item": 0, "amount": "1500.00", "method": "in_kind", "reference": "PHARM-77"}, {"item": 1, "amount": "300.00", "method": "cash"}}}, hdr(sw))
	if r.Status != 200 || r.JSON(t)["status"] != "disbursement_recorded" {
		t.Fatalf("disburse: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", "/api/v1/aid-requests/"+small+"/confirm-disbursement", nil, hdr(sw2)); r.Status != 200 || r.JSON(t)["status"] != "disbursed" {
		t.Fatalf("confirm: %d %s", r.Status, r.Body)
	}
	eventually(t, "ledger shows disbursement and return", func() bool {
		f := fund(t, "uhc-chandina", "kidney")
		// 2,000 allocated from kidney; 1,800 given; 200 back to kidney.
		return f["disbursed"] == "1800.00" && f["allocated"] == "1800.00"
	})

	// History is the audit trail.
	h := do(t, "GET", "/api/v1/aid-requests/"+small+"/history", nil, hdr(sw)).JSON(t)["history"].([]any)
	var actions []string
	for _, e := range h {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	if got := strings.Join(actions, ","); got != "filed,assessed,approved,allocation,disbursement-recorded,disbursed" {
		t.Fatalf("history %s", got)
	}
	// Another unit's staff see nothing; lists mask patient data.
	if r := do(t, "GET", "/api/v1/aid-requests/"+small, nil, token(t, "social_worker", "dmch")); r.Status != 404 || strings.Contains(string(r.Body), "Amena") {
		t.Fatalf("foreign read: %d %s", r.Status, r.Body)
	}
	list := do(t, "GET", "/api/v1/units/uhc-chandina/aid-requests", nil, hdr(cm))
	if list.Status != 200 || strings.Contains(string(list.Body), "01711111111") || strings.Contains(string(list.Body), "1234567890") {
		t.Fatalf("list leaks or fails: %d %s", list.Status, list.Body)
	}
}

func TestOneTimeGrantAcrossUnits(t *testing.T) {
	body := aidBody("thalassaemia", "19901234567890123", "01733333333", "1000.00")
	body["grantRequested"] = true
	first := fileAid(t, "dmch", body, token(t, "social_worker", "dmch"))
	r := do(t, "POST", "/api/v1/units/dh-cumilla/aid-requests", body, token(t, "social_worker", "dh-cumilla"))
	if r.Status != 409 || !strings.Contains(string(r.Body), "dmch") {
		t.Fatalf("second grant: %d %s", r.Status, r.Body)
	}
	// Duplicate-benefit flag: same mobile within 90 days, flagged not blocked.
	plain := aidBody("general", "", "01733333333", "500.00")
	r2 := do(t, "POST", "/api/v1/units/dh-cumilla/aid-requests", plain, token(t, "social_worker", "dh-cumilla"))
	if r2.Status != 201 || !strings.Contains(string(r2.Body), first) {
		t.Fatalf("duplicate flag: %d %s", r2.Status, r2.Body)
	}
	bad := aidBody("lottery", "12", "123", "5.00")
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/aid-requests", bad, token(t, "social_worker", "dmch")), 422, "diagnosis")
}
