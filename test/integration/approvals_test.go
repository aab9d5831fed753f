package integration

import (
	"github.com/kalyan-platform/kalyan/internal/testkit/httpkit"
	"strings"
	"testing"
	"time"
)

// Issue 14, "Maker-checker at every amount": four-eyes below the threshold
// too, a named second checker for one-worker units, what a patient received
// lately counting toward the threshold, N-of-M committee decisions with the
// meeting's resolution, and a disbursement that lists an item twice.

// meetingDate is a committee meeting's date: yesterday in Bangladesh.
func meetingDate() string {
	return time.Now().In(time.FixedZone("Asia/Dhaka", 6*3600)).AddDate(0, 0, -1).Format("2006-01-02")
}

// registerPolicyUnit registers an upazila unit with the given policy.
func registerPolicyUnit(t *testing.T, code string, policy map[string]any) {
	t.Helper()
	reg := map[string]any{"names": map[string]any{"en": "Upazila Health Complex " + code, "bn": "উপজেলা স্বাস্থ্য কমপ্লেক্স"},
		"level": "upazila", "division": "Chattagram", "district": "Cumilla", "upazila": "Burichang", "policy": policy}
	if r := do(t, "PUT", "/api/v1/admin/units/"+code, reg, token(t, "platform_admin", "")); r.Status != 201 {
		t.Fatalf("register %s: %d %s", code, r.Status, r.Body)
	}
}

func staffToken(t *testing.T, role, unit, sub string) map[string]string {
	t.Helper()
	tok, err := stack.Token(role, unit, sub)
	if err != nil {
		t.Fatal(err)
	}
	return httpkit.Bearer(tok)
}

func namedToken(t *testing.T, role, unit, sub, name string) map[string]string {
	t.Helper()
	tok, err := stack.NamedToken(role, unit, sub, name)
	if err != nil {
		t.Fatal(err)
	}
	return httpkit.Bearer(tok)
}

// containsJSON reports whether one history entry has the by and role that
// want (`"by":"X","role":"Y"`) names, whatever the key order.
func containsJSON(t *testing.T, r resp, want string) bool {
	t.Helper()
	by, role, _ := strings.Cut(strings.TrimPrefix(want, `"by":"`), `","role":"`)
	role = strings.TrimSuffix(role, `"`)
	for _, e := range r.JSON(t)["history"].([]any) {
		m := e.(map[string]any)
		if m["by"] == by && m["role"] == role {
			return true
		}
	}
	return false
}

func post(t *testing.T, path string, body any, hdr map[string]string) resp {
	t.Helper()
	return do(t, "POST", path, body, hdr)
}

func mustStatus(t *testing.T, what string, r resp, want int) {
	t.Helper()
	if r.Status != want {
		t.Fatalf("%s: %d, want %d: %s", what, r.Status, want, r.Body)
	}
}

