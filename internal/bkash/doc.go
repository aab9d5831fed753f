// Package bkash is the client for bKash's Tokenized Checkout API (mode 0011,
// intent "sale"): grant/refresh token, create, execute, query payment, search
// transaction, refund and refund status. With Config.Tokens, one token per
// merchant is shared by every process of the fleet (tokens.go, ADR 0009). One Client serves one merchant's credentials; Merchants
// keeps one Client (and token) per merchant ID, bounded, because every
// hospital unit may have its own wallet and a payment can only be handled with
// a token of the merchant that created it.
//
// What follows was checked against bKash's developer documentation and
// integrators' notes taken against the live sandbox (sources below):
//
//   - Base URL carries the version: https://tokenized.sandbox.bka.sh/v1.2.0-beta
//     (live: https://tokenized.pay.bka.sh/v1.2.0-beta). Under it, all POST with
//     JSON bodies: /tokenized/checkout/token/grant, /tokenized/checkout/token/refresh,
//     /tokenized/checkout/create, /tokenized/checkout/execute,
//     /tokenized/checkout/payment/status.
//   - Refunds use the v2 API, which hangs off the host root, not the version
//     segment: /v2/tokenized-checkout/refund/payment/transaction and
//     /v2/tokenized-checkout/refund/payment/status, with paymentId, trxId,
//     refundAmount, sku, reason (v2 allows up to 10 partial refunds; the older
//     /v1.2.0-beta/tokenized/checkout/payment/refund allowed one and is not used).
//     sku and reason are documented as optional but the live sandbox rejects a
//     refund without them, so the client always sends both.
//   - Grant and refresh take `username` and `password` headers and
//     {app_key, app_secret[, refresh_token]} bodies; they answer id_token,
//     refresh_token, token_type and expires_in (3600 s). Every other call sends
//     `Authorization: <id_token>` (bare, as bKash's samples do) and `X-APP-Key`.
//     bKash asks merchants not to refresh more than twice an hour, so the token
//     is cached and renewed once, shortly before expiry.
//   - Create: {mode:"0011", payerReference, callbackURL, amount:"500.00",
//     currency:"BDT", intent:"sale", merchantInvoiceNumber} → paymentID, bkashURL,
//     transactionStatus "Initiated". bKash redirects the payer to callbackURL with
//     ?paymentID=…&status=success|failure|cancel; the status is not trusted, only
//     execute's or query's transactionStatus "Completed" is.
//   - Execute answers trxID, transactionStatus, customerMsisdn, payerReference,
//     paymentExecuteTime. bKash's guidance: no answer within 30 s → call query.
//   - Envelopes: statusCode "0000" is the only success; errors arrive as
//     statusCode/statusMessage or errorCode/errorMessage with HTTP 200, as
//     {externalCode, errorMessageEn} with HTTP 400 on the v2 refund API, and as
//     {"message":"Unauthorized"} with HTTP 401 from the API gateway for a bad or
//     expired token. Query answers the invoice as merchantInvoice where
//     create/execute say merchantInvoiceNumber; v2 refund spells paymentId/trxId.
//     Amounts are decimal strings; times look like "2024-06-13T16:27:25:422 GMT+0600"
//     or carry no offset (Bangladesh time).
//   - Error codes (bKash's error-code page): 2001 invalid app key, 2002 invalid
//     payment ID, 2003 process failed, 2006 invalid amount, 2023 insufficient
//     balance, 2026 reversal above original amount, 2029 duplicate, 2056 invalid
//     payment state, 2060 execution pre-requisite not met, 2062 payment already
//     completed, 2117 payment execution already completed, 2071–2082 and 2127
//     refund-specific, 503 maintenance.
//
// Sources: developer.bka.sh docs index (llms.txt, mirrored in
// github.com/api-evangelist/bkash llms/bkash-llms.txt), its error-code page
// (mirrored in errors/bkash-error-codes.yml), authentication and conventions
// notes in the same mirror; refund v2 request/response tables as transcribed in
// public integrations (e.g. the "bKash - Refund Transaction & Refund Status"
// reference); the live-sandbox notes "bKash tokenized checkout — reference";
// the grant/create samples in mamun792/ERD bkash_postman_guide.md; and
// karim-007/laravel-bkash-tokenize issue #2 (wrong credentials answer
// statusCode 9999 "Username does not exist").
package bkash
