package browser

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kalyan-platform/kalyan/internal/units"
)

// TestHomePage finds a hospital the ways a donor would: the big hospitals
// and divisions on the home page, a division, a search in Bengali.
func TestHomePage(t *testing.T) {
	b := newBrowser(t)
	b.open("/")
	if n := eval[int](b, `document.querySelectorAll("ul.units a[href^='/d/']").length`); n < 30 {
		t.Fatalf("home lists %d large hospitals, want the medical colleges and institutes", n)
	}
	if n := eval[int](b, `document.querySelectorAll("a[href^='/?division=']").length`); n != 8 {
		t.Fatalf("home lists %d divisions, want 8", n)
	}
	if txt := eval[string](b, `document.querySelector("a[href='/?division=Dhaka']").textContent`); !strings.Contains(txt, "ঢাকা বিভাগ") {
		t.Fatalf("division link %q is not in Bengali", txt)
	}
	b.screenshot("home")
	b.checkA11y("home page")

	b.do("search", chromedp.SendKeys(chromedp.CSS(`#q`), "দেবিদ্বার"))
	b.submit(`form[role=search] button`)
	if !eval[bool](b, `!!document.querySelector("a[href='/d/uhc-debidwar']")`) {
		t.Fatal("search for দেবিদ্বার does not find its upazila health complex")
	}
	b.checkA11y("home search results")

	// The language switch keeps the page and sets the language.
	b.submit(`nav a[hreflang=en]`)
	if got := eval[string](b, `document.documentElement.lang`); got != "en" {
		t.Fatalf("after the switch lang=%q", got)
	}
	if !eval[bool](b, `!!document.querySelector("a[href='/d/uhc-debidwar']")`) {
		t.Fatal("the switch lost the search")
	}
	b.open("/?division=Chattagram")
	if got := eval[string](b, `document.documentElement.lang`); got != "en" {
		t.Fatal("the language choice was not remembered")
	}
	b.checkA11y("home division (English)")
}

// TestZakatCalculator works out zakat without JavaScript and follows the
// result to the donate form, pre-filled.
func TestZakatCalculator(t *testing.T) {
	b := newBrowser(t)
	b.open("/d/dmch")
	b.submit(`a[href="/zakat?unit=dmch"]`)
	b.checkA11y("zakat calculator")
	b.do("fill in wealth",
		chromedp.SendKeys(chromedp.CSS(`#cash`), "২,০০,০০০"),
		chromedp.SendKeys(chromedp.CSS(`#savings`), "300000"),
		chromedp.SendKeys(chromedp.CSS(`#gold`), "11.664"),
		chromedp.SendKeys(chromedp.CSS(`#debts`), "50000"),
		chromedp.Click(chromedp.CSS(`#basis-silver`)),
	)
	b.submit(`main form button[name=calc]`)
	b.screenshot("zakat-result")
	b.checkA11y("zakat result")
	// 2,00,000 + 3,00,000 + 11.664 g × 17,750 − 50,000 = 6,57,036; 2.5 % = 16,425.90
	head := eval[string](b, `document.querySelector("[role=status]").textContent`)
	if !strings.Contains(head, "৳১৬,৪২৫.৯০") {
		t.Fatalf("zakat headline %q, want ৳১৬,৪২৫.৯০", head)
	}
	b.submit(`a.btn[href^="/d/dmch?"]`)
	if v := eval[string](b, `document.querySelector("#amount-other").value`); v != "১৬৪২৫.৯০" {
		t.Fatalf("donate form amount %q, want ১৬৪২৫.৯০", v)
	}
	if !eval[bool](b, `document.querySelector("#kind-zakat").checked`) {
		t.Fatal("zakat is not chosen on the donate form")
	}

	// Wrong input is explained next to the field.
	b.open("/zakat?lang=en&calc=1&cash=abc&gold=-3")
	for id, want := range map[string]string{"cash": "in figures", "gold": "grams"} {
		got := eval[string](b, `document.getElementById("`+id+`-err").textContent`)
		if !strings.Contains(got, want) || eval[string](b, `document.getElementById("`+id+`").getAttribute("aria-invalid")`) != "true" {
			t.Errorf("%s error %q, want %q and aria-invalid", id, got, want)
		}
	}
	b.checkA11y("zakat with errors")
}

