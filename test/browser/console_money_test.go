package browser

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kalyan-platform/kalyan/internal/notify"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// The console's money work (issue 17), driven as a unit's counter staff do
// on an office PC: cash at the counter with its printed receipt, the cash
// book and its day closes, refunds and the counter statement. Every page
// passes axe-core at 1366×900 and on a 360×740 phone.

const moneyUnit = "uhc-money-test"

// desk switches the tab to an office PC's screen.
func (b *browser) desk() {
	b.t.Helper()
	b.do("desktop screen", chromedp.EmulateViewport(desktopWidth, desktopHeight, chromedp.EmulateScale(1)))
}

// checkA11yDesk runs axe-core at the office screen and on a phone, and
// leaves the tab at the office screen.
func (b *browser) checkA11yDesk(name string) {
	b.t.Helper()
	b.desk()
	b.checkA11y(name + " (1366×900)")
	b.do("phone screen", chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulateScale(2), chromedp.EmulateMobile,
		chromedp.EmulateTouch, chromedp.EmulatePortrait))
	b.checkA11y(name + " (360×740)")
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > phoneWidth+1 {
		// Tables scroll in their own region; the page itself must not.
		b.t.Errorf("%s: the page is %d px wide on a %d px phone", name, w, phoneWidth)
	}
	b.desk()
}

// text is the main content's text.
func (b *browser) text() string {
	b.t.Helper()
	return eval[string](b, `document.querySelector("main").textContent`)
}

