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
