package webkit

import (
	"bytes"
	"errors"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// ReceiptViews turns receipts and cancellation notes into what the API
// answers and the verification pages show.
type ReceiptViews struct {
	Receipts  *app.ReceiptService
	PublicURL string
}

// UnitNames are a unit's names in both languages.
type UnitNames struct {
	EN string `json:"en"`
	BN string `json:"bn"`
}

var ErrNoReceipt = NewProblem(fiber.StatusNotFound, "receipt-not-found", "No such receipt", "There is no receipt with this number.")

// receipt loads and verifies receipt id, mapping "none" to a 404 problem.
func (rv *ReceiptViews) Receipt(c *fiber.Ctx) (*app.ReceiptView, error) {
	v, err := rv.Receipts.Get(c.UserContext(), c.Params("id"))
	if errors.Is(err, receipts.ErrNotFound) {
		return nil, ErrNoReceipt
	}
	return v, err
}

type ReceiptDonorJSON struct {
	Name      string `json:"name"`
	Anonymous bool   `json:"anonymous"`
	Mobile    string `json:"mobile,omitempty"`
	TIN       string `json:"tin,omitempty"`
}

// ReceiptJSON is the public view of a receipt: what its signed content
// says, with personal data masked (the PDF, for the donor, has it in full).
type ReceiptJSON struct {
	ID             string           `json:"id"`
	Serial         string           `json:"serial"`
	FiscalYear     string           `json:"fiscalYear"`
	Unit           string           `json:"unit"`
	UnitNames      UnitNames        `json:"unitNames"`
	Donation       string           `json:"donation"`
	Amount         string           `json:"amount"`
	Currency       string           `json:"currency"`
	Kind           string           `json:"kind"`
	Programme      string           `json:"programme,omitempty"`
	Method         string           `json:"method"`
	TrxID          string           `json:"trxID,omitempty"`
	PaidAt         string           `json:"paidAt"`
	IssuedAt       string           `json:"issuedAt"`
	Donor          ReceiptDonorJSON `json:"donor"`
	KeyFingerprint string           `json:"keyFingerprint,omitempty"`
	Valid          bool             `json:"valid"`
	Reason         string           `json:"reason,omitempty"`
	VerifyURL      string           `json:"verifyURL"`
	PDFURL         string           `json:"pdfURL"`
	// Cancellations are the refunds' cancellation notes (getReceipt only).
	Cancellations []NoteSummaryJSON `json:"cancellations"`
}

func (rv *ReceiptViews) Public(v *app.ReceiptView) ReceiptJSON {
	c := v.Signed
	if c.Version == "" {
		// Unsigned or unreadable content: show what the record says.
		c = receipts.ContentOf(v.Receipt, receipts.UnitNames{}, receipts.Donor{Anonymous: true})
	}
	out := ReceiptJSON{
		ID: v.ID, Serial: c.Serial, FiscalYear: c.FiscalYear, Unit: c.Unit, UnitNames: UnitNames{EN: c.UnitNameEN, BN: c.UnitNameBN},
		Donation: c.Donation, Amount: c.Amount, Currency: c.Currency, Kind: c.Kind, Programme: c.Programme, Method: c.Method,
		TrxID: c.TrxID, PaidAt: c.PaidAt, IssuedAt: c.IssuedAt, KeyFingerprint: v.KeyID, Valid: v.Valid, Reason: v.Reason,
		Donor:     ReceiptDonorJSON{Anonymous: c.Anonymous(), Mobile: c.Mobile, TIN: MaskTail(c.TIN, 3)},
		VerifyURL: rv.Receipts.VerifyURL(v.ID), PDFURL: rv.PublicURL + "/api/v1/receipts/" + v.ID + ".pdf",
	}
	if !c.Anonymous() {
		out.Donor.Name = MaskName(c.Donor)
	}
	return out
}

// NoteSummaryJSON lists one cancellation note on its receipt.
type NoteSummaryJSON struct {
	Refund     string `json:"refund"`
	Serial     string `json:"serial"`
	Amount     string `json:"amount"`
	RefundedAt string `json:"refundedAt"`
	IssuedAt   string `json:"issuedAt"`
	URL        string `json:"url"`
	PDFURL     string `json:"pdfURL"`
}

// MaskName keeps each word's first letter: "Rahima Begum" → "R***** B****".
func MaskName(name string) string {
	words := strings.Fields(name)
	for i, w := range words {
		r, size := utf8.DecodeRuneInString(w)
		words[i] = string(r) + strings.Repeat("*", utf8.RuneCountInString(w[size:]))
	}
	return strings.Join(words, " ")
}

// MaskTail keeps the last n characters.
func MaskTail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.Repeat("*", len(s)-n) + s[len(s)-n:]
}

func (rv *ReceiptViews) NoteURL(id, refund string) string {
	return rv.PublicURL + "/api/v1/receipts/" + url.PathEscape(id) + "/notes/" + url.PathEscape(refund)
}

var ErrNoNote = NewProblem(fiber.StatusNotFound, "cancellation-note-not-found", "No such cancellation note",
	"This receipt has no cancellation note for that refund.")

