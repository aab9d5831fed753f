package bkash

import (
	"context"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// Transaction is bKash's search transaction answer: any completed
// transaction into the merchant's wallet, including payments made inside
// the bKash app that never passed through create/execute.
type Transaction struct {
	TrxID  string
	Status TransactionStatus
	// Type is bKash's transactionType (its values are not documented).
	Type     string
	Amount   money.Amount
	Currency string
	// CustomerMSISDN is the payer's wallet number. Personal data: never log it.
	CustomerMSISDN string
	// ShortCode is the receiving merchant wallet (organizationShortCode).
	ShortCode      string
	InitiationTime time.Time
	CompletedTime  time.Time
	// Reference is transactionReference, when bKash gives one.
	Reference string
}

// Search looks a transaction up by its trxID:
// POST …/tokenized/checkout/general/searchTransaction {trxID}, as bKash's
// WooCommerce plugin calls it (ApiComm.php searchTransaction; bkash-js
// spells the path general/searchTran, which bKash's own plugin does not).
// An unknown trxID is a StatusError (IsTransactionNotFound).
func (c *Client) Search(ctx context.Context, trxID string) (*Transaction, error) {
	const op = "bkash search transaction"
	if trxID == "" {
		return nil, fmt.Errorf("%s: trxID is required", op)
	}
	var out *Transaction
	err := c.call(ctx, op, c.cfg.BaseURL+"/tokenized/checkout/general/searchTransaction", map[string]string{"trxID": trxID}, func(st int, b []byte) (err error) {
		out, err = parseTransaction(st, b)
		return err
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// parseTransaction reads the answer of search transaction (fields as in
// bkash-js SearchTransactionResponse).
func parseTransaction(httpStatus int, body []byte) (*Transaction, error) {
	f, err := parseResponse(httpStatus, body)
	if err != nil {
		return nil, err
	}
	t := &Transaction{
		TrxID:          f.str("trxID"),
		Status:         TransactionStatus(f.str("transactionStatus")),
		Type:           f.str("transactionType"),
		Currency:       f.str("currency"),
		CustomerMSISDN: f.str("customerMsisdn"),
		ShortCode:      f.str("organizationShortCode"),
		InitiationTime: f.time("initiationTime"),
		CompletedTime:  f.time("completedTime"),
		Reference:      f.str("transactionReference"),
	}
	if t.TrxID == "" {
		return nil, noAnswerf("search answer without trxID")
	}
	a, ok, err := f.amount("amount")
	if err != nil {
		return nil, noAnswer(err)
	}
	if !ok {
		return nil, noAnswerf("search answer without amount")
	}
	t.Amount = a
	return t, nil
}

// CodeTransactionNotFound is bKash's 2033 "Transaction not found".
const CodeTransactionNotFound = "2033"

// IsTransactionNotFound reports a trxID bKash does not know (2033), or
// refuses as invalid (2077).
func IsTransactionNotFound(err error) bool {
	return hasCode(err, CodeTransactionNotFound, CodeInvalidTrxID)
}
