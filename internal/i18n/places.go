// Bengali names of divisions and districts, from shared/data/bd-geocode
// (divisions.csv, districts.csv; MIT License, (c) 2014 Nuhil Mehdy).

package i18n

// divisionsBN and districtsBN map the English division and district names
// used in the unit registry to their Bengali names. Read-only.
var divisionsBN = map[string]string{
	"Chattagram": "চট্টগ্রাম",
	"Rajshahi":   "রাজশাহী",
	"Khulna":     "খুলনা",
	"Barisal":    "বরিশাল",
	"Sylhet":     "সিলেট",
	"Dhaka":      "ঢাকা",
	"Rangpur":    "রংপুর",
	"Mymensingh": "ময়মনসিংহ",
}

var districtsBN = map[string]string{
	"Cumilla":         "কুমিল্লা",
	"Feni":            "ফেনী",
	"Brahmanbaria":    "ব্রাহ্মণবাড়িয়া",
	"Rangamati":       "রাঙ্গামাটি",
	"Noakhali":        "নোয়াখালী",
	"Chandpur":        "চাঁদপুর",
	"Lakshmipur":      "লক্ষ্মীপুর",
	"Chattogram":      "চট্টগ্রাম",
	"Coxsbazar":       "কক্সবাজার",
	"Khagrachhari":    "খাগড়াছড়ি",
	"Bandarban":       "বান্দরবান",
	"Sirajganj":       "সিরাজগঞ্জ",
	"Pabna":           "পাবনা",
	"Bogura":          "বগুড়া",
	"Rajshahi":        "রাজশাহী",
	"Natore":          "নাটোর",
	"Joypurhat":       "জয়পুরহাট",
	"Chapainawabganj": "চাঁপাইনবাবগঞ্জ",
	"Naogaon":         "নওগাঁ",
	"Jashore":         "যশোর",
	"Satkhira":        "সাতক্ষীরা",
	"Meherpur":        "মেহেরপুর",
	"Narail":          "নড়াইল",
	"Chuadanga":       "চুয়াডাঙ্গা",
	"Kushtia":         "কুষ্টিয়া",
	"Magura":          "মাগুরা",
	"Khulna":          "খুলনা",
	"Bagerhat":        "বাগেরহাট",
	"Jhenaidah":       "ঝিনাইদহ",
	"Jhalakathi":      "ঝালকাঠি",
	"Patuakhali":      "পটুয়াখালী",
	"Pirojpur":        "পিরোজপুর",
	"Barisal":         "বরিশাল",
	"Bhola":           "ভোলা",
	"Barguna":         "বরগুনা",
	"Sylhet":          "সিলেট",
	"Moulvibazar":     "মৌলভীবাজার",
	"Habiganj":        "হবিগঞ্জ",
	"Sunamganj":       "সুনামগঞ্জ",
	"Narsingdi":       "নরসিংদী",
	"Gazipur":         "গাজীপুর",
	"Shariatpur":      "শরীয়তপুর",
	"Narayanganj":     "নারায়ণগঞ্জ",
	"Tangail":         "টাঙ্গাইল",
	"Kishoreganj":     "কিশোরগঞ্জ",
	"Manikganj":       "মানিকগঞ্জ",
	"Dhaka":           "ঢাকা",
	"Munshiganj":      "মুন্সিগঞ্জ",
	"Rajbari":         "রাজবাড়ী",
	"Madaripur":       "মাদারীপুর",
	"Gopalganj":       "গোপালগঞ্জ",
	"Faridpur":        "ফরিদপুর",
	"Panchagarh":      "পঞ্চগড়",
	"Dinajpur":        "দিনাজপুর",
	"Lalmonirhat":     "লালমনিরহাট",
	"Nilphamari":      "নীলফামারী",
	"Gaibandha":       "গাইবান্ধা",
	"Thakurgaon":      "ঠাকুরগাঁও",
	"Rangpur":         "রংপুর",
	"Kurigram":        "কুড়িগ্রাম",
	"Sherpur":         "শেরপুর",
	"Mymensingh":      "ময়মনসিংহ",
	"Jamalpur":        "জামালপুর",
	"Netrokona":       "নেত্রকোণা",
}

// Division names a division in the language ("Dhaka" → "ঢাকা").
func (l Lang) Division(en string) string { return l.place(divisionsBN, en) }

// District names a district in the language.
func (l Lang) District(en string) string { return l.place(districtsBN, en) }

func (l Lang) place(m map[string]string, en string) string {
	if l == BN {
		if bn, ok := m[en]; ok {
			return bn
		}
	}
	return en
}
