// Package contact validates and masks the personal contact details donors
// and patients give: Bangladeshi mobile numbers, e-mail addresses and TINs.
package contact

import (
	"errors"
	"net/mail"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/freetext"
)

// Errors name what is wrong so the API can tell the user which field to fix.
var (
	ErrMobile = errors.New("must be a Bangladeshi mobile number like 01712345678")
	ErrEmail  = errors.New("must be an e-mail address like name@example.com")
	ErrTIN    = errors.New("must be a 12-digit e-TIN")
)

// NormalizeMobile accepts 01XXXXXXXXX, 8801XXXXXXXXX or +8801XXXXXXXXX
// (spaces and dashes allowed) and returns the 11-digit local form. Operator
// prefixes are 013–019, the only ones bKash wallets use.
func NormalizeMobile(s string) (string, error) {
	s = strings.Map(func(r rune) rune {
		if r == ' ' || r == '-' {
			return -1
		}
		return r
	}, strings.TrimSpace(s))
	s = strings.TrimPrefix(s, "+")
	if strings.HasPrefix(s, "880") {
		s = s[2:]
	}
	if len(s) != 11 || s[0] != '0' || s[1] != '1' || s[2] < '3' || s[2] > '9' {
		return "", ErrMobile
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", ErrMobile
		}
	}
	return s, nil
}

// MaskMobile keeps the operator prefix and the last two digits, enough for a
// donor to recognise their number on a receipt and useless to anyone else.
func MaskMobile(s string) string {
	if len(s) < 5 {
		return strings.Repeat("*", len(s))
	}
	return s[:3] + strings.Repeat("*", len(s)-5) + s[len(s)-2:]
}

// NormalizeEmail checks a bare address (no display name) and lower-cases it.
// It goes through freetext first: NFC (an internationalised address is
// compared and sent in one form), no controls, breaks or direction
// overrides. Whether a non-ASCII address can be delivered is the mail
// adapter's question (SMTPUTF8).
func NormalizeEmail(s string) (string, error) {
	s, err := freetext.Clean(s, freetext.Line.WithMax(254))
	if err != nil {
		return "", err
	}
	if len(s) > 254 || strings.ContainsRune(s, ' ') {
		return "", ErrEmail
	}
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || a.Name != "" || !strings.Contains(s[strings.LastIndexByte(s, '@')+1:], ".") {
		return "", ErrEmail
	}
	return strings.ToLower(s), nil
}

// NormalizeTIN checks a 12-digit electronic Taxpayer Identification Number.
func NormalizeTIN(s string) (string, error) {
	s = strings.TrimSpace(s)
	if len(s) != 12 {
		return "", ErrTIN
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return "", ErrTIN
		}
	}
	return s, nil
}
