package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// Desktop size checked beside the phone (issue 19: 360×740 and 1366×900).
const desktopWidth, desktopHeight = 1366, 900

// checkA11yBoth runs axe-core on the current page at the phone size and at
// a desktop size, then returns to the phone.
func (b *browser) checkA11yBoth(name string, skip ...string) {
	b.t.Helper()
	b.checkA11y(name+" (360×740)", skip...)
	b.do("desktop viewport", chromedp.EmulateViewport(desktopWidth, desktopHeight))
	b.checkA11y(name+" (1366×900)", skip...)
	b.do("phone viewport", chromedp.EmulateViewport(phoneWidth, phoneHeight,
		chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait))
}

// apiRaw sends a JSON request to the API with extra headers and returns
// the status and the body.
func apiRaw(t testing.TB, method, path, body string, hdr map[string]string) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, stack.APIURL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	return res.StatusCode, b
}

func bearer(t testing.TB, role, unit, sub string) string {
	t.Helper()
	tok, err := stack.Token(role, unit, sub)
	if err != nil {
		t.Fatal(err)
	}
	return "Bearer " + tok
}

// cashGift records a cash gift at a unit's counter and waits for its receipt.
func cashGift(t testing.TB, unit, body string) string {
	t.Helper()
	st, b := apiRaw(t, http.MethodPost, "/api/v1/units/"+unit+"/cash-donations", body, map[string]string{
		"Authorization": bearer(t, "cashier", unit, "browser-cashier"), "Idempotency-Key": fmt.Sprintf("cash-%d", time.Now().UnixNano())})
	var d struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(b, &d); err != nil || (st != http.StatusCreated && st != http.StatusOK) {
		t.Fatalf("cash gift: %d %s", st, b)
	}
	waitReceipt(t, d.ID)
	return d.ID
}

