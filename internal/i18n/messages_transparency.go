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
}
