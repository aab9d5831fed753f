package browser

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
)

// TestDonateWhileBKashIsDown: when bKash refuses to create the payment, the
// donor gets the form back as typed, with a message that nothing was taken,
// and pressing Pay again works once bKash is back.
func TestDonateWhileBKashIsDown(t *testing.T) {
	if err := stack.Sandbox.SetFaults(bkashsandbox.Faults{Create: bkashsandbox.FaultUnavailable}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = stack.Sandbox.SetFaults(bkashsandbox.Faults{Create: bkashsandbox.FaultNone}) })
	vals := url.Values{"key": {"bkash-down-form"}, "amount": {"2000"}, "kind": {"sadaqah"}, "name": {"করিম"}, "phone": {"01812345678"}}
	status, _, body := postForm(t, "/d/dmch", vals)
	if status != http.StatusServiceUnavailable || !strings.Contains(body, "কোনো টাকা কাটা হয়নি") ||
		!strings.Contains(body, `value="করিম"`) || !strings.Contains(body, `value="2000" checked`) || !strings.Contains(body, `value="bkash-down-form"`) {
		t.Fatalf("bKash down: %d\n%s", status, body)
	}
	if err := stack.Sandbox.SetFaults(bkashsandbox.Faults{Create: bkashsandbox.FaultNone}); err != nil {
		t.Fatal(err)
	}
	if status, loc, body := postForm(t, "/d/dmch", vals); status != http.StatusSeeOther || !strings.Contains(loc, "/redirect/tokenized/?paymentID=") {
		t.Fatalf("after bKash is back: %d %s %s", status, loc, body)
	}
}

func postForm(t testing.TB, path string, vals url.Values) (int, string, string) {
	t.Helper()
	r := web.Do(t, http.MethodPost, path, vals, map[string]string{"Accept": "text/html"})
	return r.Status, r.Header.Get("Location"), string(r.Body)
}
