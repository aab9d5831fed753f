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
	if r.Status != 409 || !strings.Contains(string(r.Body), typ) {
		t.Fatalf("want 409 %s, got %d %s", typ, r.Status, r.Body)
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
	if r := do(t, "POST", "/api/v1/aid-requests/"+first+"/reject", map[string]any{"reason": "not poor enough"}, swA); r.Status != 200 {
		t.Fatalf("reject: %d %s", r.Status, r.Body)
	}
	second := fileAid(t, "dh-cumilla", grantBody(nid, "01744444442"), swB)

	// Withdrawn: likewise (and a reason is required; not after approval).
	problemOf(t, do(t, "POST", "/api/v1/aid-requests/"+second+"/withdraw", map[string]any{"reason": ""}, swB), 422, "reason")
	if r := do(t, "POST", "/api/v1/aid-requests/"+second+"/withdraw", map[string]any{"reason": "patient moved to India for treatment"}, swB); r.Status != 200 || r.JSON(t)["status"] != "withdrawn" {
		t.Fatalf("withdraw: %d %s", r.Status, r.Body)
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
			codes[i] = do(t, "POST", "/api/v1/units/"+u+"/aid-requests", grantBody(nid, "01744444443"), hdr).Status
		}()
	}
	wg.Wait()
	if fmt.Sprint(codes) != "[201 409]" && fmt.Sprint(codes) != "[409 201]" {
		t.Fatalf("parallel grant applications: %v", codes)
	}
}

// TestNIDFormsAreOneIdentity: the 13-digit NID and the same number written
// with the birth year (17 digits) are one patient for the one-time grant;
// malformed numbers are refused naming patient.nid; a smart-card number and
// a 13/17-digit one recorded with one name and date of birth are flagged on
// both requests.
func TestNIDFormsAreOneIdentity(t *testing.T) {
	swA, swB := token(t, "social_worker", "dmch"), token(t, "social_worker", "dh-cumilla")
	nid13 := newNID(t)
	fileAid(t, "dmch", grantBody(nid13, "01755555551"), swA)
	wantConflict(t, do(t, "POST", "/api/v1/units/dh-cumilla/aid-requests", grantBody("1984"+nid13, "01755555552"), swB), "grant-application-open")

	for _, bad := range []string{"12345", "123456789012", "12345678901234", "1234567890123456789", "12345678AB", "0000000000", "1850" + nid13} {
		r := do(t, "POST", "/api/v1/units/dmch/aid-requests", aidBody("general", bad, "01755555553", "100.00"), swA)
		problemOf(t, r, 422, "patient.nid")
	}
	withYear := aidBody("general", "1984"+newNID(t), "01755555553", "100.00")
	withYear["patient"].(map[string]any)["birthDate"] = "1990-01-01"
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/aid-requests", withYear, swA), 422, "patient.nid")

	card := aidBody("kidney", "৫৫৫ ৫৫৫ "+nid13[:4], "01755555554", "100.00")
	card["patient"].(map[string]any)["birthDate"] = "1984-05-06"
	card["patient"].(map[string]any)["name"] = "Md. Rofiqul Islam"
	cardID := fileAid(t, "dmch", card, swA)
	old := aidBody("kidney", "1984"+nid13, "01755555555", "100.00")
	old["patient"].(map[string]any)["birthDate"] = "1984-05-06"
	old["patient"].(map[string]any)["name"] = "MD ROFIQUL  ISLAM"
	r := do(t, "POST", "/api/v1/units/dh-cumilla/aid-requests", old, swB)
	if r.Status != 201 || !strings.Contains(string(r.Body), cardID) {
		t.Fatalf("17-digit filing not flagged against the smart card: %d %s", r.Status, r.Body)
	}
	oldID := r.JSON(t)["id"].(string)
	flags, _ := aidStatus(t, cardID, swA)["identityFlags"].([]any)
	if len(flags) != 1 || flags[0].(map[string]any)["id"] != oldID || flags[0].(map[string]any)["form"] != "nid13" ||
		strings.Contains(string(do(t, "GET", "/api/v1/aid-requests/"+cardID, nil, swA).Body), "1984"+nid13) {
		t.Fatalf("smart-card request's flags %v", flags)
	}
	// The console shows it too.
	page := do(t, "GET", "/console/requests/"+cardID, nil, consoleSession(t, "social_worker", "dmch"))
	if page.Status != 200 || !strings.Contains(string(page.Body), `id="same-person"`) {
		t.Fatalf("console detail: %d", page.Status)
	}
}

func allocateGrant(t *testing.T, unit, fy, amount, key string) resp {
	t.Helper()
	hdr := token(t, "platform_admin", "")
	hdr["Idempotency-Key"] = key
	return do(t, "POST", "/api/v1/admin/units/"+unit+"/grant-allocations", map[string]any{"fiscalYear": fy, "amount": amount,
		"reference": "DSS allocation order 41.01.0000.044.2026-" + key}, hdr)
}

