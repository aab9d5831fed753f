package bnfmt

import (
	"strings"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// Indian-system scales, largest first; amounts above 99 crore repeat কোটি
// ("এক শত কোটি"), the way cheques and receipts write them.
const (
	crore = 1_00_00_000
	lakh  = 1_00_000
	thou  = 1_000
	hund  = 100
)

// WordsBN writes an amount in Bengali words, the form printed on receipts
// and cheques: "এক লক্ষ পঁচিশ হাজার টাকা পঞ্চাশ পয়সা মাত্র".
func WordsBN(a money.Amount) string {
	u, neg := abs(int64(a))
	taka, paisa := u/100, u%100
	var b strings.Builder
	if neg {
		b.WriteString("ঋণাত্মক ")
	}
	if taka > 0 || paisa == 0 {
		writeBN(&b, taka)
		b.WriteString(" টাকা ")
	}
	if paisa > 0 {
		b.WriteString(bnUnder100(int(paisa)))
		b.WriteString(" পয়সা ")
	}
	b.WriteString("মাত্র")
	return b.String()
}

func writeBN(b *strings.Builder, n uint64) {
	if n == 0 {
		b.WriteString(bnUnder100(0))
		return
	}
	sep := func() {
		if b.Len() > 0 && !strings.HasSuffix(b.String(), " ") {
			b.WriteByte(' ')
		}
	}
	if n >= crore {
		writeBN(b, n/crore)
		b.WriteString(" কোটি")
		n %= crore
	}
	for _, s := range [...]struct {
		unit uint64
		name string
	}{{lakh, "লক্ষ"}, {thou, "হাজার"}, {hund, "শত"}} {
		if n >= s.unit {
			sep()
			b.WriteString(bnUnder100(int(n / s.unit)))
			b.WriteByte(' ')
			b.WriteString(s.name)
			n %= s.unit
		}
	}
	if n > 0 {
		sep()
		b.WriteString(bnUnder100(int(n)))
	}
}

// bnUnder100 returns the Bengali word for 0–99. Bengali number words are
// irregular all the way to 99, so they are listed rather than composed.
func bnUnder100(n int) string {
	return [100]string{
		"শূন্য", "এক", "দুই", "তিন", "চার", "পাঁচ", "ছয়", "সাত", "আট", "নয়",
		"দশ", "এগারো", "বারো", "তেরো", "চৌদ্দ", "পনেরো", "ষোলো", "সতেরো", "আঠারো", "উনিশ",
		"বিশ", "একুশ", "বাইশ", "তেইশ", "চব্বিশ", "পঁচিশ", "ছাব্বিশ", "সাতাশ", "আটাশ", "ঊনত্রিশ",
		"ত্রিশ", "একত্রিশ", "বত্রিশ", "তেত্রিশ", "চৌত্রিশ", "পঁয়ত্রিশ", "ছত্রিশ", "সাঁইত্রিশ", "আটত্রিশ", "ঊনচল্লিশ",
		"চল্লিশ", "একচল্লিশ", "বিয়াল্লিশ", "তেতাল্লিশ", "চুয়াল্লিশ", "পঁয়তাল্লিশ", "ছেচল্লিশ", "সাতচল্লিশ", "আটচল্লিশ", "ঊনপঞ্চাশ",
		"পঞ্চাশ", "একান্ন", "বাহান্ন", "তিপ্পান্ন", "চুয়ান্ন", "পঞ্চান্ন", "ছাপ্পান্ন", "সাতান্ন", "আটান্ন", "ঊনষাট",
		"ষাট", "একষট্টি", "বাষট্টি", "তেষট্টি", "চৌষট্টি", "পঁয়ষট্টি", "ছেষট্টি", "সাতষট্টি", "আটষট্টি", "ঊনসত্তর",
		"সত্তর", "একাত্তর", "বাহাত্তর", "তিয়াত্তর", "চুয়াত্তর", "পঁচাত্তর", "ছিয়াত্তর", "সাতাত্তর", "আটাত্তর", "ঊনআশি",
		"আশি", "একাশি", "বিরাশি", "তিরাশি", "চুরাশি", "পঁচাশি", "ছিয়াশি", "সাতাশি", "অষ্টাশি", "ঊননব্বই",
		"নব্বই", "একানব্বই", "বিরানব্বই", "তিরানব্বই", "চুরানব্বই", "পঁচানব্বই", "ছিয়ানব্বই", "সাতানব্বই", "আটানব্বই", "নিরানব্বই",
	}[n]
}

// WordsEN writes an amount in English words with lakh and crore, as
// Bangladeshi receipts do: "One lakh twenty-five thousand taka and fifty
// paisa only".
func WordsEN(a money.Amount) string {
	u, neg := abs(int64(a))
	taka, paisa := u/100, u%100
	var b strings.Builder
	if neg {
		b.WriteString("minus ")
	}
	if taka > 0 || paisa == 0 {
		writeEN(&b, taka)
		b.WriteString(" taka")
		if paisa > 0 {
			b.WriteString(" and ")
		}
	}
	if paisa > 0 {
		b.WriteString(enUnder100(int(paisa)))
		b.WriteString(" paisa")
	}
	b.WriteString(" only")
	s := b.String()
	return strings.ToUpper(s[:1]) + s[1:]
}

func writeEN(b *strings.Builder, n uint64) {
	if n == 0 {
		b.WriteString("zero")
		return
	}
	start := b.Len()
	sep := func() {
		if b.Len() > start {
			b.WriteByte(' ')
		}
	}
	if n >= crore {
		writeEN(b, n/crore)
		b.WriteString(" crore")
		n %= crore
	}
	for _, s := range [...]struct {
		unit uint64
		name string
	}{{lakh, "lakh"}, {thou, "thousand"}, {hund, "hundred"}} {
		if n >= s.unit {
			sep()
			b.WriteString(enUnder100(int(n / s.unit)))
			b.WriteByte(' ')
			b.WriteString(s.name)
			n %= s.unit
		}
	}
	if n > 0 {
		sep()
		b.WriteString(enUnder100(int(n)))
	}
}

func enUnder100(n int) string {
	ones := [20]string{"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
		"ten", "eleven", "twelve", "thirteen", "fourteen", "fifteen", "sixteen", "seventeen", "eighteen", "nineteen"}
	if n < 20 {
		return ones[n]
	}
	tens := [10]string{"", "", "twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"}
	if n%10 == 0 {
		return tens[n/10]
	}
	return tens[n/10] + "-" + ones[n%10]
}
