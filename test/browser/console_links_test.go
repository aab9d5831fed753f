package browser

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kalyan-platform/kalyan/internal/units"
)

const linksUnit = "uhc-links-test"

// TestConsoleLinks: a unit admin creates a campaign link in the console
// (Bengali errors on a bad form, nothing stored), a donor gives through it
// on the donate page, the link's row shows what was given through it (a
// gift through the unit's own link does not count), the admin switches it
// off and on again and prints its A4 poster. Social workers have no such
// page.
func TestConsoleLinks(t *testing.T) {
	u := units.Unit{Code: linksUnit, Names: units.Names{EN: "Links Test Upazila Health Complex", BN: "লিংক পরীক্ষা উপজেলা স্বাস্থ্য কমপ্লেক্স"},
		Level: units.Level("upazila"), Division: "Rajshahi", District: "Bogura", Upazila: "Sherpur", Policy: units.DefaultPolicy()}
	u.Policy.Programmes = []string{"kidney", "burn"}
	if _, err := stack.API.Units.Register(t.Context(), &u); err != nil {
		t.Fatal(err)
	}
	admin, _ := stack.NamedToken("unit_admin", linksUnit, "links-admin", "Nasima Khatun")
	sw, _ := stack.NamedToken("social_worker", linksUnit, "links-sw", "Rahim Uddin")
	if res := fetch(t, "/console/links", map[string]string{"Authorization": "Bearer " + sw}); res.Status != 403 {
		t.Errorf("a social worker at the links page: %d, want 403", res.Status)
	}

	b := newBrowser(t)
	b.signIn(admin, "unit admin")
	b.desk()
	b.submit(`nav a[href="/console/links"]`)
	if !eval[bool](b, `!!document.querySelector("#none")`) {
		t.Fatalf("a unit without links: %.1000s", b.text())
	}
	b.checkA11yDesk("links page, empty")

	// A bad address and an amount that is no number: refused, in Bengali.
	b.do("a bad form", chromedp.SendKeys(chromedp.CSS(`#slug`), "Bad Slug!"), chromedp.SendKeys(chromedp.CSS(`#goal`), "অনেক"))
	b.submit(`#link-btn`)
	for _, id := range []string{"slug", "goal"} {
		if !eval[bool](b, `!!document.querySelector("#`+id+`-err") && document.querySelector("#`+id+`").getAttribute("aria-invalid") === "true"`) {
			t.Fatalf("bad link form: no error beside #%s: %.2000s", id, b.text())
		}
	}
	if msg := eval[string](b, `document.querySelector("#slug-err").textContent`); !strings.Contains(msg, "অক্ষর") {
		t.Errorf("slug error %q is not in Bengali", msg)
	}
	b.checkA11yDesk("links form with errors")
	if st, got := apiJSON(t, "GET", "/api/v1/units/"+linksUnit+"/links", "", admin, nil); st != 200 || len(got["links"].([]any)) != 0 {
		t.Fatalf("a refused form stored a link: %d %v", st, got)
	}

	ends := time.Now().AddDate(0, 2, 0).Format("2006-01-02")
	b.do("a good form",
		chromedp.SetValue(chromedp.CSS(`#slug`), "links-dialysis"),
		chromedp.SendKeys(chromedp.CSS(`#title_bn`), "কিডনি রোগীদের ডায়ালাইসিস"),
		chromedp.SendKeys(chromedp.CSS(`#title_en`), "Dialysis for kidney patients"),
		chromedp.SetValue(chromedp.CSS(`#kind`), "zakat"),
		chromedp.SetValue(chromedp.CSS(`#programme`), "kidney"),
		chromedp.SendKeys(chromedp.CSS(`#presets`), "৫০০ ১,০০০ ২,০০০"),
		chromedp.SetValue(chromedp.CSS(`#goal`), "৫০,০০০"),
		chromedp.SetValue(chromedp.CSS(`#ends`), ends),
	)
	b.submit(`#link-btn`)
	row := `document.querySelector("#link-links-dialysis")`
	if !eval[bool](b, `!!`+row) {
		t.Fatalf("the new link is not listed: %.2000s", b.text())
	}
	if got := eval[string](b, row+`.textContent`); !strings.Contains(got, "কিডনি রোগীদের ডায়ালাইসিস") || !strings.Contains(got, "৳৫০,০০০") ||
		!strings.Contains(got, "৳১,০০০") || !strings.Contains(got, "যাকাত") {
		t.Errorf("the link's row: %q", got)
	}

	// A donor gives through the link, and another through the unit's own.
	give := func(slug, amount, phone string) {
		d := newBrowser(t)
		d.open("/d/" + slug)
		d.do("fill the gift", chromedp.SendKeys(chromedp.CSS(`#amount-other`), amount), chromedp.Click(chromedp.CSS(`#kind-sadaqah`)),
			chromedp.SendKeys(chromedp.CSS(`#name`), "Karim Mia"), chromedp.SendKeys(chromedp.CSS(`#phone`), phone))
		d.submit(`main form button[type=submit]`)
		d.submit(`button[value=pay]`)
		if !strings.Contains(d.location(), "/donations/don_") {
			t.Fatalf("after paying through /d/%s at %s", slug, d.location())
		}
	}
	give("links-dialysis", "1500", "01712000111")
	give(linksUnit, "700", "01712000222")
	b.waitFor("the gift counted", "/console/links", `document.querySelector("#link-links-dialysis .gifts").textContent === "১"`)
	if got := eval[string](b, `document.querySelector("#link-links-dialysis .given").textContent`); got != "৳১,৫০০" {
		t.Errorf("given through the link: %q, want ৳১,৫০০ (the unit's own link not counted)", got)
	}
	if w := eval[float64](b, `document.querySelector("main").getBoundingClientRect().width`); w < 1100 || w > 1250 {
		t.Errorf("console content is %.0f px wide at 1366×900, want about 1,200", w)
	}
	b.screenshot("console-links")
	b.checkA11yDesk("links page with a link")
	st, got := apiJSON(t, "GET", "/api/v1/units/"+linksUnit+"/links", "", admin, nil)
	if ls, _ := got["links"].([]any); st != 200 || len(ls) != 1 {
		t.Errorf("the API's list: %d %v", st, got)
	} else if given, _ := ls[0].(map[string]any)["given"].(map[string]any); given["amount"] != "1500.00" || given["gifts"] != float64(1) {
		t.Errorf("the API's list gives %v through the link, want 1500.00 in 1 gift", given)
	}

	// Switched off: the donate page refuses it; on again: it takes gifts.
	b.submit(`#link-links-dialysis button.toggle`)
	if got := eval[string](b, `document.querySelector("#link-links-dialysis .status").textContent`); got != "বন্ধ" {
		t.Fatalf("after switching off, status %q", got)
	}
	if res := fetch(t, "/d/links-dialysis", nil); res.Status != 410 {
		t.Errorf("a switched-off link's page: %d, want 410", res.Status)
	}
	b.submit(`#link-links-dialysis button.toggle`)
	if res := fetch(t, "/d/links-dialysis", nil); res.Status != 200 {
		t.Errorf("a link switched on again: %d, want 200", res.Status)
	}

	// The poster, as the notice board gets it.
	href := eval[string](b, `document.querySelector("#link-links-dialysis a.poster").getAttribute("href")`)
	res := fetch(t, href, map[string]string{"Authorization": "Bearer " + admin})
	if res.Status != 200 {
		t.Fatalf("poster %s: %d", href, res.Status)
	}
	text, size := pdfRead(t, res.Body)
	if !strings.HasPrefix(size, "595.2") || !strings.Contains(size, "x 841.8") {
		t.Errorf("the poster's page is %q, want A4", size)
	}
	for _, want := range []string{"লিংক পরীক্ষা উপজেলা স্বাস্থ্য কমপ্লেক্স", "Links Test Upazila Health Complex", "কিডনি রোগীদের ডায়ালাইসিস",
		"Dialysis for kidney patients", "/d/links-dialysis", "bKash"} {
		if !strings.Contains(text, want) {
			t.Errorf("the poster lacks %q:\n%s", want, text)
		}
	}
	// Another unit's admin gets no poster of this unit's link.
	other, _ := stack.NamedToken("unit_admin", "dmch", "links-other-admin", "Other Admin")
	if res := fetch(t, href, map[string]string{"Authorization": "Bearer " + other}); res.Status != 404 {
		t.Errorf("another unit's admin at the poster: %d, want 404", res.Status)
	}
}
