package bkash

import (
	"errors"
	"fmt"
	"strings"
)

// ErrNoAnswer means the request may have reached bKash but no usable answer
// came back: timeout, reset connection, 5xx, or a body that could not be read.
// Nothing can be concluded from it; the caller must Query (or RefundStatus)
// before treating the operation as failed or done.
var ErrNoAnswer = errors.New("bkash: no usable answer")

func noAnswer(cause error) error {
	return fmt.Errorf("%w: %w", ErrNoAnswer, cause)
}

func noAnswerf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrNoAnswer, fmt.Sprintf(format, args...))
}

// Category groups bKash error codes by what the caller should do about them.
type Category string

// Categories of StatusError.
const (
	// CategoryAlreadyDone: the operation already happened (money moved). Query
	// and carry on; do not treat the payment as failed.
	CategoryAlreadyDone Category = "already_done"
	// CategoryPayer: the payer's wallet or input refused it (insufficient
	// balance, wrong PIN, blocked account). Show it to the donor; nobody to page.
	CategoryPayer Category = "payer"
	// CategoryState: the payment or transaction is not in a state that allows
	// the operation (not authorised yet, cancelled, expired, already refunded).
	CategoryState Category = "state"
	// CategoryRequest: bKash found our request invalid (amount, invoice, URL,
	// duplicate, refund limits). A bug or a business rule on our side.
	CategoryRequest Category = "request"
	// CategoryAuth: credentials, app key or token refused.
	CategoryAuth Category = "auth"
	// CategoryTransient: bKash-side failure that may pass (process failed,
	// exception, maintenance). Retryable; for execute, Query first.
	CategoryTransient Category = "transient"
	// CategoryUnknown: a code this client does not know.
	CategoryUnknown Category = "unknown"
)

// StatusError is an answer from bKash that carried an error code
// (statusCode ≠ "0000", errorCode, or the v2 refund API's externalCode).
type StatusError struct {
	Code    string // bKash's code, e.g. "2023"; empty for gateway errors that carry only a message
	Message string // bKash's English message
	// HTTPStatus is the HTTP status the answer came with (bKash mostly uses 200).
	HTTPStatus int
	// Op names the call that failed, e.g. "bkash grant token".
	Op string
}

func (e *StatusError) Error() string {
	if e.Code == "" {
		return fmt.Sprintf("bkash: HTTP %d: %s", e.HTTPStatus, e.Message)
	}
	return fmt.Sprintf("bkash: %s %s", e.Code, e.Message)
}

// Category classifies the code; see the Category constants.
func (e *StatusError) Category() Category {
	if strings.HasSuffix(e.Op, " token") && e.Code == "" {
		return CategoryAuth
	}
	// 9999 on grant is documented both as "System Error"
	// (bKash-developer/pgw-merchant-backend-php #10) and as "Username does
	// not exist" (karim-007/laravel-bkash-tokenize #2): it stays transient,
	// so an outage never reads as wrong credentials (IsAmbiguousGrant).
	if e.Code == "" {
		if e.HTTPStatus == 401 || e.HTTPStatus == 403 {
			return CategoryAuth
		}
		return CategoryRequest
	}
	if c, ok := codeCategory[e.Code]; ok {
		return c
	}
	return CategoryUnknown
}

// Retryable reports whether the same request may succeed if sent again later.
func (e *StatusError) Retryable() bool { return e.Category() == CategoryTransient }

