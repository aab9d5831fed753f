package bkashsandbox

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var testMerchant = Credentials{Username: "rks-1", Password: "pw", AppKey: "key", AppSecret: "secret", Name: "Rajshahi Medical College Hospital RKS"}

type harness struct {
	t     *testing.T
	srv   *Server
	ts    *httptest.Server
	token string
}

func newHarness(t *testing.T, cfg Config) *harness {
	t.Helper()
	if cfg.Merchants == nil {
		cfg.Merchants = []Credentials{testMerchant}
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	t.Cleanup(func() { srv.Close(); ts.Close() })
	h := &harness{t: t, srv: srv, ts: ts}
	status, body := h.do("/v1.2.0-beta/tokenized/checkout/token/grant",
		map[string]string{"username": testMerchant.Username, "password": testMerchant.Password},
		`{"app_key":"key","app_secret":"secret"}`)
	if status != 200 || body["statusCode"] != "0000" || body["token_type"] != "Bearer" || body["expires_in"] != float64(3600) {
		t.Fatalf("grant: %d %v", status, body)
	}
	h.token = body["id_token"].(string)
	return h
}

func (h *harness) do(path string, headers map[string]string, reqBody string) (int, map[string]any) {
	h.t.Helper()
	req, err := http.NewRequest(http.MethodPost, h.ts.URL+path, strings.NewReader(reqBody))
	if err != nil {
		h.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range headers {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		h.t.Fatal(err)
	}
	defer resp.Body.Close()
	var out map[string]any
	b, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(b, &out); err != nil {
		h.t.Fatalf("%s: HTTP %d body %q is not JSON", path, resp.StatusCode, b)
	}
	return resp.StatusCode, out
}

func (h *harness) api(path, reqBody string) (int, map[string]any) {
	h.t.Helper()
	return h.do(path, map[string]string{"Authorization": h.token, "X-APP-Key": "key"}, reqBody)
}

func (h *harness) create(callback, invoice string) string {
	h.t.Helper()
	status, body := h.api("/v1.2.0-beta/tokenized/checkout/create", `{"mode":"0011","payerReference":"ref","callbackURL":"`+callback+
		`","amount":"500","currency":"BDT","intent":"sale","merchantInvoiceNumber":"`+invoice+`"}`)
	if status != 200 || body["statusCode"] != "0000" || body["amount"] != "500.00" || body["transactionStatus"] != "Initiated" {
		h.t.Fatalf("create: %d %v", status, body)
	}
	return body["paymentID"].(string)
}

func get(t *testing.T, target string) (int, string) {
	t.Helper()
	resp, err := http.Get(target)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func postForm(t *testing.T, target string, form url.Values) (int, string, string) {
	t.Helper()
	hc := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(target, form)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("Location"), string(b)
}

func TestPayerPage(t *testing.T) {
	h := newHarness(t, Config{})
	id := h.create("https://kalyan.test/cb", "INV-1")
	status, html := get(t, h.ts.URL+"/pay/"+id)
	if status != 200 {
		t.Fatalf("page: HTTP %d", status)
	}
	for _, want := range []string{`<html lang="en">`, `name="viewport"`, `<label for="wallet">`, `id="wallet"`,
		`value="pay"`, `value="cancel"`, `value="fail"`, "Rajshahi Medical College Hospital RKS", "500.00", "INV-1"} {
		if !strings.Contains(html, want) {
			t.Errorf("page lacks %q", want)
		}
	}
	if strings.Contains(html, "<script") {
		t.Error("page must work without JavaScript")
	}

	status, html = get(t, h.ts.URL+"/pay/TR0011missing")
	if status != http.StatusNotFound || !strings.Contains(html, `lang="en"`) || !strings.Contains(html, "not found") {
		t.Fatalf("unknown payment: HTTP %d", status)
	}

	// A bad wallet number re-renders the form with an error tied to the field.
	status, _, html = postForm(t, h.ts.URL+"/pay/"+id, url.Values{"action": {"pay"}, "wallet": {"12345"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(html, `role="alert"`) || !strings.Contains(html, `aria-invalid="true"`) {
		t.Fatalf("bad wallet: HTTP %d", status)
	}
	status, loc, _ := postForm(t, h.ts.URL+"/pay/"+id, url.Values{"action": {"pay"}, "wallet": {"+880 1812-345678"}})
	// bKash sends the payer back with paymentID and status, and (as
	// integrators report) a signature and the API version.
	if status != http.StatusSeeOther || !strings.HasPrefix(loc, "https://kalyan.test/cb?paymentID="+id+"&status=success&signature=") ||
		!strings.HasSuffix(loc, "&apiVersion=v1.2.0-beta") {
		t.Fatalf("pay: HTTP %d to %q", status, loc)
	}
	if info, _ := h.srv.Payment(id); !info.Authorised || info.Wallet != "01812345678" {
		t.Fatalf("after pay: %+v", info)
	}
	// Submitting again (back button) lands on the same callback; cancelling now is refused.
	status, loc2, _ := postForm(t, h.ts.URL+"/pay/"+id, url.Values{"action": {"pay"}})
	if status != http.StatusSeeOther || loc2 != loc {
		t.Fatalf("second pay: HTTP %d to %q", status, loc2)
	}
	if status, _, _ := postForm(t, h.ts.URL+"/pay/"+id, url.Values{"action": {"cancel"}}); status != http.StatusConflict {
		t.Fatalf("cancel after pay: HTTP %d", status)
	}
	if status, _, _ := postForm(t, h.ts.URL+"/pay/"+id, url.Values{"action": {"steal"}}); status != http.StatusBadRequest {
		t.Fatalf("unknown action: HTTP %d", status)
	}
}

func TestCallbackWith(t *testing.T) {
	for in, want := range map[string]string{
		"https://k.test/cb":           "https://k.test/cb?paymentID=P1&status=cancel",
		"https://k.test/cb?unit=7":    "https://k.test/cb?unit=7&paymentID=P1&status=cancel",
		"https://k.test/cb?":          "https://k.test/cb?paymentID=P1&status=cancel",
		"https://k.test/cb?a=1#frag":  "https://k.test/cb?a=1&paymentID=P1&status=cancel#frag",
		"http://127.0.0.1:8080/c?x=&": "http://127.0.0.1:8080/c?x=&paymentID=P1&status=cancel",
	} {
		if got := callbackWith(in, "P1", "cancel"); got != want {
			t.Errorf("callbackWith(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAPIErrors(t *testing.T) {
	h := newHarness(t, Config{})
	const create = "/v1.2.0-beta/tokenized/checkout/create"
	good := map[string]string{"mode": "0011", "payerReference": "r", "callbackURL": "https://k.test/cb", "amount": "10.50",
		"currency": "BDT", "intent": "sale", "merchantInvoiceNumber": "I-1"}
	for field, c := range map[string]struct{ value, code string }{
		"mode":                  {"0001", "2063"},
		"callbackURL":           {"javascript:alert(1)", "2049"},
		"amount":                {"10.505", "2006"},
		"currency":              {"USD", "2007"},
		"intent":                {"authorization", "2008"},
		"merchantInvoiceNumber": {"a&b", "2031"},
		"payerReference":        {"", "2065"},
	} {
		req := map[string]string{}
		for k, v := range good {
			req[k] = v
		}
		req[field] = c.value
		b, _ := json.Marshal(req)
		status, body := h.api(create, string(b))
		if status != 200 || body["statusCode"] != c.code || body["statusMessage"] == "" {
			t.Errorf("%s=%q: %d %v, want %s", field, c.value, status, body, c.code)
		}
	}

	if status, body := h.do(create, map[string]string{"X-APP-Key": "key"}, `{}`); status != 401 || body["message"] != "Unauthorized" {
		t.Errorf("no token: %d %v", status, body)
	}
	if status, body := h.do(create, map[string]string{"Authorization": "Bearer " + h.token, "X-APP-Key": "other"}, `{}`); status != 200 || body["statusCode"] != "2001" {
		t.Errorf("wrong app key: %d %v", status, body)
	}
	if status, body := h.api(create, `{not json`); status != 400 || body["message"] != "Invalid request body" {
		t.Errorf("bad JSON: %d %v", status, body)
	}
	if status, body := h.api("/v1.2.0-beta/v2/tokenized-checkout/refund/payment/transaction", `{}`); status != 403 || body["message"] != "Missing Authentication Token" {
		t.Errorf("unknown route: %d %v", status, body)
	}
	// The v2 refund API has its own envelope and insists on sku and reason.
	const refund = "/v2/tokenized-checkout/refund/payment/transaction"
	if status, body := h.api(refund, `{"paymentId":"P","trxId":"T","refundAmount":"1"}`); status != 400 || body["message"] != "Invalid request body" {
		t.Errorf("refund without sku: %d %v", status, body)
	}
	status, body := h.api(refund, `{"paymentId":"P","trxId":"T","refundAmount":"1","sku":"s","reason":"r"}`)
	if status != 400 || body["externalCode"] != "2002" || body["errorMessageEn"] != "Invalid Payment ID" || body["internalCode"] != "invalid_payment_id" {
		t.Errorf("refund of unknown payment: %d %v", status, body)
	}
	// Wrong grant credentials.
	status, body = h.do("/v1.2.0-beta/tokenized/checkout/token/grant", map[string]string{"username": "x", "password": "y"}, `{"app_key":"key","app_secret":"secret"}`)
	if status != 200 || body["statusCode"] != "9999" {
		t.Errorf("unknown user: %d %v", status, body)
	}
}

func TestQueryAnswer(t *testing.T) {
	h := newHarness(t, Config{})
	id := h.create("https://k.test/cb", "INV-Q")
	status, body := h.api("/v1.2.0-beta/tokenized/checkout/payment/status", `{"paymentID":"`+id+`"}`)
	if status != 200 || body["merchantInvoice"] != "INV-Q" || body["verificationStatus"] != "Incomplete" || body["mode"] != "0011" {
		t.Fatalf("query: %d %v", status, body)
	}
	if _, ok := body["paymentCreateTime"].(string); !ok || !strings.HasSuffix(body["paymentCreateTime"].(string), " GMT+0600") {
		t.Errorf("paymentCreateTime %v", body["paymentCreateTime"])
	}
}

func TestFaultsEndpoints(t *testing.T) {
	h := newHarness(t, Config{})
	put := func(path, body string) int {
		req, _ := http.NewRequest(http.MethodPut, h.ts.URL+path, strings.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if s := put("/sandbox/faults", `{"execute":"timeout","query":"unavailable"}`); s != 200 {
		t.Fatalf("PUT faults: HTTP %d", s)
	}
	if f := h.srv.Faults(); f.Execute != FaultTimeout || f.Query != FaultUnavailable {
		t.Fatalf("faults %+v", f)
	}
	for body, want := range map[string]int{
		`{"execute":"explode"}`:            400,
		`{"query":"insufficient_balance"}`: 400,
		`{"create":"cancel"}`:              400,
		`{"unknown":"none"}`:               400,
	} {
		if s := put("/sandbox/faults", body); s != want {
			t.Errorf("PUT %s: HTTP %d, want %d", body, s, want)
		}
	}
	if s := put("/sandbox/payments/nope/faults", `{"execute":"fail"}`); s != 404 {
		t.Errorf("unknown payment: HTTP %d", s)
	}
	if s := put("/sandbox/faults", `{}`); s != 200 {
		t.Fatal("reset")
	}
	id := h.create("https://k.test/cb", "INV-F")
	if s := put("/sandbox/payments/"+id+"/faults", `{"create":"fail"}`); s != 400 {
		t.Errorf("create fault per payment: HTTP %d", s)
	}
	if s := put("/sandbox/payments/"+id+"/faults", `{"query":"fail"}`); s != 200 {
		t.Errorf("query fault per payment: HTTP %d", s)
	}
	status, body := h.api("/v1.2.0-beta/tokenized/checkout/payment/status", `{"paymentID":"`+id+`"}`)
	if status != 200 || body["statusCode"] != "2003" {
		t.Errorf("query with fail fault: %d %v", status, body)
	}
	status, page := get(t, h.ts.URL+"/sandbox/payments/"+id)
	if status != 200 || !strings.Contains(page, `"query":"fail"`) || !strings.Contains(page, `"amount":"500.00"`) {
		t.Errorf("GET payment: %d %s", status, page)
	}
}

func TestSettlementEndpoint(t *testing.T) {
	h := newHarness(t, Config{})
	status, body := get(t, h.ts.URL+"/sandbox/merchants/rks-1/settlement")
	if status != 200 {
		t.Fatalf("HTTP %d", status)
	}
	var s map[string]any
	if err := json.Unmarshal([]byte(body), &s); err != nil {
		t.Fatal(err)
	}
	if s["completedTotal"] != "0.00" || s["refundedTotal"] != "0.00" || s["completedCount"] != float64(0) || s["currency"] != "BDT" {
		t.Fatalf("settlement %v", s)
	}
	if status, _ := get(t, h.ts.URL+"/sandbox/merchants/stranger/settlement"); status != 404 {
		t.Fatalf("unknown merchant: HTTP %d", status)
	}
}

func TestStoreRecovery(t *testing.T) {
	dir := t.TempDir()
	h := newHarness(t, Config{DataDir: dir})
	id := h.create("https://k.test/cb", "INV-S")
	if err := h.srv.Close(); err != nil {
		t.Fatal(err)
	}
	// A crash mid-append leaves a last line without newline: dropped.
	path := filepath.Join(dir, logName)
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"paymentID":"TR0011half`)
	f.Close()
	srv, err := New(Config{DataDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	if _, ok := srv.Payment(id); !ok {
		t.Fatal("payment lost")
	}
	if ids := srv.Payments(""); len(ids) != 1 {
		t.Fatalf("payments %v", ids)
	}
	srv.Close()
	// Compaction removed the torn line.
	data, _ := os.ReadFile(path)
	if bytes.Contains(data, []byte("half")) || !bytes.HasSuffix(data, []byte("\n")) {
		t.Fatalf("log not compacted: %q", data)
	}
	// Damage in the middle is not silently ignored.
	os.WriteFile(path, append([]byte("garbage\n"), data...), 0o640)
	if _, err := New(Config{DataDir: dir}); err == nil {
		t.Fatal("damaged log accepted")
	}
}

func TestCloseReleasesHeldRequests(t *testing.T) {
	h := newHarness(t, Config{})
	if err := h.srv.SetFaults(Faults{Query: FaultTimeout}); err != nil {
		t.Fatal(err)
	}
	id := h.create("https://k.test/cb", "INV-H")
	done := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest(http.MethodPost, h.ts.URL+"/v1.2.0-beta/tokenized/checkout/payment/status", strings.NewReader(`{"paymentID":"`+id+`"}`))
		req.Header.Set("Authorization", h.token)
		req.Header.Set("X-APP-Key", "key")
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
		}
		done <- err
	}()
	// Wait until the request is being held, then close.
	for h.srv.Stats().Queries == 0 {
		time.Sleep(time.Millisecond)
		select {
		case err := <-done:
			t.Fatalf("request answered while held: %v", err)
		default:
		}
	}
	h.srv.Close()
	<-done
}

func TestOpenMode(t *testing.T) {
	srv, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer func() { srv.Close(); ts.Close() }()
	req, _ := http.NewRequest(http.MethodPost, ts.URL+"/v1.2.0-beta/tokenized/checkout/token/grant", strings.NewReader(`{"app_key":"k","app_secret":"s"}`))
	req.Header.Set("username", "any-unit")
	req.Header.Set("password", "any")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var body map[string]any
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if body["statusCode"] != "0000" {
		t.Fatalf("open mode grant: %v", body)
	}
	req, _ = http.NewRequest(http.MethodPost, ts.URL+"/v1.2.0-beta/tokenized/checkout/token/grant", strings.NewReader(`{"app_key":"k","app_secret":""}`))
	req.Header.Set("username", "any-unit")
	req.Header.Set("password", "any")
	resp, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	json.NewDecoder(resp.Body).Decode(&body)
	resp.Body.Close()
	if body["statusCode"] != "2065" {
		t.Fatalf("open mode with empty secret: %v", body)
	}
}
