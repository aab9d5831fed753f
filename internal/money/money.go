// Package money holds BDT amounts as integer paisa and converts them to and
// from the decimal strings used at the edges (JSON, bKash, forms).
package money

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Amount is a sum of Bangladeshi taka in paisa (1 taka = 100 paisa).
type Amount int64

// Currency is the only currency the platform handles.
const Currency = "BDT"

// Taka returns an Amount of whole taka.
func Taka(t int64) Amount { return Amount(t * 100) }

// Max is the largest amount accepted anywhere (10 crore taka): far above any
// gift and far below int64 overflow when summed.
const Max = Amount(10_00_00_000 * 100)

// Errors returned by Parse; callers map them to field-level messages.
var (
	ErrEmpty     = errors.New("amount is empty")
	ErrSyntax    = errors.New("amount must be a decimal number like 500 or 500.50")
	ErrPrecision = errors.New("amount has more than 2 decimal places")
	ErrNegative  = errors.New("amount must be positive")
	ErrTooLarge  = errors.New("amount is too large")
)

// Parse reads a decimal taka string ("500", "500.5", "500.50") into paisa.
// It rejects signs, exponents, separators and more than two decimals, so the
// value a donor typed is exactly the value stored.
func Parse(s string) (Amount, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, ErrEmpty
	}
	if s[0] == '-' {
		return 0, ErrNegative
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if whole == "" || !digits(whole) || (hasDot && (frac == "" || !digits(frac))) {
		return 0, ErrSyntax
	}
	if len(frac) > 2 {
		return 0, ErrPrecision
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 12 {
		return 0, ErrTooLarge
	}
	w := int64(0)
	if whole != "" {
		var err error
		if w, err = strconv.ParseInt(whole, 10, 64); err != nil {
			return 0, ErrSyntax
		}
	}
	f := int64(0)
	if frac != "" {
		f, _ = strconv.ParseInt((frac + "0")[:2], 10, 64)
	}
	a := Amount(w*100 + f)
	if a > Max {
		return 0, ErrTooLarge
	}
	return a, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats the amount as a plain decimal with two places ("500.00"),
// the shape bKash and the JSON API use.
func (a Amount) String() string {
	sign := ""
	v := int64(a)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%02d", sign, v/100, v%100)
}

// Paisa returns the amount as an integer number of paisa.
func (a Amount) Paisa() int64 { return int64(a) }

// MarshalText makes amounts appear as decimal strings in JSON.
func (a Amount) MarshalText() ([]byte, error) { return []byte(a.String()), nil }

// UnmarshalText parses a decimal string; negative values are refused.
func (a *Amount) UnmarshalText(b []byte) error {
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*a = v
	return nil
}
