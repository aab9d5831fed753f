package httpapi

import (
	"bytes"
	"encoding/base64"
	"errors"
	"html/template"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// receiptRoutes registers the receipt, key and statement endpoints.
func (h *handlers) receiptRoutes(a *fiber.App, v1 fiber.Router) {
	v1.Get("/units/:code/keys", h.unitKeys)
	// The .pdf route must come first: "/receipts/:id" would match "x.pdf" too.
	v1.Get("/receipts/:id.pdf", h.receiptPDF)
	v1.Get("/receipts/:id/notes/:refund.pdf", h.notePDF)
	v1.Get("/receipts/:id/notes/:refund", h.getNote)
	v1.Get("/receipts/:id/verify", h.verifyReceipt)
	v1.Get("/receipts/:id", h.getReceipt)
	v1.Post("/statements", h.requestStatement)
	v1.Post("/staff/statements", h.requireRole(auth.SocialWorker, auth.UnitAdmin, auth.PlatformAdmin), h.counterStatement)
	a.Get("/r/:id", h.verifyPage)
	a.Get("/r/:id/notes/:refund", h.notePage)
	a.Get("/s/:token", h.statementLink)
}

var errNoReceipt = problem(fiber.StatusNotFound, "receipt-not-found", "No such receipt", "There is no receipt with this number.")

// receipt loads and verifies receipt id, mapping "none" to a 404 problem.
func (h *handlers) receipt(c *fiber.Ctx) (*app.ReceiptView, error) {
	v, err := h.Receipts.Get(c.UserContext(), c.Params("id"))
	if errors.Is(err, receipts.ErrNotFound) {
		return nil, errNoReceipt
	}
	return v, err
}

type receiptDonorJSON struct {
	Name      string `json:"name"`
	Anonymous bool   `json:"anonymous"`
	Mobile    string `json:"mobile,omitempty"`
	TIN       string `json:"tin,omitempty"`
}

// receiptJSON is the public view of a receipt: what its signed content
// says, with personal data masked (the PDF, for the donor, has it in full).
type receiptJSON struct {
	ID             string           `json:"id"`
	Serial         string           `json:"serial"`
	FiscalYear     string           `json:"fiscalYear"`
	Unit           string           `json:"unit"`
	UnitNames      unitNames        `json:"unitNames"`
	Donation       string           `json:"donation"`
	Amount         string           `json:"amount"`
	Currency       string           `json:"currency"`
	Kind           string           `json:"kind"`
	Programme      string           `json:"programme,omitempty"`
	Method         string           `json:"method"`
	TrxID          string           `json:"trxID,omitempty"`
	PaidAt         string           `json:"paidAt"`
	IssuedAt       string           `json:"issuedAt"`
	Donor          receiptDonorJSON `json:"donor"`
	KeyFingerprint string           `json:"keyFingerprint,omitempty"`
	Valid          bool             `json:"valid"`
	Reason         string           `json:"reason,omitempty"`
	VerifyURL      string           `json:"verifyURL"`
	PDFURL         string           `json:"pdfURL"`
	// Cancellations are the refunds' cancellation notes (getReceipt only).
	Cancellations []noteSummaryJSON `json:"cancellations"`
}

func (h *handlers) receiptJSON(v *app.ReceiptView) receiptJSON {
	c := v.Signed
	if c.Version == "" {
		// Unsigned or unreadable content: show what the record says.
		c = receipts.ContentOf(v.Receipt, receipts.UnitNames{}, receipts.Donor{Anonymous: true})
	}
	out := receiptJSON{
		ID: v.ID, Serial: c.Serial, FiscalYear: c.FiscalYear, Unit: c.Unit, UnitNames: unitNames{EN: c.UnitNameEN, BN: c.UnitNameBN},
		Donation: c.Donation, Amount: c.Amount, Currency: c.Currency, Kind: c.Kind, Programme: c.Programme, Method: c.Method,
		TrxID: c.TrxID, PaidAt: c.PaidAt, IssuedAt: c.IssuedAt, KeyFingerprint: v.KeyID, Valid: v.Valid, Reason: v.Reason,
		Donor:     receiptDonorJSON{Anonymous: c.Anonymous(), Mobile: c.Mobile, TIN: maskTail(c.TIN, 3)},
		VerifyURL: h.Receipts.VerifyURL(v.ID), PDFURL: h.PublicURL + "/api/v1/receipts/" + v.ID + ".pdf",
	}
	if !c.Anonymous() {
		out.Donor.Name = maskName(c.Donor)
	}
	return out
}

// maskName keeps each word's first letter: "Rahima Begum" → "R***** B****".
func maskName(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(r) + strings.Repeat("*", utf8.RuneCountInString(w[size:]))
	}
	return strings.Join(words, " ")
}

