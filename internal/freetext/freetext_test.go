package freetext

import (
	"errors"
	"strings"
	"testing"
	"unicode/utf8"

	"golang.org/x/text/unicode/norm"
)

func TestRealNamesPassUnchanged(t *testing.T) {
	for _, name := range []string{
		"মোঃ আব্দুল্লাহ", "শ্রাবন্তী", "ক্ষিতীশ", "র\u200d্যাব", "ক্\u200cষ", // ZWJ and ZWNJ inside Bengali words are spelling
		"মোহাম্মদ আব্দুল্লাহ আল-মামুন", "ফাতেমা খাতুন (রুমা)", "Md. Abdullah Al-Mamun", "O'Brien", "José Ramos-Horta",
		"ঢাকা কলেজ ব্যাচ ১৯৯৫", "Class of 1995", "চাঁদ সাঁইত্রিশ", "হৃদয় শ্রী", "দুঃখ",
	} {
		got, err := Clean(name, PersonName)
		if err != nil || got != norm.NFC.String(name) {
			t.Errorf("Clean(%q) = %q, %v; want it unchanged", name, got, err)
		}
	}
}

func TestNormalises(t *testing.T) {
	for in, want := range map[string]string{
		"  Rahima   Begum  ":                       "Rahima Begum",
		"Rahima\tBegum":                            "Rahima Begum",
		"Rahima\u00a0\u3000Begum":                  "Rahima Begum", // NBSP, ideographic space
		"Ra\u200bhima":                             "Rahima",       // zero-width space dropped
		"\ufeffRahima\u00ad":                       "Rahima",       // BOM, soft hyphen
		"Rahima\u200d \u200cBegum":                 "Rahima Begum", // ZWJ/ZWNJ outside Bengali words
		"র\u200d\u200d\u09cdযাব":                   "র\u200d\u09cdযাব",
		"আব্দুল\u200d \u200dকরিম":                  "আব্দুল করিম", // a joiner beside a space joins nothing
		"Jose\u0301":                               "José",        // NFC
		"\u09af\u09bc":                             "\u09af\u09bc",
		"Rahim" + strings.Repeat(" ", 80) + "Tk 5": "Rahim Tk 5",
	} {
		rule := Line
		got, err := Clean(in, rule)
		if err != nil || got != want {
			t.Errorf("Clean(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func TestRefuses(t *testing.T) {
	for _, c := range []struct {
		in   string
		rule Rule
		code string
	}{
		{"Rahim\nপরিমাণ · Amount ৳৫,০০,০০০   Tk 5,00,000", PersonName, CodeLineBreak},
		{"Rahim\r\nIn words: Five lakh taka only", PersonName, CodeLineBreak},
		{"Rahim\u2028Amount", Line, CodeLineBreak},
		{"Rahim\u2029Amount", Line, CodeLineBreak},
		{"Rahim\u0085Amount", Line, CodeLineBreak},
		{"Rahim\x00", Line, CodeControl},
		{"Rahim\x1b[2J", Line, CodeControl},
		{"Rahim\u0090", Line, CodeControl},
		{"Rahim \u202e000,00,5 kT", PersonName, CodeBidi},
		{"Rahim \u2067x\u2069", Line, CodeBidi},
		{"Rahim\u200f", Line, CodeBidi},
		{"Rahim\U000E0041", Line, CodeInvisible}, // tag character
		{"Rahim\ue000", Line, CodeUnusable},
		{"Rahim\U0010FFFF", Line, CodeUnusable},
		{"Z\u0301\u0302\u0303\u0304\u0305", Line, CodeMarks},
		{"\xff\xfe", Line, CodeEncoding},
		{strings.Repeat("ক", 121), PersonName, CodeTooLong},
		{"Rahim ৳৫০০", PersonName, CodeSymbol},
		{"Rahim $5", PersonName, CodeSymbol},
		{"Rahim ٥٠٠٠", PersonName, CodeDigits},   // Arabic-Indic digits
		{"Rahim ५००", PersonName, CodeDigits},    // Devanagari
		{"Rahim Ⅻ", PersonName, CodeLookAlike},   // Roman numeral (Latin script, Nl)
		{"Rahim ５００", PersonName, CodeLookAlike}, // fullwidth digits
		{"Rahim ①", PersonName, CodeLookAlike},
		{"Аmount", PersonName, CodeScript},    // Cyrillic А
		{"Αmount", PersonName, CodeScript},    // Greek Alpha
		{"ＡＭＯＵＮＴ", PersonName, CodeLookAlike}, // fullwidth Latin
		{"𝐀𝐦𝐨𝐮𝐧𝐭", PersonName, CodeLookAlike}, // mathematical bold
	} {
		got, err := Clean(c.in, c.rule)
		if CodeOf(err) != c.code || !errors.Is(err, ErrText) {
			t.Errorf("Clean(%q) = %q, %v; want code %q", c.in, got, err, c.code)
		}
	}
	if _, err := Required("  \u200b ", Line); CodeOf(err) != CodeEmpty {
		t.Errorf("Required(blank) = %v", err)
	}
}

func TestMultiline(t *testing.T) {
	got, err := Clean("\r\n  First  line \r\n\r\n\r\n\r\nSecond\u2029third\t\n", Text)
	if want := "First line\n\nSecond\nthird"; err != nil || got != want {
		t.Fatalf("Clean = %q, %v; want %q", got, err, want)
	}
	if _, err := Clean("a\u202eb\nc", Text); CodeOf(err) != CodeBidi {
		t.Fatalf("bidi in multi-line text: %v", err)
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"Rahim\nপরিমাণ · Amount ৳৫,০০,০০০   Tk 5,00,000": "Rahim পরিমাণ · Amount ৳৫,০০,০০০ Tk 5,00,000",
		"Rahim\r\nIn words: Five lakh taka only":         "Rahim In words: Five lakh taka only",
		"Rahim \u202e000\u202c":                          "Rahim 000",
		"a\x00b\xffc":                                    "a b\uFFFDc",
		"র\u200d\u09cdযাব":                               "র\u200d\u09cdযাব",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzClean: whatever comes in, what Clean accepts is NFC, has no break,
// control or direction override, no space at either end or twice in a
// row, is within its limit, and cleaning it again changes nothing.
func FuzzClean(f *testing.F) {
	for _, s := range []string{"Rahim\nAmount", "মোঃ আব্দুল্লাহ", "র\u200d\u09cdযাব", "a\u202eb", "  x  y ", "\r\n\r\n", "ক\u200c\u200d"} {
		f.Add(s, false)
		f.Add(s, true)
	}
	f.Fuzz(func(t *testing.T, s string, multi bool) {
		rule := PersonName
		if multi {
			rule = Text
		}
		out, err := Clean(s, rule)
		if err != nil {
			return
		}
		if !utf8.ValidString(out) || !norm.NFC.IsNormalString(out) {
			t.Fatalf("%q: not NFC UTF-8", out)
		}
		if strings.HasPrefix(out, " ") || strings.HasSuffix(out, " ") || strings.Contains(out, "  ") {
			t.Fatalf("%q: stray spaces", out)
		}
		for _, c := range out {
			if (c < 0x20 && !(multi && c == '\n')) || isBidi(c) || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == '\u2028' || c == '\u2029' {
				t.Fatalf("%q: kept %U", out, c)
			}
		}
		if again, err := Clean(out, rule); err != nil || again != out {
			t.Fatalf("not idempotent: %q → %q, %v", out, again, err)
		}
		if one := OneLine(out); !multi && one != out {
			t.Fatalf("OneLine changed clean text %q → %q", out, one)
		}
	})
}