func (rv *ReceiptViews) Note(c *fiber.Ctx) (*app.NoteView, error) {
	v, err := rv.Receipts.Note(c.UserContext(), c.Params("id"), c.Params("refund"))
	if errors.Is(err, receipts.ErrNotFound) {
		return nil, ErrNoNote
	}
	return v, err
}

// noteRebate is what of the receipt stays eligible after note v: signed on
// v2 notes, and for v1 notes the original less v and every note before it.
func (rv *ReceiptViews) NoteRebate(c *fiber.Ctx, v *app.NoteView) (RebateJSON, error) {
	original, err := money.Parse(v.Signed.OriginalAmount)
	if err != nil {
		return RebateJSON{}, err
	}
	var eligible money.Amount
	if _, ok := v.Signed.Partial(); ok {
		if eligible, err = money.Parse(v.Signed.Eligible); err != nil {
			return RebateJSON{}, err
		}
	} else {
		notes, err := rv.Receipts.Notes(c.UserContext(), v.Donation)
		if err != nil {
			return RebateJSON{}, err
		}
		eligible = original
		for _, n := range notes {
			eligible -= n.Amount
			if n.Refund == v.Refund {
				break
			}
		}
		eligible = max(eligible, 0)
	}
	out := RebateJSON{Refunded: (original - eligible).String(), Eligible: eligible.String()}
	out.BN, out.EN = receiptpdf.RebateWords(v.Amount, eligible)
	return out, nil
}

// A refunded gift's receipt stays as signed (docs/adr/0002); what is still
// eligible for a tax rebate is the receipt less its cancellation notes, and
// every page and answer that verifies a receipt says so (issue 13).

// RebateJSON states what of a receipt is refunded and what is still eligible.
type RebateJSON struct {
	Refunded string `json:"refunded"`
	Eligible string `json:"eligible"`
	// BN and EN say it in words ("৳৫০০ ফেরত — রেয়াতযোগ্য ৳১,৫০০").
	BN string `json:"bn,omitempty"`
	EN string `json:"en,omitempty"`
}

// partial reports whether something stays eligible.
func (r RebateJSON) Partial() bool { return r.Eligible != "" && r.Eligible != money.Amount(0).String() }

// NoteLinkJSON points at one cancellation note.
type NoteLinkJSON struct {
	Serial  string `json:"serial"`
	Amount  string `json:"amount"`
	PageURL string `json:"pageURL"`
	URL     string `json:"url"`
}

func (rv *ReceiptViews) NotePageURL(id, refund string) string {
	return rv.PublicURL + "/r/" + url.PathEscape(id) + "/notes/" + url.PathEscape(refund)
}

// rebate sums the notes of a receipt of amount.
func Rebate(amount money.Amount, notes []receipts.Note) RebateJSON {
	var refunded money.Amount
	for _, n := range notes {
		refunded += n.Amount
	}
	eligible := max(amount-refunded, 0)
	out := RebateJSON{Refunded: refunded.String(), Eligible: eligible.String()}
	if refunded > 0 {
		out.BN, out.EN = receiptpdf.RebateWords(refunded, eligible)
	}
	return out
}

func (rv *ReceiptViews) NoteLinks(id string, notes []receipts.Note) []NoteLinkJSON {
	out := make([]NoteLinkJSON, len(notes))
	for i, n := range notes {
		out[i] = NoteLinkJSON{Serial: n.Serial, Amount: n.Amount.String(), PageURL: rv.NotePageURL(id, n.Refund), URL: rv.NoteURL(id, n.Refund)}
	}
	return out
}

// RenderStatement draws a donor's annual statement.
func RenderStatement(pdf *receiptpdf.Renderer, citation string, st *app.Statement) ([]byte, error) {
	ps := receiptpdf.Statement{DonorName: st.DonorName, MobileMasked: st.MobileMasked, TIN: st.TIN, FiscalYear: st.FiscalYear,
		GeneratedAt: st.GeneratedAt, Citation: citation, Truncated: st.Truncated}
	for _, r := range st.Rows {
		ps.Rows = append(ps.Rows, receiptpdf.StatementRow{PaidAt: r.PaidAt, IssuedAt: r.IssuedAt, Serial: r.Serial, Unit: r.UnitBN + " রোগীকল্যাণ সমিতি",
			Kind: r.Kind, Programme: r.Programme, Amount: r.Amount, Refunded: r.Refunded})
	}
	var buf bytes.Buffer
	if err := pdf.RenderStatement(&buf, ps); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// SendStatementPDF answers a statement inline as statement-<fy>.pdf.
func SendStatementPDF(c *fiber.Ctx, fy string, pdf []byte) error {
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="statement-`+fy+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.Send(pdf)
}

// SendPDF answers a PDF inline as name.pdf (slashes become dashes).
func SendPDF(c *fiber.Ctx, pdf []byte, name string) error {
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="`+strings.ReplaceAll(name, "/", "-")+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.Send(pdf)
}
