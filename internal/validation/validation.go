// Package validation carries field-level input errors from the domain to the
// edge, where they become RFC 9457 problem details naming each field.
package validation

import (
	"errors"
	"strings"
)

// FieldError says what is wrong with one input field (JSON path like
// "donor.phone").
type FieldError struct {
	Field   string `json:"field"`
	Message string `json:"detail"`
	// Code names the reason when the error has one (freetext's codes), so
	// pages can say it in the reader's language; not part of the API.
	Code string `json:"-"`
}

// Errors is a list of field errors; the zero value means "valid".
type Errors []FieldError

// Add records a problem with field.
func (e *Errors) Add(field, msg string) { *e = append(*e, FieldError{Field: field, Message: msg}) }

// AddErr records err's text for field when err is non-nil, with its code
// when it carries one.
func (e *Errors) AddErr(field string, err error) {
	if err == nil {
		return
	}
	f := FieldError{Field: field, Message: err.Error()}
	var c coded
	if errors.As(err, &c) {
		f.Code = c.ErrorCode()
	}
	*e = append(*e, f)
}

// coded is an error that names its reason with a stable code.
type coded interface{ ErrorCode() string }

// Err returns nil when there are no errors, so callers can `return v.Err()`.
func (e Errors) Err() error {
	if len(e) == 0 {
		return nil
	}
	return e
}

func (e Errors) Error() string {
	parts := make([]string, len(e))
	for i, f := range e {
		parts[i] = f.Field + ": " + f.Message
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// As extracts field errors from err, if it carries any.
func As(err error) (Errors, bool) {
	var v Errors
	ok := errors.As(err, &v)
	return v, ok
}
