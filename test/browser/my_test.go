package browser

import (
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// TestMyGifts (issue 19): a donor proves their number with a one-time SMS
// code and sees every gift across units with its receipt, refund and
// cancellation note; downloads a statement; keeps details that fill a
// future gift's blanks; asks for them to be erased, told that financial
// records stay. Every step at both sizes with axe-core.
func TestMyGifts(t *testing.T) {
	phone := fmt.Sprintf("0161%07d", time.Now().UnixNano()%10_000_000)
	a := cashGift(t, "dmch", `{"amount":"2000","kind":"zakat","programme":"cancer","donor":{"name":"Rokeya Sultana","phone":"`+phone+`"}}`)
	b2 := cashGift(t, "uhc-debidwar", `{"amount":"300","kind":"sadaqah","donor":{"name":"Rokeya Sultana","phone":"`+phone+`"}}`)
	admin := map[string]string{"Authorization": bearer(t, "unit_admin", "dmch", "browser-my-admin"), "Idempotency-Key": "my-refund-" + a}
	if st, body := apiRaw(t, http.MethodPost, "/api/v1/donations/"+a+"/refunds", `{"amount":"500.00","reason":"donor asked"}`, admin); st != http.StatusCreated {
		t.Fatalf("refund: %d %s", st, body)
	}
	// Waits for the cancellation note.
	deadline := time.Now().Add(hang)
	for {
		_, body := apiRaw(t, http.MethodGet, "/api/v1/receipts/"+a, "", nil)
		if strings.Contains(string(body), `"serial":"DMCH/`) && strings.Contains(string(body), `"cancellations":[{`) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no cancellation note: %s", body)
		}
		time.Sleep(100 * time.Millisecond)
	}

	b := newBrowser(t)
	b.open("/my?lang=bn")
	b.screenshot("my-signin")
	b.checkA11yBoth("my gifts sign-in")
	b.do("a wrong number", chromedp.SendKeys(chromedp.CSS(`#phone`), "12345"))
	b.submit(`main form button[type=submit]`)
	if got := eval[string](b, `document.getElementById("phone-err").textContent`); !strings.Contains(got, "বাংলাদেশের মোবাইল নম্বর") {
		t.Fatalf("wrong number error %q", got)
	}
	b.checkA11yBoth("my gifts sign-in with an error")
	b.do("the number", chromedp.SetValue(chromedp.CSS(`#phone`), phone))
	b.submit(`main form button[type=submit]`)
	sms := waitSent(t, phone, "my-code", 1)
	code := regexp.MustCompile(`\d{6}`).FindString(sms.Text)
	if code == "" {
		t.Fatalf("no code in %q", sms.Text)
	}
	b.checkA11yBoth("my gifts code")
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	b.do("a wrong code", chromedp.SendKeys(chromedp.CSS(`#code`), wrong))
	b.submit(`main form button[type=submit]`)
	if got := eval[string](b, `document.getElementById("code-err").textContent`); !strings.Contains(got, "৬ অঙ্কের কোড") {
		t.Fatalf("wrong code error %q", got)
	}
	b.checkA11yBoth("my gifts code with an error")
	b.do("the code", chromedp.SetValue(chromedp.CSS(`#code`), code))
	b.submit(`main form button[type=submit]`)

	main := eval[string](b, `document.querySelector("main").textContent`)
	for _, want := range []string{"ঢাকা মেডিকেল কলেজ হাসপাতাল", "দেবিদ্বার উপজেলা স্বাস্থ্য কমপ্লেক্স", "৳২,০০০", "৳৩০০", "ক্যান্সার রোগীর চিকিৎসা", "৳৫০০", "বাতিল নোট", "DMCH/", "UHC-DEBIDWAR/"} {
		if !strings.Contains(main, want) {
			t.Errorf("my gifts lacks %q: %s", want, main)
		}
	}
	for _, id := range []string{a, b2} {
		if !eval[bool](b, `!!document.querySelector('main a[href="/r/`+id+`"]') && !!document.querySelector('main a[href="/api/v1/receipts/`+id+`.pdf"]')`) {
			t.Errorf("my gifts does not link the receipt of %s", id)
		}
	}
	if !eval[bool](b, `!!document.querySelector('main a[href^="/r/`+a+`/notes/"]')`) {
		t.Error("my gifts does not link the cancellation note")
	}
	b.screenshot("my-gifts")
	b.checkA11yBoth("my gifts")

	fy := receipts.FiscalYear(time.Now())
	// The statement downloads with the browser's session cookie.
	ctx, cancel := contextHang(b)
	defer cancel()
	cookies, err := chromedp.Call(ctx, network.GetCookies, network.GetCookiesParams{URLs: []string{stack.APIURL() + "/my/statement/" + fy}})
	if err != nil {
		t.Fatal(err)
	}
	var session string
	for _, c := range cookies.Cookies {
		if c.Name == "my" {
			session = c.Value
			if !c.HTTPOnly || c.Path != "/my" || c.SameSite != network.CookieSameSiteStrict {
				t.Errorf("session cookie: httpOnly=%v path=%q sameSite=%v", c.HTTPOnly, c.Path, c.SameSite)
			}
		}
	}
	res := fetch(t, "/my/statement/"+fy, map[string]string{"Cookie": "my=" + session})
	if res.Status != http.StatusOK || res.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(res.Body, []byte("%PDF-")) {
		t.Errorf("statement download: %d %s", res.Status, res.Header.Get("Content-Type"))
	}

	// Details for future gifts: a wrong e-mail is explained, a right one kept.
	b.do("details", chromedp.SetValue(chromedp.CSS(`#name`), "রোকেয়া সুলতানা"), chromedp.SetValue(chromedp.CSS(`#email`), "not-an-address"))
	b.submit(`#details form button[type=submit]`)
	if got := eval[string](b, `document.getElementById("email-err").textContent`); !strings.Contains(got, "ইমেইল ঠিকানা") {
		t.Fatalf("e-mail error %q", got)
	}
	b.checkA11yBoth("my gifts details with an error")
	b.do("a right e-mail", chromedp.SetValue(chromedp.CSS(`#email`), "rokeya@example.com"))
	b.submit(`#details form button[type=submit]`)
	if !eval[bool](b, `document.querySelector("#details [role=status]") !== null && document.querySelector("#email").value === "rokeya@example.com"`) {
		t.Fatal("details not saved")
	}
	// A gift given with this number and no name now takes the kept one.
	gift := `{"amount":"100","kind":"general","donor":{"phone":"` + phone + `"}}`
	if st, body := apiRaw(t, http.MethodPost, "/api/v1/units/dmch/donations", gift, map[string]string{"Idempotency-Key": "my-kept-" + phone}); st != http.StatusCreated {
		t.Fatalf("a gift without a name after keeping one: %d %s", st, body)
	}

	// Erasure: the kept details go, the financial records stay (and it says so).
	b.submit(`form[action^="/my/erase"] button`)
	if txt := eval[string](b, `document.querySelector("[role=status]").textContent`); !strings.Contains(txt, "মুছে ফেলা হয়েছে") || !strings.Contains(txt, "আইন") {
		t.Fatalf("after erasure: %q", txt)
	}
	b.checkA11yBoth("my gifts erased")
	if st, _ := apiRaw(t, http.MethodPost, "/api/v1/units/dmch/donations", gift, map[string]string{"Idempotency-Key": "my-erased-" + phone}); st != http.StatusUnprocessableEntity {
		t.Fatalf("a gift without a name after erasure: %d, want 422", st)
	}
	b.open("/my")
	if !eval[bool](b, `!!document.querySelector("#phone")`) {
		t.Fatal("the session outlived the erasure")
	}

	// Without the session nothing of the donor's is served.
	if res := fetch(t, "/my/statement/"+fy, nil); res.Status != http.StatusSeeOther {
		t.Errorf("statement without a session: %d, want 303 to sign in", res.Status)
	}
	cross := web.Do(t, http.MethodPost, "/my/details", url.Values{"name": {"x"}}, map[string]string{"Sec-Fetch-Site": "cross-site"})
	if cross.Status != http.StatusForbidden {
		t.Errorf("cross-site post: %d, want 403", cross.Status)
	}
}
