package browser

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kalyan-platform/kalyan/internal/notify"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// sentTo returns the messages of kind the notification outbox holds for a
// number (the embedded default writes every SMS to a file).
func sentTo(t testing.TB, to, kind string) []notify.FileLine {
	t.Helper()
	b, err := os.ReadFile(stack.Config.Notify.File)
	if os.IsNotExist(err) {
		return nil
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []notify.FileLine
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l notify.FileLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			t.Fatalf("notification line %q: %v", sc.Text(), err)
		}
		if l.To == to && l.Kind == kind {
			out = append(out, l)
		}
	}
	return out
}

// waitSent waits for the n-th message of kind to a number.
func waitSent(t testing.TB, to, kind string, n int) notify.FileLine {
	t.Helper()
	deadline := time.Now().Add(hang)
	for {
		if got := sentTo(t, to, kind); len(got) >= n {
			return got[n-1]
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s message #%d to %s", kind, n, to)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestStatementPage (issue 19): the Bengali statement page takes a mobile
// number and a fiscal year and sends the statement link by SMS, explains
// bad input beside the field, and is linked from the footer, the status
// page and the verification page.
func TestStatementPage(t *testing.T) {
	const phone = "01512345678"
	id := cashGift(t, "dmch", `{"amount":"700","kind":"general","donor":{"name":"Statement Donor","phone":"`+phone+`"}}`)
	b := newBrowser(t)
	for _, from := range []string{"/donations/" + id, "/r/" + id} {
		b.open(from + "?lang=bn")
		if !eval[bool](b, `!!document.querySelector('main a[href="/statement"]')`) {
			t.Errorf("%s does not link the statement page", from)
		}
	}
	b.submit(`main a[href="/statement"]`)
	if h1 := eval[string](b, `document.querySelector("h1").textContent`); h1 != "বার্ষিক দানের বিবরণী" {
		t.Fatalf("statement page heading %q", h1)
	}
	b.screenshot("statement")
	b.checkA11yBoth("statement page")

	// Bad input: explained in Bengali beside the field, 422.
	b.do("a wrong number", chromedp.SendKeys(chromedp.CSS(`#phone`), "12345"))
	b.submit(`main form button[type=submit]`)
	if got := eval[string](b, `document.getElementById("phone-err").textContent`); !strings.Contains(got, "বাংলাদেশের মোবাইল নম্বর") ||
		!eval[bool](b, `!!document.querySelector('.summary a[href="#phone"]')`) {
		t.Errorf("phone error %q", got)
	}
	b.checkA11yBoth("statement page with an error")
	res, _, _ := fetchCompressed(t, weighed{"statement error", "POST", "/statement", map[string][]string{"phone": {"1"}, "fy": {"2025-26"}}, 422})
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("bad statement form: %d, want 422", res.StatusCode)
	}

	// The donor's number and this fiscal year: the link arrives by SMS.
	fy := receipts.FiscalYear(time.Now())
	b.do("the right number and year", chromedp.SetValue(chromedp.CSS(`#phone`), "০১৫১২৩৪৫৬৭৮"), chromedp.SetValue(chromedp.CSS(`#fy`), fy))
	b.submit(`main form button[type=submit]`)
	if txt := eval[string](b, `document.querySelector("[role=status]").textContent`); !strings.Contains(txt, "এসএমএসে পাঠানো হয়েছে") {
		t.Fatalf("after asking: %q", txt)
	}
	b.checkA11yBoth("statement requested")
	sms := waitSent(t, phone, "statement-link", 1)
	link := sms.Text[strings.Index(sms.Text, "/s/"):]
	link, _, _ = strings.Cut(link, " ")
	pdf := fetch(t, link, nil)
	if pdf.Status != http.StatusOK || pdf.Header.Get("Content-Type") != "application/pdf" || !bytes.HasPrefix(pdf.Body, []byte("%PDF-")) {
		t.Fatalf("statement link %s: %d %s", link, pdf.Status, pdf.Header.Get("Content-Type"))
	}
}
