package donorweb

import (
	"errors"
	"html/template"
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// The verification pages are what a receipt's or a note's QR code opens:
// the site's layout (header, language switch, footer), with the document's
// own words in both languages — a tax officer may read either — the page's
// language first. Methods, kinds and programmes are named, never coded.

// receiptView is the data of the receipt and note verification pages.
type receiptView struct {
	L       i18n.Lang
	Missing bool
	Valid   bool
	Reason  string
	Rebate  webkit.RebateJSON
	Notes   []webkit.NoteLinkJSON
	Unit    [2]string
	Serial  string
	// Each [2]string is Bengali and English.
	Paid, Issued, Amount, Kind, Programme, Method [2]string
	Donor, Mobile                                 string
	RefLabel                                      [2]string
	Ref                                           string
	KeyID, KeysURL, PDFURL                        string
	AccountsURL, StatementURL                     string

	// Note page only.
	Note                             webkit.RebateJSON
	Partial                          bool
	OriginalSerial, ReceiptPage      string
	RefundReason, RefundRef          string
	RefundRefLabel, Eligible, Refund [2]string
}

// Bi writes a label in the page's language, then the other language's
// words marked with their lang ("রসিদ নং · Receipt No.").
func (v *receiptView) Bi(bn, en string) template.HTML {
	first, second, other := bn, en, "en"
	if v.L == i18n.EN {
		first, second, other = en, bn, "bn"
	}
	if second == "" || second == first {
		return template.HTML(template.HTMLEscapeString(first))
	}
	return template.HTML(template.HTMLEscapeString(first) + ` <span lang="` + other + `">· ` + template.HTMLEscapeString(second) + `</span>`)
}

// Genuine is the valid receipt's verdict in lang ("bn", "en").
func (v *receiptView) Genuine(lang string) template.HTML {
	if lang == "en" {
		return template.HTML("<strong>✔ This receipt is genuine.</strong> It is electronically signed with the key of the " +
			template.HTMLEscapeString(v.Unit[1]) + " and matches our records.")
	}
	return template.HTML("<strong>✔ এই রসিদটি আসল।</strong> এটি " + template.HTMLEscapeString(v.Unit[0]) +
		"র চাবি দিয়ে ইলেকট্রনিকভাবে স্বাক্ষরিত এবং আমাদের রেকর্ডের সাথে মিলে যায়।")
}

// Pair is Bi for a [2]string.
func (v *receiptView) Pair(p [2]string) template.HTML { return v.Bi(p[0], p[1]) }

// Paras writes two paragraphs, the page's language first (HTML given by
// the caller, already escaped).
func (v *receiptView) Paras(bn, en template.HTML) template.HTML {
	if v.L == i18n.EN {
		return "<p>" + en + `</p><p lang="bn">` + bn + "</p>"
	}
	return "<p>" + bn + `</p><p lang="en">` + en + "</p>"
}

func (h *handlers) renderReceiptPage(c *fiber.Ctx, status int, name string, titleBN, titleEN string, v *receiptView) error {
	l := webkit.Lang(c)
	v.L = l
	title := titleBN
	if l == i18n.EN {
		title = titleEN
	}
	pg := webkit.NewPage(c, l, title, v)
	pg.NoIndex = true
	if err := pages.Render(c, status, name, pg); err != nil {
		return err
	}
	// A receipt's standing changes with refunds: revalidate each time.
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return nil
}

func dates(t time.Time, clock bool) [2]string {
	t = t.In(receipts.Dhaka())
	if !clock {
		return [2]string{bnfmt.DateBN(t), bnfmt.DateEN(t)}
	}
	hm := t.Format("15:04")
	return [2]string{bnfmt.DateBN(t) + ", " + bnfmt.Digits(hm), bnfmt.DateEN(t) + ", " + hm + " (UTC+6)"}
}

func taka(a money.Amount) [2]string { return [2]string{bnfmt.Taka(a, "bn"), bnfmt.Taka(a, "en")} }

func (h *handlers) verifyPage(c *fiber.Ctx) error {
	v, err := h.rv.Receipt(c)
	if errors.Is(err, webkit.ErrNoReceipt) {
		return h.renderReceiptPage(c, fiber.StatusNotFound, "verify", "রসিদ পাওয়া যায়নি", "Receipt not found", &receiptView{Missing: true, StatementURL: "/statement"})
	}
	if err != nil {
		return err
	}
	j := h.rv.Public(v)
	notes, err := h.Receipts.Notes(c.UserContext(), v.ID)
	if err != nil {
		return err
	}
	rv := &receiptView{Valid: v.Valid, Reason: v.Reason, Rebate: webkit.Rebate(v.Amount, notes), Notes: h.rv.NoteLinks(v.ID, notes),
		Unit: [2]string{j.UnitNames.BN + " রোগীকল্যাণ সমিতি", j.UnitNames.EN + " Rogi Kalyan Samiti"}, Serial: j.Serial,
		Mobile: j.Donor.Mobile, Ref: j.TrxID, KeyID: j.KeyFingerprint, PDFURL: j.PDFURL,
		KeysURL: h.PublicURL + "/api/v1/units/" + url.PathEscape(v.Unit) + "/keys", AccountsURL: "/u/" + url.PathEscape(v.Unit), StatementURL: "/statement"}
	rv.Kind[0], rv.Kind[1] = receiptpdf.KindLabel(j.Kind)
	if j.Programme != "" {
		rv.Programme[0], rv.Programme[1] = receiptpdf.ProgrammeLabel(j.Programme)
	}
	rv.Method[0], rv.Method[1] = receiptpdf.MethodLabel(j.Method)
	rv.RefLabel[0], rv.RefLabel[1] = receiptpdf.ReferenceLabel(j.Method)
	if !j.Donor.Anonymous {
		rv.Donor = j.Donor.Name
	}
	if t, err := time.Parse(receipts.TimeFormat, j.IssuedAt); err == nil {
		rv.Issued = dates(t, true)
	}
	if t, err := time.Parse(receipts.TimeFormat, j.PaidAt); err == nil {
		rv.Paid = dates(t, false)
	}
	if a, err := money.Parse(j.Amount); err == nil {
		rv.Amount = taka(a)
	}
	return h.renderReceiptPage(c, fiber.StatusOK, "verify", "রসিদ যাচাই", "Receipt verification", rv)
}

// notePage is what a cancellation note's QR code opens: whether the note is
// genuine, what it cancelled, why, bKash's refund transaction, and what of
// the receipt is still eligible for a rebate.
func (h *handlers) notePage(c *fiber.Ctx) error {
	v, err := h.rv.Note(c)
	if errors.Is(err, webkit.ErrNoNote) {
		return h.renderReceiptPage(c, fiber.StatusNotFound, "note", "বাতিল নোট পাওয়া যায়নি", "Cancellation note not found", &receiptView{Missing: true})
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
	rv := &receiptView{Valid: v.Valid, Reason: v.Reason, Serial: v.Serial, Note: reb, Rebate: webkit.Rebate(original, notes),
		Partial: reb.Partial(), OriginalSerial: v.OriginalSerial, ReceiptPage: "/r/" + url.PathEscape(v.Donation),
		PDFURL: h.rv.NoteURL(v.Donation, v.Refund) + ".pdf", Refund: taka(v.Amount), Paid: dates(v.RefundedAt, false),
		RefundReason: v.Signed.Reason, RefundRef: v.Signed.RefundRef, AccountsURL: "/u/" + url.PathEscape(v.Unit), StatementURL: "/statement"}
	rv.RefundRefLabel = [2]string{"বিকাশ ফেরত আইডি", "bKash refund ID"}
	if v.Signed.Method == "cash" {
		rv.RefundRefLabel = [2]string{"নগদ ফেরতের রেফারেন্স", "Cash refund reference"}
	}
	if e, err := money.Parse(reb.Eligible); err == nil {
		rv.Eligible = taka(e)
	}
	if v.Signed.Version == receipts.NoteVersionV1 {
		// v1 notes were signed without them: the gift's record has them.
		if dv, err := h.Donations.Get(c.UserContext(), v.Donation); err == nil {
			if rf, ok := dv.FindRefund(v.Refund); ok {
				rv.RefundReason, rv.RefundRef = rf.Reason, rf.RefundTrxID
			}
		}
	}
	bn, en := "বাতিল নোট যাচাই", "Cancellation note"
	return h.renderReceiptPage(c, fiber.StatusOK, "note", bn, en, rv)
}

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
