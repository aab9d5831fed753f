// Package i18n is the donor pages' message catalogue (Bengali first,
// English second) and the number formatting each language reads: Bengali
// digits with lakh/crore grouping in Bengali, Latin digits in English.
package i18n

import (
	"fmt"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Lang is a page language.
type Lang string

// The languages of the donor pages. Bengali is the default.
const (
	BN Lang = "bn"
	EN Lang = "en"
)

// Parse reads a language code ("bn", "en", "en-GB", "BN").
func Parse(s string) (Lang, bool) {
	s = strings.ToLower(strings.TrimSpace(s))
	switch {
	case s == "bn" || strings.HasPrefix(s, "bn-"):
		return BN, true
	case s == "en" || strings.HasPrefix(s, "en-"):
		return EN, true
	}
	return "", false
}

// Code is the BCP 47 tag for the lang attribute.
func (l Lang) Code() string {
	if l == EN {
		return "en"
	}
	return "bn"
}

// Other is the language the switch link offers.
func (l Lang) Other() Lang {
	if l == EN {
		return BN
	}
	return EN
}

// Name is the language's own name, for the switch link.
func (l Lang) Name() string {
	if l == EN {
		return "English"
	}
	return "বাংলা"
}

// T returns the message for key. A missing key returns the key itself, so
// a mistake shows on the page instead of an empty space; a test checks
// that every key used by the templates exists in both languages.
func (l Lang) T(key string) string {
	m, ok := lookup(key)
	if !ok {
		return key
	}
	if l == EN {
		return m.en
	}
	return m.bn
}

// F formats the message for key with args (fmt verbs in the message). Args
// that are numbers should be formatted by the caller (Num, Money) first.
func (l Lang) F(key string, args ...any) string {
	return fmt.Sprintf(l.T(key), args...)
}

// catalogues are the message maps, one file per area so parallel work does
// not collide in one map: the donor pages' and the console's (messages),
// the console's money pages' (moneyMessages) and the donor's self-service
// pages' (selfServiceMessages), the public transparency pages'
// (transparencyMessages) and the console's links and aid pages'
// (consoleMessages). A key is in at most one.
var catalogues = []map[string]msg{messages, moneyMessages, selfServiceMessages, transparencyMessages, consoleMessages}

func lookup(key string) (msg, bool) {
	for _, c := range catalogues {
		if m, ok := c[key]; ok {
			return m, true
		}
	}
	return msg{}, false
}

// Has reports whether key is in the catalogue.
func Has(key string) bool {
	_, ok := lookup(key)
	return ok
}

// Digits writes ASCII digits in s as the language's digits.
func (l Lang) Digits(s string) string {
	if l == EN {
		return s
	}
	return bnfmt.Digits(s)
}

// Num formats an integer with lakh/crore grouping ("১২,৩৪,৫৬৭" / "12,34,567").
func (l Lang) Num(n int64) string { return l.Digits(bnfmt.Group(n)) }

// Money formats an amount for reading: "৳১,০০০" or "Tk 1,000", with paisa
// only when there are some ("৳১,২৩৪.৫০").
func (l Lang) Money(a money.Amount) string {
	s := bnfmt.Taka(a, l.Code())
	return strings.TrimSuffix(strings.TrimSuffix(s, ".০০"), ".00")
}

// Plain formats an amount as a form value in the language's digits without
// grouping ("১২৩৪.৫০", "1234.50"; whole taka without ".00"), so that what a
// page pre-fills parses back to the same amount.
func (l Lang) Plain(a money.Amount) string {
	return l.Digits(strings.TrimSuffix(a.String(), ".00"))
}

// ASCIIDigits replaces Bengali digits with ASCII ones, so a donor may type
// numbers on a Bengali keyboard.
func ASCIIDigits(s string) string {
	if !strings.ContainsFunc(s, isBNDigit) {
		return s
	}
	return strings.Map(func(r rune) rune {
		if isBNDigit(r) {
			return '0' + (r - '০')
		}
		return r
	}, s)
}

func isBNDigit(r rune) bool { return r >= '০' && r <= '৯' }

// NormalizeNumber turns a typed amount into the plain decimal the domain
// parses: Bengali digits become ASCII, and grouping commas, spaces, the taka
// sign and a trailing "taka"/"টাকা"/"Tk" are dropped ("৳ ১,০০০ টাকা" → "1000").
func NormalizeNumber(s string) string {
	s = ASCIIDigits(strings.TrimSpace(s))
	for _, cut := range []string{"৳", "টাকা", "Tk", "tk", "TK", "BDT", "Taka", "taka"} {
		s = strings.ReplaceAll(s, cut, "")
	}
	return strings.Map(func(r rune) rune {
		switch r {
		case ',', ' ', '\u00a0', '\u2009', '\u202f', '\u066c':
			return -1
		}
		return r
	}, s)
}

// Kind names a gift kind.
func (l Lang) Kind(kind string) string {
	if k := "kind." + kind; Has(k) {
		return l.T(k)
	}
	return kind
}

// Programme names a programme; unknown programmes (a unit's own) are shown
// as registered, with dashes as spaces.
func (l Lang) Programme(p string) string {
	if k := "programme." + p; Has(k) {
		return l.T(k)
	}
	return strings.ReplaceAll(p, "-", " ")
}