// TestFourEyesAtEveryAmount: below the threshold the person who filed and
// assessed a request cannot approve it, and a disbursement recorded by one
// staff member moves no money until a second one confirms it.
func TestFourEyesAtEveryAmount(t *testing.T) {
	const unit = "uhc-foureyes"
	registerPolicyUnit(t, unit, map[string]any{"approvalThreshold": "10000.00"})
	sw, sw2 := staffToken(t, "social_worker", unit, "fe-sw-1"), staffToken(t, "social_worker", unit, "fe-sw-2")
	payGift(t, unit, "5000.00", "general", "", "fe-fund-1")

	id := fileAid(t, unit, aidBody("general", "", "01811000001", "1000.00"), sw)
	mustStatus(t, "assess", post(t, "/api/v1/aid-requests/"+id+"/assess", map[string]any{"approved": []string{"1000.00"}}, sw), 200)
	r := post(t, "/api/v1/aid-requests/"+id+"/approve", nil, sw)
	problemOf(t, r, 403, "")
	if !strings.Contains(string(r.Body), "maker-checker") {
		t.Fatalf("filer's own approval refused for another reason: %s", r.Body)
	}
	// The console refuses it too, in Bengali.
	page := post(t, "/console/requests/"+id+"/approve", nil, sw)
	if page.Status != 403 || !strings.Contains(string(page.Body), "যিনি আবেদন") {
		t.Fatalf("console approval by the filer: %d %s", page.Status, page.Body)
	}
	mustStatus(t, "approve by a second social worker", post(t, "/api/v1/aid-requests/"+id+"/approve", nil, sw2), 200)
	eventually(t, "allocated", func() bool { return aidStatus(t, id, sw)["status"] == "allocated" })

	// The approver records the disbursement: nothing moves yet.
	give := map[string]any{"items": []map[string]any{{"item": 0, "amount": "800.00", "method": "cash"}}}
	r = post(t, "/api/v1/aid-requests/"+id+"/disburse", give, sw2)
	mustStatus(t, "record disbursement", r, 200)
	if st := r.JSON(t)["status"]; st != "disbursement_recorded" {
		t.Fatalf("a recorded disbursement is %v, want disbursement_recorded (awaiting a second staff member)", st)
	}
	if f := fund(t, unit, "general"); f["disbursed"] != "0.00" {
		t.Fatalf("money moved before confirmation: %v", f)
	}
	// Whoever recorded it cannot confirm it; a stranger to the unit gets 404.
	problemOf(t, post(t, "/api/v1/aid-requests/"+id+"/confirm-disbursement", nil, sw2), 403, "")
	problemOf(t, post(t, "/api/v1/aid-requests/"+id+"/confirm-disbursement", nil, staffToken(t, "social_worker", "dmch", "fe-x")), 404, "")
	// The console shows the step to the second staff member.
	if p := do(t, "GET", "/console/requests/"+id, nil, sw); !strings.Contains(string(p.Body), `id="confirm-btn"`) {
		t.Fatalf("console does not offer the confirmation: %s", p.Body)
	}
	r = post(t, "/api/v1/aid-requests/"+id+"/confirm-disbursement", nil, sw)
	mustStatus(t, "confirm", r, 200)
	if st := r.JSON(t)["status"]; st != "disbursed" {
		t.Fatalf("confirmed disbursement is %v", st)
	}
	eventually(t, "ledger shows the disbursement", func() bool {
		f := fund(t, unit, "general")
		return f["disbursed"] == "800.00"
	})
	h := do(t, "GET", "/api/v1/aid-requests/"+id+"/history", nil, sw).JSON(t)["history"].([]any)
	var actions []string
	for _, e := range h {
		actions = append(actions, e.(map[string]any)["action"].(string))
	}
	if got := strings.Join(actions, ","); got != "filed,assessed,approved,allocation,disbursement-recorded,disbursed" {
		t.Fatalf("history %s", got)
	}
}

// TestSecondCheckerForOneWorkerUnit: a unit with a single social worker
// names its committee's member secretary as the second checker; nobody
// else outside the unit's social workers may confirm, and the policy is
// validated.
func TestSecondCheckerForOneWorkerUnit(t *testing.T) {
	const unit = "uhc-oneworker"
	bad := map[string]any{"names": map[string]any{"en": "One Worker UHC", "bn": "এক কর্মী"}, "level": "upazila", "division": "Rajshahi",
		"district": "Natore", "upazila": "Baraigram", "policy": map[string]any{"checkers": []string{"ms-1", "ms-1"}}}
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/"+unit, bad, token(t, "platform_admin", "")), 422, "policy.checkers")
	bad["policy"] = map[string]any{"checkers": []string{" "}}
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/"+unit, bad, token(t, "platform_admin", "")), 422, "policy.checkers")
	registerPolicyUnit(t, unit, map[string]any{"checkers": []string{"ms-rahman"}})
	// Staff identities are not for the public unit document.
	if u := do(t, "GET", "/api/v1/units/"+unit, nil, nil); u.Status != 200 || strings.Contains(string(u.Body), "ms-rahman") {
		t.Fatalf("public unit: %d %s", u.Status, u.Body)
	}
	sw := staffToken(t, "social_worker", unit, "ow-sw")
	cm := staffToken(t, "committee", unit, "ow-cm")
	secretary := staffToken(t, "committee", unit, "ms-rahman")
	payGift(t, unit, "3000.00", "general", "", "ow-fund-1")
	id := fileAid(t, unit, aidBody("general", "", "01811000002", "2000.00"), sw)
	mustStatus(t, "assess", post(t, "/api/v1/aid-requests/"+id+"/assess", map[string]any{"approved": []string{"2000.00"}}, sw), 200)
	mustStatus(t, "committee member approves", post(t, "/api/v1/aid-requests/"+id+"/approve", nil, cm), 200)
	eventually(t, "allocated", func() bool { return aidStatus(t, id, sw)["status"] == "allocated" })
	give := map[string]any{"items": []map[string]any{{"item": 0, "amount": "2000.00", "method": "in_kind", "reference": "PHARM-9"}}}
	mustStatus(t, "record", post(t, "/api/v1/aid-requests/"+id+"/disburse", give, sw), 200)
	// A committee member who is not the named checker cannot confirm.
	problemOf(t, post(t, "/api/v1/aid-requests/"+id+"/confirm-disbursement", nil, cm), 403, "")
	mustStatus(t, "named checker confirms", post(t, "/api/v1/aid-requests/"+id+"/confirm-disbursement", nil, secretary), 200)
	eventually(t, "ledger shows the disbursement", func() bool { return fund(t, unit, "general")["disbursed"] == "2000.00" })
}

