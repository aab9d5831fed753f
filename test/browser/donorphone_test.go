package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDonatePayButtonWithinTwoScreens (issue 19): on a 360×740 phone the
// pay button is reached without scrolling past two screens, the gift-type
// descriptions are folded away, the chosen amount is visibly marked, and
// the button names bKash.
func TestDonatePayButtonWithinTwoScreens(t *testing.T) {
	b := newBrowser(t)
	for _, lang := range []string{"bn", "en"} {
		b.open("/d/dmch?lang=" + lang)
		bottom := eval[float64](b, `(() => { const r = document.querySelector('main form button[type=submit]').getBoundingClientRect(); return r.bottom + window.scrollY; })()`)
		if bottom > 2*phoneHeight {
			t.Errorf("%s: the pay button ends %.0f px down the page, past two %d px screens", lang, bottom, phoneHeight)
		}
		if !eval[bool](b, `[...document.querySelectorAll('[id^=kind-][id$=-hint]')].every(h => h.closest('details') && !h.closest('details').open)`) {
			t.Errorf("%s: gift-type descriptions are not folded into a closed <details>", lang)
		}
		btn := eval[string](b, `document.querySelector('main form button[type=submit]').textContent`)
		if want := map[string]string{"bn": "বিকাশ", "en": "bKash"}[lang]; !strings.Contains(btn, want) {
			t.Errorf("%s: pay button %q does not say %s", lang, btn, want)
		}
	}
	b.open("/d/dmch?lang=bn")
	chip := `(v) => getComputedStyle(document.querySelector('input[name=amount][value="' + v + '"]').closest('label'))`
	before := eval[[]string](b, `(() => { const s = (`+chip+`)("1000"); return [s.backgroundColor, s.color, s.borderColor]; })()`)
	b.do("choose Tk 1,000", chromedp.Click(chromedp.CSS(`input[name=amount][value="1000"]`)))
	after := eval[[]string](b, `(() => { const s = (`+chip+`)("1000"); return [s.backgroundColor, s.color, s.borderColor]; })()`)
	other := eval[[]string](b, `(() => { const s = (`+chip+`)("500"); return [s.backgroundColor, s.color, s.borderColor]; })()`)
	if strings.Join(after, ",") == strings.Join(before, ",") || strings.Join(after, ",") == strings.Join(other, ",") {
		t.Errorf("the chosen amount is not marked: chosen %v, before %v, another %v", after, before, other)
	}
	b.screenshot("donate-phone")
	b.checkA11yBoth("donate page")
	b.do("open the gift-type descriptions", chromedp.Click(chromedp.CSS(`main form details summary`)))
	b.checkA11y("donate page, descriptions open")
}

// TestRetryKeepsWhatWasTyped (issue 19): a donor who cancels at bKash, or
// whose payment fails, goes back to the form with everything they typed;
// another browser opening the same retry link gets the gift's kind, amount
// and programme but none of the donor's details.
func TestRetryKeepsWhatWasTyped(t *testing.T) {
	for _, action := range []string{"cancel", "fail"} {
		b := newBrowser(t)
		b.open("/d/dmch?lang=bn")
		b.do("fill the form",
			chromedp.SendKeys(chromedp.CSS(`#amount-other`), "১২৩৪"),
			chromedp.Click(chromedp.CSS(`#kind-sadaqah`)),
			chromedp.SetValue(chromedp.CSS(`#programme`), "burn"),
			chromedp.SendKeys(chromedp.CSS(`#name`), "সালমা বেগম"),
			chromedp.SendKeys(chromedp.CSS(`#phone`), "01912345678"),
			chromedp.Click(chromedp.CSS(`#more summary`)),
			chromedp.SendKeys(chromedp.CSS(`#email`), "salma@example.com"),
			chromedp.SendKeys(chromedp.CSS(`#tin`), "123456789012"),
		)
		b.submit(`main form button[type=submit]`)
		b.submit(`button[value=` + action + `]`)
		b.until("the retry link", `!!document.querySelector('a[href*="retry="]')`)
		retry := eval[string](b, `document.querySelector('a[href*="retry="]').getAttribute("href")`)
		if !strings.HasPrefix(retry, "/d/dmch?retry=don_") {
			t.Fatalf("%s: retry link %q", action, retry)
		}
		b.checkA11yBoth("status page, " + action)
		b.submit(`a[href*="retry="]`)
		got := eval[map[string]string](b, `(() => ({amount: document.querySelector("#amount-other").value,
			kind: document.querySelector("input[name=kind]:checked").value, programme: document.querySelector("#programme").value,
			name: document.querySelector("#name").value, phone: document.querySelector("#phone").value,
			email: document.querySelector("#email").value, tin: document.querySelector("#tin").value}))()`)
		want := map[string]string{"amount": "১২৩৪", "kind": "sadaqah", "programme": "burn", "name": "সালমা বেগম", "phone": "01912345678",
			"email": "salma@example.com", "tin": "123456789012"}
		for k, w := range want {
			if got[k] != w {
				t.Errorf("%s: retry form %s = %q, want %q", action, k, got[k], w)
			}
		}
		if !eval[bool](b, `document.querySelector("#more").open`) {
			t.Errorf("%s: the e-mail and e-TIN the donor typed are folded away", action)
		}
		b.screenshot("donate-retry-" + action)
		b.checkA11yBoth("donate page, retry after " + action)

		other := newBrowser(t)
		other.open(retry)
		got = eval[map[string]string](other, `(() => ({amount: document.querySelector("#amount-other").value,
			kind: document.querySelector("input[name=kind]:checked").value, name: document.querySelector("#name").value,
			phone: document.querySelector("#phone").value, email: document.querySelector("#email").value}))()`)
		if got["amount"] != "১২৩৪" || got["kind"] != "sadaqah" || got["name"] != "" || got["phone"] != "" || got["email"] != "" {
			t.Errorf("%s: another browser's retry form %v: want the gift but none of the donor's details", action, got)
		}
	}
}
