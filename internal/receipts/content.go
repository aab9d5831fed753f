package receipts

import (
	"bytes"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/kalyan-platform/kalyan/internal/freetext"
)

// ContentVersion names the canonical encoding below. A new encoding gets a
// new version; verifiers keep accepting the old ones, so receipts issued
// years ago still verify.
const ContentVersion = "kalyan.receipt.v1"

// Document types a unit signs. Cancellation notes (refunds, issue #3) will be
// signed the same way with DocCancellation and a reference to the original.
const (
	DocReceipt      = "receipt"
	DocCancellation = "cancellation"
)

// AnonymousDonor is the donor name on the receipt of an anonymous gift.
const AnonymousDonor = "anonymous"

// Content is what a receipt says, exactly as signed. Every field is a
// string so the encoding has a single obvious form.
//
// Canonical encoding (kalyan.receipt.v1): a UTF-8 JSON object holding every
// field below (empty strings included), keys in byte order, no whitespace,
// no HTML escaping; times are UTC with milliseconds
// ("2025-08-15T10:30:00.000Z"), amounts in taka with two decimals
// ("500.00"). The Ed25519 signature covers exactly these bytes.
type Content struct {
	Version    string `json:"v"`
	Doc        string `json:"doc"`
	Serial     string `json:"serial"`
	FiscalYear string `json:"fy"`
	Unit       string `json:"unit"`
	UnitNameBN string `json:"unitNameBN"`
	UnitNameEN string `json:"unitNameEN"`
	Donation   string `json:"donation"`
	Amount     string `json:"amount"`
	Currency   string `json:"currency"`
	Kind       string `json:"kind"`
	Programme  string `json:"programme"`
	Method     string `json:"method"`
	TrxID      string `json:"trxID"`
	PaidAt     string `json:"paidAt"`
	IssuedAt   string `json:"issuedAt"`
	// Donor is the donor's name, or AnonymousDonor.
	Donor string `json:"donor"`
	// Mobile is masked (contact.MaskMobile); the full number is never signed.
	Mobile string `json:"mobile"`
	TIN    string `json:"tin"`
}

// Donor is the personal part of a receipt, as the donor gave it.
type Donor struct {
	Name         string
	Anonymous    bool
	MobileMasked string
	TIN          string
}

// UnitNames are the hospital's names printed on the receipt.
type UnitNames struct{ BN, EN string }

// TimeFormat is how times appear in signed content.
const TimeFormat = "2006-01-02T15:04:05.000Z"

// FormatTime renders t as signed content does (UTC, milliseconds).
func FormatTime(t time.Time) string { return t.UTC().Truncate(time.Millisecond).Format(TimeFormat) }

// ContentOf builds the content of r as issued (serial and fiscal year set).
// Free text is cleaned where the edge should already have done it
// (freetext.OneLine): a name stored before the rules, or arriving by
// another path, is signed as one line, never with a line that could pass
// for a label. Refusing instead would leave a paid gift without a receipt.
func ContentOf(r *Receipt, names UnitNames, d Donor) Content {
	donor := freetext.OneLine(d.Name)
	if d.Anonymous || donor == "" {
		donor = AnonymousDonor
	}
	names.BN, names.EN = freetext.OneLine(names.BN), freetext.OneLine(names.EN)
	return Content{
		Version: ContentVersion, Doc: DocReceipt, Serial: r.Serial, FiscalYear: r.FiscalYear,
		Unit: r.Unit, UnitNameBN: names.BN, UnitNameEN: names.EN, Donation: r.ID,
		Amount: r.Amount.String(), Currency: "BDT", Kind: r.Kind, Programme: r.Programme,
		Method: r.Method, TrxID: r.TrxID, PaidAt: FormatTime(r.PaidAt), IssuedAt: FormatTime(r.IssuedAt),
		Donor: donor, Mobile: d.MobileMasked, TIN: d.TIN,
	}
}

// Anonymous reports whether the gift was anonymous.
func (c Content) Anonymous() bool { return c.Donor == AnonymousDonor }

// Canonical encodes c in its canonical form.
func (c Content) Canonical() ([]byte, error) { return canonical(c) }

// ErrNotCanonical means stored content is not in canonical form, so it
// cannot be what was signed.
var ErrNotCanonical = errors.New("receipt content is not canonical")

// ParseContent decodes canonical content, refusing any other form.
func ParseContent(b []byte) (Content, error) {
	return parseCanonical(b, func(c *Content) error {
		if c.Version != ContentVersion {
			return fmt.Errorf("%w: version %q", ErrNotCanonical, c.Version)
		}
		return nil
	})
}

// parseCanonical decodes b strictly into a T that valid accepts and whose
// canonical form is exactly b: anything else cannot be what was signed.
func parseCanonical[T interface{ Canonical() ([]byte, error) }](b []byte, valid func(*T) error) (T, error) {
	var c T
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return c, fmt.Errorf("%w: %v", ErrNotCanonical, err)
	}
	if err := valid(&c); err != nil {
		return c, err
	}
	again, err := c.Canonical()
	if err != nil {
		return c, err
	}
	if !bytes.Equal(again, b) {
		return c, ErrNotCanonical
	}
	return c, nil
}

// Verification is the outcome of checking a stored receipt.
type Verification struct {
	Valid bool
	// Reason says why a receipt is not valid (empty when valid).
	Reason string
	// Content is the parsed signed content (zero if unparseable).
	Content Content
}

// Reasons a receipt fails verification.
const (
	ReasonUnsigned     = "the receipt carries no signature"
	ReasonMalformed    = "the signed content is malformed"
	ReasonForeignKey   = "the signing key is not one of this unit's keys"
	ReasonBadSignature = "the signature does not match the content"
	ReasonMismatch     = "the receipt record differs from its signed content"
)

// Verify checks r against pub, the unit's public key named by r.KeyID (nil
// when the unit has no such key): the signature must cover r.Content, and
// the record's own fields must say what the content says.
func Verify(r *Receipt, pub ed25519.PublicKey) Verification {
	if r.Content == "" || len(r.Signature) == 0 || r.KeyID == "" {
		return Verification{Reason: ReasonUnsigned}
	}
	c, err := ParseContent([]byte(r.Content))
	if err != nil {
		return Verification{Reason: ReasonMalformed}
	}
	v := Verification{Content: c}
	switch {
	case len(pub) != ed25519.PublicKeySize:
		v.Reason = ReasonForeignKey
	case !ed25519.Verify(pub, []byte(r.Content), r.Signature):
		v.Reason = ReasonBadSignature
	case !matches(r, c):
		v.Reason = ReasonMismatch
	default:
		v.Valid = true
	}
	return v
}

func matches(r *Receipt, c Content) bool {
	return c.Doc == DocReceipt && c.Serial == r.Serial && c.FiscalYear == r.FiscalYear && c.Unit == r.Unit &&
		c.Donation == r.ID && c.Amount == r.Amount.String() && c.Kind == r.Kind && c.Programme == r.Programme &&
		c.Method == r.Method && c.TrxID == r.TrxID && c.PaidAt == FormatTime(r.PaidAt) &&
		c.IssuedAt == FormatTime(r.IssuedAt) && Serial(serialPrefix(c.Serial), r.FiscalYear, r.Seq) == r.Serial
}

// serialPrefix returns the part of a serial before "/<fy>/<seq>".
func serialPrefix(serial string) string {
	n := 0
	for i := len(serial) - 1; i >= 0; i-- {
		if serial[i] == '/' {
			n++
			if n == 2 {
				return serial[:i]
			}
		}
	}
	return ""
}
