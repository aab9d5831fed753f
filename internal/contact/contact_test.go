package contact

import "testing"

func TestNormalizeMobile(t *testing.T) {
	ok := map[string]string{
		"01712345678":    "01712345678",
		"+8801712345678": "01712345678",
		"8801912345678":  "01912345678",
		"017-1234 5678":  "01712345678",
		" 01312345678 ":  "01312345678",
	}
	for in, want := range ok {
		if got, err := NormalizeMobile(in); err != nil || got != want {
			t.Errorf("NormalizeMobile(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, in := range []string{"", "0171234567", "017123456789", "01212345678", "02712345678", "0171234567x", "+1 555 0100", "৮৮০১৭১২৩৪৫৬৭৮"} {
		if _, err := NormalizeMobile(in); err == nil {
			t.Errorf("NormalizeMobile(%q) accepted", in)
		}
	}
}

func TestMaskMobile(t *testing.T) {
	if got := MaskMobile("01712345678"); got != "017******78" {
		t.Fatalf("got %q", got)
	}
}

func TestEmailAndTIN(t *testing.T) {
	if got, err := NormalizeEmail("Rahim@Example.com"); err != nil || got != "rahim@example.com" {
		t.Fatalf("email: %q %v", got, err)
	}
	for _, bad := range []string{"", "rahim", "Rahim <r@x.com>", "r@localhost", "a@b@c.com"} {
		if _, err := NormalizeEmail(bad); err == nil {
			t.Errorf("email %q accepted", bad)
		}
	}
	if _, err := NormalizeTIN("123456789012"); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"12345678901", "1234567890123", "12345678901a"} {
		if _, err := NormalizeTIN(bad); err == nil {
			t.Errorf("TIN %q accepted", bad)
		}
	}
}

func FuzzNormalizeMobile(f *testing.F) {
	for _, s := range []string{"01712345678", "+8801712345678", "", "017-1234-5678"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := NormalizeMobile(s)
		if err != nil {
			return
		}
		if len(got) != 11 {
			t.Fatalf("NormalizeMobile(%q) = %q", s, got)
		}
		if again, err := NormalizeMobile(got); err != nil || again != got {
			t.Fatalf("not idempotent: %q -> %q -> %q %v", s, got, again, err)
		}
	})
}