// postForm sends form data as this browser would (its session cookie,
// the page's CSRF token in data, same origin): a second click on a form
// already sent, or a form whose answer is a PDF. The pages allow no
// scripts to fetch (connect-src 'none'), so the test sends it. It returns
// the redirect's target (or "") and the body.
func (b *browser) postForm(data, action string) (string, []byte) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, hang)
	defer cancel()
	jar, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{stack.APIURL() + "/console"}})
	if err != nil {
		b.t.Fatalf("cookies: %v", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, stack.APIURL()+action, strings.NewReader(data))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", stack.APIURL())
	req.Header.Set("Accept", "text/html")
	for _, c := range jar.Cookies {
		req.AddCookie(&http.Cookie{Name: c.Name, Value: c.Value})
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		b.t.Fatalf("post %s: %v", action, err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	loc := res.Header.Get("Location")
	if loc != "" && strings.HasPrefix(loc, "/") {
		loc = stack.APIURL() + loc
	}
	return loc, body
}

func jsString(s string) string {
	j, _ := json.Marshal(s)
	return string(j)
}

// formData is the form sel's fields as the browser would send them.
func (b *browser) formData(sel string) string {
	b.t.Helper()
	return eval[string](b, `new URLSearchParams(new FormData(document.querySelector(`+jsString(sel)+`))).toString()`)
}

// getPDF fetches a PDF and returns its text (pdftotext) and page size
// (pdfinfo), failing unless it is one.
func getPDF(t *testing.T, path string) (text, size string) {
	t.Helper()
	res, err := http.Get(stack.APIURL() + path)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	if res.StatusCode != 200 || !bytes.HasPrefix(body, []byte("%PDF-")) {
		t.Fatalf("GET %s: %d %s, want a PDF", path, res.StatusCode, res.Header.Get("Content-Type"))
	}
	return pdfRead(t, body)
}

func pdfRead(t *testing.T, pdf []byte) (text, size string) {
	t.Helper()
	f := filepath.Join(t.TempDir(), "doc.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), "pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatalf("pdftotext (Debian: poppler-utils): %v", err)
	}
	info, err := exec.CommandContext(t.Context(), "pdfinfo", f).Output()
	if err != nil {
		t.Fatalf("pdfinfo (Debian: poppler-utils): %v", err)
	}
	for _, line := range strings.Split(string(info), "\n") {
		if v, ok := strings.CutPrefix(line, "Page size:"); ok {
			size = strings.TrimSpace(v)
		}
	}
	return string(out), size
}

// lastStatementCode is the last counter code the donor's phone received.
func lastStatementCode(t *testing.T, phone string) string {
	t.Helper()
	b, err := os.ReadFile(stack.Config.Notify.File)
	if err != nil {
		t.Fatal(err)
	}
	code := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l notify.FileLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Kind == "statement-code" && l.To == phone {
			if m := regexp.MustCompile(`\b(\d{6})\b`).FindStringSubmatch(l.Text); m != nil {
				code = m[1]
			}
		}
	}
	if code == "" {
		t.Fatalf("no code sent to %s", phone)
	}
	return code
}

// payByBKash makes a gift at unit through the API and pays it on the bKash
// sandbox's page in b, returning the donation once it is receipted.
func payByBKash(t *testing.T, b *browser, unit, amount, phone string) map[string]any {
	t.Helper()
	body := `{"amount":"` + amount + `","kind":"sadaqah","donor":{"name":"Karim Mia","phone":"` + phone + `"}}`
	req, _ := http.NewRequest("POST", stack.APIURL()+"/api/v1/units/"+unit+"/donations", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Idempotency-Key", "money-bkash-"+phone)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var d map[string]any
	_ = json.NewDecoder(res.Body).Decode(&d)
	res.Body.Close()
	pay, _ := d["paymentURL"].(string)
	if res.StatusCode != 201 || pay == "" {
		t.Fatalf("bKash gift: %d %v", res.StatusCode, d)
	}
	b.open(pay)
	b.submit(`button[value=pay]`)
	id, _ := d["id"].(string)
	deadline := time.Now().Add(hang)
	for {
		st, got := apiJSON(t, "GET", "/api/v1/donations/"+id, "", "", nil)
		if st == 200 && got["status"] == "receipted" {
			return got
		}
		if time.Now().After(deadline) {
			t.Fatalf("bKash gift %s not receipted: %v", id, got)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestConsoleMoney: a cashier takes cash at the counter (Bengali errors on
// a bad form, nothing recorded; a double submit records once) and prints
// the signed A5 receipt; two cashiers' day is in the cash book, each closed
// with what was handed over and the bank deposit reference, the difference
// shown; the unit admin refunds part of the cash gift and all of a bKash
// gift (found by receipt number, mobile and TrxID) through a confirmation
// step and sees the cancellation notes; the cashier prints a donor's annual
// statement with the code from the donor's phone. Social workers take no
// cash.
func TestConsoleMoney(t *testing.T) {
	ctx := t.Context()
	u := units.Unit{Code: moneyUnit, Names: units.Names{EN: "Money Test Upazila Health Complex", BN: "টাকা পরীক্ষা উপজেলা স্বাস্থ্য কমপ্লেক্স"},
		Level: units.Level("upazila"), Division: "Khulna", District: "Jashore", Upazila: "Jhikargacha", Policy: units.DefaultPolicy()}
	u.Policy.Programmes = []string{"kidney", "burn"}
	if _, err := stack.API.Units.Register(ctx, &u); err != nil {
		t.Fatal(err)
	}
	cashier, _ := stack.NamedToken("cashier", moneyUnit, "money-cashier-selina", "Selina Akter")
	cashier2, _ := stack.NamedToken("cashier", moneyUnit, "money-cashier-jamal", "Jamal Hossain")
	admin, _ := stack.NamedToken("unit_admin", moneyUnit, "money-admin-nasrin", "Nasrin Sultana")
	sw, _ := stack.NamedToken("social_worker", moneyUnit, "money-sw", "Rahim Uddin")

	// A social worker has no counter: no cash in the menu, 403 at the form.
	s := newBrowser(t)
	s.signIn(sw, "social worker")
	if eval[bool](s, `!!document.querySelector('nav a[href="/console/cash"]')`) {
		t.Error("a social worker's menu offers to take cash")
	}
	if res := fetch(t, "/console/cash", map[string]string{"Authorization": "Bearer " + sw}); res.Status != 403 {
		t.Errorf("a social worker at the cash form: %d, want 403", res.Status)
	}

	// The cashier signs in and lands at the counter.
	b := newBrowser(t)
	b.open("/console")
	b.do("paste token", chromedp.SendKeys(chromedp.CSS(`#token`), cashier))
	b.submit(`main form button`)
	if loc := b.location(); !strings.HasSuffix(loc, "/console/cash") {
		t.Fatalf("a cashier signed in at %s, want the cash form", loc)
	}
	b.desk()
	if who := eval[string](b, `document.querySelector("#who").textContent`); !strings.Contains(who, "Selina Akter") ||
		!strings.Contains(who, "টাকা পরীক্ষা উপজেলা স্বাস্থ্য কমপ্লেক্স") || strings.Contains(who, moneyUnit) || !strings.Contains(who, "ক্যাশিয়ার") {
		t.Errorf("the console names the staff member and unit as %q, want name, role and the unit's name (not its code)", who)
	}
	if w := eval[float64](b, `document.querySelector("main").getBoundingClientRect().width`); w < 1100 || w > 1250 {
		t.Errorf("console content is %.0f px wide at 1366×900, want about 1,200", w)
	}
	b.screenshot("console-cash")
	b.checkA11yDesk("cash form")

	// An empty form: Bengali errors beside the fields, nothing recorded.
	b.submit(`#cash-btn`)
	for _, id := range []string{"name", "mobile", "amount"} {
		if !eval[bool](b, `!!document.querySelector("#`+id+`-err") && document.querySelector("#`+id+`").getAttribute("aria-invalid") === "true"`) {
			t.Fatalf("empty cash form: no error beside #%s: %.2000s", id, b.text())
		}
	}
	if msg := eval[string](b, `document.querySelector("#mobile-err").textContent`); !strings.Contains(msg, "মোবাইল") {
		t.Errorf("mobile error %q is not in Bengali", msg)
	}
	b.checkA11yDesk("cash form with errors")
	// A bad amount with good details: refused, what was typed kept.
	b.do("fill in the gift",
		chromedp.SendKeys(chromedp.CSS(`#name`), "রহিমা বেগম"),
		chromedp.SendKeys(chromedp.CSS(`#mobile`), "০১৭১২৩৪৫৬৭৮"),
		chromedp.SetValue(chromedp.CSS(`#kind`), "zakat"),
		chromedp.SetValue(chromedp.CSS(`#programme`), "kidney"),
		chromedp.SendKeys(chromedp.CSS(`#amount`), "১৫০০.৫৫৫"),
	)
	b.submit(`#cash-btn`)
	if !eval[bool](b, `!!document.querySelector("#amount-err") && document.querySelector("#name").value === "রহিমা বেগম"`) {
		t.Fatalf("three decimals: no error beside the amount, or the form lost what was typed: %.2000s", b.text())
	}
	if st, book := apiJSON(t, "GET", "/api/v1/units/"+moneyUnit+"/cash-book", "", cashier, nil); st != 200 || book["count"] != float64(0) {
		t.Fatalf("refused forms recorded something: %d %v", st, book)
	}
	b.do("the amount in Bengali digits", chromedp.SetValue(chromedp.CSS(`#amount`), "১,৫০০"))
	form := b.formData(`form.cform`)
	b.submit(`#cash-btn`)
	giftURL := b.location()
	if !strings.Contains(giftURL, "/console/cash/don_") {
		t.Fatalf("after taking cash at %s, want the gift's page", giftURL)
	}
	giftID := strings.TrimPrefix(giftURL[strings.Index(giftURL, "/console/cash/"):], "/console/cash/")
	// The same form sent again (a double click, a retry): the same gift.
	if again, _ := b.postForm(form, "/console/cash"); again != giftURL {
		t.Fatalf("the form sent twice went to %s, want the first gift %s", again, giftURL)
	}
	b.until("the signed receipt", `!!document.querySelector("#print")`)
	if eval[bool](b, `!!document.querySelector('meta[http-equiv="refresh"]')`) {
		t.Error("the gift's page keeps refreshing once its receipt is signed")
	}
	serial := eval[string](b, `document.querySelector("#serial").textContent`)
	if !strings.HasPrefix(serial, strings.ToUpper(moneyUnit)+"/") {
		t.Fatalf("receipt number %q", serial)
	}
	if got := b.text(); !strings.Contains(got, "৳১,৫০০") || !strings.Contains(got, "Selina Akter") || !strings.Contains(got, "কিডনি") {
		t.Errorf("the gift's page shows %q", got)
	}
	b.screenshot("console-cash-receipt")
	b.checkA11yDesk("cash gift with its receipt")
	pdfText, size := getPDF(t, eval[string](b, `document.querySelector("#print").getAttribute("href")`))
	if !strings.HasPrefix(size, "419.5") || !strings.Contains(size, "x 595.2") {
		t.Errorf("the receipt's page is %q, want A5 (148 × 210 mm: 419.53 × 595.28 pt)", size)
	}
	for _, want := range []string{serial, "রহিমা বেগম"} {
		if !strings.Contains(pdfText, want) {
			t.Errorf("the printed receipt lacks %q:\n%s", want, pdfText)
		}
	}

	// The cash book: the second cashier took cash too (through the API).
	if st, got := apiJSON(t, "POST", "/api/v1/units/"+moneyUnit+"/cash-donations",
		`{"amount":"700","kind":"general","donor":{"name":"Abdul Karim","phone":"01812345678"}}`, cashier2,
		map[string]string{"Idempotency-Key": "money-cash-jamal"}); st != 201 {
		t.Fatalf("second cashier's gift: %d %v", st, got)
	}
	st, book := apiJSON(t, "GET", "/api/v1/units/"+moneyUnit+"/cash-book", "", admin, nil)
	if st != 200 || book["count"] != float64(2) || book["total"] != "2200.00" {
		t.Fatalf("the day's book: %d %v (the double submit recorded twice?)", st, book)
	}
	b.submit(`nav a[href="/console/cash-book"]`)
	if got := b.text(); !strings.Contains(got, "Selina Akter") || !strings.Contains(got, "Jamal Hossain") || !strings.Contains(got, serial) ||
		!strings.Contains(got, "৳২,২০০") {
		t.Fatalf("the cash book shows %q", got)
	}
	if who := eval[string](b, `document.querySelector("#who").textContent`); !strings.HasPrefix(who, "Selina Akter · ক্যাশিয়ার · ") {
		t.Errorf("the cash book names the staff member as %q", who)
	}
	// A cashier closes only their own day.
	if n := eval[int](b, `document.querySelectorAll("button[id^=close-btn-]").length`); n != 1 {
		t.Errorf("the cashier is offered %d day closes, want their own only", n)
	}
	b.checkA11yDesk("cash book (open)")
	own := eval[string](b, `document.querySelector("button[id^=close-btn-]").id.replace("close-btn-", "")`)
	b.do("hand over without a deposit reference", chromedp.SendKeys(chromedp.CSS(`#handed-`+own), "১,৪০০"))
	b.submit(`#close-btn-` + own)
	if !eval[bool](b, `!!document.querySelector("#deposit-`+own+`-err") && document.querySelector("#handed-`+own+`").value === "১,৪০০"`) {
		t.Fatalf("a close without the deposit reference: %.2000s", b.text())
	}
	b.checkA11yDesk("cash book (close refused)")
	b.do("the deposit reference", chromedp.SendKeys(chromedp.CSS(`#deposit-`+own), "DBBL-778899"))
	b.submit(`#close-btn-` + own)
	if got := eval[string](b, `document.querySelector("#staff-`+own+` .diff").textContent`); !strings.Contains(got, "৳১০০ কম") {
		t.Fatalf("handed over Tk 1,400 of Tk 1,500: difference %q", got)
	}
	if got := eval[string](b, `document.querySelector("#staff-`+own+` .deposit").textContent`); got != "DBBL-778899" {
		t.Errorf("deposit reference %q", got)
	}
	b.screenshot("console-cashbook")
	b.checkA11yDesk("cash book (closed with a difference)")
	day, _ := book["date"].(string)
	// The close is one insert per unit, day and staff member: the same close
	// again is the stored one; another is refused; another's, by a
	// cashier, forbidden.
	closeBody := `{"date":"` + day + `","staff":"money-cashier-selina","handedOver":"1400","depositReference":"DBBL-778899"}`
	if st, _ := apiJSON(t, "POST", "/api/v1/units/"+moneyUnit+"/cash-book/closes", closeBody, cashier, nil); st != 200 {
		t.Errorf("the same close again: %d, want 200", st)
	}
	if st, _ := apiJSON(t, "POST", "/api/v1/units/"+moneyUnit+"/cash-book/closes", strings.Replace(closeBody, "1400", "1500", 1), admin, nil); st != 409 {
		t.Errorf("a second close of a closed day: %d, want 409", st)
	}
	if st, _ := apiJSON(t, "POST", "/api/v1/units/"+moneyUnit+"/cash-book/closes",
		`{"date":"`+day+`","staff":"money-cashier-jamal","handedOver":"700","depositReference":"X-1"}`, cashier, nil); st != 403 {
		t.Errorf("a cashier closing another's day: %d, want 403", st)
	}
	// The unit admin closes the other cashier's day: it matches.
	a := newBrowser(t)
	a.signIn(admin, "unit admin")
	a.desk()
	a.open("/console/cash-book")
	other := eval[string](a, `Array.from(document.querySelectorAll("section.staffday")).find(s => s.textContent.includes("Jamal Hossain")).id.replace("staff-", "")`)
	a.do("close Jamal's day", chromedp.SendKeys(chromedp.CSS(`#handed-`+other), "700"), chromedp.SendKeys(chromedp.CSS(`#deposit-`+other), "SONALI-1234"))
	a.submit(`#close-btn-` + other)
	if got := eval[string](a, `document.querySelector("#staff-`+other+` .diff").textContent`); !strings.Contains(got, "মিলেছে") {
		t.Errorf("a matching close says %q", got)
	}
	if got := eval[string](a, `document.querySelector("#staff-`+other+`").textContent`); !strings.Contains(got, "Nasrin Sultana") {
		t.Errorf("the close does not name who closed it: %q", got)
	}

	// Refunds: find the cash gift by its receipt number.
	a.submit(`nav a[href="/console/refunds"]`)
	a.checkA11yDesk("refunds search")
	a.do("a search that is nothing", chromedp.SendKeys(chromedp.CSS(`#q`), "!!"))
	a.submit(`#find-btn`)
	if msg := eval[string](a, `(document.querySelector("#q-err") || {}).textContent || ""`); !strings.Contains(msg, "রসিদ নম্বর") {
		t.Fatalf("a search for %q: error %q", "!!", msg)
	}
	a.checkA11yDesk("refunds search (error)")
	a.do("search by receipt number", chromedp.SetValue(chromedp.CSS(`#q`), serial))
	a.submit(`#find-btn`)
	if n := eval[int](a, `document.querySelectorAll("#found tbody tr").length`); n != 1 {
		t.Fatalf("search by receipt number: %d rows: %.2000s", n, a.text())
	}
	a.do("search by the donor's mobile", chromedp.SetValue(chromedp.CSS(`#q`), "০১৭১২৩৪৫৬৭৮"))
	a.submit(`#find-btn`)
	if !eval[bool](a, `!!document.querySelector('#found a[href="/console/refunds/`+giftID+`"]')`) {
		t.Fatalf("search by mobile does not find the gift: %.2000s", a.text())
	}
	a.screenshot("console-refunds")
	a.checkA11yDesk("refunds search (found)")
	a.submit(`#found a[href="/console/refunds/` + giftID + `"]`)
	if got := eval[string](a, `document.querySelector("#refundable").textContent`); got != "৳১,৫০০" {
		t.Fatalf("refundable %q, want ৳১,৫০০", got)
	}
	a.checkA11yDesk("refund form")
	a.do("refund 500 without a reason", chromedp.SetValue(chromedp.CSS(`#amount`), "৫০০"))
	a.submit(`#review-btn`)
	if !eval[bool](a, `!!document.querySelector("#reason-err")`) {
		t.Fatalf("a refund without a reason: %.2000s", a.text())
	}
	a.checkA11yDesk("refund form (no reason)")
	a.do("the reason", chromedp.SendKeys(chromedp.CSS(`#reason`), "দাতা ভুল অঙ্ক দিয়েছিলেন"))
	a.submit(`#review-btn`)
	if got := eval[string](a, `document.querySelector("#confirm-amount").textContent`); got != "৳৫০০" {
		t.Fatalf("the confirmation shows %q: %.2000s", got, a.text())
	}
	if st, g := apiJSON(t, "GET", "/api/v1/donations/"+giftID, "", "", nil); st != 200 || g["refunded"] != nil {
		t.Fatalf("the refund happened before it was confirmed: %v", g)
	}
	a.screenshot("console-refund-confirm")
	a.checkA11yDesk("refund confirmation")
	confirm := a.formData(`form[action^="/console/refunds/"]`)
	a.submit(`#confirm-btn`)
	a.until("the cancellation note", `!!document.querySelector("#note-pdf")`)
	if got := eval[string](a, `document.querySelector("#result").textContent`); !strings.Contains(got, "৳৫০০ ফেরত দেওয়া হয়েছে") {
		t.Errorf("refund result %q", got)
	}
	// The confirmation sent again: the same refund, not another.
	a.postForm(confirm, "/console/refunds/"+giftID)
	if _, g := apiJSON(t, "GET", "/api/v1/donations/"+giftID, "", "", nil); g["refunded"] != "500.00" || len(g["refunds"].([]any)) != 1 {
		t.Fatalf("after the confirmation sent twice: refunded %v, refunds %v", g["refunded"], g["refunds"])
	}
	a.screenshot("console-refund-done")
	a.checkA11yDesk("refund result")
	noteText, _ := getPDF(t, eval[string](a, `document.querySelector("#note-pdf").getAttribute("href")`))
	for _, want := range []string{serial + "-C1", "দাতা ভুল অঙ্ক দিয়েছিলেন"} {
		if !strings.Contains(noteText, want) {
			t.Errorf("the cancellation note lacks %q:\n%s", want, noteText)
		}
	}

	// A bKash gift, found by its TrxID, refunded in full.
	paid := payByBKash(t, a, moneyUnit, "750", "01912345678")
	trx, _ := paid["trxID"].(string)
	bkashID, _ := paid["id"].(string)
	a.open("/console/refunds")
	a.do("search by TrxID", chromedp.SendKeys(chromedp.CSS(`#q`), trx))
	a.submit(`#find-btn`)
	a.submit(`#found a[href="/console/refunds/` + bkashID + `"]`)
	a.do("refund it all", chromedp.SendKeys(chromedp.CSS(`#reason`), "দাতার অনুরোধ"))
	a.submit(`#review-btn`)
	if !strings.Contains(a.text(), "বিকাশ অ্যাকাউন্টে") {
		t.Errorf("the confirmation of a bKash refund does not say where the money goes: %q", a.text())
	}
	a.submit(`#confirm-btn`)
	a.until("the bKash refund's note", `!!document.querySelector("#note-pdf")`)
	if got := eval[string](a, `document.querySelector("#why").textContent`); !strings.Contains(got, "পুরো টাকা ফেরত") {
		t.Errorf("a gift refunded in full still offers a refund: %q", got)
	}

	// The counter statement, with the donor there.
	b.submit(`nav a[href="/console/statement"]`)
	b.checkA11yDesk("statement form")
	b.do("the donor's number", chromedp.SendKeys(chromedp.CSS(`#mobile`), "০১৭১২৩৪৫৬৭৮"))
	b.submit(`#code-btn`)
	if got := eval[string](b, `document.querySelector("#sent").textContent`); !strings.Contains(got, "০১৭") || strings.Contains(got, "০১৭১২৩৪৫৬৭৮") {
		t.Fatalf("code sent: %q (want the number masked)", got)
	}
	b.checkA11yDesk("statement code form")
	code := lastStatementCode(t, "01712345678")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	b.do("a wrong code", chromedp.SendKeys(chromedp.CSS(`#code`), wrong))
	b.submit(`#print-btn`)
	if msg := eval[string](b, `(document.querySelector("#code-err") || {}).textContent || ""`); !strings.Contains(msg, "কোড") {
		t.Fatalf("a wrong code: error %q", msg)
	}
	b.checkA11yDesk("statement code form (wrong code)")
	b.do("the right code", chromedp.SetValue(chromedp.CSS(`#code`), code))
	b.screenshot("console-statement")
	_, pdf := b.postForm(b.formData(`form[action^="/console/statement/print"]`), "/console/statement/print")
	if !bytes.HasPrefix(pdf, []byte("%PDF-")) {
		t.Fatalf("the statement is not a PDF: %.300s", pdf)
	}
	stText, _ := pdfRead(t, pdf)
	if !strings.Contains(stText, serial) || !strings.Contains(stText, "রহিমা বেগম") {
		t.Errorf("the statement lacks the gift %s or the donor's name:\n%s", serial, stText)
	}
}
