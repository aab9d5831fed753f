package receiptpdf

import (
	"strings"

	"github.com/kalyan-platform/kalyan/internal/i18n"
)

// DefaultCitation is the tax-rebate citation printed on receipts unless
// configuration supplies another. Paragraphs are separated by "\n": Bengali
// first, then English.
const DefaultCitation = "আয়কর আইন, ২০২৩-এর ধারা ৭৬(১) এবং ষষ্ঠ তফসিলের অংশ ৩-এর অনুচ্ছেদ ২-এর দফা (১৩) অনুযায়ী " +
	"রোগীকল্যাণ সমিতিকে প্রদত্ত দান করদাতার কর রেয়াতের জন্য বিবেচ্য। জাতীয় রাজস্ব বোর্ডের ২৬ মে ২০২৫ তারিখের " +
	"প্রজ্ঞাপনে রোগীকল্যাণ সমিতির নাম অন্তর্ভুক্ত; এই সুবিধা ৩০ জুন ২০৩০ পর্যন্ত বহাল।\n" +
	"Gifts to a Rogi Kalyan Samiti qualify for the individual tax rebate under section 76(1) of the " +
	"Income Tax Act 2023, Sixth Schedule, Part 3, paragraph 2, clause (13). The National Board of Revenue's " +
	"notification of 26 May 2025 names Rogi Kalyan Samiti; the rebate is available until 30 June 2030."

// bilingual is a label in Bengali and English.
type bilingual struct{ bn, en string }

func (b bilingual) String() string {
	if b.bn == "" {
		return b.en
	}
	return b.bn + " / " + b.en
}

// KindLabel returns the Bengali and English names of a gift kind
// ("zakat", "sadaqah", "general"); unknown kinds are returned as given.
func KindLabel(kind string) (bn, en string) {
	l := kindLabel(kind)
	return l.bn, l.en
}

func kindLabel(kind string) bilingual {
	switch strings.ToLower(kind) {
	case "zakat":
		return bilingual{"যাকাত", "Zakat"}
	case "sadaqah":
		return bilingual{"সদকা", "Sadaqah"}
	case "general", "":
		return bilingual{"সাধারণ দান", "General donation"}
	default:
		return bilingual{"", kind}
	}
}

// ProgrammeLabel returns the Bengali and English names of a programme key
// ("cancer", "thalassaemia", ...); unknown keys are returned as given.
func ProgrammeLabel(key string) (bn, en string) {
	l := programmeLabel(key)
	return l.bn, l.en
}

func programmeLabel(key string) bilingual {
	// The donor pages' names first, so a programme reads the same on the
	// form, the receipt and the verification page.
	if i18n.Has("programme." + key) {
		return bilingual{i18n.BN.Programme(key), i18n.EN.Programme(key)}
	}
	switch strings.ToLower(key) {
	case "cancer":
		return bilingual{"ক্যান্সার রোগীর চিকিৎসা", "Cancer care"}
	case "thalassaemia", "thalassemia":
		return bilingual{"থ্যালাসেমিয়া", "Thalassaemia"}
	case "kidney", "dialysis":
		return bilingual{"কিডনি ও ডায়ালাইসিস", "Kidney and dialysis"}
	case "burn":
		return bilingual{"পোড়া রোগীর চিকিৎসা", "Burn care"}
	case "maternal":
		return bilingual{"মাতৃস্বাস্থ্য", "Maternal health"}
	case "child", "children", "paediatric":
		return bilingual{"শিশু চিকিৎসা", "Child health"}
	case "medicine", "medicines":
		return bilingual{"ওষুধ সহায়তা", "Medicines"}
	case "general":
		return bilingual{"সাধারণ তহবিল", "General fund"}
	default:
		return bilingual{"", key}
	}
}

// MethodLabel returns the Bengali and English names of a payment method
// ("bkash" → "বিকাশ", "cash" → "নগদ অর্থ"); unknown methods as given.
func MethodLabel(m string) (bn, en string) {
	l := methodLabel(m)
	return l.bn, l.en
}

// ReferenceLabel names a gift's payment reference: bKash's transaction ID
// for bKash gifts, the counter's reference for a cash gift (never a bKash
// ID: there is none).
func ReferenceLabel(method string) (bn, en string) {
	if strings.ToLower(method) == "cash" {
		return "নগদ দানের রেফারেন্স", "Cash gift reference"
	}
	return "বিকাশ লেনদেন আইডি (TrxID)", "bKash transaction ID (TrxID)"
}

func methodLabel(m string) bilingual {
	switch strings.ToLower(m) {
	case "bkash":
		return bilingual{"বিকাশ", "bKash"}
	case "bkash_app":
		return bilingual{"বিকাশ অ্যাপ", "bKash app"}
	case "cash":
		return bilingual{"নগদ অর্থ", "Cash"}
	default:
		return bilingual{"", m}
	}
}
