package bkash

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

func sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "responses", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// samples are answers shaped as bKash documents them, with the HTTP status
// they come with; they seed every fuzz target.
var samples = []struct {
	file   string
	status int
}{
	{"grant_ok.json", 200},
	{"grant_bad_user.json", 200},
	{"create_ok.json", 200},
	{"execute_ok.json", 200},
	{"execute_insufficient.json", 200},
	{"execute_errorcode_envelope.json", 200},
	{"query_ok.json", 200},
	{"query_initiated.json", 200},
	{"refund_ok.json", 200},
	{"refund_error_v2.json", 400},
	{"refund_status_ok.json", 200},
	{"gateway_unauthorized.json", 401},
	{"gateway_invalid_body.json", 400},
}

func addSeeds(f *testing.F) {
	for _, s := range samples {
		f.Add(s.status, sample(f, s.file))
	}
	f.Add(502, []byte("<html>Bad Gateway</html>"))
	f.Add(200, []byte(`{"statusCode":"0000","paymentID":`))
	f.Add(200, []byte(`{"statusCode":2023,"statusMessage":null}`))
	f.Add(200, []byte(`{"paymentID":"X","amount":"1e3","transactionStatus":"Completed","trxID":"T"}`))
}

// checkErr asserts the error contract: every failure is either ErrNoAnswer
// or a *StatusError, never both, never anything else.
func checkErr(t *testing.T, err error) {
	t.Helper()
	_, isStatus := statusErr(err)
	noAns := errors.Is(err, ErrNoAnswer)
	if isStatus == noAns {
		t.Fatalf("error %v: StatusError=%v ErrNoAnswer=%v, want exactly one", err, isStatus, noAns)
	}
}

func TestParsePaymentSamples(t *testing.T) {
	p, err := parsePayment(200, sample(t, "execute_ok.json"))
	if err != nil {
		t.Fatal(err)
	}
	if p.Status != StatusCompleted || p.TrxID != "CL99BMXWQ3" || p.Amount != money.Taka(500) ||
		p.Invoice != "INV-123456" || p.CustomerMSISDN != "01770618575" {
		t.Errorf("execute parsed as %+v", p)
	}
	want := time.Date(2025, 12, 9, 16, 14, 2, 114e6, time.FixedZone("", 6*3600))
	if !p.ExecuteTime.Equal(want) {
		t.Errorf("execute time %v, want %v", p.ExecuteTime, want)
	}

	q, err := parsePayment(200, sample(t, "query_ok.json"))
	if err != nil {
		t.Fatal(err)
	}
	if q.Invoice != "INV-123456" || q.Amount != money.Taka(500) || q.VerificationStatus != "Complete" {
		t.Errorf("query parsed as %+v", q)
	}
	q, err = parsePayment(200, sample(t, "query_initiated.json"))
	if err != nil || q.Amount != 1050 || q.Status != StatusInitiated {
		t.Errorf("initiated query: %+v, %v", q, err)
	}

	c, err := parsePayment(200, sample(t, "create_ok.json"))
	if err != nil || c.BkashURL == "" || c.Amount != money.Taka(10) {
		t.Errorf("create: %+v, %v", c, err)
	}
}

func TestParseErrors(t *testing.T) {
	cases := []struct {
		file     string
		status   int
		code     string
		category Category
	}{
		{"execute_insufficient.json", 200, "2023", CategoryPayer},
		{"execute_errorcode_envelope.json", 200, "2062", CategoryAlreadyDone},
		{"refund_error_v2.json", 400, "2002", CategoryState},
		{"gateway_unauthorized.json", 401, "", CategoryAuth},
		{"gateway_invalid_body.json", 400, "", CategoryRequest},
	}
	for _, c := range cases {
		_, err := parsePayment(c.status, sample(t, c.file))
		se, ok := statusErr(err)
		if !ok {
			t.Errorf("%s: got %v, want StatusError", c.file, err)
			continue
		}
		if se.Code != c.code || se.Category() != c.category || se.HTTPStatus != c.status {
			t.Errorf("%s: got %+v category %s", c.file, se, se.Category())
		}
	}
	if _, err := parseToken(200, sample(t, "grant_bad_user.json")); !hasCode(err, "9999") {
		t.Errorf("bad user: %v", err)
	}
	for _, c := range []struct {
		status int
		body   string
	}{
		{503, `{"statusCode":"503","statusMessage":"System is undergoing maintenance"}`},
		{200, `<html>`},
		{200, ``},
		{200, `{"statusCode":"0000"}`}, // no paymentID
		{200, `{"paymentID":"X","transactionStatus":"Completed"}`}, // no trxID
		{404, `{"foo":"bar"}`},
	} {
		_, err := parsePayment(c.status, []byte(c.body))
		if !errors.Is(err, ErrNoAnswer) {
			t.Errorf("HTTP %d %q: got %v, want ErrNoAnswer", c.status, c.body, err)
		}
	}
}

