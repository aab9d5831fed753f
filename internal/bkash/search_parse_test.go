package bkash

import (
	"testing"
	"time"
)

// A search transaction answer with the fields bkash-js types as
// SearchTransactionResponse (ShejanMahamud/bkash-js src/types/types.ts) and
// bKash's time format; the error envelope its SearchTransactionErrorResponse
// types.
func TestParseSearchTransaction(t *testing.T) {
	body := []byte(`{"trxID":"AGF7D2JH5K","initiationTime":"2024-06-13T16:27:20:100 GMT+0600","completedTime":"2024-06-13T16:27:25:422 GMT+0600",
	"transactionType":"Payment","customerMsisdn":"01770618575","transactionStatus":"Completed","amount":"500.00","currency":"BDT",
	"organizationShortCode":"50022","statusCode":"0000","statusMessage":"Successful"}`)
	tr, err := parseTransaction(200, body)
	if err != nil {
		t.Fatal(err)
	}
	if tr.TrxID != "AGF7D2JH5K" || tr.Status != StatusCompleted || tr.Amount != 50000 || tr.CustomerMSISDN != "01770618575" ||
		tr.ShortCode != "50022" || !tr.CompletedTime.Equal(time.Date(2024, 6, 13, 10, 27, 25, 422e6, time.UTC)) {
		t.Fatalf("parsed %+v", tr)
	}
	if _, err := parseTransaction(200, []byte(`{"errorCode":"2033","errorMessage":"Transaction not found"}`)); !IsTransactionNotFound(err) {
		t.Fatalf("error envelope: %v", err)
	}
	if _, err := parseTransaction(200, []byte(`{"statusCode":"0000","amount":"1.00"}`)); err == nil {
		t.Fatal("answer without trxID accepted")
	}
}
