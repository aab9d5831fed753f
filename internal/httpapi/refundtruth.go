package httpapi

import (
	"errors"
	"html/template"
	"net/url"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// A refunded gift's receipt stays as signed (docs/adr/0002); what is still
// eligible for a tax rebate is the receipt less its cancellation notes, and
// every page and answer that verifies a receipt says so (issue 13).

// rebateJSON states what of a receipt is refunded and what is still eligible.
type rebateJSON struct {
	Refunded string `json:"refunded"`
	Eligible string `json:"eligible"`
	// BN and EN say it in words ("৳৫০০ ফেরত — রেয়াতযোগ্য ৳১,৫০০").
	BN string `json:"bn,omitempty"`
	EN string `json:"en,omitempty"`
}

// partial reports whether something stays eligible.
func (r rebateJSON) partial() bool { return r.Eligible != "" && r.Eligible != money.Amount(0).String() }

// noteLinkJSON points at one cancellation note.
type noteLinkJSON struct {
	Serial  string `json:"serial"`
	Amount  string `json:"amount"`
	PageURL string `json:"pageURL"`
	URL     string `json:"url"`
}

func (h *handlers) notePageURL(id, refund string) string {
	return h.PublicURL + "/r/" + url.PathEscape(id) + "/notes/" + url.PathEscape(refund)
}

// rebate sums the notes of a receipt of amount.
func rebate(amount money.Amount, notes []receipts.Note) rebateJSON {
	var refunded money.Amount
	for _, n := range notes {
		refunded += n.Amount
	}
	eligible := max(amount-refunded, 0)
	out := rebateJSON{Refunded: refunded.String(), Eligible: eligible.String()}
	if refunded > 0 {
		out.BN, out.EN = receiptpdf.RebateWords(refunded, eligible)
	}
	return out
}

func (h *handlers) noteLinks(id string, notes []receipts.Note) []noteLinkJSON {
	out := make([]noteLinkJSON, len(notes))
	for i, n := range notes {
		out[i] = noteLinkJSON{Serial: n.Serial, Amount: n.Amount.String(), PageURL: h.notePageURL(id, n.Refund), URL: h.noteURL(id, n.Refund)}
	}
	return out
}

// notePage is what a cancellation note's QR code opens: whether the note is
// genuine, what it cancelled, why, bKash's refund transaction, and what of
// the receipt is still eligible for a rebate. Bengali first, English below.
func (h *handlers) notePage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	v, err := h.note(c)
	if errors.Is(err, errNoNote) {
		c.Status(fiber.StatusNotFound)
		return verifyPages.ExecuteTemplate(c.Response().BodyWriter(), "missing", fiber.Map{"Title": "বাতিল নোট পাওয়া যায়নি · Cancellation note not found", "Nonce": nonceOf(c)})
	}
	if err != nil {
		return err
	}
	// What this note leaves eligible, and the receipt's standing now.
	reb, err := h.noteRebate(c, v)
	if err != nil && v.Valid {
		return err
	}
	notes, err := h.Receipts.Notes(c.UserContext(), v.Donation)
	if err != nil {
		return err
	}
	original, _ := money.Parse(v.Signed.OriginalAmount)
	data := fiber.Map{"Title": "বাতিল নোট যাচাই · Cancellation note", "Nonce": nonceOf(c), "Valid": v.Valid, "Reason": v.Reason, "N": v,
		"Note": reb, "Rebate": rebate(original, notes), "ReceiptPage": h.PublicURL + "/r/" + url.PathEscape(v.Donation),
		"PDFURL":   h.noteURL(v.Donation, v.Refund) + ".pdf",
		"AmountBN": bnfmt.Taka(v.Amount, "bn"), "AmountEN": bnfmt.Taka(v.Amount, "en"),
		"Partial": reb.partial(), "Cash": v.Signed.Method == "cash",
		"RefundReason": v.Signed.Reason, "RefundRef": v.Signed.RefundRef}
	if e, err := money.Parse(reb.Eligible); err == nil {
		data["EligibleBN"], data["EligibleEN"] = bnfmt.Taka(e, "bn"), bnfmt.Taka(e, "en")
	}
	if v.Signed.Version == receipts.NoteVersionV1 {
		// v1 notes were signed without them: the gift's record has them.
		if dv, err := h.Donations.Get(c.UserContext(), v.Donation); err == nil {
			if rf, ok := dv.FindRefund(v.Refund); ok {
				data["RefundReason"], data["RefundRef"] = rf.Reason, rf.RefundTrxID
			}
		}
	}
	t := v.RefundedAt.In(receipts.Dhaka())
	data["DateBN"], data["DateEN"] = bnfmt.DateBN(t), bnfmt.DateEN(t)
	return notePageTmpl.ExecuteTemplate(c.Response().BodyWriter(), "note", data)
}

