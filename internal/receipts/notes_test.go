package receipts

import (
	"crypto/ed25519"
	"crypto/rand"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

func sampleNote(r *Receipt) *Note {
	at := r.IssuedAt.Add(24 * time.Hour)
	return &Note{ID: "don_abc/refund/rf_1", Donation: r.ID, Refund: "rf_1", Unit: r.Unit, Serial: NoteSerial(r.Serial, 1),
		OriginalSerial: r.Serial, Amount: money.Taka(200), RefundedAt: at, IssuedAt: at.Add(time.Second)}
}

func signNote(t *testing.T, n *Note, c NoteContent) ed25519.PublicKey {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	b, err := c.Canonical()
	if err != nil {
		t.Fatal(err)
	}
	n.Content, n.Signature, n.KeyID = string(b), ed25519.Sign(priv, b), "fp"
	return pub
}

// TestNoteContentV2CarriesReasonRefundRefAndRemainder: a note signs why
// the gift was refunded, bKash's refund ID and what stays eligible; a note
// signed as v1 before them still verifies, and neither version can carry
// the other's fields.
func TestNoteContentV2CarriesReasonRefundRefAndRemainder(t *testing.T) {
	r := sample()
	oc := ContentOf(r, UnitNames{BN: "ঢাকা", EN: "Dhaka"}, Donor{Name: "Rahima"})
	n := sampleNote(r)
	c := NoteContentOf(n, r, oc, NoteDetails{Reason: "donor\nasked  twice", RefundRef: "TRX9REF", Eligible: money.Taka(300)})
	pub := signNote(t, n, c)
	for _, want := range []string{`"v":"kalyan.cancellation.v2"`, `"reason":"donor asked twice"`, `"refundRef":"TRX9REF"`, `"eligible":"300.00"`} {
		if !strings.Contains(n.Content, want) {
			t.Errorf("note content lacks %s: %s", want, n.Content)
		}
	}
	v := VerifyNote(n, pub)
	if !v.Valid || v.Content.Reason != "donor asked twice" || v.Content.RefundRef != "TRX9REF" {
		t.Fatalf("v2 note: %+v", v)
	}
	if p, ok := v.Content.Partial(); !p || !ok {
		t.Errorf("v2 note with 300.00 left is not partial (%v %v)", p, ok)
	}

	// A v1 note, signed as it was before v2 (no reason, ref or remainder).
	old := sampleNote(r)
	v1 := NoteContentOf(old, r, oc, NoteDetails{})
	v1.Version = NoteVersionV1
	pub = signNote(t, old, v1)
	if strings.Contains(old.Content, "reason") || strings.Contains(old.Content, "eligible") {
		t.Fatalf("v1 content carries v2 fields: %s", old.Content)
	}
	ov := VerifyNote(old, pub)
	if !ov.Valid || ov.Content.Version != NoteVersionV1 {
		t.Fatalf("v1 note no longer verifies: %+v", ov)
	}
	if _, ok := ov.Content.Partial(); ok {
		t.Error("v1 note claims to know its remainder")
	}
	for _, bad := range []string{
		strings.Replace(old.Content, `"refund":`, `"reason":"x","refund":`, 1),
		strings.Replace(n.Content, `"reason":"donor asked twice",`, ``, 1),
		strings.Replace(n.Content, `kalyan.cancellation.v2`, `kalyan.cancellation.v9`, 1),
	} {
		if _, err := ParseNoteContent([]byte(bad)); err == nil {
			t.Errorf("accepted non-canonical note %s", bad)
		}
	}
}
