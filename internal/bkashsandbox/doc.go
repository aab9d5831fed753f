// Package bkashsandbox is Kalyan's own stand-in for bKash's Tokenized
// Checkout servers: the embedded default for development and the test double
// for the bkash client. It answers the same paths, request and response
// shapes and error codes bKash documents, keeps state in memory or in a data
// directory, renders a payer page in place of bKash's hosted checkout, and has
// fault switches for the paths real bKash only takes now and then (no answer,
// failures, cancellations, insufficient balance).
//
// Paths (POST, JSON), as bKash serves them:
//
//	/v1.2.0-beta/tokenized/checkout/token/grant     headers username, password; {app_key, app_secret}
//	/v1.2.0-beta/tokenized/checkout/token/refresh   same plus refresh_token
//	/v1.2.0-beta/tokenized/checkout/create          {mode:"0011", payerReference, callbackURL, amount, currency:"BDT", intent:"sale", merchantInvoiceNumber}
//	/v1.2.0-beta/tokenized/checkout/execute         {paymentID}
//	/v1.2.0-beta/tokenized/checkout/payment/status  {paymentID}
//	/v1.2.0-beta/tokenized/checkout/general/searchTransaction {trxID} (search.go)
//	/v2/tokenized-checkout/refund/payment/transaction {paymentId, trxId, refundAmount, sku, reason}
//	/v2/tokenized-checkout/refund/payment/status      {paymentId, trxId}
//
// Calls other than grant/refresh need `Authorization: <id_token>` (a "Bearer "
// prefix is tolerated, as bKash does) and `X-APP-Key`. A missing, unknown or
// expired token gets HTTP 401 {"message":"Unauthorized"}, as from bKash's API
// gateway; a wrong app key gets statusCode 2001. Tokens live 3600 s and are
// not persisted, so after a restart clients must grant again.
//
// Errors follow bKash's envelopes: HTTP 200 {statusCode, statusMessage} on the
// tokenized endpoints, HTTP 400 {internalCode, externalCode, errorMessageEn,
// errorMessageBn} on the v2 refund API, and HTTP 400 {"message":"Invalid
// request body"} for bodies that do not parse. Codes used: 2001 invalid app
// key, 2002 invalid payment ID, 2003 process failed, 2006 invalid amount, 2007
// invalid currency, 2008 invalid intent, 2023 insufficient balance, 2026
// reversal above the original amount, 2029 duplicate (an invoice number the
// merchant was already paid for), 2031 invalid invoice number, 2034 already
// reversed, 2048 invalid payer reference, 2049 invalid callback URL, 2056
// invalid payment state, 2060 execution pre-requisite not met (payer has not
// authorised), 2063 invalid mode, 2065 mandatory field missing, 2071 refund
// window over, 2072 refund amount not valid, 2074 cannot be reversed (10
// refunds reached), 2075/2076 sku/reason too long, 2077 invalid trxID, 2117
// payment execution already completed, 2127 transaction not yet completed,
// 503 maintenance, 9999 wrong grant credentials ("Username does not exist").
//
// Payer page (stands in for bKash's hosted page at bkashURL, redirect.go):
//
//	GET  /redirect/tokenized/?paymentID=…&hash=…&mode=0011&apiVersion=v1.2.0-beta   (also /pay/{paymentID})
//	     HTML: merchant, amount, invoice, optional wallet number, Pay / Cancel / Fail / Close
//	POST the same, form action=pay|cancel|fail|close[&wallet=01XXXXXXXXX] → 303 to
//	     callbackURL?paymentID=…&status=success|cancel|failure&signature=…&apiVersion=v1.2.0-beta;
//	     close answers a page and sends nobody back (the payment stays Initiated until it expires)
//
// Token grants are limited as bKash documents: a third grant of a merchant
// within an hour is refused and blocks its token calls for an hour
// (grants.go).
//
// Sandbox-only endpoints:
//
//	GET/PUT /sandbox/faults                  global fault switches (Faults as JSON)
//	GET/PUT /sandbox/payments/{id}/faults    per-payment switches, override the global ones
//	GET     /sandbox/payments/{id}           full state of a payment (JSON)
//	GET     /sandbox/merchants/{username}/settlement  completed/refunded totals (Settlement)
//	GET     /sandbox/settlements                      the same for every merchant (Settlements)
//	PUT     /sandbox/merchants/{username}             add a merchant or change its credentials
//	                                                  {password, appKey, appSecret, name}
//	POST    /sandbox/merchants/{username}/app-payments  a payment made in the bKash app
//	                                                  {amount, payer, trxID?, time?, reference?} → {trxID}
//	GET     /sandbox/stats                   request counters (Stats)
//
// Merchants: each merchant has its own credentials, tokens and payments. A
// token works only for its merchant's payments: execute, query or refund of
// another merchant's payment answers 2002 "Invalid Payment ID" (HTTP 200
// {statusCode, statusMessage}; on the v2 refund API HTTP 400 with
// externalCode 2002), as bKash answers a paymentID the merchant does not own.
//
// Sources for the bKash behaviour are listed in the bkash package's
// documentation; in short: developer.bka.sh (token management, create/execute
// payment, refund v2, error codes; mirrored in github.com/api-evangelist/bkash),
// and integrators' notes taken against bKash's live sandbox for the v2 refund
// path at the host root, the refund error envelope, the 401 gateway answer,
// query's merchantInvoice/verificationStatus fields and the 60-day refund window.
package bkashsandbox
