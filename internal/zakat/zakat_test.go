package zakat

import (
	"errors"
	"math"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

func TestParseGrams(t *testing.T) {
	ok := map[string]Grams{
		"": 0, "0": 0, "87.48": 87_480, "612.36": 612_360, "11.664": 11_664, ".5": 500, "007": 7_000,
		" 10 ": 10_000, "1000000": 1_000_000_000, "0.001": 1,
	}
	for in, want := range ok {
		if got, err := ParseGrams(in); err != nil || got != want {
			t.Errorf("ParseGrams(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	bad := map[string]error{
		".": ErrGramsSyntax, "5.": ErrGramsSyntax, "1.2345": ErrGramsSyntax, "-1": ErrGramsSyntax, "1e3": ErrGramsSyntax,
		"1,000": ErrGramsSyntax, "abc": ErrGramsSyntax, "1000001": ErrGramsRange, "99999999": ErrGramsRange,
	}
	for in, want := range bad {
		if _, err := ParseGrams(in); !errors.Is(err, want) {
			t.Errorf("ParseGrams(%q) error = %v; want %v", in, err, want)
		}
	}
}

func TestGramsString(t *testing.T) {
	for g, want := range map[Grams]string{0: "0", 87_480: "87.48", 612_360: "612.36", 10_000: "10", 11_664: "11.664", 1: "0.001", 500: "0.5"} {
		if got := g.String(); got != want {
			t.Errorf("%d.String() = %q; want %q", int64(g), got, want)
		}
	}
}

func TestValue(t *testing.T) {
	cases := []struct {
		g     Grams
		price money.Amount
		want  money.Amount
	}{
		{87_480, money.Taka(17_750), money.Taka(1_552_770)},                // 87.48 × 17,750
		{612_360, money.Taka(350), money.Taka(214_326)},                    // 612.36 × 350
		{1, money.Amount(499), money.Amount(0)},                            // 0.499 paisa → 0
		{1, money.Amount(500), money.Amount(1)},                            // 0.5 paisa rounds up
		{1_500, money.Amount(333), money.Amount(500)},                      // 499.5 → 500
		{0, money.Taka(100), 0},                                            //
		{MaxGrams, MaxPricePerGram, money.Amount(1e14)},                    // the largest accepted
		{Grams(math.MaxInt64), money.Amount(math.MaxInt64), math.MaxInt64}, // saturates
	}
	for _, c := range cases {
		if got := Value(c.g, c.price); got != c.want {
			t.Errorf("Value(%s g, %s) = %s; want %s", c.g, c.price, got, c.want)
		}
	}
}

func TestCalculate(t *testing.T) {
	base := Input{
		GoldPricePerGram: money.Taka(17_750), SilverPricePerGram: money.Taka(350),
		NisabGold: NisabGold, NisabSilver: NisabSilver, Basis: Silver,
	}
	with := func(f func(*Input)) Input { in := base; f(&in); return in }
	cases := []struct {
		name  string
		in    Input
		due   bool
		zakat money.Amount
		net   money.Amount
		nisab money.Amount
	}{
		{"nothing", base, false, 0, 0, money.Taka(214_326)},
		{"cash below silver nisab", with(func(in *Input) { in.Cash = money.Taka(2_14_325) }), false, 0, money.Taka(2_14_325), money.Taka(214_326)},
		{"cash exactly at silver nisab", with(func(in *Input) { in.Cash = money.Taka(2_14_326) }), true, money.Amount(535_815), money.Taka(2_14_326), money.Taka(214_326)},
		{"one lakh savings plus gold, silver basis", with(func(in *Input) {
			in.Savings, in.Gold = money.Taka(1_00_000), 11_664 // one bhori of gold
		}), true, money.Amount(767_590), money.Amount(30_703_600), money.Taka(214_326)},
		{"same on gold basis is below nisab", with(func(in *Input) {
			in.Savings, in.Gold, in.Basis = money.Taka(1_00_000), 11_664, Gold
		}), false, 0, money.Amount(30_703_600), money.Taka(1_552_770)},
		{"everything, less debts", with(func(in *Input) {
			in.Cash, in.Savings, in.Receivables, in.Debts = money.Taka(50_000), money.Taka(5_00_000), money.Taka(25_000), money.Taka(75_000)
			in.Gold, in.Silver = 20_000, 100_000
		}), true, money.Taka(22_250), money.Taka(8_90_000), money.Taka(214_326)},
		{"debts exceed assets", with(func(in *Input) {
			in.Cash, in.Debts = money.Taka(10_00_000), money.Taka(20_00_000)
		}), false, 0, 0, money.Taka(214_326)},
		{"rounds half up to the paisa", with(func(in *Input) {
			in.Cash, in.NisabSilver = money.Amount(2_000_020), 1 // 20,000.20 × 2.5 % = 500.005
		}), true, money.Amount(50_001), money.Amount(2_000_020), money.Amount(35)},
		{"custom nisab weight", with(func(in *Input) {
			in.Cash, in.Basis, in.NisabGold = money.Taka(9_00_000), Gold, 50_000
		}), true, money.Taka(22_500), money.Taka(9_00_000), money.Taka(8_87_500)},
		{"metal price zero when not held is fine", with(func(in *Input) {
			in.Cash, in.GoldPricePerGram = money.Taka(3_00_000), 0
		}), true, money.Taka(7_500), money.Taka(3_00_000), money.Taka(214_326)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r, err := Calculate(c.in)
			if err != nil {
				t.Fatal(err)
			}
			if r.Due != c.due || r.Zakat != c.zakat || r.Net != c.net || r.NisabValue != c.nisab {
				t.Fatalf("got due=%v zakat=%s net=%s nisab=%s; want due=%v zakat=%s net=%s nisab=%s",
					r.Due, r.Zakat, r.Net, r.NisabValue, c.due, c.zakat, c.net, c.nisab)
			}
			if r.Assets != c.in.Cash+c.in.Savings+c.in.Receivables+r.GoldValue+r.SilverValue {
				t.Fatalf("assets %s do not add up", r.Assets)
			}
		})
	}
}

func TestCalculateRejects(t *testing.T) {
	ok := Input{GoldPricePerGram: money.Taka(17_750), SilverPricePerGram: money.Taka(350), NisabGold: NisabGold, NisabSilver: NisabSilver, Basis: Gold}
	cases := []struct {
		name  string
		f     func(*Input)
		field string
	}{
		{"negative cash", func(in *Input) { in.Cash = -1 }, FieldCash},
		{"negative debts", func(in *Input) { in.Debts = -1 }, FieldDebts},
		{"huge savings", func(in *Input) { in.Savings = money.Max + 1 }, FieldSavings},
		{"negative gold", func(in *Input) { in.Gold = -1 }, FieldGold},
		{"too much silver", func(in *Input) { in.Silver = MaxGrams + 1 }, FieldSilver},
		{"price too high", func(in *Input) { in.GoldPricePerGram = MaxPricePerGram + 1 }, FieldGoldPrice},
		{"no basis", func(in *Input) { in.Basis = "" }, FieldBasis},
		{"gold basis without price", func(in *Input) { in.GoldPricePerGram = 0 }, FieldGoldPrice},
		{"silver basis without price", func(in *Input) { in.Basis, in.SilverPricePerGram = Silver, 0 }, FieldSilverPrice},
		{"zero nisab weight", func(in *Input) { in.NisabGold = 0 }, FieldNisabGold},
		{"silver held but not priced", func(in *Input) { in.Silver, in.SilverPricePerGram = 1000, 0 }, FieldSilverPrice},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			in := ok
			c.f(&in)
			_, err := Calculate(in)
			v, isV := validation.As(err)
			if !isV {
				t.Fatalf("want field errors, got %v", err)
			}
			found := false
			for _, fe := range v {
				found = found || fe.Field == c.field
			}
			if !found {
				t.Fatalf("errors %v do not name %s", v, c.field)
			}
		})
	}
}

func TestDefaultSettingsCalculate(t *testing.T) {
	s := DefaultSettings()
	r, err := Calculate(Input{Cash: money.Taka(10_00_000), GoldPricePerGram: s.GoldPricePerGram, SilverPricePerGram: s.SilverPricePerGram,
		NisabGold: s.NisabGold, NisabSilver: s.NisabSilver, Basis: s.Basis})
	if err != nil || !r.Due || r.Zakat != money.Taka(25_000) {
		t.Fatalf("10 lakh cash: %+v %v", r, err)
	}
}
