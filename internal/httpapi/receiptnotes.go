package httpapi

import (
	"net/url"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

func (h *handlers) noteSummaries(c *fiber.Ctx, id string) ([]webkit.NoteSummaryJSON, error) {
	ns, err := h.Receipts.Notes(c.UserContext(), id)
	if err != nil {
		return nil, err
	}
	out := make([]webkit.NoteSummaryJSON, len(ns))
	for i, n := range ns {
		u := h.rv.NoteURL(id, n.Refund)
		out[i] = webkit.NoteSummaryJSON{Refund: n.Refund, Serial: n.Serial, Amount: n.Amount.String(),
			RefundedAt: receipts.FormatTime(n.RefundedAt), IssuedAt: receipts.FormatTime(n.IssuedAt), URL: u, PDFURL: u + ".pdf"}
	}
	return out, nil
}

// noteJSON is the public view of a cancellation note: its signed content
// with personal data masked, and whether it verifies.
type noteJSON struct {
	ID               string                  `json:"id"`
	Refund           string                  `json:"refund"`
	Serial           string                  `json:"serial"`
	OriginalSerial   string                  `json:"originalSerial"`
	OriginalIssuedAt string                  `json:"originalIssuedAt,omitempty"`
	OriginalAmount   string                  `json:"originalAmount,omitempty"`
	Unit             string                  `json:"unit"`
	UnitNames        unitNames               `json:"unitNames"`
	Amount           string                  `json:"amount"`
	Currency         string                  `json:"currency"`
	Kind             string                  `json:"kind,omitempty"`
	Programme        string                  `json:"programme,omitempty"`
	Donor            webkit.ReceiptDonorJSON `json:"donor"`
	RefundedAt       string                  `json:"refundedAt"`
	IssuedAt         string                  `json:"issuedAt"`
	KeyFingerprint   string                  `json:"keyFingerprint,omitempty"`
	// RefundReason, RefundTrxID (bKash's) or CashRef (a counter gift's),
	// and Eligible are signed from kalyan.cancellation.v2 on; a v1 note's
	// eligible remainder is worked out from the notes before it.
	RefundReason string            `json:"refundReason,omitempty"`
	RefundTrxID  string            `json:"refundTrxID,omitempty"`
	CashRef      string            `json:"cashRef,omitempty"`
	Partial      bool              `json:"partial"`
	Rebate       webkit.RebateJSON `json:"rebate"`
	Valid        bool              `json:"valid"`
	Reason       string            `json:"reason,omitempty"`
	ReceiptURL   string            `json:"receiptURL"`
	PDFURL       string            `json:"pdfURL"`
	KeysURL      string            `json:"keysURL"`
}

// refundRef splits a note's signed refund reference by how the gift was paid.
func refundRef(s receipts.NoteContent) (trx, cash string) {
	if s.Method == "cash" {
		return "", s.RefundRef
	}
	return s.RefundRef, ""
}

func (h *handlers) getNote(c *fiber.Ctx) error {
	v, err := h.rv.Note(c)
	if err != nil {
		return err
	}
	s := v.Signed
	reb, err := h.rv.NoteRebate(c, v)
	if err != nil && v.Valid {
		return err
	}
	out := noteJSON{
		ID: v.Donation, Refund: v.Refund, Serial: v.Serial, OriginalSerial: v.OriginalSerial,
		OriginalIssuedAt: s.OriginalIssuedAt, OriginalAmount: s.OriginalAmount, Unit: v.Unit,
		UnitNames: unitNames{EN: s.UnitNameEN, BN: s.UnitNameBN}, Amount: v.Amount.String(), Currency: "BDT",
		Kind: s.Kind, Programme: s.Programme, Donor: webkit.ReceiptDonorJSON{Anonymous: s.Version == "" || s.Anonymous(), Mobile: s.Mobile, TIN: webkit.MaskTail(s.TIN, 3)},
		RefundedAt: receipts.FormatTime(v.RefundedAt), IssuedAt: receipts.FormatTime(v.IssuedAt), KeyFingerprint: v.KeyID,
		RefundReason: s.Reason, Partial: reb.Partial(), Rebate: reb,
		Valid: v.Valid, Reason: v.Reason, ReceiptURL: h.PublicURL + "/api/v1/receipts/" + url.PathEscape(v.Donation),
		PDFURL: h.rv.NoteURL(v.Donation, v.Refund) + ".pdf", KeysURL: h.PublicURL + "/api/v1/units/" + v.Unit + "/keys",
	}
	out.RefundTrxID, out.CashRef = refundRef(s)
	if !out.Donor.Anonymous {
		out.Donor.Name = webkit.MaskName(s.Donor)
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(out)
}

func (h *handlers) notePDF(c *fiber.Ctx) error {
	v, err := h.rv.Note(c)
	if err != nil {
		return err
	}
	if !v.Valid {
		return webkit.NewProblem(fiber.StatusConflict, "note-not-verifiable", "This cancellation note fails verification",
			"The stored note does not match its signature ("+v.Reason+"), so no document is issued for it.")
	}
	reb, err := h.rv.NoteRebate(c, v)
	if err != nil {
		return err
	}
	rc, err := h.pdfNote(v, reb)
	if err != nil {
		return err
	}
	return h.sendReceiptPDF(c, rc, "cancellation-"+v.Serial)
}

// pdfNote prints exactly the note's signed content, and what it leaves
// eligible (signed too from v2 on).
func (h *handlers) pdfNote(v *app.NoteView, reb webkit.RebateJSON) (receiptpdf.Receipt, error) {
	s := v.Signed
	refunded, err := money.Parse(s.Refunded)
	if err != nil {
		return receiptpdf.Receipt{}, err
	}
	eligible, err := money.Parse(reb.Eligible)
	if err != nil {
		return receiptpdf.Receipt{}, err
	}
	original, err := money.Parse(s.OriginalAmount)
	if err != nil {
		return receiptpdf.Receipt{}, err
	}
	issued, err := time.Parse(receipts.TimeFormat, s.IssuedAt)
	if err != nil {
		return receiptpdf.Receipt{}, err
	}
	origIssued, err := time.Parse(receipts.TimeFormat, s.OriginalIssuedAt)
	if err != nil {
		return receiptpdf.Receipt{}, err
	}
	rc := receiptpdf.Receipt{
		SamitiNameBN: s.UnitNameBN + " রোগীকল্যাণ সমিতি", SamitiNameEN: s.UnitNameEN + " Rogi Kalyan Samiti",
		HospitalNameBN: s.UnitNameBN, HospitalNameEN: s.UnitNameEN,
		Serial: s.Serial, IssuedAt: issued, Anonymous: s.Anonymous(), MobileMasked: s.Mobile, TIN: s.TIN,
		Amount: original, Kind: s.Kind, Programme: s.Programme, PaymentMethod: s.Method,
		// The QR code opens the note's page for people, not its JSON.
		VerifyURL: h.rv.NotePageURL(v.Donation, v.Refund), KeyFingerprint: v.KeyID,
		Cancellation: &receiptpdf.Cancellation{OriginalSerial: s.OriginalSerial, OriginalIssuedAt: origIssued, Refunded: refunded,
			Reason: s.Reason, RefundRef: s.RefundRef, Eligible: eligible},
	}
	if !rc.Anonymous {
		rc.DonorName = s.Donor
	}
	return rc, nil
}
