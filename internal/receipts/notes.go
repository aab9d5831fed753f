package receipts

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Canonical encodings of cancellation notes: the same rules as
// ContentVersion (sorted keys, no whitespace, no HTML escaping, every field
// a string), with their own fields. v2 (issues 13 and 23) adds why the gift
// was refunded, the reference of the money going back (bKash's refund
// transaction ID, or the counter's cash reference) and what of the receipt
// is still eligible for a tax rebate after the note; v1 notes, signed
// without them, keep verifying.
const (
	NoteVersionV1 = "kalyan.cancellation.v1"
	NoteVersion   = "kalyan.cancellation.v2"
)

// noteV2Fields are the keys v1 content does not have.
var noteV2Fields = []string{"reason", "refundRef", "eligible"}

// NoteContent is what a cancellation note says, exactly as signed. The
// reason is staff's free text, normalised to one clean line at the edge
// (freetext) like every field of a signed document.
type NoteContent struct {
	Version          string `json:"v"`
	Doc              string `json:"doc"`
	Serial           string `json:"serial"`
	OriginalSerial   string `json:"originalSerial"`
	OriginalIssuedAt string `json:"originalIssuedAt"`
	OriginalAmount   string `json:"originalAmount"`
	FiscalYear       string `json:"fy"`
	Unit             string `json:"unit"`
	UnitNameBN       string `json:"unitNameBN"`
	UnitNameEN       string `json:"unitNameEN"`
	Donation         string `json:"donation"`
	Refund           string `json:"refund"`
	Refunded         string `json:"refunded"`
	Currency         string `json:"currency"`
	Kind             string `json:"kind"`
	Programme        string `json:"programme"`
	Method           string `json:"method"`
	Donor            string `json:"donor"`
	Mobile           string `json:"mobile"`
	TIN              string `json:"tin"`
	RefundedAt       string `json:"refundedAt"`
	IssuedAt         string `json:"issuedAt"`
	// Reason is why the gift was refunded (v2).
	Reason string `json:"reason"`
	// RefundRef is bKash's refundTrxID, or for a gift given at the counter
	// the cash refund's reference (v2; Method tells which).
	RefundRef string `json:"refundRef"`
	// Eligible is what of the original receipt remains eligible for a tax
	// rebate once this and every earlier note are counted (v2).
	Eligible string `json:"eligible"`
}

// Anonymous reports whether the cancelled gift was anonymous.
func (c NoteContent) Anonymous() bool { return c.Donor == AnonymousDonor }

// Canonical encodes c in its canonical form (its version's fields only).
func (c NoteContent) Canonical() ([]byte, error) {
	if c.Version == NoteVersionV1 {
		return canonical(c, noteV2Fields...)
	}
	return canonical(c)
}

// Partial reports whether part of the receipt stays eligible for a rebate
// after this note; ok is false for v1 notes, which do not say.
func (c NoteContent) Partial() (partial, ok bool) {
	if c.Version == NoteVersionV1 {
		return false, false
	}
	e, err := money.Parse(c.Eligible)
	return err == nil && e > 0, err == nil
}