// TestErrorPages: unknown and archived units get a kind page in the
// donor's language; API clients still get problem+json.
func TestErrorPages(t *testing.T) {
	ctx := context.Background()
	closed := units.Unit{Code: "closed-unit", Names: units.Names{EN: "Closed Hospital", BN: "বন্ধ হাসপাতাল"}, Level: units.District,
		Division: "Dhaka", District: "Dhaka", Policy: units.DefaultPolicy()}
	if _, err := stack.API.Units.Register(ctx, &closed); err != nil {
		t.Fatal(err)
	}
	if err := stack.API.Units.Archive(ctx, "closed-unit"); err != nil {
		t.Fatal(err)
	}

	b := newBrowser(t)
	b.open("/d/no-such-unit")
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); h1 != "এই দানের লিংকটি পাওয়া যায়নি" {
		t.Fatalf("unknown link heading %q", h1)
	}
	b.screenshot("error-404")
	b.checkA11y("unknown link page")
	b.open("/d/closed-unit?lang=en")
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); !strings.Contains(h1, "no longer takes gifts") {
		t.Fatalf("archived unit heading %q", h1)
	}
	b.checkA11y("archived unit page")
	b.open("/donations/don_nosuchdonation")
	b.checkA11y("unknown donation page")

	for path, status := range map[string]int{"/d/no-such-unit": 404, "/d/closed-unit": 410} {
		res := fetch(t, path, map[string]string{"Accept": "application/json"})
		if res.Status != status || res.Header.Get("Content-Type") != "application/problem+json" {
			t.Errorf("API client GET %s: %d %s %s", path, res.Status, res.Header.Get("Content-Type"), res.Body)
		}
		res = fetch(t, path, nil)
		if res.Status != status || !strings.HasPrefix(res.Header.Get("Content-Type"), "text/html") {
			t.Errorf("browser GET %s: %d %s", path, res.Status, res.Header.Get("Content-Type"))
		}
	}
	if res := fetch(t, "/d/closed-unit", nil); res.Status != http.StatusGone {
		t.Fatal("archived unit is not 410")
	}
}

// TestAxeFindsViolations guards the checker itself: a page with known
// faults must fail, so a silent harness cannot pass every page.
func TestAxeFindsViolations(t *testing.T) {
	b := newBrowser(t)
	b.open("data:text/html," + url.PathEscape(`<!doctype html><title>x</title><p style="color:#bbb">faint</p><input>`))
	found := map[string]bool{}
	for _, v := range b.axeViolations("faulty page") {
		found[v.ID] = true
	}
	for _, id := range []string{"html-has-lang", "label", "color-contrast"} {
		if !found[id] {
			t.Errorf("axe did not report %s (found %v)", id, found)
		}
	}
}

// TestCampaignLink opens a unit's campaign link: its title, preset amounts,
// kind and programme; once switched off, it says so kindly and points to
// the unit's own link.
func TestCampaignLink(t *testing.T) {
	tok, err := stack.Token("unit_admin", "dmch", "browser-test-admin")
	if err != nil {
		t.Fatal(err)
	}
	auth := "Bearer " + tok
	slug := fmt.Sprintf("ramadan-%d", time.Now().UnixNano()%1_000_000_000)
	body := `{"slug":"` + slug + `","title":{"bn":"রমজানে থ্যালাসেমিয়া রোগীদের পাশে","en":"Ramadan: stand by thalassaemia patients"},
		"kind":"zakat","programme":"thalassaemia","amounts":["300","700"]}`
	if res := apiCall(t, http.MethodPost, "/api/v1/units/dmch/links", body, auth); res != http.StatusCreated {
		t.Fatalf("create link: %d", res)
	}
	b := newBrowser(t)
	b.open("/d/" + slug)
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); h1 != "রমজানে থ্যালাসেমিয়া রোগীদের পাশে" {
		t.Fatalf("campaign heading %q", h1)
	}
	if got := eval[[]string](b, `[...document.querySelectorAll("input[name=amount]")].map(i => i.value)`); strings.Join(got, ",") != "300,700" {
		t.Fatalf("presets %v, want the link's 300,700", got)
	}
	if !eval[bool](b, `document.querySelector("#kind-zakat").checked && document.querySelector("#programme").value === "thalassaemia"`) {
		t.Fatal("the link's kind and programme are not pre-selected")
	}
	b.checkA11y("campaign link")

	if res := apiCall(t, http.MethodPost, "/api/v1/links/"+slug+"/disable", "", auth); res != http.StatusOK {
		t.Fatalf("disable link: %d", res)
	}
	b.open("/d/" + slug)
	if !eval[bool](b, `!!document.querySelector('main a[href="/d/dmch"]')`) {
		t.Fatal("a switched-off link does not offer the unit's own link")
	}
	b.checkA11y("switched-off campaign link")
	if res := fetch(t, "/d/"+slug, nil); res.Status != http.StatusGone {
		t.Fatalf("switched-off link: %d, want 410", res.Status)
	}
}

