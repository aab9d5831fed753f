package donorweb

import (
	"errors"
	"html/template"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// Verification page: what the QR code opens. Bengali first, English below;
// plain HTML that works on any phone.
var verifyPages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html lang="bn"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}} · কল্যাণ Kalyan</title>
<style nonce="{{.Nonce}}">body{font-family:system-ui,sans-serif;max-width:36rem;margin:0 auto;padding:1rem;line-height:1.5;color:#111}
.ok{border:3px solid #0a6b2d;padding:.8rem;border-radius:6px}.bad{border:3px solid #a00000;padding:.8rem;border-radius:6px}
th{text-align:left;padding-right:1rem;vertical-align:top;font-weight:600}td,th{padding-top:.3rem}.muted{color:#444}a{color:#0645ad}</style></head><body><main>{{end}}

{{define "verify"}}{{template "head" .}}<h1>রসিদ যাচাই · Receipt verification</h1>
{{if .Valid}}<div class="ok" role="status"><p><strong>✔ এই রসিদটি আসল।</strong> এটি {{.UnitBN}} রোগীকল্যাণ সমিতির চাবি দিয়ে ইলেকট্রনিকভাবে স্বাক্ষরিত এবং আমাদের রেকর্ডের সাথে মিলে যায়।</p>
<p lang="en"><strong>✔ This receipt is genuine.</strong> It is electronically signed with the key of the {{.UnitEN}} Rogi Kalyan Samiti and matches our records.</p></div>
{{else}}<div class="bad" role="alert"><p><strong>✘ এই রসিদটি যাচাই করা যায়নি।</strong> এটি আসল নয় অথবা পরিবর্তন করা হয়েছে; কর রেয়াতের জন্য এটি গ্রহণ করবেন না।</p>
<p lang="en"><strong>✘ This receipt could NOT be verified.</strong> It is not genuine or has been altered; do not accept it for a tax rebate.</p>
<p class="muted" lang="en">Reason: {{.Reason}}</p></div>{{end}}
{{if .Rebate.BN}}<div class="bad" role="alert"><p><strong>{{.Rebate.BN}}</strong></p><p lang="en"><strong>{{.Rebate.EN}}</strong></p>
<p>বাতিল নোট · Cancellation notes:</p><ul>{{range .Notes}}<li><a href="{{.PageURL}}">{{.Serial}}</a> ({{.Amount}})</li>{{end}}</ul></div>{{end}}
<p class="muted">নিচের তথ্য রসিদের সাথে মিলিয়ে দেখুন · Compare these details with the receipt:</p>
<table>
<tr><th>রসিদ নং · Receipt No.</th><td>{{.R.Serial}}</td></tr>
<tr><th>পরিশোধের তারিখ · Payment date</th><td>{{.PaidBN}}<br>{{.PaidEN}}</td></tr>
<tr><th>ইস্যু · Issued</th><td>{{.DateBN}}<br>{{.DateEN}}</td></tr>
<tr><th>পরিমাণ · Amount</th><td>{{.AmountBN}}<br>{{.AmountEN}}</td></tr>
<tr><th>দানের ধরন · Gift type</th><td>{{.KindBN}} · {{.KindEN}}{{if .R.Programme}} ({{.R.Programme}}){{end}}</td></tr>
<tr><th>সমিতি · Samiti</th><td>{{.UnitBN}} রোগীকল্যাণ সমিতি<br>{{.UnitEN}} Rogi Kalyan Samiti</td></tr>
<tr><th>দাতা · Donor</th><td>{{if .R.Donor.Anonymous}}বেনামী · Anonymous{{else}}{{.R.Donor.Name}}{{end}}{{if .R.Donor.Mobile}}, {{.R.Donor.Mobile}}{{end}}</td></tr>
<tr><th>পরিশোধ · Payment</th><td>{{.R.Method}}{{if .R.TrxID}} · {{.R.TrxID}}{{end}}</td></tr>
<tr><th>স্বাক্ষর চাবি · Signing key</th><td><code>{{.R.KeyFingerprint}}</code> (<a href="{{.KeysURL}}">Ed25519</a>)</td></tr>
</table>
{{if .Valid}}<p><a href="{{.R.PDFURL}}">রসিদ ডাউনলোড (PDF) · Download the receipt (PDF)</a></p>{{end}}
<p class="muted">কল্যাণ · Kalyan — রোগীকল্যাণ সমিতিতে যাকাত ও দান</p></main></body></html>{{end}}

{{define "missing"}}{{template "head" .}}<h1>রসিদ যাচাই · Receipt verification</h1><div class="bad" role="alert">
<p><strong>✘ এই নম্বরে কোনো রসিদ নেই।</strong> লিংকটি ভুল, অথবা রসিদটি ভুয়া।</p>
<p lang="en"><strong>✘ There is no receipt with this number.</strong> The link is wrong, or the receipt is fake.</p></div></main></body></html>{{end}}
`))

func (h *handlers) verifyPage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	v, err := h.rv.Receipt(c)
	if errors.Is(err, webkit.ErrNoReceipt) {
		c.Status(fiber.StatusNotFound)
		return verifyPages.ExecuteTemplate(c.Response().BodyWriter(), "missing", fiber.Map{"Title": "রসিদ পাওয়া যায়নি · Receipt not found", "Nonce": webkit.Nonce(c)})
	}
	if err != nil {
		return err
	}
	j := h.rv.Public(v)
	notes, err := h.Receipts.Notes(c.UserContext(), v.ID)
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "রসিদ যাচাই · Receipt verification", "Nonce": webkit.Nonce(c), "Valid": v.Valid, "Reason": v.Reason, "R": j,
		"Rebate": webkit.Rebate(v.Amount, notes), "Notes": h.rv.NoteLinks(v.ID, notes),
		"UnitBN": j.UnitNames.BN, "UnitEN": j.UnitNames.EN, "KeysURL": h.PublicURL + "/api/v1/units/" + v.Unit + "/keys"}
	data["KindBN"], data["KindEN"] = receiptpdf.KindLabel(j.Kind)
	if t, err := time.Parse(receipts.TimeFormat, j.IssuedAt); err == nil {
		t = t.In(receipts.Dhaka())
		clock := t.Format("15:04")
		data["DateBN"], data["DateEN"] = bnfmt.DateBN(t)+", "+bnfmt.Digits(clock), bnfmt.DateEN(t)+", "+clock+" (UTC+6)"
	}
	if t, err := time.Parse(receipts.TimeFormat, j.PaidAt); err == nil {
		t = t.In(receipts.Dhaka())
		data["PaidBN"], data["PaidEN"] = bnfmt.DateBN(t), bnfmt.DateEN(t)
	}
	if a, err := money.Parse(j.Amount); err == nil {
		data["AmountBN"], data["AmountEN"] = bnfmt.Taka(a, "bn"), bnfmt.Taka(a, "en")
	}
	return verifyPages.ExecuteTemplate(c.Response().BodyWriter(), "verify", data)
}

// notePage is what a cancellation note's QR code opens: whether the note is
// genuine, what it cancelled, why, bKash's refund transaction, and what of
// the receipt is still eligible for a rebate. Bengali first, English below.
func (h *handlers) notePage(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "no-cache")
	v, err := h.rv.Note(c)
	if errors.Is(err, webkit.ErrNoNote) {
		c.Status(fiber.StatusNotFound)
		return verifyPages.ExecuteTemplate(c.Response().BodyWriter(), "missing", fiber.Map{"Title": "বাতিল নোট পাওয়া যায়নি · Cancellation note not found", "Nonce": webkit.Nonce(c)})
	}
	if err != nil {
		return err
	}
	// What this note leaves eligible, and the receipt's standing now.
	reb, err := h.rv.NoteRebate(c, v)
	if err != nil && v.Valid {
		return err
	}
	notes, err := h.Receipts.Notes(c.UserContext(), v.Donation)
	if err != nil {
		return err
	}
	original, _ := money.Parse(v.Signed.OriginalAmount)
	data := fiber.Map{"Title": "বাতিল নোট যাচাই · Cancellation note", "Nonce": webkit.Nonce(c), "Valid": v.Valid, "Reason": v.Reason, "N": v,
		"Note": reb, "Rebate": webkit.Rebate(original, notes), "ReceiptPage": h.PublicURL + "/r/" + url.PathEscape(v.Donation),
		"PDFURL":   h.rv.NoteURL(v.Donation, v.Refund) + ".pdf",
		"AmountBN": bnfmt.Taka(v.Amount, "bn"), "AmountEN": bnfmt.Taka(v.Amount, "en"),
		"Partial": reb.Partial(), "Cash": v.Signed.Method == "cash",
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

// statementLink serves the document a statement link names: rendered once
// per version of the statement and kept (app.Statements.DocumentFromLink),
// so a link opened again, or by many at once, costs a look-up.
func (h *handlers) statementLink(c *fiber.Ctx) error {
	doc, err := h.Statements.DocumentFromLink(c.UserContext(), c.Params("token"), h.renderStatement)
	switch {
	case errors.Is(err, signing.ErrLink):
		return webkit.NewProblem(fiber.StatusNotFound, "statement-link-invalid", "This link is invalid or has expired",
			"লিংকটির মেয়াদ শেষ বা এটি ভুল; নতুন লিংক চেয়ে নিন। · Ask for a new link.")
	case errors.Is(err, app.ErrBusy):
		c.Set(fiber.HeaderRetryAfter, "10")
		return webkit.NewProblem(fiber.StatusServiceUnavailable, "statement-busy", "Statements are being prepared",
			"অনেকগুলো বিবরণী এখন তৈরি হচ্ছে; কয়েক সেকেন্ড পরে আবার খুলুন। · Please open the link again in a few seconds.")
	case err != nil:
		return err
	}
	return webkit.SendStatementPDF(c, doc.FiscalYear, doc.PDF)
}

func (h *handlers) renderStatement(st *app.Statement) ([]byte, error) {
	return webkit.RenderStatement(h.PDF, h.Citation, st)
}
