package i18n

// selfServiceMessages are the donor's self-service and trust pages (issue
// 19): how the rebate works, privacy, refunds, contact, the annual
// statement and "My gifts". Read-only.
var selfServiceMessages = map[string]msg{
	// How the tax rebate works.
	"rebate.title":          {"কর রেয়াত কীভাবে পাবেন", "How the tax rebate works"},
	"rebate.who":            {"বাংলাদেশে আয়কর রিটার্ন দেন এমন যেকোনো ব্যক্তি করদাতা এই রেয়াত দাবি করতে পারেন। যাকাত, সদকা ও সাধারণ দান — সবই বিবেচ্য।", "Any individual taxpayer who files a return in Bangladesh can claim it. Zakat, sadaqah and general donations all count."},
	"rebate.steps":          {"যা করতে হবে", "What to do"},
	"rebate.s1":             {"দানের সময় আপনার মোবাইল নম্বর দিন; ই-টিআইএন থাকলে সেটিও দিন, রসিদে ছাপা হবে।", "Give your mobile number when you give, and your e-TIN if you have one: it is printed on the receipt."},
	"rebate.s2":             {"প্রতিটি দানের পর সমিতির ইলেকট্রনিক স্বাক্ষরসহ রসিদ (PDF) পাবেন। রসিদের QR কোড খুলে যে কেউ তা যাচাই করতে পারেন।", "After each gift you get a receipt (PDF) signed electronically by the Samiti. Anyone can check it by opening its QR code."},
	"rebate.s3":             {"অর্থবছর (১ জুলাই – ৩০ জুন) শেষে বার্ষিক বিবরণী নিন: সব হাসপাতালে আপনার সব দান এক তালিকায়।", "When the fiscal year (1 July – 30 June) ends, get your annual statement: every gift to every hospital in one list."},
	"rebate.s4":             {"রিটার্নে রেয়াতের অংশে মোট দানের অঙ্ক লিখুন এবং রসিদ বা বিবরণী প্রমাণ হিসেবে রাখুন। রেয়াতের সীমা আইনে নির্ধারিত; প্রয়োজনে কর আইনজীবী বা জাতীয় রাজস্ব বোর্ডের পরামর্শ নিন।", "Enter the total of your gifts in the rebate part of your return and keep the receipts or the statement as proof. The Act sets the limits of the rebate; ask a tax adviser or the National Board of Revenue if unsure."},
	"rebate.refund":         {"কোনো দান ফেরত দেওয়া হলে ফেরতের অংশ রেয়াতযোগ্য থাকে না। বাতিল নোটে লেখা থাকে রসিদের কত অংশ এখনও রেয়াতযোগ্য।", "If a gift is refunded, the refunded part no longer counts. The cancellation note says how much of the receipt still does."},
	"rebate.statement-link": {"বার্ষিক বিবরণী নিন", "Get your annual statement"},

	// Privacy.
	"privacy.title":   {"গোপনীয়তা", "Privacy"},
	"privacy.what-h":  {"আমরা কী রাখি, কেন", "What we keep, and why"},
	"privacy.what":    {"আপনার নাম, মোবাইল নম্বর, ইচ্ছা হলে ইমেইল ও ই-টিআইএন: শুধু রসিদ তৈরি, রসিদ ও বিবরণী পাঠানো এবং আপনার প্রশ্নের উত্তর দেওয়ার জন্য।", "Your name, mobile number and, if you give them, e-mail and e-TIN: only to make your receipt, send you receipts and statements, and answer your questions."},
	"privacy.who-h":   {"কে দেখতে পায়", "Who sees it"},
	"privacy.who":     {"আপনার তথ্য কখনো প্রকাশ করা হয় না। সমিতির হিসাবের পাতায় দাতা বা রোগীর কোনো ব্যক্তিগত তথ্য থাকে না; রসিদ যাচাইয়ের পাতায় নাম ও নম্বর ঢাকা থাকে। বিকাশ আপনার পরিশোধ প্রক্রিয়া করে; এসএমএস পাঠাতে আপনার নম্বর এসএমএস সেবাদাতার কাছে যায়।", "Your details are never published. A Samiti's accounts page shows no donor's or patient's personal data; the receipt check page masks the name and number. bKash processes your payment; your number goes to the SMS provider to send you messages."},
	"privacy.keep-h":  {"কতদিন রাখা হয়", "How long we keep it"},
	"privacy.keep":    {"দান, রসিদ, বাতিল নোট ও হিসাবের খাতা আর্থিক রেকর্ড: আইন যতদিন রাখতে বলে ততদিন রাখা হয় এবং মোছা যায় না, কারণ কর রেয়াত ও নিরীক্ষা এগুলোর ওপর নির্ভর করে। এর বাইরের তথ্য (যেমন ভবিষ্যতের রসিদের জন্য রাখা নাম, ইমেইল ও ই-টিআইএন) আপনি \"আমার দান\" পাতা থেকে মুছে ফেলতে বলতে পারেন।", "Gifts, receipts, cancellation notes and the ledger are financial records: they are kept as long as the law requires and cannot be erased, because tax rebates and audits rely on them. Anything else (such as the name, e-mail and e-TIN kept for future receipts) you can ask us to erase from the \"My gifts\" page."},
	"privacy.logs":    {"আমাদের লগে আপনার নাম, নম্বর, ইমেইল বা ই-টিআইএন লেখা হয় না।", "Our logs never record your name, number, e-mail or e-TIN."},
	"privacy.my-link": {"আমার দান: আপনার তথ্য দেখুন, বদলান বা মুছতে বলুন", "My gifts: see, change or ask to erase your details"},

	// Refund policy.
	"refunds.title": {"ফেরতের নীতি", "Refund policy"},
	"refunds.when":  {"ভুল অঙ্ক, দুবার পরিশোধ বা অন্য কোনো ভুলে দান করে থাকলে রসিদ নম্বরসহ হাসপাতালের সমাজসেবা কার্যালয়ে জানান (যোগাযোগ হাসপাতালের হিসাবের পাতায়)।", "If you gave the wrong amount, paid twice or gave by mistake, tell the hospital's social service office, with the receipt number (its contact is on the hospital's accounts page)."},
	"refunds.how":   {"যে টাকা এখনও রোগীর জন্য খরচ হয়নি, সমিতি তা পুরো বা আংশিক ফেরত দিতে পারে: বিকাশের দান একই বিকাশ নম্বরে, নগদ দান নগদে। ফেরতের আগে টাকাটি হিসাবে আটকে রাখা হয়, তাই একই টাকা রোগীকে দেওয়া ও ফেরত — দুটো হতে পারে না।", "Money not yet spent on patients can be refunded in full or in part: a bKash gift to the same bKash number, a cash gift in cash. The amount is held in the ledger first, so the same money can never be both given to a patient and refunded."},
	"refunds.spent": {"রোগীর চিকিৎসায় খরচ হয়ে যাওয়া টাকা ফেরত দেওয়া যায় না।", "Money already spent on a patient's treatment cannot be refunded."},
	"refunds.note":  {"প্রতিটি ফেরতের জন্য স্বাক্ষরিত বাতিল নোট পাবেন; মূল রসিদ অপরিবর্তিত থাকে, আর নোটে লেখা থাকে রসিদের কত অংশ এখনও কর রেয়াতযোগ্য।", "Each refund comes with a signed cancellation note; the original receipt stays as it was, and the note says how much of it still qualifies for the tax rebate."},

	// Contact and complaints.
	"contact.title":      {"যোগাযোগ ও অভিযোগ", "Contact and complaints"},
	"contact.intro":      {"দান, রসিদ বা ফেরত নিয়ে প্রশ্ন বা অভিযোগ থাকলে যে হাসপাতালে দান করেছেন তার সমাজসেবা কার্যালয়ে জানান। রসিদ নম্বর সঙ্গে রাখুন।", "For a question or complaint about a gift, a receipt or a refund, contact the social service office of the hospital you gave to. Have the receipt number ready."},
	"contact.escalate":   {"সমাধান না পেলে জেলা সমাজসেবা কার্যালয় বা সমাজসেবা অধিদপ্তরে লিখিত অভিযোগ করতে পারেন।", "If it is not resolved, you can complain in writing to the district social services office or the Department of Social Services."},
	"contact.find":       {"হাসপাতালের যোগাযোগ খুঁজুন", "Find a hospital's contact"},
	"contact.find-hint":  {"হাসপাতাল, জেলা বা উপজেলার নাম লিখুন", "Write the name of a hospital, district or upazila"},
	"contact.search":     {"খুঁজুন", "Search"},
	"contact.unit-h":     {"%s: যোগাযোগ", "%s: contact"},
	"contact.office":     {"কার্যালয়", "Office"},
	"contact.phone":      {"ফোন", "Phone"},
	"contact.email":      {"ইমেইল", "E-mail"},
	"contact.none":       {"এই হাসপাতাল এখনও অনলাইনে যোগাযোগের তথ্য দেয়নি। হাসপাতালের সমাজসেবা কার্যালয়ে সরাসরি যোগাযোগ করুন।", "This hospital has not published its contact details online yet. Please visit its social service office."},
	"contact.accounts":   {"এই সমিতির হিসাব দেখুন", "See this samiti's accounts"},
	"contact.err.q":      {"খুঁজতে অন্তত দুটি অক্ষর লিখুন", "Write at least two letters to search"},
	"contact.results":    {"খোঁজের ফল", "Search results"},
	"contact.none-found": {"কোনো হাসপাতাল পাওয়া যায়নি। অন্য নাম লিখে দেখুন।", "No hospital found. Try another name."},
	"contact.more":       {"আরও হাসপাতাল আছে; আরও নির্দিষ্ট করে খুঁজুন।", "There are more; search more narrowly."},
	"unit.contact-h":     {"যোগাযোগ ও অভিযোগ", "Contact and complaints"},
	"unit.accounts-link": {"এই সমিতির হিসাব দেখুন", "See this samiti's accounts"},
	"status.cash-ref":    {"নগদ দানের রেফারেন্স", "Cash gift reference"},
	"donate.kinds-about": {"যাকাত, সদকা ও সাধারণ দানের পার্থক্য", "What zakat, sadaqah and general donation mean"},
	"donate.more":        {"ইমেইল ও ই-টিআইএন (ঐচ্ছিক)", "E-mail and e-TIN (optional)"},

	// Annual statement page.
	"statement.title":       {"বার্ষিক দানের বিবরণী", "Annual statement of gifts"},
	"statement.intro":       {"কর রেয়াতের জন্য এক অর্থবছরে সব হাসপাতালে আপনার সব দানের এক তালিকা। আপনার মোবাইল নম্বর ও অর্থবছর দিন: বিবরণীর লিংক সেই নম্বরে এসএমএসে যাবে।", "One list of every gift you made to every hospital in a fiscal year, for your tax rebate. Give your mobile number and the fiscal year: the link to the statement goes to that number by SMS."},
	"statement.phone-hint":  {"যে নম্বর দিয়ে দান করেছেন, যেমন ০১৭১২৩৪৫৬৭৮", "The number you gave with, like 01712345678"},
	"statement.fy":          {"অর্থবছর", "Fiscal year"},
	"statement.fy-hint":     {"১ জুলাই থেকে ৩০ জুন", "1 July to 30 June"},
	"statement.submit":      {"এসএমএসে লিংক পাঠান", "Send the link by SMS"},
	"statement.sent":        {"অনুরোধ পেয়েছি", "Request received"},
	"statement.sent-detail": {"এই নম্বর থেকে সেই অর্থবছরে দান করা হয়ে থাকলে বিবরণীর লিংক এসএমএসে পাঠানো হয়েছে। কয়েক মিনিটে না পেলে নম্বর ও অর্থবছর দেখে আবার চেষ্টা করুন।", "If this number gave in that fiscal year, the link to the statement has been sent to it by SMS. If nothing comes within a few minutes, check the number and the year and try again."},
	"statement.privacy":     {"কে দান করেছেন তা এই পাতা কখনো জানায় না: লিংক শুধু নম্বরের মালিকের কাছে যায়।", "This page never tells who gave: the link only goes to the number's owner."},
	"statement.my-link":     {"আমার দান: সব দান, রসিদ ও বিবরণী এক জায়গায়", "My gifts: every gift, receipt and statement in one place"},
	"statement.err.fy":      {"তালিকা থেকে একটি অর্থবছর বেছে নিন", "Choose a fiscal year from the list"},
	"statement.err.rate":    {"এই নম্বর বা এই ডিভাইস থেকে এক ঘণ্টায় অনেকবার চাওয়া হয়েছে। এক ঘণ্টা পরে আবার চেষ্টা করুন।", "Asked too many times from this number or device in an hour. Please try again in an hour."},
	"status.statement-link": {"বার্ষিক বিবরণী নিন", "Get your annual statement"},
}