// TestUnitTransparencyPage: the public page of a unit shows its funds and a
// 12-month chart, in both languages, accessibly and with no personal data.
// On a phone (issue 19) each fund is a card with its balance first (its
// lines adding up: TestFundCardAddsUp), the words are explained once, each
// restricted fund has its own card in the donor's order, and the chart has
// a scale.
func TestUnitTransparencyPage(t *testing.T) {
	b := newBrowser(t)
	b.open("/u/dmch")
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); !strings.Contains(h1, "ঢাকা মেডিকেল কলেজ হাসপাতাল") {
		t.Fatalf("heading %q", h1)
	}
	if n := eval[float64](b, `document.querySelectorAll("svg rect").length`); n != 12 {
		t.Fatalf("%v bars, want 12", n)
	}
	if n := eval[float64](b, `[...document.querySelectorAll("svg text")].filter(e => e.getAttribute("text-anchor") == "end").length`); n != 3 {
		t.Errorf("%v scale labels on the chart, want 3 (0, half, top)", n)
	}
	if terms := eval[string](b, `document.querySelector("#terms").textContent`); !strings.Contains(terms, "বরাদ্দ:") || !strings.Contains(terms, "বিতরণ:") || !strings.Contains(terms, "ফেরত:") || !strings.Contains(terms, "প্রাপ্ত:") {
		t.Errorf("the words are not explained: %q", terms)
	}
	cards := eval[[]string](b, `[...document.querySelectorAll(".funds > .fund h3")].map(e => e.textContent)`)
	want := []string{"যাকাত", "যাকাত (", "সদকা", "সাধারণ"}
	if len(cards) < 4 || cards[0] != want[0] || !strings.HasPrefix(cards[1], want[1]) {
		t.Errorf("fund cards %q: want zakat, then zakat for each programme, then programmes, sadaqah, general", cards)
	}
	if i, j := slices.Index(cards, "সদকা"), slices.Index(cards, "সাধারণ"); i < 0 || j != i+1 {
		t.Errorf("fund cards %q: sadaqah then general", cards)
	}
	// The balance comes first in each card, right under its name.
	if ok := eval[bool](b, `[...document.querySelectorAll(".fund")].every(c => c.querySelector("h3").nextElementSibling.matches("p.bal"))`); !ok {
		t.Error("a fund card does not show its balance first")
	}
	b.screenshot("unit-phone")
	b.checkA11yBoth("unit page")
	b.open("/u/dmch?lang=en")
	if body := eval[string](b, `document.body.textContent`); !strings.Contains(body, "Zakat") || !strings.Contains(body, "Balance") {
		t.Fatalf("english page lacks fund table")
	}
	b.checkA11y("unit page en")
}

// TestNationalLedgerPage (issue 19): the Bengali national ledger groups the
// units' figures by division and district and filters by fiscal year; the
// national total is what every unit received, the same as the API's.
func TestNationalLedgerPage(t *testing.T) {
	b := newBrowser(t)
	b.open("/ledger")
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); h1 != "জাতীয় হিসাব" {
		t.Fatalf("heading %q", h1)
	}
	if n := eval[float64](b, `document.querySelectorAll("main h2").length`); n != 9 {
		t.Errorf("%v headings, want the whole country and 8 divisions", n)
	}
	if n := eval[float64](b, `document.querySelectorAll("main tbody tr").length`); n != 64 {
		t.Errorf("%v district rows, want 64", n)
	}
	if !eval[bool](b, `[...document.querySelectorAll("main tbody th")].some(e => e.textContent == "কুমিল্লা")`) {
		t.Error("no row for Cumilla district in Bengali")
	}
	b.screenshot("ledger-phone")
	b.checkA11yBoth("national ledger")
	b.do("choose a fiscal year", chromedp.SetValue(chromedp.CSS(`#fy`), "2025-26"))
	b.submit(`main form button`)
	if h := eval[string](b, `document.querySelector("#nat").textContent`); !strings.Contains(h, "২০২৫-২৬") {
		t.Errorf("after the filter the heading is %q", h)
	}
	if sel := eval[string](b, `document.querySelector("#fy").value`); sel != "2025-26" {
		t.Errorf("the filter shows %q", sel)
	}
	b.checkA11yBoth("national ledger, one fiscal year")
}
