package httpapi

import (
	"bytes"
	"encoding/base64"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// receiptRoutes registers the receipt, key and statement endpoints.
func (h *handlers) receiptRoutes(v1 fiber.Router, limit fiber.Handler) {
	v1.Get("/units/:code/keys", h.unitKeys)
	// The .pdf route must come first: "/receipts/:id" would match "x.pdf" too.
	v1.Get("/receipts/:id.pdf", h.receiptPDF)
	v1.Get("/receipts/:id/notes/:refund.pdf", h.notePDF)
	v1.Get("/receipts/:id/notes/:refund", h.getNote)
	v1.Get("/receipts/:id/verify", h.verifyReceipt)
	v1.Get("/receipts/:id", h.getReceipt)
	v1.Post("/statements", limit, h.requestStatement)
	v1.Post("/staff/statements", h.RequireRole(auth.SocialWorker, auth.UnitAdmin, auth.PlatformAdmin), h.counterStatement)
}

func (h *handlers) getReceipt(c *fiber.Ctx) error {
	v, err := h.rv.Receipt(c)
	if err != nil {
		return err
	}
	out := h.rv.Public(v)
	if out.Cancellations, err = h.noteSummaries(c, v.ID); err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "private, no-cache")
	return c.JSON(out)
}

type verifyJSON struct {
	Valid  bool   `json:"valid"`
	Reason string `json:"reason,omitempty"`
	ID     string `json:"id"`
	Serial string `json:"serial"`
	Unit   string `json:"unit"`
	Amount string `json:"amount"`
	// PaidAt is the gift's date for the rebate (it fixes the fiscal year);
	// IssuedAt when the receipt was made, which may be after midnight.
	PaidAt         string `json:"paidAt"`
	IssuedAt       string `json:"issuedAt"`
	KeyFingerprint string `json:"keyFingerprint,omitempty"`
	KeysURL        string `json:"keysURL"`
	// Rebate says what refunds took back and what is still eligible;
	// Cancellations link the cancellation notes.
	Rebate        webkit.RebateJSON     `json:"rebate"`
	Cancellations []webkit.NoteLinkJSON `json:"cancellations"`
}

func (h *handlers) verifyReceipt(c *fiber.Ctx) error {
	v, err := h.rv.Receipt(c)
	if err != nil {
		return err
	}
	j := h.rv.Public(v)
	notes, err := h.Receipts.Notes(c.UserContext(), v.ID)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderCacheControl, "no-cache")
	return c.JSON(verifyJSON{Valid: v.Valid, Reason: v.Reason, ID: v.ID, Serial: j.Serial, Unit: j.Unit, Amount: j.Amount,
		PaidAt: j.PaidAt, IssuedAt: j.IssuedAt, KeyFingerprint: v.KeyID, KeysURL: h.PublicURL + "/api/v1/units/" + v.Unit + "/keys",
		Rebate: webkit.Rebate(v.Amount, notes), Cancellations: h.rv.NoteLinks(v.ID, notes)})
}

func (h *handlers) receiptPDF(c *fiber.Ctx) error {
	v, err := h.rv.Receipt(c)
	if err != nil {
		return err
	}
	if !v.Valid {
		return webkit.NewProblem(fiber.StatusConflict, "receipt-not-verifiable", "This receipt fails verification",
			"The stored receipt does not match its signature ("+v.Reason+"), so no document is issued for it.")
	}
	// Signed receipts never change: drawn once, then served as stored.
	pdf, err := h.Receipts.Document(v, func() ([]byte, error) {
		rc, err := h.pdfReceipt(v)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := h.PDF.Render(&buf, rc); err != nil {
			return nil, err
		}
		return buf.Bytes(), nil
	})
	if err != nil {
		return err
	}
	return webkit.SendPDF(c, pdf, "receipt-"+v.Serial)
}

