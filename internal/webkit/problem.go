package webkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Problem is an RFC 9457 problem details document.
type Problem struct {
	Type     string                  `json:"type"`
	Title    string                  `json:"title"`
	Status   int                     `json:"status"`
	Detail   string                  `json:"detail,omitempty"`
	Instance string                  `json:"instance,omitempty"`
	Errors   []validation.FieldError `json:"errors,omitempty"`
}

// Err is p as an error the error handler answers with p.
func (p Problem) Err() error { return &problemError{p} }

// problemError carries a ready problem through Fiber's error handler.
type problemError struct{ p Problem }

func (e *problemError) Error() string { return e.p.Title + ": " + e.p.Detail }

// ProblemBase prefixes every problem type.
const ProblemBase = "https://kalyan.dev/problems/"

// NewProblem is an error the error handler answers as this problem.
func NewProblem(status int, slug, title, detail string, fields ...validation.FieldError) error {
	return &problemError{Problem{Type: ProblemBase + slug, Title: title, Status: status, Detail: detail, Errors: fields}}
}

// FieldProblem is a problem with one field.
func FieldProblem(status int, field, detail string) error {
	return NewProblem(status, "invalid-request", "Invalid request", field+": "+detail, validation.FieldError{Field: field, Message: detail})
}

// ToProblem maps any error to a problem; unknown errors become a 500 that
// reveals nothing.
func ToProblem(err error, log *slog.Logger, c *fiber.Ctx) Problem {
	var pe *problemError
	var fe *fiber.Error
	var v validation.Errors
	if p, ok := AppGiftProblem(err); ok {
		return p
	}
	switch {
	case errors.As(err, &pe):
		return pe.p
	case errors.As(err, &v):
		return Problem{Type: ProblemBase + "validation", Title: "Some fields are not valid", Status: fiber.StatusUnprocessableEntity, Detail: v.Error(), Errors: v}
	case errors.Is(err, units.ErrNotFound):
		return Problem{Type: ProblemBase + "unit-not-found", Title: "No such unit", Status: fiber.StatusNotFound}
	case errors.Is(err, app.ErrSlugTaken):
		return Problem{Type: ProblemBase + "code-taken", Title: "This code is taken", Status: fiber.StatusConflict,
			Detail: "A donation link already uses this code as its address (/d/<code>); choose another code.",
			Errors: []validation.FieldError{{Field: "code", Message: "is a donation link's address"}}}
	case errors.Is(err, units.ErrArchived):
		return Problem{Type: ProblemBase + "unit-archived", Title: "This unit no longer accepts requests", Status: fiber.StatusGone, Detail: "The unit is archived; its records are kept."}
	case errors.Is(err, donations.ErrNotFound):
		return Problem{Type: ProblemBase + "donation-not-found", Title: "No such donation", Status: fiber.StatusNotFound}
	case errors.Is(err, donations.ErrKeyReused):
		return keyReused("donation")
	case errors.Is(err, aid.ErrKeyReused):
		return keyReused("aid request")
	case errors.Is(err, app.ErrBadCallback):
		return Problem{Type: ProblemBase + "bad-callback", Title: "Callback does not match this donation", Status: fiber.StatusBadRequest}
	case errors.Is(err, app.ErrMerchantChecksLimited):
		return Problem{Type: ProblemBase + "bkash-grant-limit", Title: "Too many credential changes for this bKash merchant", Status: fiber.StatusTooManyRequests,
			Detail: "bKash allows two token grants an hour per merchant and blocks it for an hour after a third; checking these credentials would need one more (" + err.Error() + "). Nothing was stored; try again in an hour."}
	case errors.Is(err, app.ErrMerchantUnverified):
		return Problem{Type: ProblemBase + "bkash-unavailable", Title: "bKash is not available right now", Status: fiber.StatusServiceUnavailable,
			Detail: "bKash could not confirm the merchant credentials (" + err.Error() + "). Nothing was stored; please try again later."}
	case errors.Is(err, app.ErrPaymentUnavailable):
		return Problem{Type: ProblemBase + "payment-unavailable", Title: "bKash is not available right now", Status: fiber.StatusServiceUnavailable, Detail: "Nothing was charged. Please try again in a minute."}
	case errors.Is(err, auth.ErrUnauthenticated):
		return Problem{Type: ProblemBase + "unauthenticated", Title: "Authentication required", Status: fiber.StatusUnauthorized, Detail: "Send a valid bearer token."}
	case errors.As(err, &fe):
		title := fe.Message
		if fe.Code == fiber.StatusRequestEntityTooLarge {
			title = "Request body too large"
		}
		return Problem{Type: ProblemBase + strings.ToLower(strings.ReplaceAll(utilsStatus(fe.Code), " ", "-")), Title: title, Status: fe.Code}
	}
	log.ErrorContext(c.UserContext(), "request failed", "route", c.Route().Path, "method", c.Method(), "err", err)
	return Problem{Type: ProblemBase + "internal", Title: "Something went wrong on our side", Status: fiber.StatusInternalServerError, Detail: "The error was logged. Nothing was charged twice; please retry."}
}

func utilsStatus(code int) string {
	if s := fiber.ErrBadRequest; code == s.Code {
		return "bad-request"
	}
	return fmt.Sprintf("http-%d", code)
}

