// Package bnfmt formats numbers, amounts and dates the way Bangladeshi
// documents print them: Bengali digits, lakh/crore digit grouping (used in
// English text too) and amounts in words for receipts.
package bnfmt

import (
	"strconv"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// bnDigit0 is BENGALI DIGIT ZERO; the other digits follow it in order.
const bnDigit0 = '০'

// Digits replaces ASCII digits in s with Bengali digits and leaves every
// other character as it is, so "12/2025-26" becomes "১২/২০২৫-২৬".
func Digits(s string) string {
	if !strings.ContainsAny(s, "0123456789") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 3)
	for _, r := range s {
		if r >= '0' && r <= '9' {
			r = bnDigit0 + (r - '0')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// Group formats n with South Asian grouping: the last three digits, then
// groups of two ("12,34,567", "1,00,00,000").
func Group(n int64) string {
	u, neg := abs(n)
	return group(u, neg)
}

func group(u uint64, neg bool) string {
	var buf [32]byte
	i := len(buf)
	for digits := 0; ; digits++ {
		if digits == 3 || (digits > 3 && digits%2 == 1) {
			i--
			buf[i] = ','
		}
		i--
		buf[i] = byte('0' + u%10)
		u /= 10
		if u == 0 {
			break
		}
	}
	if neg {
		i--
		buf[i] = '-'
	}
	return string(buf[i:])
}

// Taka formats an amount with its currency sign and paisa: "৳১২,৩৪,৫৬৭.৫০"
// for lang "bn" and "Tk 12,34,567.50" for anything else.
func Taka(a money.Amount, lang string) string {
	u, neg := abs(int64(a))
	p := u % 100
	s := group(u/100, false) + "." + string([]byte{byte('0' + p/10), byte('0' + p%10)})
	sign := ""
	if neg {
		sign = "-"
	}
	if lang == "bn" {
		return sign + "৳" + Digits(s)
	}
	return sign + "Tk " + s
}

// abs returns |n| without overflowing on math.MinInt64.
func abs(n int64) (uint64, bool) {
	if n < 0 {
		return uint64(-(n + 1)) + 1, true
	}
	return uint64(n), false
}

// MonthBN returns the Bengali name of a Gregorian month ("আগস্ট").
func MonthBN(m time.Month) string {
	if m < time.January || m > time.December {
		return ""
	}
	return [...]string{"জানুয়ারি", "ফেব্রুয়ারি", "মার্চ", "এপ্রিল", "মে", "জুন",
		"জুলাই", "আগস্ট", "সেপ্টেম্বর", "অক্টোবর", "নভেম্বর", "ডিসেম্বর"}[m-1]
}

// DateBN formats t's calendar date (in t's own location) as "১৫ আগস্ট ২০২৫".
// Callers convert to Asia/Dhaka first where that matters.
func DateBN(t time.Time) string {
	return Digits(strconv.Itoa(t.Day())) + " " + MonthBN(t.Month()) + " " + Digits(strconv.Itoa(t.Year()))
}

// DateEN formats t's calendar date as "15 August 2025".
func DateEN(t time.Time) string {
	return t.Format("2 January 2006")
}
