package config

import (
	"errors"
	"fmt"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/zakat"
)

// Zakat holds the zakat calculator's defaults. Donors can change every one
// of them on the page; these are what it starts with. Metal prices move
// daily: operators update them (e.g. from the jewellers' association's
// published 22-carat rate).
type Zakat struct {
	// GoldPricePerGram and SilverPricePerGram are taka per gram ("17750").
	GoldPricePerGram   string `yaml:"goldPricePerGram" env:"GOLD_PRICE_PER_GRAM"`
	SilverPricePerGram string `yaml:"silverPricePerGram" env:"SILVER_PRICE_PER_GRAM"`
	// NisabGoldGrams and NisabSilverGrams are the nisab weights ("87.48", "612.36").
	NisabGoldGrams   string `yaml:"nisabGoldGrams" env:"NISAB_GOLD_GRAMS"`
	NisabSilverGrams string `yaml:"nisabSilverGrams" env:"NISAB_SILVER_GRAMS"`
	// NisabBasis is the metal selected at first: gold or silver.
	NisabBasis string `yaml:"nisabBasis" env:"NISAB_BASIS"`
}

func defaultZakat() Zakat {
	d := zakat.DefaultSettings()
	return Zakat{
		GoldPricePerGram: d.GoldPricePerGram.String(), SilverPricePerGram: d.SilverPricePerGram.String(),
		NisabGoldGrams: d.NisabGold.String(), NisabSilverGrams: d.NisabSilver.String(), NisabBasis: string(d.Basis),
	}
}

// ZakatSettings parses the calculator defaults.
func (c Config) ZakatSettings() (zakat.Settings, error) {
	var errs []error
	bad := func(setting string, err error) { errs = append(errs, fmt.Errorf("%s: %w", setting, err)) }
	var s zakat.Settings
	var err error
	if s.GoldPricePerGram, err = money.Parse(c.Zakat.GoldPricePerGram); err != nil || s.GoldPricePerGram == 0 || s.GoldPricePerGram > zakat.MaxPricePerGram {
		bad("KALYAN_ZAKAT_GOLD_PRICE_PER_GRAM", errors.New("must be a positive taka amount like 17750"))
	}
	if s.SilverPricePerGram, err = money.Parse(c.Zakat.SilverPricePerGram); err != nil || s.SilverPricePerGram == 0 || s.SilverPricePerGram > zakat.MaxPricePerGram {
		bad("KALYAN_ZAKAT_SILVER_PRICE_PER_GRAM", errors.New("must be a positive taka amount like 350"))
	}
	if s.NisabGold, err = zakat.ParseGrams(c.Zakat.NisabGoldGrams); err != nil || s.NisabGold == 0 {
		bad("KALYAN_ZAKAT_NISAB_GOLD_GRAMS", errors.New("must be a positive weight in grams like 87.48"))
	}
	if s.NisabSilver, err = zakat.ParseGrams(c.Zakat.NisabSilverGrams); err != nil || s.NisabSilver == 0 {
		bad("KALYAN_ZAKAT_NISAB_SILVER_GRAMS", errors.New("must be a positive weight in grams like 612.36"))
	}
	switch s.Basis = zakat.Basis(c.Zakat.NisabBasis); s.Basis {
	case zakat.Gold, zakat.Silver:
	default:
		bad("KALYAN_ZAKAT_NISAB_BASIS", errors.New("must be gold or silver"))
	}
	return s, errors.Join(errs...)
}
