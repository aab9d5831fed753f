package browser

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// TestUnitReach (issue 19): a unit's accounts page shows the patients it
// helped this month and this fiscal year, and its recent confirmed
// disbursements (date, item type, disease, amount, fund) with nothing that
// names or points to the patient.
func TestUnitReach(t *testing.T) {
	code := fmt.Sprintf("uhc-reach-%d", time.Now().UnixNano()%1_000_000)
	u := units.Unit{Code: code, Names: units.Names{EN: "Reach Test Upazila Health Complex", BN: "পৌঁছানো পরীক্ষা উপজেলা স্বাস্থ্য কমপ্লেক্স"},
		Level: units.Level("upazila"), Division: "Khulna", District: "Jashore", Upazila: "Sharsha", Policy: units.DefaultPolicy()}
	u.Policy.ApprovalThreshold = money.Taka(10_000)
	if _, err := stack.API.Units.Register(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	b := newBrowser(t)
	b.open("/u/" + code)
	if got := eval[string](b, `document.querySelector("#patients-month").textContent + "|" + document.querySelector("#given-none").textContent`); got != "০ জন রোগী|এখনও কোনো বিতরণ হয়নি।" {
		t.Fatalf("a unit that gave nothing: %q", got)
	}
	b.checkA11yBoth("unit page, nothing given")

	cashGift(t, code, `{"amount":"5000","kind":"sadaqah","donor":{"name":"Reach Donor","phone":"01912345678"}}`)
	sw := map[string]string{"Authorization": bearer(t, "social_worker", code, "reach-sw-1")}
	sw2 := map[string]string{"Authorization": bearer(t, "social_worker", code, "reach-sw-2")}
	aidCall := func(what, path, body string, hdr map[string]string) map[string]any {
		t.Helper()
		st, out := apiRaw(t, http.MethodPost, path, body, hdr)
		var m map[string]any
		if err := json.Unmarshal(out, &m); err != nil || st/100 != 2 {
			t.Fatalf("%s: %d %s", what, st, out)
		}
		return m
	}
	req := aidCall("file", "/api/v1/units/"+code+"/aid-requests", `{"patient":{"name":"Amena Khatun","age":34,"sex":"female","guardian":"Abdul Karim",
		"mobile":"01811999888","nid":"1990123456789","district":"Jashore","upazila":"Sharsha","hospitalReg":"REG-77","ward":"3","bed":"9"},
		"diagnosis":"kidney","urgency":"high","items":[{"category":"medicine","description":"dialysis kit","estimated":"1200"}],
		"caseStudy":{"householdSize":5,"monthlyIncome":"6000","occupation":"day labourer","assets":"none","narrative":"No savings.","documentsChecked":["nid","prescription"]}}`, sw)
	id := req["id"].(string)
	aidCall("assess", "/api/v1/aid-requests/"+id+"/assess", `{"approved":["1200"]}`, sw)
	aidCall("approve", "/api/v1/aid-requests/"+id+"/approve", "", sw2)
	deadline := time.Now().Add(hang)
	for {
		_, out := apiRaw(t, http.MethodGet, "/api/v1/aid-requests/"+id, "", sw)
		if strings.Contains(string(out), `"status":"allocated"`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("never allocated: %s", out)
		}
		time.Sleep(100 * time.Millisecond)
	}
	aidCall("disburse", "/api/v1/aid-requests/"+id+"/disburse", `{"final":true,"items":[{"item":0,"amount":"1200","method":"vendor_payment","reference":"INV-9","recipient":"vendor","recipientName":"Dialysis Centre"}]}`, sw)
	aidCall("confirm", "/api/v1/aid-requests/"+id+"/confirm-disbursement", "", sw2)

	b.waitFor("the patient counted", "/u/"+code+"?lang=bn", `document.querySelector("#patients-year").textContent === "১ জন রোগী"`)
	if got := eval[string](b, `document.querySelector("#patients-month").textContent`); got != "১ জন রোগী" {
		t.Errorf("patients this month: %q", got)
	}
	row := eval[string](b, `document.querySelector("#given tbody tr").textContent`)
	for _, want := range []string{"ওষুধ", "কিডনি রোগ", "৳১,২০০", "সদকা"} {
		if !strings.Contains(row, want) {
			t.Errorf("disbursement row lacks %q: %s", want, row)
		}
	}
	main := eval[string](b, `document.querySelector("main").innerHTML`)
	for _, private := range []string{"Amena", "01811999888", "1990123456789", "REG-77", "INV-9", "Dialysis Centre", id} {
		if strings.Contains(main, private) {
			t.Errorf("the public page shows %q", private)
		}
	}
	b.screenshot("unit-reach")
	b.checkA11yBoth("unit page with disbursements")
	b.open("/u/" + code + "?lang=en")
	if got := eval[string](b, `document.querySelector("#given tbody tr").textContent`); !strings.Contains(got, "Medicine") || !strings.Contains(got, "Tk 1,200") {
		t.Errorf("English disbursement row: %s", got)
	}
	b.checkA11yBoth("unit page with disbursements (English)")
}