// maskTail keeps the last n characters.
func maskTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.Repeat("*", len(s)-n) + s[len(s)-n:]
}

func (h *handlers) getReceipt(c *fiber.Ctx) error {
	v, err := h.receipt(c)
	if err != nil {
		return err
	}
	out := h.receiptJSON(v)
	if out.Cancellations, err = h.noteSummaries(c, v.ID); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(out)
}

type verifyJSON struct {
	Valid          bool   `json:"valid"`
	Reason         string `json:"reason,omitempty"`
	ID             string `json:"id"`
	Serial         string `json:"serial"`
	Unit           string `json:"unit"`
	Amount         string `json:"amount"`
	IssuedAt       string `json:"issuedAt"`
	KeyFingerprint string `json:"keyFingerprint,omitempty"`
	KeysURL        string `json:"keysURL"`
	// Rebate says what refunds took back and what is still eligible;
	// Cancellations link the cancellation notes.
	Rebate        rebateJSON     `json:"rebate"`
	Cancellations []noteLinkJSON `json:"cancellations"`
}

func (h *handlers) verifyReceipt(c *fiber.Ctx) error {
	v, err := h.receipt(c)
	if err != nil {
		return err
	}
	j := h.receiptJSON(v)
	notes, err := h.Receipts.Notes(c.UserContext(), v.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(verifyJSON{Valid: v.Valid, Reason: v.Reason, ID: v.ID, Serial: j.Serial, Unit: j.Unit, Amount: j.Amount,
		IssuedAt: j.IssuedAt, KeyFingerprint: v.KeyID, KeysURL: h.PublicURL + "/api/v1/units/" + v.Unit + "/keys",
		Rebate: rebate(v.Amount, notes), Cancellations: h.noteLinks(v.ID, notes)})
}

func (h *handlers) receiptPDF(c *fiber.Ctx) error {
	v, err := h.receipt(c)
	if err != nil {
		return err
	}
	if !v.Valid {
		return problem(fiber.StatusConflict, "receipt-not-verifiable", "This receipt fails verification",
			"The stored receipt does not match its signature ("+v.Reason+"), so no document is issued for it.")
	}
	rc, err := h.pdfReceipt(v)
	if err != nil {
		return err
	}
	return h.sendReceiptPDF(c, rc, "receipt-"+v.Serial)
}

// sendReceiptPDF renders a receipt or cancellation note inline as name.pdf
// (slashes of the serial become dashes).
func (h *handlers) sendReceiptPDF(c *fiber.Ctx, rc receiptpdf.Receipt, name string) error {
	var buf bytes.Buffer
	if err := h.PDF.Render(&buf, rc); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+strings.ReplaceAll(name, "/", "-")+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.Send(buf.Bytes())
}

// pdfReceipt prints exactly the signed content.
func (h *handlers) pdfReceipt(v *app.ReceiptView) (receiptpdf.Receipt, error) {
	c := v.Signed
	amount, err := money.Parse(c.Amount)
	if err != nil {
		return receiptpdf.Receipt{}, err
	}
	issued, err := time.Parse(receipts.TimeFormat, c.IssuedAt)
	if err != nil {
		return receiptpdf.Receipt{}, err
	}
	rc := receiptpdf.Receipt{
		SamitiNameBN: c.UnitNameBN + " রোগীকল্যাণ সমিতি", SamitiNameEN: c.UnitNameEN + " Rogi Kalyan Samiti",
		HospitalNameBN: c.UnitNameBN, HospitalNameEN: c.UnitNameEN,
		Serial: c.Serial, IssuedAt: issued, Anonymous: c.Anonymous(), MobileMasked: c.Mobile, TIN: c.TIN,
		Amount: amount, Kind: c.Kind, Programme: c.Programme, PaymentMethod: c.Method, TransactionID: c.TrxID,
		Citation: h.Citation, VerifyURL: h.Receipts.VerifyURL(v.ID), KeyFingerprint: v.KeyID,
	}
	if !rc.Anonymous {
		rc.DonorName = c.Donor
	}
	return rc, nil
}

type keyJSON struct {
	Fingerprint string    `json:"fingerprint"`
	Algorithm   string    `json:"algorithm"`
	PublicKey   string    `json:"publicKey"`
	CreatedAt   time.Time `json:"createdAt"`
	Active      bool      `json:"active"`
}

// unitKeys publishes a unit's public keys, including retired ones (old
// receipts verify against them). Archived units keep theirs public.
func (h *handlers) unitKeys(c *fiber.Ctx) error {
	code := c.Params("code")
	if _, err := h.Units.Store.Get(c.UserContext(), code); err != nil {
		return err
	}
	ks, err := h.Keys.List(c.UserContext(), code)
	if err != nil {
		return err
	}
	out := make([]keyJSON, len(ks))
	for i, k := range ks {
		out[i] = keyJSON{Fingerprint: k.Fingerprint, Algorithm: "Ed25519", PublicKey: base64.StdEncoding.EncodeToString(k.Public), CreatedAt: k.CreatedAt, Active: k.Active}
	}
	return c.JSON(fiber.Map{"unit": code, "keys": out})
}

// installKey gives a registered unit its signing key: the operator's (a
// different one rotates: it becomes active, older ones stay), or a
// generated one if it has none.
func (h *handlers) installKey(c *fiber.Ctx, u *units.Unit, seed []byte) error {
	var err error
	if seed != nil {
		_, err = h.Keys.Install(c.UserContext(), u.Code, seed)
	} else {
		_, err = h.Keys.Ensure(c.UserContext(), u.Code)
	}
	return err
}

// parseSigningKey reads the admin PUT's write-only signingKey ("" = none).
func parseSigningKey(s string) ([]byte, error) {
	if s == "" {
		return nil, nil
	}
	return signing.ParseSeed(s)
}

// Verification page: what the QR code opens. Bengali first, English below;
// plain HTML that works on any phone.
var verifyPages = template.Must(template.New("").Parse(`
{{define "head"}}<!doctype html><html lang="bn"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex"><title>{{.Title}} · কল্যাণ Kalyan</title>
<style>body{font-family:system-ui,sans-serif;max-width:36rem;margin:0 auto;padding:1rem;line-height:1.5;color:#111}
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
<tr><th>তারিখ · Date</th><td>{{.DateBN}}<br>{{.DateEN}}</td></tr>
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
	v, err := h.receipt(c)
	if errors.Is(err, errNoReceipt) {
		c.Status(fiber.StatusNotFound)
		return verifyPages.ExecuteTemplate(c.Response().BodyWriter(), "missing", fiber.Map{"Title": "রসিদ পাওয়া যায়নি · Receipt not found"})
	}
	if err != nil {
		return err
	}
	j := h.receiptJSON(v)
	notes, err := h.Receipts.Notes(c.UserContext(), v.ID)
	if err != nil {
		return err
	}
	data := fiber.Map{"Title": "রসিদ যাচাই · Receipt verification", "Valid": v.Valid, "Reason": v.Reason, "R": j,
		"Rebate": rebate(v.Amount, notes), "Notes": h.noteLinks(v.ID, notes),
		"UnitBN": j.UnitNames.BN, "UnitEN": j.UnitNames.EN, "KeysURL": h.PublicURL + "/api/v1/units/" + v.Unit + "/keys"}
	data["KindBN"], data["KindEN"] = receiptpdf.KindLabel(j.Kind)
	if t, err := time.Parse(receipts.TimeFormat, j.IssuedAt); err == nil {
		t = t.In(receipts.Dhaka())
		data["DateBN"], data["DateEN"] = bnfmt.DateBN(t), bnfmt.DateEN(t)
	}
	if a, err := money.Parse(j.Amount); err == nil {
		data["AmountBN"], data["AmountEN"] = bnfmt.Taka(a, "bn"), bnfmt.Taka(a, "en")
	}
	return verifyPages.ExecuteTemplate(c.Response().BodyWriter(), "verify", data)
}

type statementRequest struct {
	Phone      string `json:"phone"`
	FiscalYear string `json:"fiscalYear"`
}

// requestStatement always answers 202 for a well-formed request, whether or
// not the number ever gave: only the number's owner learns the answer.
func (h *handlers) requestStatement(c *fiber.Ctx) error {
	var body statementRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	err := h.Statements.Request(c.UserContext(), body.Phone, body.FiscalYear)
	if errors.Is(err, app.ErrRateLimited) {
		c.Set(fiber.HeaderRetryAfter, "3600")
		return problem(fiber.StatusTooManyRequests, "rate-limited", "Too many requests for this number", "Please try again in an hour.")
	}
	if err != nil {
		return err
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{
		"status": "accepted",
		"detail": "যদি এই নম্বর থেকে সেই অর্থবছরে দান করা হয়ে থাকে, বিবরণীর লিংক এসএমএসে পাঠানো হয়েছে। · If this number gave in that fiscal year, a link to the statement has been sent to it by SMS.",
	})
}

// counterStatement lets staff print a donor's statement at the counter.
func (h *handlers) counterStatement(c *fiber.Ctx) error {
	var body statementRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	st, err := h.Statements.ForMobile(c.UserContext(), body.Phone, body.FiscalYear)
	if err != nil {
		return err
	}
	p, _ := c.Locals("principal").(auth.Principal)
	// Audit trail without the donor's number.
	h.Log.InfoContext(c.UserContext(), "statement produced at counter", "staff", p.Subject, "role", string(p.Role), "unit", p.Unit, "fy", body.FiscalYear, "rows", len(st.Rows))
	return h.sendStatement(c, st)
}

func (h *handlers) statementLink(c *fiber.Ctx) error {
	st, err := h.Statements.FromLink(c.UserContext(), c.Params("token"))
	if errors.Is(err, signing.ErrLink) {
		return problem(fiber.StatusNotFound, "statement-link-invalid", "This link is invalid or has expired",
			"লিংকটির মেয়াদ শেষ বা এটি ভুল; নতুন লিংক চেয়ে নিন। · Ask for a new link.")
	}
	if err != nil {
		return err
	}
	return h.sendStatement(c, st)
}

func (h *handlers) sendStatement(c *fiber.Ctx, st *app.Statement) error {
	ps := receiptpdf.Statement{DonorName: st.DonorName, MobileMasked: st.MobileMasked, TIN: st.TIN, FiscalYear: st.FiscalYear,
		GeneratedAt: st.GeneratedAt, Citation: h.Citation}
	for _, r := range st.Rows {
		ps.Rows = append(ps.Rows, receiptpdf.StatementRow{IssuedAt: r.IssuedAt, Serial: r.Serial, Unit: r.UnitBN + " রোগীকল্যাণ সমিতি",
			Kind: r.Kind, Programme: r.Programme, Amount: r.Amount, Refunded: r.Refunded})
	}
	var buf bytes.Buffer
	if err := h.PDF.RenderStatement(&buf, ps); err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="statement-`+st.FiscalYear+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(buf.Bytes())
}
