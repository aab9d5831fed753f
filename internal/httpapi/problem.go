package httpapi

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

// problemError carries a ready problem through Fiber's error handler.
type problemError struct{ p Problem }

func (e *problemError) Error() string { return e.p.Title + ": " + e.p.Detail }

const problemBase = "https://kalyan.dev/problems/"

func problem(status int, slug, title, detail string, fields ...validation.FieldError) error {
	return &problemError{Problem{Type: problemBase + slug, Title: title, Status: status, Detail: detail, Errors: fields}}
}

func fieldProblem(status int, field, detail string) error {
	return problem(status, "invalid-request", "Invalid request", field+": "+detail, validation.FieldError{Field: field, Message: detail})
}

// toProblem maps any error to a problem; unknown errors become a 500 that
// reveals nothing.
func toProblem(err error, log *slog.Logger, c *fiber.Ctx) Problem {
	var pe *problemError
	var fe *fiber.Error
	var v validation.Errors
	if p, ok := appGiftProblem(err); ok {
		return p
	}
	switch {
	case errors.As(err, &pe):
		return pe.p
	case errors.As(err, &v):
		return Problem{Type: problemBase + "validation", Title: "Some fields are not valid", Status: fiber.StatusUnprocessableEntity, Detail: v.Error(), Errors: v}
	case errors.Is(err, units.ErrNotFound):
		return Problem{Type: problemBase + "unit-not-found", Title: "No such unit", Status: fiber.StatusNotFound}
	case errors.Is(err, app.ErrSlugTaken):
		return Problem{Type: problemBase + "code-taken", Title: "This code is taken", Status: fiber.StatusConflict,
			Detail: "A donation link already uses this code as its address (/d/<code>); choose another code.",
			Errors: []validation.FieldError{{Field: "code", Message: "is a donation link's address"}}}
	case errors.Is(err, units.ErrArchived):
		return Problem{Type: problemBase + "unit-archived", Title: "This unit no longer accepts requests", Status: fiber.StatusGone, Detail: "The unit is archived; its records are kept."}
	case errors.Is(err, donations.ErrNotFound):
		return Problem{Type: problemBase + "donation-not-found", Title: "No such donation", Status: fiber.StatusNotFound}
	case errors.Is(err, donations.ErrKeyReused):
		return keyReused("donation")
	case errors.Is(err, aid.ErrKeyReused):
		return keyReused("aid request")
	case errors.Is(err, app.ErrBadCallback):
		return Problem{Type: problemBase + "bad-callback", Title: "Callback does not match this donation", Status: fiber.StatusBadRequest}
	case errors.Is(err, app.ErrMerchantChecksLimited):
		return Problem{Type: problemBase + "bkash-grant-limit", Title: "Too many credential changes for this bKash merchant", Status: fiber.StatusTooManyRequests,
			Detail: "bKash allows two token grants an hour per merchant and blocks it for an hour after a third; checking these credentials would need one more (" + err.Error() + "). Nothing was stored; try again in an hour."}
	case errors.Is(err, app.ErrMerchantUnverified):
		return Problem{Type: problemBase + "bkash-unavailable", Title: "bKash is not available right now", Status: fiber.StatusServiceUnavailable,
			Detail: "bKash could not confirm the merchant credentials (" + err.Error() + "). Nothing was stored; please try again later."}
	case errors.Is(err, app.ErrPaymentUnavailable):
		return Problem{Type: problemBase + "payment-unavailable", Title: "bKash is not available right now", Status: fiber.StatusServiceUnavailable, Detail: "Nothing was charged. Please try again in a minute."}
	case errors.Is(err, auth.ErrUnauthenticated):
		return Problem{Type: problemBase + "unauthenticated", Title: "Authentication required", Status: fiber.StatusUnauthorized, Detail: "Send a valid bearer token."}
	case errors.As(err, &fe):
		title := fe.Message
		if fe.Code == fiber.StatusRequestEntityTooLarge {
			title = "Request body too large"
		}
		return Problem{Type: problemBase + strings.ToLower(strings.ReplaceAll(utilsStatus(fe.Code), " ", "-")), Title: title, Status: fe.Code}
	}
	log.ErrorContext(c.UserContext(), "request failed", "route", c.Route().Path, "method", c.Method(), "err", err)
	return Problem{Type: problemBase + "internal", Title: "Something went wrong on our side", Status: fiber.StatusInternalServerError, Detail: "The error was logged. Nothing was charged twice; please retry."}
}

func utilsStatus(code int) string {
	if s := fiber.ErrBadRequest; code == s.Code {
		return "bad-request"
	}
	return fmt.Sprintf("http-%d", code)
}

// decodeJSON strictly decodes the body: unknown fields, trailing data and
// type mismatches are 400s naming the field.
func decodeJSON(c *fiber.Ctx, dst any) error {
	if !isJSON(c.Get(fiber.HeaderContentType)) {
		return problem(fiber.StatusUnsupportedMediaType, "unsupported-media-type", "Send application/json",
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
		return fieldProblem(fiber.StatusBadRequest, te.Field, "must be a "+jsonType(te.Type.Kind().String()))
	case errors.As(err, &se):
		return problem(fiber.StatusBadRequest, "malformed-json", "Malformed JSON", fmt.Sprintf("syntax error at byte %d", se.Offset))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		f := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return fieldProblem(fiber.StatusBadRequest, f, "is not a known field")
	default:
		return problem(fiber.StatusBadRequest, "malformed-json", "Malformed JSON", err.Error())
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
	return Problem{Type: problemBase + "idempotency-key-reused", Title: "Idempotency-Key already used", Status: fiber.StatusUnprocessableEntity,
		Detail: "This Idempotency-Key was used with a different request body; use a new key for a new " + what + ".",
		Errors: []validation.FieldError{{Field: "Idempotency-Key", Message: "already used with a different request"}}}
}

// Paging bounds: far beyond any real list (538 units; a unit's aid
// requests over decades), small enough that page arithmetic cannot
// overflow and a skip stays cheap.
const (
	maxPage   = 10_000
	maxOffset = 1_000_000
)

// intQuery reads an integer query parameter within [lo, hi]; absent or
// empty, it is def. Anything else is a 400 naming the parameter.
func intQuery(c *fiber.Ctx, name string, def, lo, hi int) (int, error) {
	s := c.Query(name)
	if s == "" {
		return def, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < lo || n > hi {
		return 0, fieldProblem(fiber.StatusBadRequest, name, fmt.Sprintf("must be an integer from %d to %d", lo, hi))
	}
	return n, nil
}