func TestParseRefundSamples(t *testing.T) {
	r, err := parseRefund(200, sample(t, "refund_ok.json"))
	if err != nil {
		t.Fatal(err)
	}
	if r.RefundTrxID != "BFD90JRMH9" || r.Amount != money.Taka(1) || r.OriginalAmount != 459 ||
		r.Status != StatusCompleted || r.Refunded != money.Taka(1) || r.OriginalTrxID != "BFD90JRLST" {
		t.Errorf("refund parsed as %+v", r)
	}
	rs, err := parseRefundStatus(200, sample(t, "refund_status_ok.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(rs.Transactions) != 2 || rs.Refunded != money.Taka(3) || rs.RefundTrxID != "BFD90JRMK7" {
		t.Errorf("refund status parsed as %+v", rs)
	}
	// Without an offset, times are Bangladesh time.
	want := time.Date(2024, 6, 17, 12, 27, 24, 0, time.UTC)
	if !rs.CompletedTime.Equal(want) {
		t.Errorf("completed time %v, want %v", rs.CompletedTime, want)
	}
	rs, err = parseRefundStatus(200, []byte(`{"originalTrxId":"A","originalTrxAmount":"5.00","refundTransactions":[]}`))
	if err != nil || len(rs.Transactions) != 0 || rs.RefundTrxID != "" {
		t.Errorf("empty refund status: %+v, %v", rs, err)
	}
}

func TestParseToken(t *testing.T) {
	tok, err := parseToken(200, sample(t, "grant_ok.json"))
	if err != nil || tok.IDToken == "" || tok.RefreshToken == "" || tok.ExpiresIn != time.Hour {
		t.Errorf("grant: %+v, %v", tok, err)
	}
	tok, err = parseToken(200, []byte(`{"id_token":"a","expires_in":"120"}`))
	if err != nil || tok.ExpiresIn != 2*time.Minute {
		t.Errorf("string expires_in: %+v, %v", tok, err)
	}
	tok, err = parseToken(200, []byte(`{"id_token":"a","expires_in":-5}`))
	if err != nil || tok.ExpiresIn != time.Hour {
		t.Errorf("bad expires_in: %+v, %v", tok, err)
	}
}

func TestParseTime(t *testing.T) {
	for in, want := range map[string]time.Time{
		"2024-06-13T16:27:25:422 GMT+0600": time.Date(2024, 6, 13, 10, 27, 25, 422e6, time.UTC),
		"2024-06-13T16:27:24:000":          time.Date(2024, 6, 13, 10, 27, 24, 0, time.UTC),
		"2024-06-13T10:27:24Z":             time.Date(2024, 6, 13, 10, 27, 24, 0, time.UTC),
		"20180419122246":                   time.Date(2018, 4, 19, 6, 22, 46, 0, time.UTC),
	} {
		got, ok := parseTime(in)
		if !ok || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, ok, want)
		}
	}
	if _, ok := parseTime("yesterday"); ok {
		t.Error("parsed nonsense")
	}
}

func TestCredentialsRedacted(t *testing.T) {
	c := Credentials{Username: "merchant", Password: "pw-secret", AppKey: "key-secret", AppSecret: "app-secret"}
	var b strings.Builder
	for _, s := range []string{c.String(), c.GoString(), c.LogValue().String()} {
		b.WriteString(s)
	}
	if s := b.String(); strings.Contains(s, "pw-secret") || strings.Contains(s, "key-secret") || strings.Contains(s, "app-secret") {
		t.Errorf("credentials leak: %s", s)
	}
}

func FuzzParsePayment(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		p, err := parsePayment(status, body)
		if err != nil {
			checkErr(t, err)
			return
		}
		if p.PaymentID == "" || p.Amount < 0 || (p.Status == StatusCompleted && p.TrxID == "") {
			t.Fatalf("accepted unusable payment %+v", p)
		}
	})
}

func FuzzParseToken(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		tok, err := parseToken(status, body)
		if err != nil {
			checkErr(t, err)
			return
		}
		if tok.IDToken == "" || tok.ExpiresIn < time.Second {
			t.Fatalf("accepted unusable token %+v", tok)
		}
	})
}

func FuzzParseRefund(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		r, err := parseRefund(status, body)
		if err != nil {
			checkErr(t, err)
			return
		}
		if r.RefundTrxID == "" || len(r.Transactions) != 1 || r.Amount < 0 {
			t.Fatalf("accepted unusable refund %+v", r)
		}
	})
}

func FuzzParseRefundStatus(f *testing.F) {
	addSeeds(f)
	f.Fuzz(func(t *testing.T, status int, body []byte) {
		r, err := parseRefundStatus(status, body)
		if err != nil {
			checkErr(t, err)
			return
		}
		var sum money.Amount
		for _, tr := range r.Transactions {
			if tr.RefundTrxID == "" || tr.Amount < 0 {
				t.Fatalf("accepted unusable refund transaction %+v", tr)
			}
			if tr.Status == StatusCompleted {
				sum += tr.Amount
			}
		}
		if sum != r.Refunded {
			t.Fatalf("Refunded %v, transactions sum to %v", r.Refunded, sum)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2024-06-13T16:27:25:422 GMT+0600", "2024-06-13T16:27:24:000", "20180419122246", "2024-06-13T10:27:24Z", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, okA := parseTime(s)
		b, okB := parseTime(s)
		if okA != okB || !a.Equal(b) {
			t.Fatalf("parseTime(%q) not deterministic", s)
		}
		if okA && strings.TrimSpace(s) == "" {
			t.Fatalf("parsed blank %q as %v", s, a)
		}
	})
}

func TestParseRefundV1Shape(t *testing.T) {
	r, err := parseRefund(200, []byte(`{"completedTime":"2024-06-13T16:27:25:422 GMT+0600","transactionStatus":"Completed","originalTrxID":"A","refundTrxID":"B","amount":"2.50","currency":"BDT"}`))
	if err != nil || r.RefundTrxID != "B" || r.OriginalTrxID != "A" || r.Amount != 250 || r.Status != StatusCompleted {
		t.Fatalf("pre-v2 refund answer: %+v, %v", r, err)
	}
}
