package browser

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kalyan-platform/kalyan/internal/testkit/httpkit"
	"github.com/kalyan-platform/kalyan/internal/units"
)

const consoleUnit = "uhc-console-test"

// signIn opens the console without a session, lands on the sign-in page and
// signs in with a staff token.
func (b *browser) signIn(tok, name string) {
	b.t.Helper()
	b.open("/console")
	if !strings.Contains(b.location(), "/console/login") {
		b.t.Fatalf("console without a session went to %s, want the sign-in page", b.location())
	}
	b.checkA11y(name + ": sign-in page")
	b.do("paste token", chromedp.SendKeys(chromedp.CSS(`#token`), tok))
	b.submit(`main form button`)
	if loc := b.location(); !strings.HasSuffix(loc, "/console") {
		b.t.Fatalf("after sign-in at %s, want /console", loc)
	}
}

// waitFor reloads the current page until the JavaScript predicate holds
// (allocation runs in the background worker).
func (b *browser) waitFor(what, path, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(hang)
	for {
		b.open(path)
		if eval[bool](b, expr) {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out waiting for %s (at %s)", what, b.location())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// apiJSON sends a JSON request with a staff token and decodes the answer.
func apiJSON(t testing.TB, method, path, body, tok string, hdr map[string]string) (int, map[string]any) {
	t.Helper()
	h := httpkit.Bearer(tok)
	maps.Copy(h, hdr)
	r := web.Do(t, method, path, body, h)
	var out map[string]any
	_ = json.Unmarshal(r.Body, &out)
	return r.Status, out
}

// TestConsole: a social worker signs in, files a small request in Bengali
// and assesses it; a second social worker approves it (four-eyes) and sees
// it allocated from the kidney programme fund; the first records what was
// given and the second confirms it; a large one needs a committee member,
// who approves it from the committee queue with the meeting's resolution.
// Every page passes axe-core.
func TestConsole(t *testing.T) {
	ctx := t.Context()
	u := units.Unit{Code: consoleUnit, Names: units.Names{EN: "Console Test Upazila Health Complex", BN: "কনসোল পরীক্ষা উপজেলা স্বাস্থ্য কমপ্লেক্স"},
		Level: units.Level("upazila"), Division: "Chattagram", District: "Cumilla", Upazila: "Chandina", Policy: units.DefaultPolicy()}
	u.Policy.Programmes = []string{"kidney"}
	if _, err := stack.API.Units.Register(ctx, &u); err != nil {
		t.Fatal(err)
	}
	sw, err := stack.Token("social_worker", consoleUnit, "sw-console-rahima")
	if err != nil {
		t.Fatal(err)
	}
	sw2, _ := stack.NamedToken("social_worker", consoleUnit, "sw-console-karim", "Karim Uddin")
	cm, _ := stack.NamedToken("committee", consoleUnit, "cm-console-hasan", "Hasan Mahmud")
	// The unit needs money: Tk 3,000 for the kidney programme, taken in cash.
	cashier, _ := stack.NamedToken("cashier", consoleUnit, "cashier-console", "Selina Akter")
	gift := `{"amount":"3000.00","kind":"sadaqah","programme":"kidney","donor":{"name":"Console Donor","phone":"01712345678"}}`
	if st, _ := apiJSON(t, "POST", "/api/v1/units/"+consoleUnit+"/cash-donations", gift, cashier, map[string]string{"Idempotency-Key": "console-gift-1"}); st != 201 {
		t.Fatalf("cash gift: %d", st)
	}

	b := newBrowser(t)
	b.signIn(sw, "social worker")
	if got := eval[string](b, `document.documentElement.lang`); got != "bn" {
		t.Fatalf("console lang=%q, want bn by default", got)
	}
	b.checkA11y("my queue (empty)")

	// The form refuses an empty request, in Bengali, next to the fields.
	b.submit(`a[href="/console/requests/new"]`)
	b.checkA11y("new request form")
	b.do("tick the one-time grant", chromedp.Click(chromedp.CSS(`#grant`)))
	b.submit(`form[action^="/console/requests/new"] button`)
	if !eval[bool](b, `!!document.querySelector("#grant-err") && document.querySelector("#grant").checked && document.querySelector("#grant").getAttribute("aria-invalid") === "true"`) {
		t.Fatalf("a grant without one of the six diseases: no error next to the grant box: %.3000s", eval[string](b, `document.querySelector("main").innerHTML`))
	}
	if !eval[bool](b, `!!document.querySelector("#name-err") && document.querySelector("#name").getAttribute("aria-invalid") === "true"`) {
		t.Fatalf("empty request: no error next to the patient's name (at %s): %.3000s", b.location(), eval[string](b, `document.querySelector("main").innerHTML`))
	}
	if msg := eval[string](b, `document.querySelector("#name-err").textContent`); !strings.Contains(msg, "রোগীর নাম") {
		t.Fatalf("name error %q is not in Bengali", msg)
	}
	b.checkA11y("new request form with errors")

	b.do("fill in the request",
		chromedp.SendKeys(chromedp.CSS(`#name`), "আমেনা খাতুন"),
		chromedp.SendKeys(chromedp.CSS(`#age`), "৩৪"),
		chromedp.SetValue(chromedp.CSS(`#sex`), "female"),
		chromedp.SendKeys(chromedp.CSS(`#guardian`), "আব্দুল করিম"),
		chromedp.SendKeys(chromedp.CSS(`#mobile`), "01711111111"),
		chromedp.SendKeys(chromedp.CSS(`#nid`), "1234567890"),
		chromedp.SendKeys(chromedp.CSS(`#birthDate`), "১৯৯০-০২-৩০"), // no such day
		chromedp.SendKeys(chromedp.CSS(`#district`), "কুমিল্লা"),
		chromedp.SendKeys(chromedp.CSS(`#hospitalReg`), "REG-1"),
		chromedp.SetValue(chromedp.CSS(`#diagnosis`), "kidney"),
		chromedp.SetValue(chromedp.CSS(`#urgency`), "high"),
		chromedp.SetValue(chromedp.CSS(`#item1-cat`), "medicine"),
		chromedp.SendKeys(chromedp.CSS(`#item1-desc`), "ডায়ালাইসিস কিট"),
		chromedp.SendKeys(chromedp.CSS(`#item1-est`), "১,৫০০"),
		chromedp.SetValue(chromedp.CSS(`#item2-cat`), "tests"),
		chromedp.SendKeys(chromedp.CSS(`#item2-est`), "800"),
		chromedp.SendKeys(chromedp.CSS(`#household`), "5"),
		chromedp.SendKeys(chromedp.CSS(`#income`), "6000"),
		chromedp.SendKeys(chromedp.CSS(`#narrative`), "স্বামী দিনমজুর; কোনো সঞ্চয় নেই।"),
		chromedp.Click(chromedp.CSS(`#doc-nid`)),
		chromedp.Click(chromedp.CSS(`#doc-prescription`)),
		chromedp.Click(chromedp.CSS(`#grant`)), // unticks it: a kidney grant would change the amounts below
	)
	b.submit(`form[action^="/console/requests/new"] button`)
	// A date of birth that is no date: refused in Bengali beside the field,
	// everything typed kept.
	if !eval[bool](b, `!!document.querySelector("#birthDate-err") && document.querySelector("#birthDate").getAttribute("aria-invalid") === "true" && document.querySelector("#name").value === "আমেনা খাতুন"`) {
		t.Fatalf("an impossible date of birth: no error beside the field (at %s): %.3000s", b.location(), eval[string](b, `document.querySelector("main").innerHTML`))
	}
	if msg := eval[string](b, `document.querySelector("#birthDate-err").textContent`); !strings.Contains(msg, "জন্মতারিখ") {
		t.Fatalf("date of birth error %q is not in Bengali", msg)
	}
	b.checkA11y("new request form (date of birth refused)")
	b.do("correct the date of birth", chromedp.SetValue(chromedp.CSS(`#birthDate`), "১৯৯০-০৩-১৫"))
	b.submit(`form[action^="/console/requests/new"] button`)
	if loc := b.location(); !strings.Contains(loc, "/console/requests/aid_") || !strings.Contains(loc, "done=filed") {
		t.Fatalf("after filing at %s, want the request's page", loc)
	}
	if got := eval[string](b, `document.querySelector("main").textContent`); !strings.Contains(got, "জাতীয় পরিচয়পত্র, ব্যবস্থাপত্র") || strings.Contains(got, "এককালীন ৫০,০০০ টাকার অনুদানের জন্য আবেদন") {
		t.Fatalf("request page does not show the documents checked (or shows a grant application): %.2000s", got)
	}
	if got := eval[string](b, `document.querySelector("#birth-date").textContent`); got != "১৯৯০-০৩-১৫" {
		t.Fatalf("request page shows the date of birth as %q", got)
	}
	detail := strings.SplitN(strings.TrimPrefix(b.location(), stack.APIURL()), "?", 2)[0]
	b.checkA11y("request page (submitted)")

	// Assess: approve 1,500 and 500 of the 800 for tests, zakat-eligible.
	b.do("assess",
		chromedp.SetValue(chromedp.CSS(`#approved2`), "500"),
		chromedp.Click(chromedp.CSS(`#zakat`)),
	)
	b.submit(`#assess-btn`)
	if !eval[bool](b, `document.querySelector("#status").textContent.includes("মূল্যায়িত")`) {
		t.Fatalf("after assessing: status %q", eval[string](b, `document.querySelector("#status").textContent`))
	}
	b.checkA11y("request page (assessed)")
	if eval[bool](b, `!!document.querySelector("#approve-btn")`) {
		t.Fatal("the console offers the filer to approve their own request")
	}
	b2 := newBrowser(t)
	b2.signIn(sw2, "second social worker")
	b2.open(detail)
	b2.submit(`#approve-btn`)
	b.waitFor("the small request allocated", detail, `document.querySelector("#status").textContent.includes("বরাদ্দ হয়েছে")`)
	if got := eval[string](b, `document.querySelector("#allocations").textContent`); !strings.Contains(got, "কিডনি") || !strings.Contains(got, "৳২,০০০") {
		t.Fatalf("allocations %q, want ৳২,০০০ from the kidney programme", got)
	}
	b.checkA11y("request page (allocated, disburse form)")

	// The first records what was given, as a part: the medicine paid to the
	// pharmacy against its invoice, the tests not yet; nothing moves until
	// the second confirms it. A vendor payment names its vendor (Bengali
	// error beside the field).
	b.do("record a part: a vendor payment without the vendor",
		chromedp.SetValue(chromedp.CSS(`#method1`), "vendor_payment"),
		chromedp.SendKeys(chromedp.CSS(`#ref1`), "INV-77"),
		chromedp.Clear(chromedp.CSS(`#amount2`)),
		chromedp.SetValue(chromedp.CSS(`#final`), "0"),
	)
	b.submit(`#disburse-btn`)
	if !eval[bool](b, `!!document.querySelector("#recipient1-err") && document.querySelector("#recipient1").getAttribute("aria-invalid") === "true" && document.querySelector("#recipient1-err").textContent.includes("বিক্রেতা")`) {
		t.Fatalf("a vendor payment to the patient: no Bengali error beside the recipient: %.3000s", eval[string](b, `document.querySelector("main").innerHTML`))
	}
	b.checkA11y("request page (disbursement form with errors)")
	b.do("name the vendor",
		chromedp.SetValue(chromedp.CSS(`#recipient1`), "vendor"),
		chromedp.SendKeys(chromedp.CSS(`#rname1`), "লাজ ফার্মা"),
	)
	b.submit(`#disburse-btn`)
	if !eval[bool](b, `document.querySelector("#status").textContent.includes("নিশ্চিতকরণের অপেক্ষায়") && !document.querySelector("#confirm-btn")`) {
		t.Fatalf("after recording: %.2000s", eval[string](b, `document.querySelector("main").innerHTML`))
	}
	if got := eval[string](b, `document.querySelector("#pending").textContent`); !strings.Contains(got, "বিক্রেতাকে পরিশোধ") || !strings.Contains(got, "লাজ ফার্মা") || !strings.Contains(got, "INV-77") {
		t.Fatalf("the recorded part shows %q", got)
	}
	b.checkA11y("request page (disbursement recorded)")
	b2.open(detail)
	b2.checkA11y("request page (confirm the disbursement)")
	b2.submit(`#confirm-btn`)
	if !eval[bool](b2, `document.querySelector("#status").textContent.includes("বরাদ্দ হয়েছে")`) {
		t.Fatalf("after confirming a part: status %q, want the request open", eval[string](b2, `document.querySelector("#status").textContent`))
	}
	if got := eval[string](b2, `document.querySelector("#parts").textContent`); !strings.Contains(got, "লাজ ফার্মা") || !strings.Contains(got, "INV-77") || !strings.Contains(got, "Karim Uddin") {
		t.Fatalf("the parts table shows %q", got)
	}
	b2.checkA11y("request page (a part given)")

	// Nothing more will be given: the first releases the rest to the funds,
	// the second confirms it.
	b.open(detail)
	b.submit(`#release-btn`)
	b2.open(detail)
	b2.submit(`#confirm-btn`)
	if !eval[bool](b2, `document.querySelector("#status").textContent.includes("প্রদান করা হয়েছে")`) {
		t.Fatalf("after confirming: status %q", eval[string](b2, `document.querySelector("#status").textContent`))
	}
	if got := eval[string](b2, `document.querySelector("#parts").textContent`); !strings.Contains(got, "বাকি টাকা তহবিলে ফেরত") || !strings.Contains(got, "৳৫০০") {
		t.Fatalf("the parts table after the release shows %q", got)
	}
	b2.checkA11y("request page (remainder released)")
	if got := eval[string](b2, `document.querySelector("#history").textContent`); !strings.Contains(got, "Karim Uddin") || strings.Contains(got, "sw-console-karim") {
		t.Fatalf("history does not show staff by name: %q", got)
	}

	// Lists show masked contact data.
	b.open("/console")
	if html := eval[string](b, `document.body.innerHTML`); strings.Contains(html, "01711111111") || strings.Contains(html, "1234567890") {
		t.Fatal("my queue shows the full mobile or NID")
	}
	b.checkA11y("my queue")
	b.open("/console?lang=en")
	if got := eval[string](b, `document.documentElement.lang`); got != "en" {
		t.Fatalf("lang switch: %q", got)
	}
	b.checkA11y("my queue (English)")
	b.open("/console?lang=bn")

	// A large request: filed and assessed by the social worker (through the
	// API); the second social worker may not approve it.
	large := `{"patient":{"name":"Rahim Uddin","age":50,"sex":"male","guardian":"Karim Uddin","mobile":"01722222222","district":"Cumilla","hospitalReg":"REG-2"},` +
		`"diagnosis":"kidney","urgency":"critical","items":[{"category":"surgery","description":"transplant","estimated":"12000.00"}],` +
		`"caseStudy":{"householdSize":4,"monthlyIncome":"5000","narrative":"no income"}}`
	st, filed := apiJSON(t, "POST", "/api/v1/units/"+consoleUnit+"/aid-requests", large, sw, nil)
	if st != 201 {
		t.Fatalf("file large: %d %v", st, filed)
	}
	largeID, _ := filed["id"].(string)
	if st, body := apiJSON(t, "POST", "/api/v1/aid-requests/"+largeID+"/assess", `{"approved":["12000.00"]}`, sw, nil); st != 200 {
		t.Fatalf("assess large: %d %v", st, body)
	}
	b2.open("/console/requests/" + largeID)
	b2.submit(`#approve-btn`)
	if got := eval[string](b2, `(document.querySelector("[role=alert]") || {}).textContent || ""`); !strings.Contains(got, "কমিটি") {
		t.Fatalf("social worker approving above the threshold: alert %q", got)
	}
	b2.checkA11y("request page (maker-checker refusal)")

	// The committee member approves it from the committee queue.
	c := newBrowser(t)
	c.signIn(cm, "committee")
	c.checkA11y("committee: my queue")
	c.open("/console/committee")
	c.checkA11y("committee queue")
	c.submit(`a[href="/console/requests/` + largeID + `"]`)
	// Above the threshold: the meeting's resolution number and date.
	c.submit(`#approve-btn`)
	if !eval[bool](c, `!!document.querySelector("#resno-err") && !!document.querySelector("#resdate-err")`) {
		t.Fatalf("committee approval without a resolution: %.2000s", eval[string](c, `document.querySelector("main").innerHTML`))
	}
	c.do("the meeting's resolution",
		chromedp.SendKeys(chromedp.CSS(`#resno`), "RKS-2026/14"),
		chromedp.SendKeys(chromedp.CSS(`#resdate`), time.Now().In(time.FixedZone("Asia/Dhaka", 6*3600)).Format("2006-01-02")),
	)
	c.submit(`#approve-btn`)
	if got := eval[string](c, `(document.querySelector("[role=status]") || {}).textContent || ""`); !strings.Contains(got, "অনুমোদিত") {
		t.Fatalf("committee approval: %q (at %s)", got, c.location())
	}
	// Tk 1,000 of the kidney fund is left: the rest waits.
	c.waitFor("the large request on the waitlist", "/console/waitlist", `!!document.querySelector('a[href="/console/requests/`+largeID+`"]')`)
	c.checkA11y("waitlist")
	c.open("/console/requests/" + largeID)
	c.checkA11y("committee: request page (partially allocated)")

	// A request no longer wanted is withdrawn from its page, with a reason.
	small := `{"patient":{"name":"Salma Begum","age":40,"sex":"female","guardian":"Rafiq Mia","mobile":"01733333333","district":"Cumilla","hospitalReg":"REG-3"},` +
		`"diagnosis":"kidney","urgency":"normal","items":[{"category":"medicine","description":"kit","estimated":"500.00"}],` +
		`"caseStudy":{"householdSize":3,"monthlyIncome":"4000","narrative":"moved to Dhaka"}}`
	st, filed = apiJSON(t, "POST", "/api/v1/units/"+consoleUnit+"/aid-requests", small, sw, nil)
	if st != 201 {
		t.Fatalf("file small: %d %v", st, filed)
	}
	smallID, _ := filed["id"].(string)
	b.open("/console/requests/" + smallID)
	b.checkA11y("request page (withdraw offered)")
	// Withdrawing is a decision that cannot be undone: the secondary
	// button, and a box to tick (no script needed).
	if !eval[bool](b, `document.querySelector("#withdraw-btn").classList.contains("secondary")`) {
		t.Error("the withdraw button is not styled secondary")
	}
	b.do("confirm", chromedp.Click(chromedp.CSS(`#withdraw-sure`)))
	b.submit(`#withdraw-btn`)
	if !eval[bool](b, `!!document.querySelector("#wreason-err") && document.querySelector("#wreason").getAttribute("aria-invalid") === "true"`) {
		t.Fatalf("withdrawal without a reason: %.2000s", eval[string](b, `document.querySelector("main").innerHTML`))
	}
	if msg := eval[string](b, `document.querySelector("#wreason-err").textContent`); !strings.Contains(msg, "কারণ") {
		t.Fatalf("withdrawal reason error %q is not in Bengali", msg)
	}
	b.checkA11y("request page (withdrawal without a reason)")
	b.do("the reason", chromedp.SendKeys(chromedp.CSS(`#wreason`), "রোগী ঢাকায় চলে গেছেন"))
	b.submit(`#withdraw-btn`)
	if !eval[bool](b, `!!document.querySelector("#withdraw-sure-err") && document.querySelector("#status").textContent !== "" && !!document.querySelector("#withdraw-btn")`) {
		t.Fatalf("withdrawal without the box ticked was not refused: %.2000s", b.text())
	}
	b.checkA11y("request page (withdrawal not confirmed)")
	b.do("confirm", chromedp.Click(chromedp.CSS(`#withdraw-sure`)))
	b.submit(`#withdraw-btn`)
	if !eval[bool](b, `document.querySelector("#status").textContent.includes("প্রত্যাহার") && !document.querySelector("#withdraw-btn")`) {
		t.Fatalf("after withdrawing: %.2000s", eval[string](b, `document.querySelector("main").innerHTML`))
	}
	if got := eval[string](b, `(document.querySelector("[role=status]") || {}).textContent || ""`); !strings.Contains(got, "প্রত্যাহার") {
		t.Fatalf("withdrawal: %q", got)
	}
	b.checkA11y("request page (withdrawn)")
	// Approved requests are not withdrawn: the button is gone.
	b.open("/console/requests/" + largeID)
	if eval[bool](b, `!!document.querySelector("#withdraw-btn")`) {
		t.Fatal("the console offers to withdraw an approved request")
	}
}
