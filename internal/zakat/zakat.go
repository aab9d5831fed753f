// Package zakat calculates the zakat due on a donor's wealth: cash,
// savings, gold and silver by weight, and money owed to the donor, less the
// donor's debts, at 2.5 % once the total reaches the nisab (the value of
// 87.48 g of gold or 612.36 g of silver, whichever the donor follows).
//
// It is pure arithmetic on integer paisa and milligrams, so the same input
// always gives the same figure to the paisa.
package zakat

import (
	"errors"
	"math"
	"math/bits"
	"strconv"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Basis is the metal whose nisab the donor follows.
type Basis string

// Nisab bases.
const (
	Gold   Basis = "gold"
	Silver Basis = "silver"
)

// Grams is a weight in milligrams (1 g = 1000), so weights such as 87.48 g
// are exact.
type Grams int64

// Nisab weights of the classical texts (7.5 tola of gold, 52.5 tola of silver).
const (
	NisabGold   Grams = 87_480
	NisabSilver Grams = 612_360
)

// MaxGrams bounds any weight (1,000 kg) and MaxPricePerGram any metal price
// (Tk 10,00,000 a gram), so value = weight × price stays far inside int64.
const (
	MaxGrams        Grams        = 1_000_000_000
	MaxPricePerGram money.Amount = 10_00_000 * 100
)

// Errors of ParseGrams.
var (
	ErrGramsSyntax = errors.New("weight must be a number of grams like 11.664")
	ErrGramsRange  = errors.New("weight is too large")
)

// ParseGrams reads a non-negative decimal number of grams with at most three
// decimals ("87.48" → 87480 mg). Empty means zero.
func ParseGrams(s string) (Grams, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return 0, nil
	}
	whole, frac, hasDot := strings.Cut(s, ".")
	if (whole == "" && frac == "") || !digits(whole) || !digits(frac) || (hasDot && frac == "") || len(frac) > 3 {
		return 0, ErrGramsSyntax
	}
	whole = strings.TrimLeft(whole, "0")
	if len(whole) > 7 {
		return 0, ErrGramsRange
	}
	var w int64
	if whole != "" {
		w, _ = strconv.ParseInt(whole, 10, 64)
	}
	f, _ := strconv.ParseInt((frac + "000")[:3], 10, 64)
	g := Grams(w*1000 + f)
	if g > MaxGrams {
		return 0, ErrGramsRange
	}
	return g, nil
}

func digits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// String formats the weight in grams without trailing zeros ("87.48", "612.36", "10").
func (g Grams) String() string {
	s := strconv.FormatInt(int64(g/1000), 10)
	if f := g % 1000; f != 0 {
		s += "." + strings.TrimRight(strconv.FormatInt(int64(1000+f), 10)[1:], "0")
	}
	return s
}

// Value is the price of weight g at price per gram, rounded half up to the
// paisa.
func Value(g Grams, perGram money.Amount) money.Amount {
	if g <= 0 || perGram <= 0 {
		return 0
	}
	hi, lo := bits.Mul64(uint64(g), uint64(perGram))
	lo, carry := bits.Add64(lo, 500, 0)
	hi += carry
	if hi >= 1000 {
		return math.MaxInt64 // beyond any bound Calculate accepts
	}
	q, _ := bits.Div64(hi, lo, 1000)
	if q > math.MaxInt64 {
		return math.MaxInt64
	}
	return money.Amount(q)
}

// Settings are the calculator's defaults: the platform's configured metal
// prices and nisab weights, which the donor can change on the page.
type Settings struct {
	GoldPricePerGram   money.Amount
	SilverPricePerGram money.Amount
	NisabGold          Grams
	NisabSilver        Grams
	Basis              Basis
}

// DefaultSettings are used where configuration gives none. The prices are
// indicative Dhaka market prices per gram (22 carat) and need updating as
// the market moves; the page asks donors to check today's price.
func DefaultSettings() Settings {
	return Settings{
		GoldPricePerGram:   money.Taka(17_750),
		SilverPricePerGram: money.Taka(350),
		NisabGold:          NisabGold,
		NisabSilver:        NisabSilver,
		Basis:              Silver,
	}
}

// Input is what the donor holds and owes, with the metal prices and nisab
// weights to use.
type Input struct {
	Cash        money.Amount
	Savings     money.Amount
	Receivables money.Amount
	Debts       money.Amount
	Gold        Grams
	Silver      Grams

	GoldPricePerGram   money.Amount
	SilverPricePerGram money.Amount

	Basis       Basis
	NisabGold   Grams
	NisabSilver Grams
}

