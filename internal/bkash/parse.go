package bkash

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// The functions in this file turn bKash's HTTP answers into values or errors.
// They are pure (no I/O, no clock) so they can be fuzzed: bKash's envelopes
// differ between endpoints, field spellings vary (paymentID/paymentId), and
// numbers arrive as strings or as JSON numbers.

// fields is a JSON object with lower-cased keys, so lookups ignore bKash's
// inconsistent capitalisation.
type fields map[string]json.RawMessage

func decodeObject(body []byte) (fields, error) {
	body = bytes.TrimSpace(body)
	if len(body) == 0 || body[0] != '{' {
		return nil, fmt.Errorf("body is not a JSON object")
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("decode body: %w", err)
	}
	f := make(fields, len(raw))
	for k, v := range raw {
		lk := strings.ToLower(k)
		// On a clash keep a non-empty value: bKash never sends both spellings
		// with different meanings.
		if old, ok := f[lk]; ok && scalar(old) != "" {
			continue
		}
		f[lk] = v
	}
	return f, nil
}

// scalar renders a JSON string, number or boolean as text; anything else
// (null, object, array, invalid) as "".
func scalar(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	if len(v) == 0 {
		return ""
	}
	switch v[0] {
	case '"':
		if s, ok := plainString(v); ok {
			return strings.TrimSpace(s)
		}
		var s string
		if json.Unmarshal(v, &s) != nil {
			return ""
		}
		return strings.TrimSpace(s)
	case '{', '[', 'n':
		return ""
	default:
		return string(v)
	}
}

// plainString reads a JSON string of printable ASCII without escapes (what
// bKash sends) without a decoder; ok is false for anything else.
func plainString(v json.RawMessage) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	in := v[1 : len(v)-1]
	for _, c := range in {
		if c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			return "", false
		}
	}
	return string(in), true
}

func (f fields) str(keys ...string) string {
	for _, k := range keys {
		if v, ok := f[strings.ToLower(k)]; ok {
			if s := scalar(v); s != "" {
				return s
			}
		}
	}
	return ""
}

// present returns the first of keys (as spelled in keys) that the answer
// carries with a value, or "".
func (f fields) present(keys ...string) string {
	for _, k := range keys {
		if v, ok := f[strings.ToLower(k)]; ok && scalar(v) != "" {
			return k
		}
	}
	return ""
}

// amount reads a decimal amount; ok is false when the field is absent.
func (f fields) amount(keys ...string) (a money.Amount, ok bool, err error) {
	s := f.str(keys...)
	if s == "" {
		return 0, false, nil
	}
	a, err = money.Parse(s)
	if err != nil {
		return 0, true, fmt.Errorf("amount %q: %w", s, err)
	}
	return a, true, nil
}

func (f fields) time(keys ...string) time.Time {
	t, _ := parseTime(f.str(keys...))
	return t
}

// dhaka is Bangladesh Standard Time; bKash times without an offset are in it.
var dhaka = time.FixedZone("BST", 6*60*60)