// Codes documented by bKash that the predicates below rely on.
const (
	CodeSuccess              = "0000"
	CodeInvalidAppKey        = "2001"
	CodeInvalidPaymentID     = "2002"
	CodeProcessFailed        = "2003"
	CodeInvalidAmount        = "2006"
	CodeInsufficientBalance  = "2023"
	CodeReversalTooLarge     = "2026"
	CodeDuplicate            = "2029"
	CodeInvalidInvoice       = "2031"
	CodeAlreadyReversed      = "2034"
	CodeInvalidCallbackURL   = "2049"
	CodeInvalidPaymentState  = "2056"
	CodeExecutePrerequisite  = "2060"
	CodeAlreadyCompleted     = "2062"
	CodeInvalidMode          = "2063"
	CodeMandatoryFieldMiss   = "2065"
	CodeTrxAlreadyCompleted  = "2068"
	CodeTrxAlreadyCancelled  = "2069"
	CodeRefundWindowOver     = "2071"
	CodeRefundAmountInvalid  = "2072"
	CodeCannotReverse        = "2074"
	CodeInvalidTrxID         = "2077"
	CodeInvalidAppToken      = "2079"
	CodeExecuteAlreadyCalled = "2117"
	CodeTrxNotCompleted      = "2127"
	CodeMaintenance          = "503"
	CodeSystemError          = "9999"
)

var codeCategory = map[string]Category{
	// Already settled.
	"2062": CategoryAlreadyDone, "2068": CategoryAlreadyDone, "2116": CategoryAlreadyDone,
	"2117": CategoryAlreadyDone, "2119": CategoryAlreadyDone,
	// Payer side.
	"2009": CategoryPayer, "2010": CategoryPayer, "2011": CategoryPayer, "2013": CategoryPayer,
	"2014": CategoryPayer, "2015": CategoryPayer, "2016": CategoryPayer, "2017": CategoryPayer,
	"2018": CategoryPayer, "2019": CategoryPayer, "2023": CategoryPayer, "2037": CategoryPayer,
	"2038": CategoryPayer, "2043": CategoryPayer, "2044": CategoryPayer, "2045": CategoryPayer,
	"2046": CategoryPayer, "2057": CategoryPayer, "2058": CategoryPayer, "2059": CategoryPayer,
	// State.
	"2002": CategoryState, "2033": CategoryState, "2034": CategoryState, "2056": CategoryState,
	"2060": CategoryState, "2069": CategoryState, "2074": CategoryState, "2127": CategoryState,
	"2071": CategoryState,
	// Our request.
	"2004": CategoryRequest, "2005": CategoryRequest, "2006": CategoryRequest, "2007": CategoryRequest,
	"2008": CategoryRequest, "2012": CategoryRequest, "2025": CategoryRequest, "2026": CategoryRequest,
	"2028": CategoryRequest, "2029": CategoryRequest, "2031": CategoryRequest, "2032": CategoryRequest,
	"2039": CategoryRequest, "2040": CategoryRequest, "2041": CategoryRequest, "2047": CategoryRequest,
	"2048": CategoryRequest, "2049": CategoryRequest, "2061": CategoryRequest, "2063": CategoryRequest,
	"2064": CategoryRequest, "2065": CategoryRequest, "2067": CategoryRequest, "2072": CategoryRequest,
	"2073": CategoryRequest, "2075": CategoryRequest, "2076": CategoryRequest, "2077": CategoryRequest,
	"2078": CategoryRequest, "2118": CategoryRequest,
	// Auth.
	"2001": CategoryAuth, "2035": CategoryAuth, "2042": CategoryAuth, "2079": CategoryAuth,
	"2080": CategoryAuth, "2081": CategoryAuth, "2082": CategoryAuth,
	// Transient.
	"2003": CategoryTransient, "2020": CategoryTransient, "2024": CategoryTransient,
	"503": CategoryTransient, "9999": CategoryTransient,
}

func statusErr(err error) (*StatusError, bool) {
	var se *StatusError
	ok := errors.As(err, &se)
	return se, ok
}

func hasCode(err error, codes ...string) bool {
	se, ok := statusErr(err)
	if !ok {
		return false
	}
	for _, c := range codes {
		if se.Code == c {
			return true
		}
	}
	return false
}

// IsInsufficientBalance reports bKash 2023: the payer's (or, for refunds, the
// merchant's) wallet lacks the money.
//
// Reached only by tests: the platform branches on Category; these name bKash's error classes for the client's callers, and the tests assert with them.
func IsInsufficientBalance(err error) bool { return hasCode(err, CodeInsufficientBalance) }

