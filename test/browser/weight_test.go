package browser

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/andybalholm/brotli"
)

// pageBudget is the most a donor page may weigh on the wire, compressed,
// before images (it has none): issue #3's 30 KB.
const pageBudget = 30 * 1024

// page is one donor page to weigh.
type weighed struct {
	name, method, path string
	form               url.Values
	status             int
}

// donorPages are every donor page in each state worth weighing; the status
// and error-form pages need a donation, made here through the API.
func donorPages(t testing.TB) []weighed {
	t.Helper()
	id := createDonation(t, "dmch", fmt.Sprintf("weight-%d", time.Now().UnixNano()))
	campaign := weightCampaign(t)
	bad := url.Values{"key": {"weight-bad"}, "amount_other": {"5"}, "kind": {"zakat"}, "phone": {"123"}, "email": {"x"}, "tin": {"12"}}
	return []weighed{
		{"home (538 units)", "GET", "/", nil, 200},
		{"home en", "GET", "/?lang=en", nil, 200},
		{"home division Dhaka", "GET", "/?division=Dhaka", nil, 200},
		{"home search", "GET", "/?q=" + url.QueryEscape("কুমিল্লা"), nil, 200},
		{"home search, too many", "GET", "/?q=upazila&lang=en", nil, 200},
		{"donate", "GET", "/d/dmch", nil, 200},
		{"donate en", "GET", "/d/dmch?lang=en", nil, 200},
		{"campaign", "GET", "/d/" + campaign, nil, 200},
		{"campaign en", "GET", "/d/" + campaign + "?lang=en", nil, 200},
		{"donate with errors", "POST", "/d/dmch", bad, 422},
		{"donate with errors en", "POST", "/d/dmch?lang=en", bad, 422},
		{"status (awaiting payment)", "GET", "/donations/" + id, nil, 200},
		{"zakat", "GET", "/zakat", nil, 200},
		{"zakat result", "GET", "/zakat?calc=1&unit=dmch&cash=500000&gold=11.664&silver=50&debts=10000&basis=silver", nil, 200},
		{"zakat with errors", "GET", "/zakat?calc=1&cash=abc&gold=-1", nil, 422},
		{"unit transparency", "GET", "/u/dmch", nil, 200},
		{"national ledger (538 units)", "GET", "/ledger", nil, 200},
		{"national ledger, one fiscal year", "GET", "/ledger?fy=2025-26&lang=en", nil, 200},
		{"bkash app gift", "GET", "/u/dmch/bkash-app", nil, 200},
		{"bkash app gift with errors", "POST", "/u/dmch/bkash-app", url.Values{"trx": {"x"}, "phone": {"1"}}, 422},
		{"rebate", "GET", "/rebate", nil, 200},
		{"privacy", "GET", "/privacy", nil, 200},
		{"refunds", "GET", "/refunds", nil, 200},
		{"contact", "GET", "/contact", nil, 200},
		{"contact search", "GET", "/contact?q=" + url.QueryEscape("উপজেলা"), nil, 200},
		{"contact of a unit", "GET", "/contact?unit=dmch", nil, 200},
		{"statement", "GET", "/statement", nil, 200},
		{"statement with errors", "POST", "/statement", url.Values{"phone": {"1"}, "fy": {"x"}}, 422},
		{"statement requested", "GET", "/statement?sent=1&fy=2025-26", nil, 200},
		{"unknown receipt", "GET", "/r/don_nosuchreceipt", nil, 404},
		{"my gifts sign-in", "GET", "/my", nil, 200},
		{"unknown link", "GET", "/d/no-such-link", nil, 404},
		{"unknown page", "GET", "/no/such/page", nil, 404},
	}
}

// TestPageWeight fetches every donor page as a phone browser does
// (Accept-Encoding: gzip, br) and checks what crosses the wire, headers and
// compressed body, stays within 30 KB. The pages must also stand alone:
// no scripts, no external stylesheets or fonts, the right lang attribute.
func TestPageWeight(t *testing.T) {
	for _, p := range donorPages(t) {
		t.Run(p.name, func(t *testing.T) {
			res, wire, body := fetchCompressed(t, p)
			if res.StatusCode != p.status {
				t.Fatalf("status %d, want %d: %s", res.StatusCode, p.status, body)
			}
			enc := res.Header.Get("Content-Encoding")
			if enc != "br" {
				t.Errorf("Content-Encoding %q, want br", enc)
			}
			if wire > pageBudget {
				t.Errorf("%d bytes on the wire, budget %d", wire, pageBudget)
			}
			t.Logf("%-28s %6d bytes on the wire (%s), %6d bytes of HTML", p.name, wire, enc, len(body))
			html := string(body)
			for _, banned := range []string{"<script", "<link", "@font-face", "<img"} {
				if strings.Contains(html, banned) {
					t.Errorf("page contains %s", banned)
				}
			}
			wantLang := `<html lang="bn">`
			if strings.Contains(p.path, "lang=en") {
				wantLang = `<html lang="en">`
			}
			if !strings.Contains(html, wantLang) {
				t.Errorf("page lacks %s", wantLang)
			}
		})
	}
}

// TestPageWeightGzip checks the budget for browsers without brotli too.
func TestPageWeightGzip(t *testing.T) {
	res, wire, _ := fetchCompressed(t, weighed{"home gzip", "GET", "/", nil, 200}, "gzip")
	if res.Header.Get("Content-Encoding") != "gzip" || wire > pageBudget {
		t.Fatalf("home over gzip: %s, %d bytes", res.Header.Get("Content-Encoding"), wire)
	}
}

// fetchCompressed requests the page without letting Go decompress it, and
// returns the response, the bytes on the wire (status line, headers, body)
// and the decompressed body.
func fetchCompressed(t testing.TB, p weighed, acceptEncoding ...string) (*http.Response, int, []byte) {
	t.Helper()
	ae := "gzip, deflate, br"
	if len(acceptEncoding) > 0 {
		ae = acceptEncoding[0]
	}
	var rd io.Reader
	if p.form != nil {
		rd = strings.NewReader(p.form.Encode())
	}
	req, err := http.NewRequest(p.method, stack.APIURL()+p.path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if p.form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	req.Header.Set("Accept", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8")
	req.Header.Set("Accept-Encoding", ae)
	c := &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{DisableCompression: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", p.method, p.path, err)
	}
	defer res.Body.Close()
	raw, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatal(err)
	}
	var hdr bytes.Buffer
	fmt.Fprintf(&hdr, "HTTP/1.1 %s\r\n", res.Status)
	_ = res.Header.Write(&hdr)
	hdr.WriteString("\r\n")
	var body []byte
	switch res.Header.Get("Content-Encoding") {
	case "br":
		body, err = io.ReadAll(brotli.NewReader(bytes.NewReader(raw)))
	case "gzip":
		var zr *gzip.Reader
		if zr, err = gzip.NewReader(bytes.NewReader(raw)); err == nil {
			body, err = io.ReadAll(zr)
		}
	default:
		body = raw
	}
	if err != nil {
		t.Fatalf("decompress %s: %v", p.path, err)
	}
	return res, hdr.Len() + len(raw), body
}
