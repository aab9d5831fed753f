package i18n

import (
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/money"
)

func TestCatalogueComplete(t *testing.T) {
	seen := map[string]bool{}
	for _, k := range Keys() {
		if seen[k] {
			t.Errorf("%s is in two catalogues", k)
		}
		seen[k] = true
		m, _ := lookup(k)
		if strings.HasSuffix(k, ".detail") && m.bn == "" && m.en == "" {
			continue // a problem without detail
		}
		if m.bn == "" || m.en == "" {
			t.Errorf("%s: missing %s", k, map[bool]string{true: "Bengali", false: "English"}[m.bn == ""])
		}
		if strings.Count(m.bn, "%s") != strings.Count(m.en, "%s") || strings.Count(m.bn, "%") != strings.Count(m.en, "%") {
			t.Errorf("%s: the two languages take different arguments: %q / %q", k, m.bn, m.en)
		}
		if strings.ContainsAny(m.en, "০১২৩৪৫৬৭৮৯") {
			t.Errorf("%s: Bengali digits in English text", k)
		}
		if strings.ContainsAny(m.bn, "0123456789") && !strings.Contains(m.bn, "@") {
			t.Errorf("%s: Latin digits in Bengali text: %q", k, m.bn)
		}
	}
	for _, k := range Keys() {
		if strings.HasSuffix(k, ".title") && strings.HasPrefix(k, "problem.") && !Has(strings.TrimSuffix(k, ".title")+".detail") {
			t.Errorf("%s has no .detail", k)
		}
	}
}

func TestNumbers(t *testing.T) {
	cases := []struct {
		a      money.Amount
		bn, en string
	}{
		{money.Taka(500), "৳৫০০", "Tk 500"},
		{money.Taka(1_00_000), "৳১,০০,০০০", "Tk 1,00,000"},
		{money.Taka(1_00_00_000), "৳১,০০,০০,০০০", "Tk 1,00,00,000"},
		{money.Amount(1_642_590), "৳১৬,৪২৫.৯০", "Tk 16,425.90"},
		{money.Amount(5), "৳০.০৫", "Tk 0.05"},
	}
	for _, c := range cases {
		if got := BN.Money(c.a); got != c.bn {
			t.Errorf("BN.Money(%s) = %q, want %q", c.a, got, c.bn)
		}
		if got := EN.Money(c.a); got != c.en {
			t.Errorf("EN.Money(%s) = %q, want %q", c.a, got, c.en)
		}
	}
	if got := BN.Num(453_50_324); got != "৪,৫৩,৫০,৩২৪" {
		t.Errorf("BN.Num = %q", got)
	}
	if got := EN.Num(2_458); got != "2,458" {
		t.Errorf("EN.Num = %q", got)
	}
	if got := BN.Plain(money.Amount(1_642_590)); got != "১৬৪২৫.৯০" {
		t.Errorf("BN.Plain = %q", got)
	}
	if got := EN.Plain(money.Taka(500)); got != "500" {
		t.Errorf("EN.Plain = %q", got)
	}
}

func TestNormalizeNumber(t *testing.T) {
	for in, want := range map[string]string{
		"১,০০০":       "1000",
		"৳ ১,০০,০০০":  "100000",
		"১৬৪২৫.৯০":    "16425.90",
		"5,000 টাকা":  "5000",
		"Tk 500":      "500",
		" 750 ":       "750",
		"১২৩abc":      "123abc", // left for the parser to refuse
		"০১৭১২৩৪৫৬৭৮": "01712345678",
	} {
		if got := NormalizeNumber(in); got != want {
			t.Errorf("NormalizeNumber(%q) = %q, want %q", in, got, want)
		}
	}
	if got := ASCIIDigits("+৮৮০ ১৭১২-৩৪৫৬৭৮"); got != "+880 1712-345678" {
		t.Errorf("ASCIIDigits = %q", got)
	}
}

func TestLangAndPlaces(t *testing.T) {
	for in, want := range map[string]Lang{"bn": BN, "BN": BN, "bn-BD": BN, "en": EN, "en-GB": EN} {
		if got, ok := Parse(in); !ok || got != want {
			t.Errorf("Parse(%q) = %q, %v", in, got, ok)
		}
	}
	for _, bad := range []string{"", "fr", "english", "b"} {
		if _, ok := Parse(bad); ok {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
	if BN.Other() != EN || EN.Other() != BN || BN.Code() != "bn" {
		t.Error("Other/Code")
	}
	if BN.Division("Chattagram") != "চট্টগ্রাম" || BN.District("Coxsbazar") != "কক্সবাজার" || EN.District("Cumilla") != "Cumilla" {
		t.Error("place names")
	}
	if BN.District("Atlantis") != "Atlantis" {
		t.Error("unknown places are shown as given")
	}
	if BN.Kind("zakat") != "যাকাত" || EN.Programme("congenital-heart") != "Congenital heart disease" || EN.Programme("eye-care") != "eye care" {
		t.Error("kind/programme labels")
	}
	if BN.T("no.such.key") != "no.such.key" {
		t.Error("a missing key shows itself")
	}
}

// Keys lists the catalogue's keys (the tests walk it).
func Keys() []string {
	out := make([]string, 0, len(messages))
	for k := range messages {
		out = append(out, k)
	}
	return out
}
