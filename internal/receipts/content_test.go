package receipts

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

func sample() *Receipt {
	paid := time.Date(2025, 8, 15, 4, 30, 0, 123456789, time.UTC)
	return &Receipt{ID: "don_abc", Unit: "dmch", FiscalYear: "2025-26", Seq: 7, Serial: "DMCH/2025-26/000007",
		Amount: money.Taka(500), Kind: "zakat", Programme: "cancer", Method: "bkash", TrxID: "TRX1",
		PaidAt: paid, IssuedAt: paid.Add(time.Second)}
}

func signed(t *testing.T, r *Receipt, d Donor) ed25519.PublicKey {
	t.Helper()
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	b, err := ContentOf(r, UnitNames{BN: "ঢাকা মেডিকেল কলেজ হাসপাতাল", EN: "Dhaka <Medical> & College"}, d).Canonical()
	if err != nil {
		t.Fatal(err)
	}
	r.Content, r.Signature, r.KeyID = string(b), ed25519.Sign(priv, b), "fp"
	return pub
}

func TestCanonicalEncoding(t *testing.T) {
	r := sample()
	signed(t, r, Donor{Name: "Rahima \"Begum\"", MobileMasked: "017******78", TIN: "123456789012"})
	// Keys sorted, no whitespace, no HTML escaping, empty fields present.
	var keys []string
	dec := json.NewDecoder(strings.NewReader(r.Content))
	dec.Token()
	for dec.More() {
		k, _ := dec.Token()
		keys = append(keys, k.(string))
		var v string
		dec.Decode(&v)
	}
	if !slices.IsSorted(keys) || len(keys) != 19 {
		t.Fatalf("keys %v", keys)
	}
	for _, want := range []string{`"v":"kalyan.receipt.v1"`, `"amount":"500.00"`, `"paidAt":"2025-08-15T04:30:00.123Z"`, `<Medical> & College`, `"donor":"Rahima \"Begum\""`} {
		if !strings.Contains(r.Content, want) {
			t.Errorf("content lacks %s: %s", want, r.Content)
		}
	}
	c, err := ParseContent([]byte(r.Content))
	if err != nil || c.Serial != r.Serial {
		t.Fatalf("parse: %v", err)
	}
	for _, bad := range []string{
		strings.Replace(r.Content, `{"amount"`, `{ "amount"`, 1),
		strings.Replace(r.Content, `"v":"kalyan.receipt.v1"`, `"v":"kalyan.receipt.v9"`, 1),
		strings.Replace(r.Content, `"tin":`, `"extra":"x","tin":`, 1),
		`{"v":"kalyan.receipt.v1"}`,
	} {
		if _, err := ParseContent([]byte(bad)); err == nil {
			t.Errorf("accepted non-canonical %s", bad)
		}
	}
}

func TestVerify(t *testing.T) {
	anon := sample()
	pub := signed(t, anon, Donor{Name: "Hidden", Anonymous: true})
	if v := Verify(anon, pub); !v.Valid || v.Content.Donor != AnonymousDonor || strings.Contains(anon.Content, "Hidden") {
		t.Fatalf("anonymous: %+v", v)
	}
	cases := map[string]struct {
		mut    func(r *Receipt, pub *ed25519.PublicKey)
		reason string
	}{
		"amount in record": {func(r *Receipt, _ *ed25519.PublicKey) { r.Amount++ }, ReasonMismatch},
		"serial in record": {func(r *Receipt, _ *ed25519.PublicKey) { r.Seq = 8 }, ReasonMismatch},
		"issued in record": {func(r *Receipt, _ *ed25519.PublicKey) { r.IssuedAt = r.IssuedAt.Add(time.Hour) }, ReasonMismatch},
		"content":          {func(r *Receipt, _ *ed25519.PublicKey) { r.Content = strings.Replace(r.Content, "500.00", "900.00", 1) }, ReasonBadSignature},
		"signature":        {func(r *Receipt, _ *ed25519.PublicKey) { r.Signature[0] ^= 1 }, ReasonBadSignature},
		"foreign key":      {func(_ *Receipt, p *ed25519.PublicKey) { *p = nil }, ReasonForeignKey},
		"other key":        {func(_ *Receipt, p *ed25519.PublicKey) { *p, _, _ = ed25519.GenerateKey(rand.Reader) }, ReasonBadSignature},
		"unsigned":         {func(r *Receipt, _ *ed25519.PublicKey) { r.Signature = nil }, ReasonUnsigned},
		"garbage content":  {func(r *Receipt, _ *ed25519.PublicKey) { r.Content = "{" }, ReasonMalformed},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			r := sample()
			p := signed(t, r, Donor{Name: "Rahima"})
			if v := Verify(r, p); !v.Valid {
				t.Fatalf("untouched receipt: %+v", v)
			}
			c.mut(r, &p)
			if v := Verify(r, p); v.Valid || v.Reason != c.reason {
				t.Fatalf("got %+v, want %q", v, c.reason)
			}
		})
	}
}
