// Package freetext is the one place where text people type is made fit to
// print on a signed document or send in a message: Unicode NFC, no control
// characters, no line or paragraph separators (except in multi-line
// fields), no bidirectional overrides or isolates, runs of white space
// collapsed to one space. Every free-text field passes through Clean at the
// edge and again in its domain constructor, so no path (API, page form,
// onboarding CSV, operator, events) can put a forged line on a receipt.
//
// Clean refuses what changes how text reads (line breaks, controls, bidi
// overrides, unassigned or private-use characters, piles of combining marks)
// and silently drops what is invisible and meaningless where it stands
// (zero-width spaces, byte-order marks, soft hyphens, and ZWJ/ZWNJ outside
// Bengali words, where they are spelling and are kept). Names are held to
// more: Bengali or Latin letters, no currency signs, no digits of other
// scripts, no look-alike compatibility forms (fullwidth, mathematical
// letters), so a name cannot imitate an amount or a label.
package freetext

import (
	"errors"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"

	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Rule says what a field accepts.
type Rule struct {
	// Max is the most characters (runes, after cleaning); 0 means no limit.
	Max int
	// Multiline keeps line breaks (as "\n", at most one blank line in a
	// row); otherwise a line break is refused.
	Multiline bool
	// Name applies the rules for a person's or organisation's name.
	Name bool
}

// Rules of the platform's fields.
var (
	// PersonName: donors, patients, guardians.
	PersonName = Rule{Max: 120, Name: true}
	// Line: titles, unit names, places, references, reasons.
	Line = Rule{Max: 200}
	// Text: narratives and notes, paragraphs allowed.
	Text = Rule{Max: 4000, Multiline: true}
)

// WithMax returns r with another length limit.
func (r Rule) WithMax(n int) Rule { r.Max = n; return r }

// Codes of Error, stable for translation (pages show them in Bengali).
const (
	CodeEncoding  = "encoding"   // not UTF-8
	CodeLineBreak = "line-break" // a line or paragraph break in a one-line field
	CodeControl   = "control"    // a control character
	CodeBidi      = "bidi"       // a text-direction override, embedding, isolate or mark
	CodeInvisible = "invisible"  // another invisible formatting character
	CodeUnusable  = "unusable"   // unassigned, private-use or non-character code point
	CodeMarks     = "marks"      // too many combining marks on one letter
	CodeTooLong   = "too-long"
	CodeScript    = "script" // a name in a script other than Bengali or Latin
	CodeDigits    = "digits" // digits other than 0-9 and ০-৯ in a name
	CodeSymbol    = "symbol" // a currency sign or similar in a name
	CodeLookAlike = "compat" // a compatibility (look-alike) form in a name
	CodeEmpty     = "empty"  // nothing left after cleaning, where text is required
)

// Error says why text was refused, in English for API clients; Code names
// the reason for translation.
type Error struct {
	Code string
	Msg  string
}

func (e *Error) Error() string { return e.Msg }

// ErrorCode returns Code (validation.Errors records it beside the message).
func (e *Error) ErrorCode() string { return e.Code }

// ErrText matches every *Error with errors.Is.
var ErrText = errors.New("text refused")

// Is makes errors.Is(err, ErrText) true for every *Error.
func (e *Error) Is(target error) bool { return target == ErrText }

// CodeOf returns the code of a refusal ("" if err is not one).
func CodeOf(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return ""
}

func refuse(code, msg string) error { return &Error{Code: code, Msg: msg} }

// maxMarks bounds combining marks in a row: Bengali clusters use at most
// three (ক + ্ + ষ is letter, mark, letter); a pile of marks draws over the
// lines above and below.
const maxMarks = 3

// Clean returns s normalised under r, or an *Error saying why it is refused.
// An empty result is not an error: callers decide whether a field is
// required.
func Clean(s string, r Rule) (string, error) {
	if !utf8.ValidString(s) {
		return "", refuse(CodeEncoding, "must be valid UTF-8 text")
	}
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space, breaks, marks := false, 0, 0
	var prev rune // last rune written (0 at a line start)
	for i, c := range s {
		switch {
		case isBreak(c):
			if !r.Multiline {
				return "", refuse(CodeLineBreak, "must be on one line (no line breaks)")
			}
			if c == '\n' && i > 0 && s[i-1] == '\r' {
				continue // CR LF is one break
			}
			if prev != 0 || breaks > 0 {
				breaks++
			}
			space, prev, marks = false, 0, 0
			continue
		case c == '\t' || unicode.Is(unicode.Zs, c):
			space = prev != 0
			continue
		case unicode.Is(unicode.Cc, c):
			return "", refuse(CodeControl, "must not contain control characters (U+"+hex(c)+")")
		case isBidi(c):
			return "", refuse(CodeBidi, "must not contain text-direction controls (U+"+hex(c)+")")
		case c == zwj || c == zwnj:
			// Spelling inside a Bengali word (র‍্যাব, ক্‌ষ); anywhere else
			// invisible, so dropped. Never two in a row.
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(c):])
			if !space && unicode.Is(unicode.Bengali, prev) && unicode.Is(unicode.Bengali, next) {
				break
			}
			continue
		case isDroppable(c):
			continue
		case unicode.Is(unicode.Cf, c):
			return "", refuse(CodeInvisible, "must not contain invisible formatting characters (U+"+hex(c)+")")
		case unusable(c):
			return "", refuse(CodeUnusable, "must not contain unassigned or private-use characters (U+"+hex(c)+")")
		}
		if unicode.In(c, unicode.Mn, unicode.Me, unicode.Mc) {
			if marks++; marks > maxMarks {
				return "", refuse(CodeMarks, "must not stack more than "+strconv.Itoa(maxMarks)+" accents or vowel signs on one letter")
			}
		} else {
			marks = 0
		}
		if breaks > 0 && b.Len() > 0 {
			b.WriteString(strings.Repeat("\n", min(breaks, 2)))
		}
		if space && breaks == 0 {
			b.WriteByte(' ')
		}
		space, breaks = false, 0
		b.WriteRune(c)
		prev = c
	}
	out := b.String()
	if r.Name {
		if err := checkName(out); err != nil {
			return "", err
		}
	}
	if r.Max > 0 && utf8.RuneCountInString(out) > r.Max {
		return "", refuse(CodeTooLong, "must be at most "+strconv.Itoa(r.Max)+" characters")
	}
	return out, nil
}