// TestSplittingCountsTowardThreshold: three Tk 9,000 requests for the same
// patient (one NID, filed at two units) under a Tk 10,000 threshold: from
// the second on, what the patient received counts and the committee
// decides.
func TestSplittingCountsTowardThreshold(t *testing.T) {
	const a, b = "uhc-split-a", "uhc-split-b"
	registerPolicyUnit(t, a, map[string]any{"approvalThreshold": "10000.00"})
	registerPolicyUnit(t, b, map[string]any{"approvalThreshold": "10000.00", "windowDays": 90})
	swA, swA2 := staffToken(t, "social_worker", a, "sp-a1"), staffToken(t, "social_worker", a, "sp-a2")
	swB, swB2 := staffToken(t, "social_worker", b, "sp-b1"), staffToken(t, "social_worker", b, "sp-b2")
	cmB := staffToken(t, "committee", b, "sp-cm")
	const nid = "1987654321"

	first := fileAid(t, a, aidBody("general", nid, "01811000003", "9000.00"), swA)
	mustStatus(t, "assess 1", post(t, "/api/v1/aid-requests/"+first+"/assess", map[string]any{"approved": []string{"9000.00"}}, swA), 200)
	mustStatus(t, "approve 1", post(t, "/api/v1/aid-requests/"+first+"/approve", nil, swA2), 200)

	// Same NID, another unit, another mobile.
	second := fileAid(t, b, aidBody("general", nid, "01811000004", "9000.00"), swB)
	mustStatus(t, "assess 2", post(t, "/api/v1/aid-requests/"+second+"/assess", map[string]any{"approved": []string{"9000.00"}}, swB), 200)
	r := post(t, "/api/v1/aid-requests/"+second+"/approve", nil, swB2)
	problemOf(t, r, 403, "")
	if !strings.Contains(string(r.Body), "committee") {
		t.Fatalf("second request refused for another reason: %s", r.Body)
	}
	res := map[string]any{"resolution": map[string]any{"number": "RKS-2026/07", "date": meetingDate()}}
	mustStatus(t, "committee approves 2", post(t, "/api/v1/aid-requests/"+second+"/approve", res, cmB), 200)

	// Same mobile as the first, no NID, back at unit A.
	third := fileAid(t, a, aidBody("general", "", "01811000003", "9000.00"), swA)
	mustStatus(t, "assess 3", post(t, "/api/v1/aid-requests/"+third+"/assess", map[string]any{"approved": []string{"9000.00"}}, swA), 200)
	problemOf(t, post(t, "/api/v1/aid-requests/"+third+"/approve", nil, swA2), 403, "")

	// Another patient is not affected.
	other := fileAid(t, a, aidBody("general", "", "01811000005", "9000.00"), swA)
	mustStatus(t, "assess other", post(t, "/api/v1/aid-requests/"+other+"/assess", map[string]any{"approved": []string{"9000.00"}}, swA), 200)
	mustStatus(t, "approve other", post(t, "/api/v1/aid-requests/"+other+"/approve", nil, swA2), 200)

	// The window is validated.
	reg := map[string]any{"names": map[string]any{"en": "Split C", "bn": "স্প্লিট"}, "level": "district", "division": "Dhaka", "district": "Dhaka",
		"policy": map[string]any{"windowDays": 0}}
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/uhc-split-c", reg, token(t, "platform_admin", "")), 422, "policy.windowDays")
}