// Result is the calculation, every step shown.
type Result struct {
	GoldValue   money.Amount
	SilverValue money.Amount
	// Assets is cash + savings + receivables + gold and silver value.
	Assets money.Amount
	Debts  money.Amount
	// Net is Assets less Debts, never below zero.
	Net money.Amount

	Basis      Basis
	NisabGrams Grams
	NisabValue money.Amount
	// Due is true when Net reaches the nisab.
	Due bool
	// Zakat is 2.5 % of Net when Due, rounded half up to the paisa.
	Zakat money.Amount
}

// Field names in validation errors, matching the calculator form.
const (
	FieldCash        = "cash"
	FieldSavings     = "savings"
	FieldReceivables = "receivables"
	FieldDebts       = "debts"
	FieldGold        = "gold"
	FieldSilver      = "silver"
	FieldGoldPrice   = "gold_price"
	FieldSilverPrice = "silver_price"
	FieldBasis       = "basis"
	FieldNisabGold   = "nisab_gold"
	FieldNisabSilver = "nisab_silver"
)

// Messages of Calculate's field errors.
const (
	MsgNegative     = "must not be negative"
	MsgTooLarge     = "is too large"
	MsgPriceMissing = "price per gram is needed to value the nisab"
	MsgBasis        = "must be gold or silver"
	MsgNisabWeight  = "nisab weight must be more than zero"
)

// Calculate works out the zakat due.
func Calculate(in Input) (Result, error) {
	var v validation.Errors
	for _, a := range []struct {
		field string
		v     money.Amount
	}{{FieldCash, in.Cash}, {FieldSavings, in.Savings}, {FieldReceivables, in.Receivables}, {FieldDebts, in.Debts}} {
		switch {
		case a.v < 0:
			v.Add(a.field, MsgNegative)
		case a.v > money.Max:
			v.Add(a.field, MsgTooLarge)
		}
	}
	for _, g := range []struct {
		field string
		v     Grams
	}{{FieldGold, in.Gold}, {FieldSilver, in.Silver}, {FieldNisabGold, in.NisabGold}, {FieldNisabSilver, in.NisabSilver}} {
		switch {
		case g.v < 0:
			v.Add(g.field, MsgNegative)
		case g.v > MaxGrams:
			v.Add(g.field, MsgTooLarge)
		}
	}
	for _, p := range []struct {
		field string
		v     money.Amount
	}{{FieldGoldPrice, in.GoldPricePerGram}, {FieldSilverPrice, in.SilverPricePerGram}} {
		switch {
		case p.v < 0:
			v.Add(p.field, MsgNegative)
		case p.v > MaxPricePerGram:
			v.Add(p.field, MsgTooLarge)
		}
	}
	r := Result{Basis: in.Basis}
	switch in.Basis {
	case Gold:
		r.NisabGrams = in.NisabGold
		if in.GoldPricePerGram == 0 {
			v.Add(FieldGoldPrice, MsgPriceMissing)
		}
		if in.NisabGold == 0 {
			v.Add(FieldNisabGold, MsgNisabWeight)
		}
	case Silver:
		r.NisabGrams = in.NisabSilver
		if in.SilverPricePerGram == 0 {
			v.Add(FieldSilverPrice, MsgPriceMissing)
		}
		if in.NisabSilver == 0 {
			v.Add(FieldNisabSilver, MsgNisabWeight)
		}
	default:
		v.Add(FieldBasis, MsgBasis)
	}
	// A metal the donor holds must be priced to be counted.
	if in.Gold > 0 && in.GoldPricePerGram == 0 && in.Basis != Gold {
		v.Add(FieldGoldPrice, MsgPriceMissing)
	}
	if in.Silver > 0 && in.SilverPricePerGram == 0 && in.Basis != Silver {
		v.Add(FieldSilverPrice, MsgPriceMissing)
	}
	if err := v.Err(); err != nil {
		return Result{}, err
	}

	r.GoldValue = Value(in.Gold, in.GoldPricePerGram)
	r.SilverValue = Value(in.Silver, in.SilverPricePerGram)
	r.Assets = in.Cash + in.Savings + in.Receivables + r.GoldValue + r.SilverValue
	r.Debts = in.Debts
	r.Net = max(r.Assets-r.Debts, 0)
	if in.Basis == Gold {
		r.NisabValue = Value(in.NisabGold, in.GoldPricePerGram)
	} else {
		r.NisabValue = Value(in.NisabSilver, in.SilverPricePerGram)
	}
	r.Due = r.Net > 0 && r.Net >= r.NisabValue
	if r.Due {
		// 2.5 % = 1/40, half up: (net + 20) / 40 paisa.
		r.Zakat = (r.Net + 20) / 40
	}
	return r, nil
}