// DecodeJSON strictly decodes the body: unknown fields, trailing data and
// type mismatches are 400s naming the field.
func DecodeJSON(c *fiber.Ctx, dst any) error {
	if !isJSON(c.Get(fiber.HeaderContentType)) {
		return NewProblem(fiber.StatusUnsupportedMediaType, "unsupported-media-type", "Send application/json",
			"Content-Type must be application/json (or an application/*+json type), in UTF-8")
	}
	dec := json.NewDecoder(strings.NewReader(string(c.Body())))
	dec.DisallowUnknownFields()
	err := dec.Decode(dst)
	if err == nil && dec.More() {
		err = errors.New("unexpected data after the JSON object")
	}
	if err == nil {
		return nil
	}
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		return FieldProblem(fiber.StatusBadRequest, te.Field, "must be a "+jsonType(te.Type.Kind().String()))
	case errors.As(err, &se):
		return NewProblem(fiber.StatusBadRequest, "malformed-json", "Malformed JSON", fmt.Sprintf("syntax error at byte %d", se.Offset))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return FieldProblem(fiber.StatusBadRequest, f, "is not a known field")
	default:
		return NewProblem(fiber.StatusBadRequest, "malformed-json", "Malformed JSON", err.Error())
	}
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "bool":
		return "boolean"
	case "struct", "map":
		return "JSON object"
	case "slice", "array":
		return "JSON array"
	default:
		return "number"
	}
}

// keyReused is the answer to an Idempotency-Key sent again with another body.
func keyReused(what string) Problem {
	return Problem{Type: ProblemBase + "idempotency-key-reused", Title: "Idempotency-Key already used", Status: fiber.StatusUnprocessableEntity,
		Detail: "This Idempotency-Key was used with a different request body; use a new key for a new " + what + ".",
		Errors: []validation.FieldError{{Field: "Idempotency-Key", Message: "already used with a different request"}}}
}

// Paging bounds: far beyond any real list (538 units; a unit's aid
// requests over decades), small enough that page arithmetic cannot
// overflow and a skip stays cheap.
const (
	MaxPage   = 10_000
	MaxOffset = 1_000_000
)

// IntQuery reads an integer query parameter within [lo, hi]; absent or
// empty, it is def. Anything else is a 400 naming the parameter.
func IntQuery(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, FieldProblem(fiber.StatusBadRequest, name, fmt.Sprintf("must be an integer from %d to %d", lo, hi))
	}
	return n, nil
}

// KeyRule is what ValidKey accepts, for problem details.
const KeyRule = "1-255 visible ASCII characters without spaces, e.g. a UUID"

func ValidKey(k string) bool {
	if k == "" || len(k) > 255 {
		return false
	}
	// Visible ASCII only, as the OpenAPI pattern says: no spaces, which
	// proxies may trim or fold.
	for i := 0; i < len(k); i++ {
		if k[i] < 0x21 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// IdempotencyKey is the request's required Idempotency-Key header.
func IdempotencyKey(c *fiber.Ctx) (string, error) {
	key := c.Get("Idempotency-Key")
	if !ValidKey(key) {
		return "", FieldProblem(fiber.StatusBadRequest, "Idempotency-Key", "header is required: "+KeyRule)
	}
	return key, nil
}

// AppGiftProblem maps the bKash-app gift claim's the claim's refusals to problems.
func AppGiftProblem(err error) (Problem, bool) {
	p := func(status int, slug, title, detail string) (Problem, bool) {
		return Problem{Type: ProblemBase + slug, Title: title, Status: status, Detail: detail}, true
	}
	switch {
	case errors.Is(err, donations.ErrTrxNotFound):
		return p(fiber.StatusNotFound, "trx-not-found", "No completed bKash payment with this TrxID",
			"bKash has no completed payment with this TrxID into this hospital's bKash account. Check the TrxID in bKash's SMS or the app's statement.")
	case errors.Is(err, donations.ErrTrxForeign):
		return p(fiber.StatusUnprocessableEntity, "trx-other-merchant", "This TrxID paid another bKash account",
			"The payment went to another merchant, not to this hospital's Rogi Kalyan Samiti.")
	case errors.Is(err, donations.ErrTrxClaimed):
		return p(fiber.StatusConflict, "trx-already-claimed", "This TrxID was already received as a gift",
			"A gift with this TrxID is already recorded, and its receipt was issued to the donor who recorded it.")
	case errors.Is(err, donations.ErrTrxPayer):
		return p(fiber.StatusUnprocessableEntity, "trx-other-payer", "This TrxID was paid from another number",
			"Enter the bKash number the payment was made from.")
	case errors.Is(err, donations.ErrTrxTooOld):
		return p(fiber.StatusUnprocessableEntity, "trx-too-old", "This payment is too old to claim here",
			"Gifts made in the bKash app can be claimed within the refund window after payment; ask the hospital's social service office for a receipt.")
	case errors.Is(err, app.ErrAppGiftNotRefundable):
		return p(fiber.StatusConflict, "app-gift-not-refundable", "This gift cannot be refunded here", err.Error())
	case errors.Is(err, app.ErrClaimRateLimited):
		return p(fiber.StatusTooManyRequests, "rate-limited", "Too many requests", "Too many claims from this address or for this number; try again in an hour.")
	case errors.Is(err, app.ErrAppGiftsUnavailable):
		return p(fiber.StatusServiceUnavailable, "app-gifts-unavailable", "Gifts made in the bKash app cannot be confirmed for this hospital yet",
			"The hospital's bKash wallet number is not configured; ask its social service office for a receipt.")
	}
	return Problem{}, false
}