// parseTime reads the time formats bKash uses: "2024-06-13T16:27:25:422 GMT+0600"
// (a colon before the milliseconds), the same without offset, RFC 3339, and
// the webhook's compact "20180419122246".
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, false
	}
	if len(s) > 20 && s[19] == ':' {
		s = s[:19] + "." + s[20:]
	}
	layouts := []struct {
		layout string
		loc    *time.Location
	}{
		{"2006-01-02T15:04:05.999999999 GMT-0700", nil},
		{"2006-01-02T15:04:05 GMT-0700", nil},
		{time.RFC3339Nano, nil},
		{"2006-01-02T15:04:05.999999999", dhaka},
		{"2006-01-02T15:04:05", dhaka},
		{"20060102150405", dhaka},
	}
	for _, l := range layouts {
		var t time.Time
		var err error
		if l.loc != nil {
			t, err = time.ParseInLocation(l.layout, s, l.loc)
		} else {
			t, err = time.Parse(l.layout, s)
		}
		if err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

// envelopeError finds bKash's error in any of its envelopes, or nil.
func envelopeError(httpStatus int, f fields) *StatusError {
	if code := f.str("statusCode"); code != "" && code != CodeSuccess {
		return &StatusError{Code: code, Message: f.str("statusMessage", "errorMessage", "message"), HTTPStatus: httpStatus}
	}
	if code := f.str("errorCode"); code != "" && code != CodeSuccess {
		return &StatusError{Code: code, Message: f.str("errorMessage", "errorMessageEn", "statusMessage", "message"), HTTPStatus: httpStatus}
	}
	// The v2 refund API: {internalCode, externalCode, errorMessageEn, errorMessageBn}.
	if code := f.str("externalCode"); code != "" && code != CodeSuccess {
		return &StatusError{Code: code, Message: f.str("errorMessageEn", "errorMessage", "internalCode"), HTTPStatus: httpStatus}
	}
	if httpStatus >= 400 {
		// The API gateway in front of bKash: {"message":"Unauthorized"}.
		if msg := f.str("message", "errorMessageEn", "internalCode"); msg != "" {
			return &StatusError{Message: msg, HTTPStatus: httpStatus}
		}
	}
	return nil
}

// parseResponse applies the rules shared by every endpoint and returns the
// answer's fields when it is a success.
func parseResponse(httpStatus int, body []byte) (fields, error) {
	switch {
	case httpStatus >= 500, httpStatus == http.StatusRequestTimeout, httpStatus == http.StatusTooManyRequests:
		return nil, noAnswerf("HTTP %d", httpStatus)
	case httpStatus < 200:
		return nil, noAnswerf("HTTP %d", httpStatus)
	}
	f, err := decodeObject(body)
	if err != nil {
		if httpStatus == http.StatusUnauthorized {
			return nil, &StatusError{Message: "Unauthorized", HTTPStatus: httpStatus}
		}
		if httpStatus == http.StatusNotFound {
			// No route, whatever the body: nothing reached bKash (IsNotRouted).
			return nil, &StatusError{Message: "Not Found", HTTPStatus: httpStatus}
		}
		return nil, noAnswer(err)
	}
	if se := envelopeError(httpStatus, f); se != nil {
		return nil, se
	}
	if httpStatus >= 300 {
		if httpStatus == http.StatusUnauthorized {
			return nil, &StatusError{Message: "Unauthorized", HTTPStatus: httpStatus}
		}
		return nil, noAnswerf("HTTP %d without an error code", httpStatus)
	}
	return f, nil
}

// tokenResponse is the answer of grant and refresh.
type tokenResponse struct {
	IDToken      string
	RefreshToken string
	ExpiresIn    time.Duration
}

// defaultTokenLifetime is bKash's documented id_token lifetime, used when an
// answer omits or garbles expires_in.
const defaultTokenLifetime = 3600 * time.Second

func parseToken(httpStatus int, body []byte) (tokenResponse, error) {
	f, err := parseResponse(httpStatus, body)
	if err != nil {
		return tokenResponse{}, err
	}
	t := tokenResponse{
		IDToken:      f.str("id_token"),
		RefreshToken: f.str("refresh_token"),
		ExpiresIn:    defaultTokenLifetime,
	}
	if t.IDToken == "" {
		return tokenResponse{}, noAnswerf("token answer without id_token")
	}
	if s := f.str("expires_in"); s != "" {
		if n, err := strconv.ParseFloat(s, 64); err == nil && n >= 1 && n <= 7*24*3600 {
			t.ExpiresIn = time.Duration(n) * time.Second
		}
	}
	return t, nil
}

// parsePayment reads the answer of create, execute and query payment.
func parsePayment(httpStatus int, body []byte) (*Payment, error) {
	f, err := parseResponse(httpStatus, body)
	if err != nil {
		return nil, err
	}
	p := &Payment{
		PaymentID:          f.str("paymentID"),
		BkashURL:           f.str("bkashURL"),
		TrxID:              f.str("trxID"),
		Invoice:            f.str("merchantInvoiceNumber", "merchantInvoice"),
		PayerReference:     f.str("payerReference"),
		CustomerMSISDN:     f.str("customerMsisdn", "payerAccount"),
		Currency:           f.str("currency"),
		Intent:             f.str("intent"),
		Mode:               f.str("mode"),
		Status:             TransactionStatus(f.str("transactionStatus")),
		VerificationStatus: f.str("verificationStatus", "userVerificationStatus"),
		VerificationField:  f.present("verificationStatus", "userVerificationStatus"),
		CreateTime:         f.time("paymentCreateTime", "createTime"),
		ExecuteTime:        f.time("paymentExecuteTime", "updateTime"),
		StatusCode:         f.str("statusCode"),
		StatusMessage:      f.str("statusMessage"),
	}
	if p.PaymentID == "" {
		return nil, noAnswerf("payment answer without paymentID")
	}
	if a, ok, err := f.amount("amount"); err != nil {
		return nil, noAnswer(err)
	} else if ok {
		p.Amount = a
	}
	if p.Status == StatusCompleted && p.TrxID == "" {
		return nil, noAnswerf("completed payment without trxID")
	}
	return p, nil
}

// parseRefund reads the answer of the v2 refund API (and tolerates the
// pre-v2 spelling: refundTrxID, transactionStatus, amount).
func parseRefund(httpStatus int, body []byte) (*Refund, error) {
	f, err := parseResponse(httpStatus, body)
	if err != nil {
		return nil, err
	}
	r := &Refund{
		OriginalTrxID: f.str("originalTrxId"),
		PaymentID:     f.str("paymentId"),
	}
	if a, ok, err := f.amount("originalTrxAmount"); err != nil {
		return nil, noAnswer(err)
	} else if ok {
		r.OriginalAmount = a
	}
	t, err := refundTransaction(f)
	if err != nil {
		return nil, err
	}
	r.Transactions = []RefundTransaction{t}
	r.summarise()
	return r, nil
}

func refundTransaction(f fields) (RefundTransaction, error) {
	t := RefundTransaction{
		RefundTrxID:   f.str("refundTrxId"),
		Status:        TransactionStatus(f.str("refundTransactionStatus", "transactionStatus")),
		CompletedTime: f.time("completedTime"),
	}
	if t.RefundTrxID == "" {
		return RefundTransaction{}, noAnswerf("refund answer without refundTrxId")
	}
	a, ok, err := f.amount("refundAmount", "amount")
	if err != nil {
		return RefundTransaction{}, noAnswer(err)
	}
	if !ok {
		return RefundTransaction{}, noAnswerf("refund answer without refundAmount")
	}
	t.Amount = a
	return t, nil
}

// parseRefundStatus reads the answer of the v2 refund status API.
func parseRefundStatus(httpStatus int, body []byte) (*Refund, error) {
	f, err := parseResponse(httpStatus, body)
	if err != nil {
		return nil, err
	}
	r := &Refund{
		OriginalTrxID:         f.str("originalTrxId"),
		PaymentID:             f.str("paymentId"),
		OriginalCompletedTime: f.time("originalTrxCompletedTime"),
	}
	if a, ok, err := f.amount("originalTrxAmount"); err != nil {
		return nil, noAnswer(err)
	} else if ok {
		r.OriginalAmount = a
	}
	if raw, ok := f["refundtransactions"]; ok && scalar(raw) == "" && !bytes.Equal(bytes.TrimSpace(raw), []byte("null")) {
		var list []json.RawMessage
		if err := json.Unmarshal(raw, &list); err != nil {
			return nil, noAnswer(fmt.Errorf("refundTransactions: %w", err))
		}
		for _, item := range list {
			itf, err := decodeObject(item)
			if err != nil {
				return nil, noAnswer(fmt.Errorf("refundTransactions item: %w", err))
			}
			t, err := refundTransaction(itf)
			if err != nil {
				return nil, err
			}
			r.Transactions = append(r.Transactions, t)
		}
	} else if f.str("refundTrxId") != "" {
		// Single-refund shape of the pre-v2 API.
		t, err := refundTransaction(f)
		if err != nil {
			return nil, err
		}
		r.Transactions = []RefundTransaction{t}
	}
	r.summarise()
	return r, nil
}
