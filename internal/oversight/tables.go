package oversight

import (
	"strconv"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

// cell is one value of a table: text, a taka amount or a count.
type cell struct {
	text   string
	amount *money.Amount
	count  *int64
	days   *float64
}

func txt(s string) cell              { return cell{text: s} }
func amt(a money.Amount) cell        { return cell{amount: &a} }
func cnt(n int64) cell               { return cell{count: &n} }
func avgDays(a reports.Average) cell { d := a.Days(); return cell{days: &d} }

// plain is the cell as CSV and XLSX write it (Latin digits, taka with
// paisa, no grouping).
func (c cell) plain() string {
	switch {
	case c.amount != nil:
		return c.amount.String()
	case c.count != nil:
		return strconv.FormatInt(*c.count, 10)
	case c.days != nil:
		return strconv.FormatFloat(*c.days, 'f', 1, 64)
	}
	return c.text
}

// table is one section of a report, in every format.
type table struct {
	// ID names the XLSX sheet and the CSV section.
	ID     string
	Title  label
	Header []label
	Rows   [][]cell
}

// label is a Bengali text with its English.
type label struct{ BN, EN string }

func (l label) both() string {
	if l.EN == "" || l.EN == l.BN {
		return l.BN
	}
	return l.BN + " / " + l.EN
}

// tables lays a report out as the tables every format shows, in order.
func tables(r *reports.Report) []table {
	amountCount := []label{{"", ""}, {"টাকা", "Taka"}, {"সংখ্যা", "Count"}}
	breakdown := func(id string, title label, dim label, ls []reports.Line, names func(string) label) table {
		t := table{ID: id, Title: title, Header: append([]label{dim}, amountCount[1:]...)}
		for _, l := range ls {
			t.Rows = append(t.Rows, []cell{txt(names(l.Key).both()), amt(l.Amount), cnt(l.Count)})
		}
		return t
	}
	summary := table{ID: "summary", Title: label{"সারসংক্ষেপ", "Summary"}, Header: []label{{"বিষয়", "Figure"}, {"মান", "Value"}}}
	add := func(l label, c cell) { summary.Rows = append(summary.Rows, []cell{txt(l.both()), c}) }
	add(label{"ইউনিট", "Units"}, cnt(int64(r.Units)))
	add(label{"দান (টাকা)", "Gifts (taka)"}, amt(r.Gifts.Amount))
	add(label{"দানের সংখ্যা", "Gifts (count)"}, cnt(r.Gifts.Count))
	add(label{"ফেরত (টাকা)", "Refunds (taka)"}, amt(r.Refunds.Amount))
	add(label{"অনুমোদিত সহায়তা (টাকা)", "Aid approved (taka)"}, amt(r.Approved.Amount))
	add(label{"অনুমোদিত আবেদন", "Requests approved"}, cnt(r.Approved.Count))
	add(label{"প্রদত্ত সহায়তা (টাকা)", "Aid given (taka)"}, amt(r.Given.Amount))
	add(label{"তহবিলে ফেরত (টাকা)", "Returned to funds (taka)"}, amt(r.Returned))
	add(label{"সহায়তাপ্রাপ্ত রোগী", "Patients helped (distinct)"}, cnt(r.Patients.Distinct))
	add(label{"নতুন রোগী", "New patients"}, cnt(r.Patients.New))
	add(label{"পুনরায় সহায়তাপ্রাপ্ত", "Repeat patients"}, cnt(r.Patients.Repeat))
	add(label{"যাকাত প্রাপ্ত", "Zakat received"}, amt(r.Zakat.Received))
	add(label{"যাকাত ফেরত", "Zakat refunded"}, amt(r.Zakat.Refunded))
	add(label{"যাকাত ব্যয় (যোগ্য রোগী)", "Zakat spent on eligible patients"}, amt(r.Zakat.SpentEligible))
	add(label{"যাকাত ব্যয় (অযোগ্য — হওয়া উচিত নয়)", "Zakat spent on ineligible patients (must be 0)"}, amt(r.Zakat.SpentIneligible))
	add(label{"এক চান্দ্র বছরের বেশি অলস যাকাত", "Zakat idle over a lunar year"}, amt(r.Zakat.Idle))
	add(label{"অপেক্ষমাণ আবেদন", "Waitlist requests"}, cnt(int64(r.Waitlist.Requests)))
	add(label{"অপেক্ষমাণদের প্রয়োজন (টাকা)", "Waitlist needs (taka)"}, amt(r.Waitlist.Needed))
	add(label{"দীর্ঘতম অপেক্ষা (দিন)", "Longest wait (days)"}, cnt(int64(r.Waitlist.OldestDays(r.AsOf))))
	add(label{"আবেদন থেকে অনুমোদন (গড় দিন)", "Filing to approval (average days)"}, avgDays(r.FileToApprove))
	add(label{"অনুমোদন থেকে প্রদান (গড় দিন)", "Approval to first aid given (average days)"}, avgDays(r.ApproveToGive))

	monthly := table{ID: "monthly", Title: label{"মাসভিত্তিক", "By month"},
		Header: []label{{"মাস", "Month"}, {"দান", "Gifts"}, {"ফেরত", "Refunds"}, {"প্রদত্ত সহায়তা", "Aid given"}}}
	for _, m := range r.Monthly {
		monthly.Rows = append(monthly.Rows, []cell{txt(m.Month), amt(m.Gifts), amt(m.Refunds), amt(m.Given)})
	}
	out := []table{summary, monthly,
		breakdown("gifts-kind", label{"দান: ধরন অনুযায়ী", "Gifts by kind"}, label{"ধরন", "Kind"}, r.GiftsBy["kind"], kindName),
		breakdown("gifts-programme", label{"দান: কর্মসূচি অনুযায়ী", "Gifts by programme"}, label{"কর্মসূচি", "Programme"}, r.GiftsBy["programme"], programmeName),
		breakdown("gifts-channel", label{"দান: মাধ্যম অনুযায়ী", "Gifts by channel"}, label{"মাধ্যম", "Channel"}, r.GiftsBy["channel"], channelName),
		breakdown("refunds-kind", label{"ফেরত: ধরন অনুযায়ী", "Refunds by kind"}, label{"ধরন", "Kind"}, r.RefundsBy["kind"], kindName),
		breakdown("aid-disease", label{"প্রদত্ত সহায়তা: রোগ অনুযায়ী", "Aid given by disease"}, label{"রোগ", "Disease"}, r.GivenBy["disease"], diseaseName),
		breakdown("aid-item", label{"প্রদত্ত সহায়তা: খাত অনুযায়ী", "Aid given by item type"}, label{"খাত", "Item type"}, r.GivenBy["category"], itemName),
		breakdown("aid-urgency", label{"প্রদত্ত সহায়তা: জরুরিতা অনুযায়ী", "Aid given by urgency"}, label{"জরুরিতা", "Urgency"}, r.GivenBy["urgency"], urgencyName),
		breakdown("approved-disease", label{"অনুমোদিত সহায়তা: রোগ অনুযায়ী", "Aid approved by disease"}, label{"রোগ", "Disease"}, r.ApprovedBy["disease"], diseaseName),
		breakdown("funds-spent", label{"তহবিল থেকে ব্যয়", "Aid paid by fund"}, label{"তহবিল", "Fund"}, r.SpentBy, fundName),
	}
	if len(r.Children) > 0 {
		c := table{ID: "rollup", Title: label{"অন্তর্ভুক্ত এলাকা/ইউনিট", "Roll-up"},
			Header: []label{{"নাম", "Name"}, {"ইউনিট", "Units"}, {"দান", "Gifts"}, {"ফেরত", "Refunds"}, {"প্রদত্ত সহায়তা", "Aid given"},
				{"রোগী", "Patients"}, {"অপেক্ষমাণ", "Waitlist"}, {"অলস যাকাত", "Idle zakat"}}}
		for _, ch := range r.Children {
			name := label{ch.NameBN, ch.NameEN}
			if name.BN == "" {
				name = label{ch.Code, ch.Code}
			}
			c.Rows = append(c.Rows, []cell{txt(name.both()), cnt(int64(ch.Units)), amt(ch.Gifts.Amount), amt(ch.Refunds.Amount), amt(ch.Given.Amount),
				cnt(ch.Patients), cnt(int64(ch.Waitlist.Requests)), amt(ch.ZakatIdle)})
		}
		out = append(out, c)
	}
	return out
}

func named(m map[string]label) func(string) label {
	return func(k string) label {
		if l, ok := m[k]; ok {
			return l
		}
		if k == "" {
			return label{"—", "—"}
		}
		return label{k, k}
	}
}

var (
	kindName    = named(map[string]label{"zakat": {"যাকাত", "Zakat"}, "sadaqah": {"সদকা", "Sadaqah"}, "general": {"সাধারণ দান", "General"}})
	channelName = named(map[string]label{reports.ChannelLink: {"বিকাশ লিংক", "bKash link"}, reports.ChannelCounter: {"কাউন্টার (নগদ)", "Counter (cash)"},
		reports.ChannelApp: {"বিকাশ অ্যাপ", "bKash app"}})
	programmeName = named(map[string]label{"": {"কোনো কর্মসূচি নয়", "No programme"}, "cancer": {"ক্যান্সার", "Cancer"}, "kidney": {"কিডনি", "Kidney"},
		"liver-cirrhosis": {"লিভার সিরোসিস", "Liver cirrhosis"}, "stroke-paralysis": {"স্ট্রোকে প্যারালাইজড", "Stroke paralysis"},
		"congenital-heart": {"জন্মগত হৃদরোগ", "Congenital heart disease"}, "thalassaemia": {"থ্যালাসেমিয়া", "Thalassaemia"}, "burn": {"দগ্ধ", "Burn"}})
	diseaseName = named(map[string]label{"general": {"সাধারণ", "General"}, "cancer": {"ক্যান্সার", "Cancer"}, "kidney": {"কিডনি", "Kidney"},
		"liver-cirrhosis": {"লিভার সিরোসিস", "Liver cirrhosis"}, "stroke-paralysis": {"স্ট্রোকে প্যারালাইজড", "Stroke paralysis"},
		"congenital-heart": {"জন্মগত হৃদরোগ", "Congenital heart disease"}, "thalassaemia": {"থ্যালাসেমিয়া", "Thalassaemia"}, "burn": {"দগ্ধ", "Burn"},
		"other": {"অন্যান্য", "Other"}})
	itemName = named(map[string]label{"medicine": {"ওষুধ", "Medicine"}, "tests": {"পরীক্ষা", "Tests"}, "blood": {"রক্ত", "Blood"},
		"devices": {"চিকিৎসা সরঞ্জাম", "Devices"}, "surgery": {"অস্ত্রোপচার", "Surgery"}, "diet": {"পথ্য", "Diet"}, "clothing": {"বস্ত্র", "Clothing"},
		"transport": {"যাতায়াত", "Transport"}, "burial": {"দাফন", "Burial"}, "other": {"অন্যান্য", "Other"}})
	urgencyName = named(map[string]label{"critical": {"সংকটাপন্ন", "Critical"}, "high": {"জরুরি", "High"}, "normal": {"সাধারণ", "Normal"}, "low": {"কম", "Low"}})
)

// fundName names a ledger fund ("zakat", "zakat:cancer", "cancer", …).
func fundName(f string) label {
	if p, ok := cutZakat(f); ok {
		pn := programmeName(p)
		return label{"যাকাত: " + pn.BN, "Zakat: " + pn.EN}
	}
	switch f {
	case "zakat", "sadaqah", "general":
		return kindName(f)
	case "grant":
		return label{"সরকারি অনুদান", "Government grant"}
	}
	return programmeName(f)
}

func cutZakat(f string) (string, bool) {
	const p = "zakat:"
	if len(f) > len(p) && f[:len(p)] == p {
		return f[len(p):], true
	}
	return "", false
}