// sendReceiptPDF renders a receipt or cancellation note inline as name.pdf
// (slashes of the serial become dashes).
func (h *handlers) sendReceiptPDF(c *fiber.Ctx, rc receiptpdf.Receipt, name string) error {
	var buf bytes.Buffer
	if err := h.PDF.Render(&buf, rc); err != nil {
		return err
	}
	return webkit.SendPDF(c, buf.Bytes(), name)
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
	paid, err := time.Parse(receipts.TimeFormat, c.PaidAt)
	if err != nil {
		return receiptpdf.Receipt{}, err
	}
	rc := receiptpdf.Receipt{
		SamitiNameBN: c.UnitNameBN + " রোগীকল্যাণ সমিতি", SamitiNameEN: c.UnitNameEN + " Rogi Kalyan Samiti",
		HospitalNameBN: c.UnitNameBN, HospitalNameEN: c.UnitNameEN,
		Serial: c.Serial, IssuedAt: issued, PaidAt: paid, Anonymous: c.Anonymous(), MobileMasked: c.Mobile, TIN: c.TIN,
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

type statementRequest struct {
	Phone      string `json:"phone"`
	FiscalYear string `json:"fiscalYear"`
}

// counterRequest is the staff statement body: without challenge and code
// it asks for a code; with them it prints.
type counterRequest struct {
	statementRequest
	Challenge string `json:"challenge"`
	Code      string `json:"code"`
}

// requestStatement always answers 202 for a well-formed request, whether or
// not the number ever gave: only the number's owner learns the answer.
func (h *handlers) requestStatement(c *fiber.Ctx) error {
	var body statementRequest
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	err := h.Statements.Request(c.UserContext(), body.Phone, body.FiscalYear, h.ClientIP(c))
	if err != nil {
		return statementLimited(c, err)
	}
	return c.Status(fiber.StatusAccepted).JSON(fiber.Map{
		"status": "accepted",
		"detail": "যদি এই নম্বর থেকে সেই অর্থবছরে দান করা হয়ে থাকে, বিবরণীর লিংক এসএমএসে পাঠানো হয়েছে। · If this number gave in that fiscal year, a link to the statement has been sent to it by SMS.",
	})
}

// statementLimited maps the statement use cases' limits to 429s.
func statementLimited(c *fiber.Ctx, err error) error {
	switch {
	case errors.Is(err, app.ErrRateLimited):
		c.Set(fiber.HeaderRetryAfter, "3600")
		return webkit.NewProblem(fiber.StatusTooManyRequests, "rate-limited", "Too many requests for this number", "Please try again in an hour.")
	case errors.Is(err, app.ErrClientRateLimited):
		c.Set(fiber.HeaderRetryAfter, "3600")
		return webkit.NewProblem(fiber.StatusTooManyRequests, "rate-limited", "Too many statement requests", "Please try again in an hour.")
	case errors.Is(err, app.ErrCodeTries):
		return webkit.NewProblem(fiber.StatusTooManyRequests, "code-tries-exhausted", "Too many wrong codes",
			"Ask for a new code: this one no longer works.")
	case errors.Is(err, app.ErrCodeNotSent):
		c.Set(fiber.HeaderRetryAfter, "60")
		return webkit.NewProblem(fiber.StatusServiceUnavailable, "sms-unavailable", "The code could not be sent",
			"The SMS gateway did not take the message. Please try again in a minute.")
	}
	return err
}

// counterStatement prints a donor's statement at a counter, with the donor
// there: the first call (phone and fiscal year) sends a one-time code to
// the donor's phone and answers 202 with a challenge; the second (the same
// with challenge and the code the donor reads out) answers the PDF. Every
// print is audited.
func (h *handlers) counterStatement(c *fiber.Ctx) error {
	var body counterRequest
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	p, _ := c.Locals("principal").(auth.Principal)
	by := app.CounterStaff{Subject: p.Subject, Role: string(p.Role), Unit: p.Unit}
	ctx := c.UserContext()
	if body.Challenge == "" && body.Code == "" {
		sent, err := h.Statements.SendCounterCode(ctx, by, body.Phone, body.FiscalYear)
		if err != nil {
			return statementLimited(c, err)
		}
		c.Set(fiber.HeaderCacheControl, "no-store")
		return c.Status(fiber.StatusAccepted).JSON(fiber.Map{
			"status": "code-sent", "challenge": sent.Challenge, "mobile": sent.MobileMasked, "expiresAt": sent.Until.UTC(),
			"detail": "A one-time code was sent by SMS to the donor's phone; send it back with this challenge to print the statement.",
		})
	}
	var v validation.Errors
	if body.Challenge == "" {
		v.Add("challenge", "is required with a code")
	}
	if body.Code == "" {
		v.Add("code", "is required with a challenge")
	}
	if err := v.Err(); err != nil {
		return err
	}
	st, err := h.Statements.CounterStatement(ctx, by, body.Phone, body.FiscalYear, body.Challenge, body.Code)
	if err != nil {
		return statementLimited(c, err)
	}
	h.Log.InfoContext(ctx, "statement printed at counter", "staff", p.Subject, "role", string(p.Role), "unit", p.Unit,
		"fy", body.FiscalYear, "rows", len(st.Rows))
	return h.sendStatement(c, st)
}

func (h *handlers) sendStatement(c *fiber.Ctx, st *app.Statement) error {
	pdf, err := webkit.RenderStatement(h.PDF, h.Citation, st)
	if err != nil {
		return err
	}
	return webkit.SendStatementPDF(c, st.FiscalYear, pdf)
}