func waitReceipt(t testing.TB, id string) {
	t.Helper()
	deadline := time.Now().Add(hang)
	for {
		if st, _ := apiRaw(t, http.MethodGet, "/api/v1/receipts/"+id, "", nil); st == http.StatusOK {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("no receipt for %s", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestLegalWordingAndTrustPages (issue 19, trust and consistency): every
// page's footer says gifts qualify for the tax rebate under s.76(1) — never
// "tax-exempt" — and links the short pages on the rebate, privacy, refunds
// and contact, each of which is checked at both sizes.
func TestLegalWordingAndTrustPages(t *testing.T) {
	b := newBrowser(t)
	for _, path := range []string{"/", "/d/dmch", "/zakat", "/u/dmch"} {
		b.open(path)
		footer := eval[string](b, `document.querySelector("footer").textContent`)
		if !strings.Contains(footer, "ধারা ৭৬(১)") || !strings.Contains(footer, "কর রেয়াত") || strings.Contains(footer, "করমুক্ত") {
			t.Errorf("%s footer %q: want the s.76(1) rebate wording", path, footer)
		}
		for _, href := range []string{"/rebate", "/privacy", "/refunds", "/contact", "/statement", "/my"} {
			if !eval[bool](b, `!!document.querySelector('footer a[href="`+href+`"]')`) {
				t.Errorf("%s footer does not link %s", path, href)
			}
		}
	}
	pages := map[string]string{"/rebate": "ধারা ৭৬(১)", "/privacy": "আইন যতদিন রাখতে বলে", "/refunds": "বাতিল নোট", "/contact": "অভিযোগ"}
	for path, want := range pages {
		b.open(path)
		if txt := eval[string](b, `document.querySelector("main").textContent`); !strings.Contains(txt, want) {
			t.Errorf("%s lacks %q: %s", path, want, txt)
		}
		b.screenshot("trust" + strings.ReplaceAll(path, "/", "-"))
		b.checkA11yBoth(path)
	}
	b.open("/rebate?lang=en")
	if txt := eval[string](b, `document.querySelector("main").textContent`); !strings.Contains(txt, "section 76(1) of the Income Tax Act 2023") || strings.Contains(strings.ToLower(txt), "exempt") {
		t.Errorf("English rebate page: %s", txt)
	}
	b.checkA11yBoth("/rebate en")

	// A search that is too short is explained in Bengali beside the field.
	b.open("/contact?q=a&lang=bn")
	if got := eval[string](b, `document.getElementById("q-err").textContent`); !strings.Contains(got, "অন্তত দুটি অক্ষর") ||
		eval[string](b, `document.getElementById("q").getAttribute("aria-invalid")`) != "true" {
		t.Errorf("short search error %q", got)
	}
	b.checkA11yBoth("/contact with an error")
	if res := fetch(t, "/contact?q=a", nil); res.Status != http.StatusUnprocessableEntity {
		t.Errorf("short search: %d, want 422", res.Status)
	}
}

// TestUnitContact: a unit's contact, set by the platform admin, shows on
// its accounts page and on the contact page; a later registration without
// it (the operator's) keeps it; bad input is a problem naming the field.
func TestUnitContact(t *testing.T) {
	admin := map[string]string{"Authorization": bearer(t, "platform_admin", "", "browser-admin")}
	code := fmt.Sprintf("contact-%d", time.Now().UnixNano()%1_000_000)
	reg := `{"names":{"en":"Contact Test Hospital","bn":"যোগাযোগ পরীক্ষা হাসপাতাল"},"level":"district","division":"Dhaka","district":"Dhaka"`
	if st, body := apiRaw(t, http.MethodPut, "/api/v1/admin/units/"+code, reg+`,"contact":{"office":"Social Service Office, ground floor","phone":"+880 2-55165088","email":"rks@example.org"}}`, admin); st != http.StatusCreated {
		t.Fatalf("register with contact: %d %s", st, body)
	}
	if st, body := apiRaw(t, http.MethodPut, "/api/v1/admin/units/"+code, reg+`}`, admin); st != http.StatusOK || !strings.Contains(string(body), "rks@example.org") {
		t.Fatalf("registration without contact dropped it: %d %s", st, body)
	}
	st, body := apiRaw(t, http.MethodPut, "/api/v1/admin/units/"+code, reg+`,"contact":{"phone":"call us"}}`, admin)
	if st != http.StatusUnprocessableEntity && st != http.StatusBadRequest || !strings.Contains(string(body), "contact.phone") {
		t.Fatalf("bad phone: %d %s", st, body)
	}
	b := newBrowser(t)
	b.open("/u/" + code)
	if !eval[bool](b, `!!document.querySelector('#contact a[href="tel:+880255165088"]') && !!document.querySelector('#contact a[href="mailto:rks@example.org"]')`) {
		t.Fatalf("unit page lacks the contact: %s", eval[string](b, `document.querySelector("main").innerHTML`))
	}
	b.checkA11yBoth("unit page with contact")
	b.open("/contact?q=" + code)
	b.submit(`main ul.units a`)
	if txt := eval[string](b, `document.querySelector("#contact").textContent`); !strings.Contains(txt, "Social Service Office") || !strings.Contains(txt, "+৮৮০ ২-৫৫১৬৫০৮৮") {
		t.Fatalf("contact page: %s", txt)
	}
	b.screenshot("contact-unit")
	b.checkA11yBoth("contact page of a unit")
}

// TestVerificationPageInWords (issue 19): the page a receipt's QR code
// opens wears the site's header and language switch, names the payment
// method and programme in words, labels a cash gift's reference as the
// counter's (not a bKash transaction ID), keeps the receipt number on one
// line on a phone, and links the samiti's accounts and the statement page.
func TestVerificationPageInWords(t *testing.T) {
	id := cashGift(t, "uhc-debidwar", `{"amount":"1500","kind":"zakat","programme":"liver-cirrhosis","donor":{"name":"Abdul Karim","phone":"01812345678"}}`)
	b := newBrowser(t)
	b.open("/r/" + id)
	if !eval[bool](b, `!!document.querySelector('header a.brand[href="/"]') && !!document.querySelector('header nav a[hreflang=en]')`) {
		t.Fatal("verification page lacks the site's header and language switch")
	}
	main := eval[string](b, `document.querySelector("main").textContent`)
	for _, want := range []string{"এই রসিদটি আসল", "নগদ অর্থ", "লিভার সিরোসিস", "যাকাত", "নগদ দানের রেফারেন্স", "UHC-DEBIDWAR/"} {
		if !strings.Contains(main, want) {
			t.Errorf("verification page lacks %q: %s", want, main)
		}
	}
	for _, raw := range []string{"liver-cirrhosis", "বিকাশ লেনদেন", "bKash transaction"} {
		if strings.Contains(main, raw) {
			t.Errorf("verification page says %q: %s", raw, main)
		}
	}
	if eval[bool](b, `[...document.querySelectorAll("main td")].some(td => ["cash", "bkash"].includes(td.textContent.trim().toLowerCase()))`) {
		t.Error("payment method shown as a raw code")
	}
	// The receipt number is one line box on a 360 px screen.
	if n := eval[int](b, `(() => { const r = document.createRange(); r.selectNodeContents(document.querySelector(".serial")); return r.getClientRects().length; })()`); n != 1 {
		t.Errorf("receipt number spans %d lines", n)
	}
	if w := eval[int](b, `document.documentElement.scrollWidth`); w > phoneWidth {
		t.Errorf("verification page is %d px wide on a %d px phone", w, phoneWidth)
	}
	if !eval[bool](b, `!!document.querySelector('main a[href="/u/uhc-debidwar"]') && !!document.querySelector('main a[href="/statement"]')`) {
		t.Error("verification page does not link the samiti's accounts and the statement page")
	}
	b.screenshot("verify-cash")
	b.checkA11yBoth("verification page")
	b.submit(`header nav a[hreflang=en]`)
	main = eval[string](b, `document.querySelector("main").textContent`)
	for _, want := range []string{"This receipt is genuine", "Cash", "Liver cirrhosis", "Cash gift reference"} {
		if !strings.Contains(main, want) {
			t.Errorf("English verification page lacks %q: %s", want, main)
		}
	}
	b.checkA11yBoth("verification page (English)")

	// The status page names the cash reference the same way.
	b.open("/donations/" + id + "?lang=bn")
	if txt := eval[string](b, `document.querySelector("main dl").textContent`); !strings.Contains(txt, "নগদ দানের রেফারেন্স") || strings.Contains(txt, "বিকাশ") {
		t.Errorf("status page of a cash gift: %s", txt)
	}
	b.open("/r/don_nosuchreceipt")
	b.checkA11yBoth("unknown receipt")
}

// contextHang is the browser's context bounded by hang.
func contextHang(b *browser) (context.Context, context.CancelFunc) {
	return context.WithTimeout(b.ctx, hang)
}

// TestAccountsLinks (issue 19): "এই সমিতির হিসাব দেখুন" leads from the home,
// donor, campaign, status and verification pages to the samiti's accounts.
func TestAccountsLinks(t *testing.T) {
	slug := fmt.Sprintf("accounts-%d", time.Now().UnixNano()%1_000_000_000)
	admin := map[string]string{"Authorization": bearer(t, "unit_admin", "dmch", "browser-accounts-admin")}
	if st, body := apiRaw(t, http.MethodPost, "/api/v1/units/dmch/links", `{"slug":"`+slug+`","title":{"bn":"শীতে রোগীদের পাশে","en":"Stand by patients this winter"},"kind":"sadaqah"}`, admin); st != http.StatusCreated {
		t.Fatalf("create link: %d %s", st, body)
	}
	status := createDonation(t, "dmch", fmt.Sprintf("accounts-%d", time.Now().UnixNano()))
	receipt := cashGift(t, "dmch", `{"amount":"250","kind":"general","donor":{"name":"Accounts Donor","phone":"01312345678"}}`)
	b := newBrowser(t)
	for _, path := range []string{"/?division=Dhaka&lang=bn", "/d/dmch", "/d/" + slug, "/donations/" + status + "?auto=off", "/r/" + receipt} {
		b.open(path)
		if !eval[bool](b, `[...document.querySelectorAll('main a[href="/u/dmch"]')].some(a => a.textContent.trim() === "এই সমিতির হিসাব দেখুন")`) {
			t.Errorf("%s lacks \"এই সমিতির হিসাব দেখুন\" to /u/dmch", path)
		}
		b.checkA11yBoth(path)
	}
	b.open("/d/" + slug)
	b.submit(`main a[href="/u/dmch"]`)
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); !strings.Contains(h1, "ঢাকা মেডিকেল কলেজ হাসপাতাল") {
		t.Fatalf("the accounts link led to %q", h1)
	}
}
