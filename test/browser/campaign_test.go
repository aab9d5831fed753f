package browser

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestCampaignPage (issue 19, campaigns): a campaign's page shows its goal,
// what was given through it (a bar and the amount), the days left and the
// number of gifts, and carries Open Graph and Twitter tags so a shared link
// previews well; switched off, it still answers 410 but says the campaign
// ended, names it and leads to the unit's accounts.
func TestCampaignPage(t *testing.T) {
	slug := fmt.Sprintf("winter-%d", time.Now().UnixNano()%1_000_000_000)
	admin := campaignAdmin(t)
	// Ends at midnight in Dhaka eleven days on: the last day is ten days on.
	dhaka := time.FixedZone("Asia/Dhaka", 6*60*60)
	now := time.Now().In(dhaka)
	ends := time.Date(now.Year(), now.Month(), now.Day()+11, 0, 0, 0, 0, dhaka).Format(time.RFC3339)
	if st, body := apiRaw(t, http.MethodPost, "/api/v1/units/dmch/links", `{"slug":"`+slug+`","title":{"bn":"শীতে রোগীদের কম্বল","en":"Blankets for patients this winter"},"kind":"sadaqah","goal":"10000","endsAt":"`+ends+`"}`, admin); st != http.StatusCreated {
		t.Fatalf("create link: %d %s", st, body)
	}

	d := newBrowser(t)
	d.open("/d/" + slug)
	d.do("give through the campaign", chromedp.SendKeys(chromedp.CSS(`#amount-other`), "2500"), chromedp.Click(chromedp.CSS(`#kind-sadaqah`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), "Campaign Donor"), chromedp.SendKeys(chromedp.CSS(`#phone`), "01712000333"))
	d.submit(`main form button[type=submit]`)
	d.submit(`button[value=pay]`)
	if !strings.Contains(d.location(), "/donations/don_") {
		t.Fatalf("after paying through /d/%s at %s", slug, d.location())
	}

	b := newBrowser(t)
	b.waitFor("the gift counted", "/d/"+slug, `document.querySelector("#gifts").textContent === "১টি দান"`)
	txt := eval[string](b, `document.querySelector(".campaign").textContent`)
	for _, want := range []string{"লক্ষ্য ৳১০,০০০", "দান এসেছে ৳২,৫০০", "লক্ষ্যের ২৫%", "আর ১০ দিন বাকি"} {
		if !strings.Contains(txt, want) {
			t.Errorf("campaign progress lacks %q: %s", want, txt)
		}
	}
	if got := eval[string](b, `(p => p.max + "/" + p.value)(document.querySelector("progress#raised"))`); got != "10000/2500" {
		t.Errorf("progress bar %s, want 10000/2500", got)
	}
	meta := func(attr, name string) string {
		return eval[string](b, `(m => m ? m.content : "")(document.querySelector('meta[`+attr+`="`+name+`"]'))`)
	}
	if got := meta("property", "og:title"); !strings.Contains(got, "শীতে রোগীদের কম্বল") {
		t.Errorf("og:title %q", got)
	}
	if got := meta("property", "og:description"); !strings.Contains(got, "৳২,৫০০") || !strings.Contains(got, "দিন বাকি") {
		t.Errorf("og:description %q", got)
	}
	if got := meta("property", "og:url"); !strings.HasPrefix(got, "http") || !strings.Contains(got, "/d/"+slug) {
		t.Errorf("og:url %q", got)
	}
	if got := meta("name", "twitter:card"); got != "summary" {
		t.Errorf("twitter:card %q", got)
	}
	b.screenshot("campaign")
	b.checkA11yBoth("campaign page")
	b.open("/d/" + slug + "?lang=en")
	if txt := eval[string](b, `document.querySelector(".campaign").textContent`); !strings.Contains(txt, "Tk 2,500 given of a Tk 10,000 goal") || !strings.Contains(txt, "10 days left") || !strings.Contains(txt, "Gifts: 1") {
		t.Errorf("English campaign progress: %s", txt)
	}
	b.checkA11yBoth("campaign page (English)")

	// A unit's own link is no campaign: no progress, nothing to preview.
	b.open("/d/dmch?lang=bn")
	if eval[bool](b, `!!document.querySelector(".campaign") || !!document.querySelector('meta[property="og:title"]')`) {
		t.Error("the unit's own link shows campaign progress")
	}

	if st, body := apiRaw(t, http.MethodPost, "/api/v1/links/"+slug+"/disable", "", admin); st != http.StatusOK && st != http.StatusNoContent {
		t.Fatalf("disable: %d %s", st, body)
	}
	if res := fetch(t, "/d/"+slug, nil); res.Status != http.StatusGone {
		t.Errorf("a switched-off campaign: %d, want 410", res.Status)
	}
	b.open("/d/" + slug + "?lang=bn")
	main := eval[string](b, `document.querySelector("main").textContent`)
	if !strings.Contains(main, "শীতে রোগীদের কম্বল") || !strings.Contains(main, "আর দান নেওয়া হচ্ছে না") {
		t.Errorf("ended campaign page: %s", main)
	}
	if !eval[bool](b, `[...document.querySelectorAll('main a[href="/u/dmch"]')].some(a => a.textContent.trim() === "এই সমিতির হিসাব দেখুন")`) {
		t.Error("ended campaign page does not lead to the unit's accounts")
	}
	b.screenshot("campaign-ended")
	b.checkA11yBoth("ended campaign page")
}

func campaignAdmin(t testing.TB) map[string]string {
	return map[string]string{"Authorization": bearer(t, "unit_admin", "dmch", "browser-campaign-admin")}
}

// weightCampaign creates a campaign link of dmch with a goal and an end
// date for the weight test and returns its slug.
func weightCampaign(t testing.TB) string {
	t.Helper()
	slug := fmt.Sprintf("weight-%d", time.Now().UnixNano()%1_000_000_000)
	ends := time.Now().AddDate(0, 1, 0).UTC().Format(time.RFC3339)
	if st, body := apiRaw(t, http.MethodPost, "/api/v1/units/dmch/links", `{"slug":"`+slug+`","title":{"bn":"ঈদে রোগীদের পাশে","en":"With patients at Eid"},"goal":"50000","endsAt":"`+ends+`"}`, campaignAdmin(t)); st != http.StatusCreated {
		t.Fatalf("create link: %d %s", st, body)
	}
	return slug
}
