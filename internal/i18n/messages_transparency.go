package i18n

// transparencyMessages are the public transparency pages (issue 19): a
// unit's funds as cards on a phone, the national ledger, recent
// disbursements, campaigns and the needs board. Read-only.
var transparencyMessages = map[string]msg{
	"unit.terms": {"প্রাপ্ত: যত দান এসেছে। বরাদ্দ: অনুমোদিত রোগীর জন্য আলাদা রাখা টাকা। বিতরণ: বরাদ্দ থেকে যা রোগীর চিকিৎসায় দেওয়া হয়েছে। ফেরত: দাতাকে ফেরত দেওয়া টাকা।",
		"Received: gifts that came in. Allocated: money set aside for approved patients. Disbursed: what of it was given for their treatment. Refunded: money returned to donors."},
	"unit.held":         {"ফেরত প্রক্রিয়াধীন", "Refund in progress"},
	"unit.of-allocated": {"বরাদ্দ থেকে রোগীকে বিতরণ: %s", "Of the allocated, given to patients: %s"},
	"unit.funds-h":      {"তহবিল অনুযায়ী হিসাব", "Accounts by fund"},
	"unit.chart-axis":   {"টাকা", "Taka"},

	"ledger.title":     {"জাতীয় হিসাব", "National accounts"},
	"ledger.intro":     {"সারা দেশের রোগীকল্যাণ সমিতিগুলো কত দান পেয়েছে, রোগীর চিকিৎসায় কত দিয়েছে আর দাতাকে কত ফেরত দিয়েছে — বিভাগ ও জেলা অনুযায়ী। প্রতিটি সমিতির নিজের হিসাব তার পাতায়।", "What the Rogi Kalyan Samitis across the country received, gave for patients' treatment and refunded to donors, by division and district. Each samiti's own accounts are on its page."},
	"ledger.fy-label":  {"অর্থবছর (১ জুলাই – ৩০ জুন)", "Fiscal year (1 July – 30 June)"},
	"ledger.fy":        {"অর্থবছর %s", "FY %s"},
	"ledger.all-years": {"শুরু থেকে আজ পর্যন্ত", "From the start to today"},
	"ledger.show":      {"দেখুন", "Show"},
	"ledger.national":  {"সারা দেশ", "Whole country"},
	"ledger.district":  {"জেলা", "District"},
	"ledger.units-of":  {"%s বিভাগের সমিতিগুলো ও তাদের হিসাব", "The samitis of %s division and their accounts"},

	"campaign.h":         {"প্রচারণার অগ্রগতি", "Campaign progress"},
	"campaign.raised":    {"দান এসেছে %s", "%s given"},
	"campaign.raised-of": {"লক্ষ্য %[2]s, দান এসেছে %[1]s", "%s given of a %s goal"},
	"campaign.percent":   {"লক্ষ্যের %s%%", "%s%% of the goal"},
	"campaign.gifts":     {"%sটি দান", "Gifts: %s"},
	"campaign.days-left": {"আর %s দিন বাকি", "%s days left"},
	"campaign.last-day":  {"আজ শেষ দিন", "Today is the last day"},
	"campaign.ended":     {"“%s” প্রচারণায় আর দান নেওয়া হচ্ছে না।", "The campaign “%s” no longer takes gifts."},

	"reach.h":        {"রোগীর কাছে পৌঁছানো সহায়তা", "Help that reached patients"},
	"reach.month":    {"এই মাসে সহায়তা পেয়েছেন", "Patients helped this month"},
	"reach.year":     {"এই অর্থবছরে সহায়তা পেয়েছেন", "Patients helped this fiscal year"},
	"reach.patients": {"%s জন রোগী", "%s patients"},
	"reach.recent":   {"সাম্প্রতিক বিতরণ", "Recent disbursements"},
	"reach.anon":     {"রোগীর নাম বা পরিচয় দেখানো হয় না; প্রতিটি বিতরণ দুজন কর্মী নিশ্চিত করেছেন।", "No patient is named or identified; two staff members confirmed each disbursement."},
	"reach.none":     {"এখনও কোনো বিতরণ হয়নি।", "Nothing has been disbursed yet."},
	"reach.date":     {"তারিখ", "Date"},
	"reach.items":    {"যা দেওয়া হয়েছে", "Given for"},
	"reach.disease":  {"রোগ", "Disease"},
	"reach.amount":   {"টাকা", "Amount"},
	"reach.fund":     {"তহবিল", "Fund"},
}