// TestCommitteeQuorumAndResolution: above the threshold a unit asking for
// two committee approvals needs two members, each naming the meeting's
// resolution number and date.
func TestCommitteeQuorumAndResolution(t *testing.T) {
	const unit = "uhc-quorum"
	registerPolicyUnit(t, unit, map[string]any{"approvalThreshold": "10000.00", "committeeQuorum": 2, "committeeSize": 5})
	sw := namedToken(t, "social_worker", unit, "q-sw", "Rahima Begum")
	cm1, cm2 := namedToken(t, "committee", unit, "q-cm1", "Hasan Mahmud"), namedToken(t, "committee", unit, "q-cm2", "Nasrin Akter")
	id := fileAid(t, unit, aidBody("general", "", "01811000006", "12000.00"), sw)
	mustStatus(t, "assess", post(t, "/api/v1/aid-requests/"+id+"/assess", map[string]any{"approved": []string{"12000.00"}}, sw), 200)
	approve := func(tok map[string]string, number, date string) resp {
		return post(t, "/api/v1/aid-requests/"+id+"/approve", map[string]any{"resolution": map[string]any{"number": number, "date": date}}, tok)
	}
	problemOf(t, post(t, "/api/v1/aid-requests/"+id+"/approve", nil, cm1), 422, "resolution.number")
	problemOf(t, approve(cm1, "RKS-12", "15/01/2026"), 422, "resolution.date")
	problemOf(t, approve(cm1, "RKS-12", "2999-01-01"), 422, "resolution.date")
	r := approve(cm1, "RKS-12", meetingDate())
	mustStatus(t, "first member", r, 200)
	if st := r.JSON(t)["status"]; st != "assessed" {
		t.Fatalf("one of two approvals made it %v", st)
	}
	problemOf(t, approve(cm1, "RKS-12", meetingDate()), 409, "")
	r = approve(cm2, "RKS-12", meetingDate())
	mustStatus(t, "second member", r, 200)
	if st := r.JSON(t)["status"]; st != "approved" {
		t.Fatalf("two of two approvals made it %v", st)
	}
	got := aidStatus(t, id, sw)
	cm, _ := got["committee"].([]any)
	if len(cm) != 2 || cm[0].(map[string]any)["resolution"].(map[string]any)["number"] != "RKS-12" {
		t.Fatalf("committee approvals %v", got["committee"])
	}
	// The history shows staff by name and role, never by subject.
	hist := do(t, "GET", "/api/v1/aid-requests/"+id+"/history", nil, sw)
	for _, want := range []string{`"by":"Rahima Begum","role":"social_worker"`, `"by":"Hasan Mahmud","role":"committee"`, `"by":"Nasrin Akter","role":"committee"`} {
		if !containsJSON(t, hist, want) {
			t.Fatalf("history lacks %s: %s", want, hist.Body)
		}
	}
	page := do(t, "GET", "/console/requests/"+id, nil, cm1)
	for _, b := range [][]byte{hist.Body, page.Body} {
		if strings.Contains(string(b), "q-cm1") || strings.Contains(string(b), "q-sw") {
			t.Fatalf("history shows subject IDs: %s", b)
		}
	}
	if !strings.Contains(string(page.Body), "Nasrin Akter (") {
		t.Fatalf("console history without names: %s", page.Body)
	}
	// The policy is validated: N of M.
	reg := map[string]any{"names": map[string]any{"en": "Quorum B", "bn": "কোরাম"}, "level": "district", "division": "Dhaka", "district": "Dhaka",
		"policy": map[string]any{"committeeQuorum": 6, "committeeSize": 5}}
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/uhc-quorum-b", reg, token(t, "platform_admin", "")), 422, "policy.committeeQuorum")
}

// TestDisbursementListsItemTwice: the same item twice in one disbursement
// (2,000 against item 0's 1,000 approved) is refused.
func TestDisbursementListsItemTwice(t *testing.T) {
	const unit = "uhc-twice"
	registerPolicyUnit(t, unit, map[string]any{"approvalThreshold": "10000.00"})
	sw, sw2 := staffToken(t, "social_worker", unit, "tw-sw-1"), staffToken(t, "social_worker", unit, "tw-sw-2")
	payGift(t, unit, "5000.00", "general", "", "tw-fund-1")
	id := fileAid(t, unit, aidBody("general", "", "01811000007", "1000.00", "1000.00"), sw)
	mustStatus(t, "assess", post(t, "/api/v1/aid-requests/"+id+"/assess", map[string]any{"approved": []string{"1000.00", "1000.00"}}, sw), 200)
	mustStatus(t, "approve", post(t, "/api/v1/aid-requests/"+id+"/approve", nil, sw2), 200)
	eventually(t, "allocated", func() bool { return aidStatus(t, id, sw)["status"] == "allocated" })
	twice := map[string]any{"items": []map[string]any{
		{"item": 0, "amount": "1000.00", "method": "cash"}, {"item": 0, "amount": "1000.00", "method": "cash"}}}
	problemOf(t, post(t, "/api/v1/aid-requests/"+id+"/disburse", twice, sw), 422, "items[1].item")
	if st := aidStatus(t, id, sw)["status"]; st != "allocated" {
		t.Fatalf("refused disbursement left the request %v", st)
	}
}
