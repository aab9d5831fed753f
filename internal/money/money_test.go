package money

import (
	"errors"
	"testing"
)

func TestParse(t *testing.T) {
	cases := []struct {
		in   string
		want Amount
		err  error
	}{
		{"500", 50000, nil},
		{"500.00", 50000, nil},
		{"500.5", 50050, nil},
		{"0.01", 1, nil},
		{"007.10", 710, nil},
		{" 12.34 ", 1234, nil},
		{"0", 0, nil},
		{"", 0, ErrEmpty},
		{"-1", 0, ErrNegative},
		{"1.234", 0, ErrPrecision},
		{"1e3", 0, ErrSyntax},
		{"1,000", 0, ErrSyntax},
		{"+5", 0, ErrSyntax},
		{".5", 0, ErrSyntax},
		{"5.", 0, ErrSyntax},
		{"1000000000000", 0, ErrTooLarge},
		{"100000001", 0, ErrTooLarge},
		{"100000000", Max, nil},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if !errors.Is(err, c.err) || got != c.want {
			t.Errorf("Parse(%q) = %v, %v; want %v, %v", c.in, got, err, c.want, c.err)
		}
	}
}

func TestString(t *testing.T) {
	for a, want := range map[Amount]string{0: "0.00", 1: "0.01", 50000: "500.00", 123456: "1234.56", -250: "-2.50"} {
		if got := a.String(); got != want {
			t.Errorf("%d.String() = %q, want %q", int64(a), got, want)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"500.00", "0.01", "-1", "1e3", "99999999.99", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := Parse(s)
		if err != nil {
			return
		}
		if a < 0 || a > Max {
			t.Fatalf("Parse(%q) = %d out of range", s, a)
		}
		b, err := Parse(a.String())
		if err != nil || b != a {
			t.Fatalf("round trip %q -> %s -> %v, %v", s, a, b, err)
		}
	})
}
