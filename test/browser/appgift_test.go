package browser

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// TestClaimGiftMadeInTheBKashApp: a donor who gave to dmch in the bKash app
// finds "got my receipt" from the donate page, types the TrxID from bKash's
// SMS and the number (on a Bengali keyboard); an unknown TrxID gets a
// Bengali answer in the error summary; the right one lands on the status
// page with the signed receipt. Each state is checked with axe-core.
func TestClaimGiftMadeInTheBKashApp(t *testing.T) {
	b := newBrowser(t)
	b.open("/d/dmch")
	b.submit(`a[href="/u/dmch/bkash-app"]`)
	if got := eval[string](b, `document.documentElement.lang`); got != "bn" {
		t.Fatalf("claim page lang %q, want bn", got)
	}
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); !strings.Contains(h1, "বিকাশ অ্যাপে দান করেছেন") {
		t.Fatalf("heading %q", h1)
	}
	b.screenshot("appgift")
	b.checkA11y("bKash app gift page")

	// A TrxID bKash does not know.
	b.do("claim an unknown TrxID",
		chromedp.SendKeys(chromedp.CSS(`#trx`), "ZZZZZZZZZZ"),
		chromedp.SendKeys(chromedp.CSS(`#phone`), "০১৮১২৩৪৫৬৭৯"),
	)
	b.submit(`main form button[type=submit]`)
	summary := eval[string](b, `document.querySelector(".summary").textContent`)
	if !strings.Contains(summary, "কোনো সম্পন্ন দান পাওয়া যায়নি") {
		t.Fatalf("unknown TrxID: summary %q", summary)
	}
	if !eval[bool](b, `!!document.querySelector('.summary a[href="#trx"]')`) {
		t.Error("the summary does not lead to the TrxID field")
	}
	b.screenshot("appgift-not-found")
	b.checkA11y("bKash app gift page, TrxID not found")

	// The donor's real gift, made in the app.
	trx, err := stack.Sandbox.RecordAppPayment("rks-dmch", bkashsandbox.AppPayment{Amount: money.Taka(1500), Payer: "01812345679"})
	if err != nil {
		t.Fatal(err)
	}
	b.do("claim the gift",
		chromedp.SetValue(chromedp.CSS(`#trx`), strings.ToLower(trx)),
		chromedp.Click(chromedp.CSS(`#kind-zakat`)),
		chromedp.SendKeys(chromedp.CSS(`#name`), "রহিমা খাতুন"),
	)
	b.submit(`main form button[type=submit]`)
	if loc := b.location(); !strings.Contains(loc, "/donations/don_") {
		t.Fatalf("after the claim at %s, want the status page", loc)
	}
	b.until("the receipt link", `!!document.querySelector('a[href^="/r/"]')`)
	txt := eval[string](b, `document.querySelector("main").textContent`)
	for _, want := range []string{"৳১,৫০০", "যাকাত", trx} {
		if !strings.Contains(txt, want) {
			t.Errorf("status page lacks %q: %s", want, txt)
		}
	}
	b.screenshot("appgift-receipted")
	b.checkA11y("status page of a claimed app gift")

	// Claimed again by someone else: already received, said in Bengali.
	b.open("/u/dmch/bkash-app")
	b.do("claim it again with another number",
		chromedp.SendKeys(chromedp.CSS(`#trx`), trx),
		chromedp.SendKeys(chromedp.CSS(`#phone`), "01912345679"),
	)
	b.submit(`main form button[type=submit]`)
	if s := eval[string](b, `document.querySelector(".summary").textContent`); !strings.Contains(s, "আগেই হিসাবে উঠেছে") {
		t.Fatalf("already claimed: summary %q", s)
	}
	b.checkA11y("bKash app gift page, already claimed")
}
