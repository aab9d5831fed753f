package bkashsandbox

import (
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// Messages for the codes the sandbox answers, worded as on bKash's
// error-code page.
var messages = map[string]string{
	"0000": "Successful",
	"2001": "Invalid App Key",
	"2002": "Invalid Payment ID",
	"2003": "Process failed",
	"2006": "Invalid amount",
	"2007": "Invalid currency",
	"2008": "Invalid intent",
	"2023": "Insufficient Balance",
	"2026": "The reversal amount cannot be greater than the original transaction amount",
	"2029": "Duplicate for all transactions",
	"2031": "Invalid merchant invoice number",
	"2033": "Transaction not found",
	"2034": "The transaction cannot be reversed because the original transaction has been reversed",
	"2048": "Invalid Payer Reference",
	"2049": "Invalid Merchant Callback URL",
	"2056": "Invalid Payment State",
	"2060": "Payment execution pre-requisite hasn't been met",
	"2063": "Mode is not valid as per request data",
	"2065": "Mendatory field missing", // sic, as bKash spells it
	"2071": "Refund after 60 days not allowed",
	"2072": "Refund amount not valid",
	"2074": "The transaction cannot be reversed",
	"2075": "SKU Character Limit Exceeded",
	"2076": "Reason Character Limit Exceeded",
	"2077": "Invalid TrxID",
	"2117": "The payment execution has already been completed",
	"2127": "Transaction not yet completed",
	"503":  "System is undergoing maintenance. Please try again later",
	"9999": "Username does not exist",
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		http.Error(w, "encode answer", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(status)
	w.Write(b)
}

// writeStatus answers the tokenized endpoints' error envelope (HTTP 200).
func writeStatus(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]string{"statusCode": code, "statusMessage": messages[code]})
}

// writeRefundError answers the v2 refund API's error envelope (HTTP 400).
func writeRefundError(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusBadRequest, map[string]any{
		"internalCode":   slug(messages[code]),
		"externalCode":   code,
		"errorMessageEn": messages[code],
		"errorMessageBn": nil,
	})
}

func writeInvalidBody(w http.ResponseWriter) {
	writeJSON(w, http.StatusBadRequest, map[string]string{"message": "Invalid request body"})
}

func writeUnavailable(w http.ResponseWriter) {
	writeJSON(w, http.StatusServiceUnavailable, map[string]string{"statusCode": "503", "statusMessage": messages["503"]})
}

func writeMalformed(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	w.Write([]byte(`{"statusCode":"0000","paymentID":<html>upstream`))
}

func slug(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			b.WriteRune(r)
		case b.Len() > 0 && !strings.HasSuffix(b.String(), "_"):
			b.WriteByte('_')
		}
	}
	return strings.TrimSuffix(b.String(), "_")
}

// body is a decoded JSON request; values may be strings or numbers.
type body map[string]json.RawMessage

func readBody(r *http.Request) (body, bool) {
	var b body
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	if err := dec.Decode(&b); err != nil || b == nil {
		return nil, false
	}
	return b, true
}

// str returns a string or number field as text and whether it was present.
func (b body) str(key string) (string, bool) {
	v, ok := b[key]
	if !ok {
		return "", false
	}
	v = bytes.TrimSpace(v)
	if len(v) == 0 || bytes.Equal(v, []byte("null")) {
		return "", false
	}
	if v[0] == '"' {
		var s string
		if json.Unmarshal(v, &s) != nil {
			return "", false
		}
		return s, true
	}
	if v[0] == '-' || (v[0] >= '0' && v[0] <= '9') {
		return string(v), true
	}
	return "", false
}

func (b body) get(key string) string {
	s, _ := b.str(key)
	return strings.TrimSpace(s)
}

// dhaka is Bangladesh Standard Time, the zone of bKash's timestamps.
var dhaka = time.FixedZone("BST", 6*60*60)

// bkashTime formats t the way bKash does: "2024-06-13T16:27:25:422 GMT+0600".
func bkashTime(t time.Time) string {
	t = t.In(dhaka)
	return fmt.Sprintf("%s:%03d GMT+0600", t.Format("2006-01-02T15:04:05"), t.Nanosecond()/1e6)
}

const alnum = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

func randomString(alphabet string, n int) string {
	b := make([]byte, n)
	rand.Read(b)
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}

func randomToken(prefix string) string {
	b := make([]byte, 32)
	rand.Read(b)
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}