// Into cleans *s under r in place; a refusal is recorded in v for field
// (and *s left as it was). It reports whether *s was accepted.
func Into(v *validation.Errors, field string, s *string, r Rule) bool {
	out, err := Clean(*s, r)
	if err != nil {
		v.AddErr(field, err)
		return false
	}
	*s = out
	return true
}

// Required is Clean that also refuses text left empty.
func Required(s string, r Rule) (string, error) {
	out, err := Clean(s, r)
	if err == nil && out == "" {
		return "", refuse(CodeEmpty, "is required")
	}
	return out, err
}

// OneLine makes any string safe to draw on one line without refusing it:
// stored text from before these rules, or from a path that did not clean
// it, is shown with every break, control and direction override turned
// into a space, invisible characters dropped and white space collapsed.
// Renderers use it as their own last line of defence.
func OneLine(s string) string {
	s = strings.ToValidUTF8(s, "\uFFFD")
	s = norm.NFC.String(s)
	var b strings.Builder
	b.Grow(len(s))
	space := false
	var prev rune
	for i, c := range s {
		switch {
		case isBreak(c) || c == '\t' || unicode.Is(unicode.Zs, c) || unicode.Is(unicode.Cc, c) || isBidi(c):
			space = prev != 0
			continue
		case c == zwj || c == zwnj:
			next, _ := utf8.DecodeRuneInString(s[i+utf8.RuneLen(c):])
			if !space && unicode.Is(unicode.Bengali, prev) && unicode.Is(unicode.Bengali, next) {
				break
			}
			continue
		case c == utf8.RuneError:
			// Kept: shows that the stored text was not valid UTF-8.
		case isDroppable(c) || unicode.Is(unicode.Cf, c) || unusable(c):
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(c)
		prev = c
	}
	return b.String()
}

const (
	zwnj = '\u200C'
	zwj  = '\u200D'
)

func isBreak(c rune) bool {
	switch c {
	case '\n', '\r', '\v', '\f', '\u0085', '\u2028', '\u2029':
		return true
	}
	return false
}

// isBidi: embeddings and overrides (U+202A–202E), isolates (U+2066–2069),
// and the marks LRM, RLM, ALM: none is needed in Bengali or English, and
// each can make text display in another order than it is stored.
func isBidi(c rune) bool {
	return c >= '\u202A' && c <= '\u202E' || c >= '\u2066' && c <= '\u2069' ||
		c == '\u200E' || c == '\u200F' || c == '\u061C'
}

// isDroppable: invisible characters people paste without knowing, that
// carry no meaning in a name or a title.
func isDroppable(c rune) bool {
	switch c {
	case '\u200B', '\u2060', '\uFEFF', '\u00AD', '\u180E', '\u034F':
		return true
	}
	return c >= '\u2061' && c <= '\u2064'
}

func unusable(c rune) bool {
	return unicode.Is(unicode.Co, c) || c == utf8.RuneError ||
		c >= '\uFDD0' && c <= '\uFDEF' || c&0xFFFE == 0xFFFE ||
		!unicode.In(c, unicode.L, unicode.M, unicode.N, unicode.P, unicode.S, unicode.Z, unicode.Cf, unicode.Cc)
}

// checkName holds names to Bengali and Latin letters (with their marks,
// ordinary punctuation and 0-9/০-৯), so that a name cannot carry a
// look-alike label in Cyrillic or Greek, an amount in other digits, or a
// currency sign.
func checkName(s string) error {
	for _, c := range s {
		if !norm.NFKC.IsNormalString(string(c)) {
			return refuse(CodeLookAlike, "must use ordinary letters (no fullwidth, stylised or look-alike forms)")
		}
		switch {
		case unicode.Is(unicode.Sc, c) || c == '৲' || c == '৹' || c == '৻':
			return refuse(CodeSymbol, "must not contain currency signs")
		case unicode.Is(unicode.Nd, c):
			if !(c >= '0' && c <= '9' || c >= '০' && c <= '৯') {
				return refuse(CodeDigits, "may use only the digits 0-9 or ০-৯")
			}
		case unicode.In(c, unicode.No, unicode.Nl):
			return refuse(CodeDigits, "may use only the digits 0-9 or ০-৯")
		case unicode.IsLetter(c) || unicode.IsMark(c):
			if !unicode.In(c, unicode.Bengali, unicode.Latin, unicode.Inherited) {
				return refuse(CodeScript, "must be written in Bengali or Latin (English) letters")
			}
		}
	}
	return nil
}

func hex(c rune) string {
	h := strings.ToUpper(strconv.FormatInt(int64(c), 16))
	for len(h) < 4 {
		h = "0" + h
	}
	return h
}