// TestGrantPaidFromTheGrantFundOnly: the Department's money is recorded as a
// government allocation into the unit's grant fund, within the national
// envelope; the grant is paid from it alone (never from donors' gifts), and
// counts as received once disbursed.
func TestGrantPaidFromTheGrantFundOnly(t *testing.T) {
	const unit = "dh-grantfund"
	newUnit(t, unit, nil)
	sw, cm := token(t, "social_worker", unit), token(t, "committee", unit)
	// Donors' money is there; the grant fund is empty.
	payGift(t, unit, "60000.00", "general", "", "grantfund-gift")
	nid := newNID(t)
	id := fileAid(t, unit, grantBody(nid, "01777777771"), sw)
	if r := do(t, "POST", "/api/v1/aid-requests/"+id+"/assess", map[string]any{"approved": []string{"1000.00", "50000.00"}, "zakatEligible": false}, sw); r.Status != 200 {
		t.Fatalf("assess: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", "/api/v1/aid-requests/"+id+"/approve", nil, cm); r.Status != 200 {
		t.Fatalf("approve: %d %s", r.Status, r.Body)
	}
	eventually(t, "the request's own item allocated from general", func() bool { return aidStatus(t, id, sw)["status"] == "partially_allocated" })
	if a := allocations(t, id, unit); len(a) != 1 || a["fund:general"] != "1000.00" {
		t.Fatalf("donors' money paid the grant: %v", a)
	}

	// Bad allocations: refused, nothing recorded.
	problemOf(t, allocateGrant(t, unit, "2026-28", "100000.00", "ga-bad-1"), 422, "fiscalYear")
	problemOf(t, allocateGrant(t, unit, "2026-27", "-5.00", "ga-bad-2"), 422, "amount")
	// The national envelope (Tk 300 crore) holds under racing allocations:
	// 31 of Tk 10 crore at once, exactly 30 recorded.
	var wg sync.WaitGroup
	codes := make([]int, 31)
	for i := range codes {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := allocateGrant(t, "dh-cumilla", "2031-32", "100000000.00", fmt.Sprint("ga-envelope-", i))
			if r.Status == 422 && !strings.Contains(string(r.Body), "grant-envelope-exceeded") {
				t.Errorf("envelope refusal: %s", r.Body)
			}
			codes[i] = r.Status
		}()
	}
	wg.Wait()
	if n := strings.Count(fmt.Sprint(codes), "201"); n != 30 || strings.Count(fmt.Sprint(codes), "422") != 1 {
		t.Fatalf("racing allocations past the envelope: %v", codes)
	}
	if r := do(t, "POST", "/api/v1/admin/units/"+unit+"/grant-allocations", map[string]any{"fiscalYear": "2026-27", "amount": "1.00", "reference": "x"},
		map[string]string{"Authorization": token(t, "unit_admin", unit)["Authorization"], "Idempotency-Key": "ga-bad-4"}); r.Status != 403 {
		t.Fatalf("unit admin allocated grant money: %d", r.Status)
	}
	// The Department's allocation: the grant is paid from it; a retry
	// does not allocate twice.
	if r := allocateGrant(t, unit, "2026-27", "100000.00", "ga-1"); r.Status != 201 {
		t.Fatalf("allocate: %d %s", r.Status, r.Body)
	}
	if r := allocateGrant(t, unit, "2026-27", "100000.00", "ga-1"); r.Status != 200 {
		t.Fatalf("retried allocation: %d %s", r.Status, r.Body)
	}
	eventually(t, "grant allocated", func() bool { return aidStatus(t, id, sw)["status"] == "allocated" })
	if a := allocations(t, id, unit); a["fund:grant"] != "50000.00" || a["fund:general"] != "1000.00" {
		t.Fatalf("allocations %v", a)
	}
	eventually(t, "grant row", func() bool {
		g := fundRow(t, unit, "grant")
		return g["received"] == "100000.00" && g["allocated"] == "50000.00" && fundRow(t, unit, "general")["allocated"] == "1000.00"
	})
	if r := do(t, "POST", "/api/v1/aid-requests/"+id+"/disburse", map[string]any{"items": []map[string]any{
		{"item": 0, "amount": "1000.00", "method": "cash"}, {"item": 1, "amount": "50000.00", "method": "bkash", "reference": "TRX-GRANT-1"}}}, sw); r.Status != 200 {
		t.Fatalf("disburse: %d %s", r.Status, r.Body)
	}
	// Four-eyes: a second staff member confirms before money moves.
	mustStatus(t, "confirm", post(t, "/api/v1/aid-requests/"+id+"/confirm-disbursement", nil, staffToken(t, "social_worker", unit, "grantfund-sw-2")), 200)
	eventually(t, "grant disbursed from the grant fund", func() bool { return fundRow(t, unit, "grant")["disbursed"] == "50000.00" })
	// Received: barred everywhere now, and said so.
	wantConflict(t, do(t, "POST", "/api/v1/units/dmch/aid-requests", grantBody(nid, "01777777772"), token(t, "social_worker", "dmch")), "grant-already-given")
}