var notePageTmpl = template.Must(template.Must(verifyPages.Clone()).Parse(`
{{define "note"}}{{template "head" .}}<h1>{{if .Partial}}আংশিক বাতিল নোট · Partial cancellation note{{else}}বাতিল নোট · Cancellation note{{end}}</h1>
{{if .Valid}}<div class="ok" role="status"><p><strong>✔ এই বাতিল নোটটি আসল।</strong> এটি সমিতির চাবি দিয়ে স্বাক্ষরিত এবং আমাদের রেকর্ডের সাথে মিলে যায়।</p>
<p lang="en"><strong>✔ This cancellation note is genuine.</strong> It is signed with the Samiti's key and matches our records.</p></div>
{{else}}<div class="bad" role="alert"><p><strong>✘ এই বাতিল নোটটি যাচাই করা যায়নি।</strong></p><p lang="en"><strong>✘ This cancellation note could NOT be verified.</strong></p>
<p class="muted" lang="en">Reason: {{.Reason}}</p></div>{{end}}
{{if .Note.BN}}<p><strong>{{.Note.BN}}</strong><br><span lang="en">{{.Note.EN}}</span></p>{{end}}
<table>
<tr><th>নোট নং · Note No.</th><td>{{.N.Serial}}</td></tr>
<tr><th>মূল রসিদ · Original receipt</th><td><a href="{{.ReceiptPage}}">{{.N.OriginalSerial}}</a></td></tr>
<tr><th>ফেরতের পরিমাণ · Amount refunded</th><td>{{.AmountBN}}<br>{{.AmountEN}}</td></tr>
<tr><th>ফেরতের তারিখ · Refunded on</th><td>{{.DateBN}}<br>{{.DateEN}}</td></tr>
{{if .RefundReason}}<tr><th>কারণ · Reason</th><td>{{.RefundReason}}</td></tr>{{end}}
{{if .RefundRef}}<tr><th>{{if .Cash}}নগদ ফেরতের রেফারেন্স · Cash refund reference{{else}}বিকাশ ফেরত আইডি · bKash refund ID{{end}}</th><td><code>{{.RefundRef}}</code></td></tr>{{end}}
{{if .EligibleBN}}<tr><th>এখনও রেয়াতযোগ্য · Still eligible for a tax rebate</th><td>{{.EligibleBN}}<br>{{.EligibleEN}}</td></tr>{{end}}
</table>
{{if .Partial}}<p>এই নোট রসিদের একাংশ বাতিল করে; বাকি অংশ কর রেয়াতযোগ্য থাকে।<br><span lang="en">This note cancels part of the receipt; the rest remains eligible for a tax rebate.</span></p>
{{else}}<p>এই নোটের পর রসিদের কোনো অংশ কর রেয়াতযোগ্য নয়।<br><span lang="en">After this note no part of the receipt is eligible for a tax rebate.</span></p>{{end}}
{{if .Rebate.BN}}<p class="muted">রসিদের বর্তমান অবস্থা · The receipt now: {{.Rebate.BN}} · <span lang="en">{{.Rebate.EN}}</span></p>{{end}}
{{if .Valid}}<p><a href="{{.PDFURL}}">নোট ডাউনলোড (PDF) · Download the note (PDF)</a></p>{{end}}
<p class="muted">কল্যাণ · Kalyan — রোগীকল্যাণ সমিতিতে যাকাত ও দান</p></main></body></html>{{end}}
`))