// canonical encodes v's fields, less the keys in drop.
func canonical(v any, drop ...string) ([]byte, error) {
	// A map makes encoding/json sort the keys, whatever the field order.
	flat, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("encode signed content: %w", err)
	}
	var m map[string]string
	if err := json.Unmarshal(flat, &m); err != nil {
		return nil, fmt.Errorf("encode signed content: %w", err)
	}
	for _, k := range drop {
		delete(m, k)
	}
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(m); err != nil {
		return nil, fmt.Errorf("encode signed content: %w", err)
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// ParseNoteContent decodes canonical note content, refusing any other form.
func ParseNoteContent(b []byte) (NoteContent, error) {
	return parseCanonical(b, func(c *NoteContent) error {
		if (c.Version != NoteVersion && c.Version != NoteVersionV1) || c.Doc != DocCancellation {
			return fmt.Errorf("%w: version %q doc %q", ErrNotCanonical, c.Version, c.Doc)
		}
		return nil
	})
}

// Note is a signed cancellation note: the record that a refund cancelled
// (part of) a receipt. The receipt itself is never altered. ID is the
// refund event's ID, so a redelivered event finds its note.
type Note struct {
	ID             string
	Donation       string
	Refund         string
	Unit           string
	Serial         string
	OriginalSerial string
	Amount         money.Amount
	RefundedAt     time.Time
	IssuedAt       time.Time
	Content        string
	Signature      []byte
	KeyID          string
}

// NoteSerial numbers the n-th (1-based) cancellation note of a receipt:
// "DMCH/2025-26/000007-C1".
func NoteSerial(original string, n int) string { return fmt.Sprintf("%s-C%d", original, n) }

// NoteDetails are what a note says beyond the records it joins: why, the
// reference of the money going back, and what stays eligible after it.
type NoteDetails struct {
	Reason, RefundRef string
	Eligible          money.Amount
}

// NoteContentOf builds the content of note n, cancelling orig whose signed
// content is oc.
func NoteContentOf(n *Note, orig *Receipt, oc Content, nd NoteDetails) NoteContent {
	return NoteContent{
		Version: NoteVersion, Doc: DocCancellation, Serial: n.Serial, OriginalSerial: orig.Serial,
		OriginalIssuedAt: FormatTime(orig.IssuedAt), OriginalAmount: orig.Amount.String(), FiscalYear: orig.FiscalYear,
		Unit: n.Unit, UnitNameBN: oc.UnitNameBN, UnitNameEN: oc.UnitNameEN, Donation: n.Donation, Refund: n.Refund,
		Refunded: n.Amount.String(), Currency: "BDT", Kind: orig.Kind, Programme: orig.Programme, Method: orig.Method,
		Donor: oc.Donor, Mobile: oc.Mobile, TIN: oc.TIN, RefundedAt: FormatTime(n.RefundedAt), IssuedAt: FormatTime(n.IssuedAt),
		Reason: freetext.OneLine(nd.Reason), RefundRef: freetext.OneLine(nd.RefundRef), Eligible: nd.Eligible.String(),
	}
}

// NoteVerification is the outcome of checking a stored note.
type NoteVerification struct {
	Valid   bool
	Reason  string
	Content NoteContent
}

// VerifyNote checks n against pub, the unit's key named by n.KeyID (nil if
// the unit has none such): the signature must cover n.Content and the
// record must say what the content says.
func VerifyNote(n *Note, pub ed25519.PublicKey) NoteVerification {
	if n.Content == "" || len(n.Signature) == 0 || n.KeyID == "" {
		return NoteVerification{Reason: ReasonUnsigned}
	}
	c, err := ParseNoteContent([]byte(n.Content))
	if err != nil {
		return NoteVerification{Reason: ReasonMalformed}
	}
	v := NoteVerification{Content: c}
	switch {
	case len(pub) != ed25519.PublicKeySize:
		v.Reason = ReasonForeignKey
	case !ed25519.Verify(pub, []byte(n.Content), n.Signature):
		v.Reason = ReasonBadSignature
	case c.Serial != n.Serial || c.OriginalSerial != n.OriginalSerial || c.Unit != n.Unit || c.Donation != n.Donation ||
		c.Refund != n.Refund || c.Refunded != n.Amount.String() || c.RefundedAt != FormatTime(n.RefundedAt) ||
		c.IssuedAt != FormatTime(n.IssuedAt):
		v.Reason = ReasonMismatch
	default:
		v.Valid = true
	}
	return v
}

// ErrNoteExists means the refund already has its note.
var ErrNoteExists = errors.New("refund already has a cancellation note")

// NoteRepository stores cancellation notes, keyed by Note.ID.
type NoteRepository interface {
	// InsertNote stores n, or returns ErrNoteExists if its ID is taken.
	InsertNote(ctx context.Context, n *Note) error
	// GetNote returns the note of refund of donation, or ErrNotFound.
	GetNote(ctx context.Context, donation, refund string) (*Note, error)
	// NoteByID returns the note with id, or ErrNotFound.
	NoteByID(ctx context.Context, id string) (*Note, error)
	// ListNotes returns the donation's notes, oldest first.
	ListNotes(ctx context.Context, donation string) ([]Note, error)
}
