package browser

import (
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/units"
)

// The decision support on a request's page (issue 17, "Aid work"): the
// unit's funds that can pay the request with their balances from the
// ledger, which fall short and by how much once it waits for money, the
// patient's earlier requests at any unit (the other unit by name, nothing
// of its case file), and the queues on an office screen with staff by name.
// Every page passes axe-core at 1366×900 and on a 360×740 phone.

const decideUnit, decideOther = "uhc-decide-test", "uhc-decide-other"

func TestConsoleDecisionSupport(t *testing.T) {
	ctx := t.Context()
	for _, u := range []units.Unit{
		{Code: decideUnit, Names: units.Names{EN: "Decide Test Upazila Health Complex", BN: "সিদ্ধান্ত পরীক্ষা উপজেলা স্বাস্থ্য কমপ্লেক্স"},
			Level: units.Level("upazila"), Division: "Chattagram", District: "Cumilla", Upazila: "Daudkandi", Policy: units.DefaultPolicy()},
		{Code: decideOther, Names: units.Names{EN: "Decide Other District Hospital", BN: "অন্য পরীক্ষা জেলা হাসপাতাল"},
			Level: units.Level("district"), Division: "Chattagram", District: "Cumilla", Policy: units.DefaultPolicy()},
	} {
		u.Policy.Programmes = []string{"kidney"}
		if _, err := stack.API.Units.Register(ctx, &u); err != nil {
			t.Fatal(err)
		}
	}
	sw, _ := stack.NamedToken("social_worker", decideUnit, "sw-decide-rahima", "Rahima Khatun")
	sw2, _ := stack.NamedToken("social_worker", decideUnit, "sw-decide-karim", "Karim Uddin")
	other, _ := stack.NamedToken("social_worker", decideOther, "sw-decide-other", "Nasrin Akter")
	// The unit holds Tk 1,000 for kidney patients and Tk 300 of sadaqah.
	cashier, _ := stack.NamedToken("cashier", decideUnit, "cashier-decide", "Selina Akter")
	for i, g := range []string{`{"amount":"1000.00","kind":"sadaqah","programme":"kidney","donor":{"name":"Decide Donor","phone":"01712345679"}}`,
		`{"amount":"300.00","kind":"sadaqah","donor":{"name":"Decide Donor","phone":"01712345679"}}`} {
		if st, body := apiJSON(t, "POST", "/api/v1/units/"+decideUnit+"/cash-donations", g, cashier, map[string]string{"Idempotency-Key": "decide-gift-" + string(rune('a'+i))}); st != 201 {
			t.Fatalf("cash gift: %d %v", st, body)
		}
	}

	// The patient asked at another unit before, under another spelling of
	// the name, with a ward and bed only that unit should see.
	before := `{"patient":{"name":"Jorina Bibi Elsewhere","age":45,"sex":"female","guardian":"Hashem Ali","mobile":"01744444444","nid":"2234567891",` +
		`"district":"Cumilla","hospitalReg":"OTHER-REG-9","ward":"Ward-7-Secret"},"diagnosis":"kidney","urgency":"normal",` +
		`"items":[{"category":"medicine","description":"dialysis","estimated":"700.00"}],"caseStudy":{"householdSize":4,"monthlyIncome":"3000","narrative":"elsewhere"}}`
	st, filed := apiJSON(t, "POST", "/api/v1/units/"+decideOther+"/aid-requests", before, other, nil)
	if st != 201 {
		t.Fatalf("file at the other unit: %d %v", st, filed)
	}
	if st, body := apiJSON(t, "POST", "/api/v1/aid-requests/"+filed["id"].(string)+"/assess", `{"approved":["700.00"]}`, other, nil); st != 200 {
		t.Fatalf("assess at the other unit: %d %v", st, body)
	}
	// Here: Tk 2,000, assessed by the first social worker.
	here := `{"patient":{"name":"Jorina Bibi","age":45,"sex":"female","guardian":"Hashem Ali","mobile":"01744444444","nid":"2234567891",` +
		`"district":"Cumilla","hospitalReg":"REG-D1"},"diagnosis":"kidney","urgency":"high",` +
		`"items":[{"category":"medicine","description":"dialysis","estimated":"2000.00"}],"caseStudy":{"householdSize":4,"monthlyIncome":"3000","narrative":"no income"}}`
	st, filed = apiJSON(t, "POST", "/api/v1/units/"+decideUnit+"/aid-requests", here, sw, nil)
	if st != 201 {
		t.Fatalf("file: %d %v", st, filed)
	}
	id, _ := filed["id"].(string)
	if st, body := apiJSON(t, "POST", "/api/v1/aid-requests/"+id+"/assess", `{"approved":["2000.00"]}`, sw, nil); st != 200 {
		t.Fatalf("assess: %d %v", st, body)
	}
	detail := "/console/requests/" + id

	// The approver sees which funds can pay it, in the allocation order,
	// with their balances (the gifts reach the ledger through the worker).
	b := newBrowser(t)
	b.signIn(sw2, "approver")
	b.desk()
	b.waitFor("the gifts in the funds", detail, `!!document.querySelector("#cover") && document.querySelector("#cover").textContent.includes("৳১,০০০") && document.querySelector("#cover").textContent.includes("৳৩০০")`)
	cover := eval[string](b, `document.querySelector("#cover").textContent`)
	if !strings.Contains(cover, "কিডনি") || !strings.Contains(cover, "সদকা তহবিল") || !strings.Contains(cover, "সাধারণ তহবিল") || strings.Contains(cover, "যাকাত") {
		t.Fatalf("funds that can pay a kidney patient not assessed zakat-eligible: %q", cover)
	}
	if got := eval[string](b, `document.querySelector("#short").textContent`); !strings.Contains(got, "৳৭০০") || !strings.Contains(got, "কিডনি") {
		t.Fatalf("an approver sees no shortfall of ৳৭০০: %q", got)
	}
	// The patient's earlier request at the other unit: its name, the date,
	// status and amount, nothing of its case file.
	earlier := eval[string](b, `document.querySelector("#earlier").textContent`)
	if !strings.Contains(earlier, "অন্য পরীক্ষা জেলা হাসপাতাল") || !strings.Contains(earlier, "মূল্যায়িত") || !strings.Contains(earlier, "৳৭০০") {
		t.Fatalf("the earlier request at the other unit shows %q", earlier)
	}
	if main := b.text(); strings.Contains(main, decideOther) || strings.Contains(main, "Elsewhere") || strings.Contains(main, "Ward-7-Secret") || strings.Contains(main, "OTHER-REG-9") {
		t.Fatalf("the request page shows the other unit's code or its patient details: %.3000s", main)
	}
	b.checkA11yDesk("request page with decision support (assessed)")
	b.screenshot("console-decide-assessed")

	// Approved, it takes what the funds hold and waits for the rest: the
	// page names the funds that are short and by how much.
	b.submit(`#approve-btn`)
	b.waitFor("the request partially allocated", detail, `document.querySelector("#status").textContent.includes("আংশিক বরাদ্দ")`)
	if got := eval[string](b, `document.querySelector("#cover-need").textContent`); !strings.Contains(got, "৳৭০০") {
		t.Fatalf("a partially allocated request still needs %q, want ৳৭০০", got)
	}
	if got := eval[string](b, `document.querySelector("#short").textContent`); !strings.Contains(got, "৳৭০০") || !strings.Contains(got, "কিডনি") || !strings.Contains(got, "সাধারণ তহবিল") {
		t.Fatalf("a waiting request's shortfall: %q", got)
	}
	b.checkA11yDesk("request page with decision support (partially allocated)")
	b.screenshot("console-decide-waiting")
	if got := eval[string](b, `document.querySelector("#history").textContent`); !strings.Contains(got, "Rahima Khatun") || !strings.Contains(got, "Karim Uddin") || strings.Contains(got, "sw-decide-") {
		t.Fatalf("history does not show staff by name: %q", got)
	}

	// The queues at the office screen: names, not IDs; the unit by name;
	// amounts, dates and status on one line, nothing clipped, the table
	// within the ~1,200 px content.
	small := strings.Replace(strings.Replace(here, "2000.00", "400.00", 1), "01744444444", "01755555555", 1)
	small = strings.Replace(small, `"nid":"2234567891",`, "", 1)
	st, filed = apiJSON(t, "POST", "/api/v1/units/"+decideUnit+"/aid-requests", small, sw, nil)
	if st != 201 {
		t.Fatalf("file small: %d %v", st, filed)
	}
	if st, body := apiJSON(t, "POST", "/api/v1/aid-requests/"+filed["id"].(string)+"/assess", `{"approved":["400.00"]}`, sw, nil); st != 200 {
		t.Fatalf("assess small: %d %v", st, body)
	}
	for _, q := range []struct{ path, who string }{{"/console", "Rahima Khatun"}, {"/console/waitlist", "স্বয়ংক্রিয়"}} {
		b.open(q.path)
		main := b.text()
		if !strings.Contains(main, q.who) || strings.Contains(main, "sw-decide-") || strings.Contains(main, decideUnit) {
			t.Fatalf("%s does not show who took the last step by name (%s), or shows an ID: %.2000s", q.path, q.who, main)
		}
		if got := eval[string](b, `document.querySelector("#who").textContent`); !strings.Contains(got, "সিদ্ধান্ত পরীক্ষা উপজেলা স্বাস্থ্য কমপ্লেক্স") {
			t.Fatalf("%s names the unit %q", q.path, got)
		}
		layout := eval[string](b, `(() => {
			const t = document.querySelector("#queue"), main = document.querySelector("main"), bad = [];
			if (main.clientWidth < 1100 || main.clientWidth > 1250) bad.push("content width " + main.clientWidth);
			if (t.closest(".scroll").scrollWidth > t.closest(".scroll").clientWidth + 1) bad.push("table wider than the content");
			for (const c of t.querySelectorAll("td.n, td.nw, th.nw")) {
				const s = getComputedStyle(c);
				if (s.whiteSpace !== "nowrap") bad.push("wraps: " + c.textContent);
				if (c.scrollWidth > c.clientWidth + 1) bad.push("clipped: " + c.textContent);
				if (c.getClientRects().length !== 1 || c.getBoundingClientRect().height > 3 * parseFloat(s.lineHeight)) bad.push("tall: " + c.textContent);
			}
			for (const c of t.querySelectorAll("tbody th, td:not(.n)")) if (getComputedStyle(c).textAlign !== "left") bad.push("not left-aligned: " + c.textContent);
			for (const c of t.querySelectorAll("td.n")) if (getComputedStyle(c).textAlign !== "right") bad.push("money not right-aligned: " + c.textContent);
			for (const a of t.querySelectorAll("tbody th a")) if (a.getClientRects().length !== 1) bad.push("name on two lines: " + a.textContent);
			if (!t.querySelector("td.n") || !t.querySelector("th.nw")) bad.push("no money or name cells");
			return bad.join("; ");
		})()`)
		if layout != "" {
			t.Errorf("%s at 1366×900: %s", q.path, layout)
		}
		b.checkA11yDesk("queue " + q.path)
		if q.path == "/console" {
			b.screenshot("console-queue")
		}
	}
}