// IsAlreadyCompleted reports that the payment was already executed and
// completed (2062, 2068, 2116, 2117, 2119): Query it and record it as paid.
func IsAlreadyCompleted(err error) bool {
	se, ok := statusErr(err)
	return ok && se.Category() == CategoryAlreadyDone
}

// IsInvalidPaymentState reports 2056: the payment is cancelled, failed,
// expired or otherwise not executable.
//
// Reached only by tests: the platform branches on Category; these name bKash's error classes for the client's callers, and the tests assert with them.
func IsInvalidPaymentState(err error) bool { return hasCode(err, CodeInvalidPaymentState) }

// IsNotAuthorised reports 2060: execute was called before the payer
// authorised the payment on bKash's page.
//
// Reached only by tests: the platform branches on Category; these name bKash's error classes for the client's callers, and the tests assert with them.
func IsNotAuthorised(err error) bool { return hasCode(err, CodeExecutePrerequisite) }

// IsInvalidPaymentID reports 2002: bKash does not know the paymentID (for
// this merchant).
//
// Reached only by tests: the platform branches on Category; these name bKash's error classes for the client's callers, and the tests assert with them.
func IsInvalidPaymentID(err error) bool { return hasCode(err, CodeInvalidPaymentID) }

// IsDuplicate reports 2029: bKash refused a duplicate transaction.
//
// Reached only by tests: the platform branches on Category; these name bKash's error classes for the client's callers, and the tests assert with them.
func IsDuplicate(err error) bool { return hasCode(err, CodeDuplicate) }

// IsRefundTooLarge reports a refund above what is still refundable (2026) or an
// invalid refund amount (2072).
//
// Reached only by tests: the platform branches on Category; these name bKash's error classes for the client's callers, and the tests assert with them.
func IsRefundTooLarge(err error) bool {
	return hasCode(err, CodeReversalTooLarge, CodeRefundAmountInvalid)
}

// IsNotRefundable reports a transaction that cannot be refunded (any more):
// already fully reversed (2034), refund limit reached (2074), not completed
// (2127) or outside the refund window (2071).
//
// Reached only by tests: the platform branches on Category; these name bKash's error classes for the client's callers, and the tests assert with them.
func IsNotRefundable(err error) bool {
	return hasCode(err, CodeAlreadyReversed, CodeCannotReverse, CodeTrxNotCompleted, CodeRefundWindowOver)
}

// IsAuth reports refused credentials, app key or token.
func IsAuth(err error) bool {
	se, ok := statusErr(err)
	return ok && se.Category() == CategoryAuth
}

// IsAmbiguousGrant reports a grant or refresh answered 9999: bKash may be
// failing ("System Error") or may not know the username. Retry with
// backoff; if it persists, say bKash is unavailable, never that the
// credentials are wrong.
func IsAmbiguousGrant(err error) bool {
	se, ok := statusErr(err)
	return ok && se.Code == CodeSystemError && strings.HasSuffix(se.Op, " token")
}

// IsRetryable reports a bKash error that may pass if retried later. It is
// false for ErrNoAnswer, which needs a Query rather than a blind retry.
//
// Reached only by tests: the platform branches on Category; these name bKash's error classes for the client's callers, and the tests assert with them.
func IsRetryable(err error) bool {
	se, ok := statusErr(err)
	return ok && se.Retryable()
}

// IsNotRouted reports an answer from bKash's API gateway that it has no route
// for the path (HTTP 404, or AWS API Gateway's 403 "Missing Authentication
// Token" for an unknown resource) without any bKash error code: the request
// reached no bKash service, so nothing happened. Merchants report the v2
// refund path answering this way for their account
// (bKash-developer/pgw-merchant-backend-php issue #15: "Calling the
// documented URL returns an endpoint error").
func IsNotRouted(err error) bool {
	se, ok := statusErr(err)
	if !ok || se.Code != "" {
		return false
	}
	return se.HTTPStatus == 404 || (se.HTTPStatus == 403 && strings.Contains(se.Message, "Missing Authentication Token"))
}
