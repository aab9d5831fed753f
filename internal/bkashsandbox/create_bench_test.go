package bkashsandbox

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// BenchmarkCreate is the sandbox's side of every donation create: its CPU
// competes with the API's in the intake benchmark (docs/benchmarks.md).
func BenchmarkCreate(b *testing.B) {
	srv, err := New(Config{Merchants: []Credentials{testMerchant}, PublicURL: "http://127.0.0.1:8090"})
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	h := srv.Handler()
	req := httptest.NewRequest("POST", "/v1.2.0-beta/tokenized/checkout/token/grant", strings.NewReader(`{"app_key":"key","app_secret":"secret"}`))
	req.Header.Set("username", testMerchant.Username)
	req.Header.Set("password", testMerchant.Password)
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	var tok struct {
		IDToken string `json:"id_token"`
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &tok); err != nil || tok.IDToken == "" {
		b.Fatalf("grant: %d %s", rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		body := fmt.Sprintf(`{"mode":"0011","payerReference":"01712345678","callbackURL":"http://127.0.0.1:8080/api/v1/donations/don_%d/bkash-callback","amount":"500.00","currency":"BDT","intent":"sale","merchantInvoiceNumber":"don_%d"}`, i, i)
		req := httptest.NewRequest("POST", "/v1.2.0-beta/tokenized/checkout/create", strings.NewReader(body))
		req.Header.Set("Authorization", tok.IDToken)
		req.Header.Set("X-APP-Key", "key")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("create: %d %s", rec.Code, rec.Body)
		}
	}
}
