package bnfmt

import (
	"math"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/kalyan-platform/kalyan/internal/money"
)

func TestDigits(t *testing.T) {
	for in, want := range map[string]string{
		"":                    "",
		"abc":                 "abc",
		"0123456789":          "০১২৩৪৫৬৭৮৯",
		"DMCH/2025-26/000123": "DMCH/২০২৫-২৬/০০০১২৩",
		"৳12.50":              "৳১২.৫০",
	} {
		if got := Digits(in); got != want {
			t.Errorf("Digits(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestGroup(t *testing.T) {
	cases := []struct {
		in   int64
		want string
	}{
		{0, "0"}, {7, "7"}, {999, "999"}, {1000, "1,000"}, {12345, "12,345"},
		{100000, "1,00,000"}, {1234567, "12,34,567"}, {10000000, "1,00,00,000"},
		{123456789, "12,34,56,789"}, {1000000000, "1,00,00,00,000"}, {-1234567, "-12,34,567"},
		{math.MaxInt64, "92,23,37,20,36,85,47,75,807"}, {math.MinInt64, "-92,23,37,20,36,85,47,75,808"},
	}
	for _, c := range cases {
		if got := Group(c.in); got != c.want {
			t.Errorf("Group(%d) = %q, want %q", c.in, got, c.want)
		}
	}
}

func TestTaka(t *testing.T) {
	cases := []struct {
		in     money.Amount
		bn, en string
	}{
		{0, "৳০.০০", "Tk 0.00"},
		{5, "৳০.০৫", "Tk 0.05"},
		{50000, "৳৫০০.০০", "Tk 500.00"},
		{123456750, "৳১২,৩৪,৫৬৭.৫০", "Tk 12,34,567.50"},
		{money.Max, "৳১০,০০,০০,০০০.০০", "Tk 10,00,00,000.00"},
		{-250, "-৳২.৫০", "-Tk 2.50"},
	}
	for _, c := range cases {
		if got := Taka(c.in, "bn"); got != c.bn {
			t.Errorf("Taka(%d, bn) = %q, want %q", c.in, got, c.bn)
		}
		if got := Taka(c.in, "en"); got != c.en {
			t.Errorf("Taka(%d, en) = %q, want %q", c.in, got, c.en)
		}
	}
}

func TestWords(t *testing.T) {
	cases := []struct {
		taka   int64
		paisa  int64
		bn, en string
	}{
		{0, 0, "শূন্য টাকা মাত্র", "Zero taka only"},
		{0, 50, "পঞ্চাশ পয়সা মাত্র", "Fifty paisa only"},
		{1, 0, "এক টাকা মাত্র", "One taka only"},
		{1, 1, "এক টাকা এক পয়সা মাত্র", "One taka and one paisa only"},
		{10, 0, "দশ টাকা মাত্র", "Ten taka only"},
		{15, 0, "পনেরো টাকা মাত্র", "Fifteen taka only"},
		{21, 0, "একুশ টাকা মাত্র", "Twenty-one taka only"},
		{29, 0, "ঊনত্রিশ টাকা মাত্র", "Twenty-nine taka only"},
		{37, 0, "সাঁইত্রিশ টাকা মাত্র", "Thirty-seven taka only"},
		{42, 0, "বিয়াল্লিশ টাকা মাত্র", "Forty-two taka only"},
		{53, 0, "তিপ্পান্ন টাকা মাত্র", "Fifty-three taka only"},
		{68, 0, "আটষট্টি টাকা মাত্র", "Sixty-eight taka only"},
		{75, 0, "পঁচাত্তর টাকা মাত্র", "Seventy-five taka only"},
		{88, 0, "অষ্টাশি টাকা মাত্র", "Eighty-eight taka only"},
		{99, 99, "নিরানব্বই টাকা নিরানব্বই পয়সা মাত্র", "Ninety-nine taka and ninety-nine paisa only"},
		{100, 0, "এক শত টাকা মাত্র", "One hundred taka only"},
		{101, 0, "এক শত এক টাকা মাত্র", "One hundred one taka only"},
		{500, 0, "পাঁচ শত টাকা মাত্র", "Five hundred taka only"},
		{999, 0, "নয় শত নিরানব্বই টাকা মাত্র", "Nine hundred ninety-nine taka only"},
		{1000, 0, "এক হাজার টাকা মাত্র", "One thousand taka only"},
		{1001, 0, "এক হাজার এক টাকা মাত্র", "One thousand one taka only"},
		{2550, 0, "দুই হাজার পাঁচ শত পঞ্চাশ টাকা মাত্র", "Two thousand five hundred fifty taka only"},
		{10000, 0, "দশ হাজার টাকা মাত্র", "Ten thousand taka only"},
		{99999, 0, "নিরানব্বই হাজার নয় শত নিরানব্বই টাকা মাত্র", "Ninety-nine thousand nine hundred ninety-nine taka only"},
		{100000, 0, "এক লক্ষ টাকা মাত্র", "One lakh taka only"},
		{125000, 50, "এক লক্ষ পঁচিশ হাজার টাকা পঞ্চাশ পয়সা মাত্র", "One lakh twenty-five thousand taka and fifty paisa only"},
		{1234567, 0, "বারো লক্ষ চৌত্রিশ হাজার পাঁচ শত সাতষট্টি টাকা মাত্র", "Twelve lakh thirty-four thousand five hundred sixty-seven taka only"},
		{10000000, 0, "এক কোটি টাকা মাত্র", "One crore taka only"},
		{10000001, 0, "এক কোটি এক টাকা মাত্র", "One crore one taka only"},
		{100000000, 0, "দশ কোটি টাকা মাত্র", "Ten crore taka only"},
		{1000000000, 0, "এক শত কোটি টাকা মাত্র", "One hundred crore taka only"},
		{1234567890, 5, "এক শত তেইশ কোটি পঁয়তাল্লিশ লক্ষ সাতষট্টি হাজার আট শত নব্বই টাকা পাঁচ পয়সা মাত্র",
			"One hundred twenty-three crore forty-five lakh sixty-seven thousand eight hundred ninety taka and five paisa only"},
	}
	for _, c := range cases {
		a := money.Amount(c.taka*100 + c.paisa)
		if got := WordsBN(a); got != c.bn {
			t.Errorf("WordsBN(%v) = %q, want %q", a, got, c.bn)
		}
		if got := WordsEN(a); got != c.en {
			t.Errorf("WordsEN(%v) = %q, want %q", a, got, c.en)
		}
	}
}

// Every Bengali number word 0–99 is distinct and a single word: a typo that
// duplicates or splits an entry would print a wrong amount on a receipt.
func TestBNWordTable(t *testing.T) {
	seen := map[string]int{}
	for n := 0; n < 100; n++ {
		w := bnUnder100(n)
		if w == "" || strings.ContainsAny(w, " \t") {
			t.Errorf("word for %d is %q", n, w)
		}
		if prev, dup := seen[w]; dup {
			t.Errorf("word %q used for both %d and %d", w, prev, n)
		}
		seen[w] = n
	}
	// Spot-check the irregular forms most often misspelt.
	for n, want := range map[int]string{11: "এগারো", 14: "চৌদ্দ", 19: "উনিশ", 46: "ছেচল্লিশ", 59: "ঊনষাট", 66: "ছেষট্টি", 79: "ঊনআশি", 89: "ঊননব্বই", 92: "বিরানব্বই"} {
		if got := bnUnder100(n); got != want {
			t.Errorf("bnUnder100(%d) = %q, want %q", n, got, want)
		}
	}
}

func TestNegativeAndExtremes(t *testing.T) {
	if got := WordsBN(-150); got != "ঋণাত্মক এক টাকা পঞ্চাশ পয়সা মাত্র" {
		t.Errorf("WordsBN(-150) = %q", got)
	}
	if got := WordsEN(-150); got != "Minus one taka and fifty paisa only" {
		t.Errorf("WordsEN(-150) = %q", got)
	}
	for _, a := range []money.Amount{math.MaxInt64, math.MinInt64, money.Max} {
		if WordsBN(a) == "" || WordsEN(a) == "" || Taka(a, "bn") == "" {
			t.Errorf("empty output for %d", a)
		}
	}
}

func TestDates(t *testing.T) {
	dhaka := time.FixedZone("Asia/Dhaka", 6*3600)
	cases := []struct {
		t      time.Time
		bn, en string
	}{
		{time.Date(2025, time.August, 15, 10, 0, 0, 0, dhaka), "১৫ আগস্ট ২০২৫", "15 August 2025"},
		{time.Date(2026, time.January, 1, 0, 0, 0, 0, dhaka), "১ জানুয়ারি ২০২৬", "1 January 2026"},
		{time.Date(2030, time.June, 30, 23, 59, 0, 0, dhaka), "৩০ জুন ২০৩০", "30 June 2030"},
		{time.Date(2024, time.February, 29, 12, 0, 0, 0, dhaka), "২৯ ফেব্রুয়ারি ২০২৪", "29 February 2024"},
	}
	for _, c := range cases {
		if got := DateBN(c.t); got != c.bn {
			t.Errorf("DateBN(%v) = %q, want %q", c.t, got, c.bn)
		}
		if got := DateEN(c.t); got != c.en {
			t.Errorf("DateEN(%v) = %q, want %q", c.t, got, c.en)
		}
	}
	for m := time.January; m <= time.December; m++ {
		if MonthBN(m) == "" {
			t.Errorf("no Bengali name for %v", m)
		}
	}
	if MonthBN(0) != "" || MonthBN(13) != "" {
		t.Error("MonthBN accepts invalid months")
	}
}

func FuzzWords(f *testing.F) {
	for _, seed := range []int64{0, 1, 99, 100, 12550, 10000000, 100000000000, -1, math.MaxInt64, math.MinInt64} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, paisa int64) {
		a := money.Amount(paisa)
		bn, en := WordsBN(a), WordsEN(a)
		for _, s := range []string{bn, en, Taka(a, "bn"), Taka(a, "en"), Group(paisa)} {
			if s == "" || !utf8.ValidString(s) || strings.Contains(s, "  ") {
				t.Fatalf("bad output %q for %d", s, paisa)
			}
		}
		if !strings.HasSuffix(bn, "মাত্র") || !strings.HasSuffix(en, " only") {
			t.Fatalf("missing suffix: %q / %q", bn, en)
		}
		// Figures and words agree on zero paisa/taka parts.
		if a >= 0 && a%100 == 0 && strings.Contains(en, "paisa") {
			t.Fatalf("paisa in words for whole amount %d: %q", paisa, en)
		}
		if a >= 0 && a < 100 && a > 0 && strings.Contains(bn, "টাকা") {
			t.Fatalf("taka in words for paisa-only amount %d: %q", paisa, bn)
		}
	})
}
