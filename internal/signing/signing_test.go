package signing

import (
	"bytes"
	"crypto/ed25519"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"
)

func sealer(t *testing.T) *Sealer {
	t.Helper()
	k, err := ParseSealKey(NewSealKey())
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func TestSealBindsToRecord(t *testing.T) {
	s := sealer(t)
	seed := NewSeed()
	sealed, err := s.Seal(seed, []byte("dmch/abc"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, seed) {
		t.Fatal("seed visible in sealed value")
	}
	got, err := s.Open(sealed, []byte("dmch/abc"))
	if err != nil || !bytes.Equal(got, seed) {
		t.Fatalf("open: %v", err)
	}
	if _, err := s.Open(sealed, []byte("rmch/abc")); !errors.Is(err, ErrSealed) {
		t.Fatalf("opened under another record's binding: %v", err)
	}
	if _, err := sealer(t).Open(sealed, []byte("dmch/abc")); !errors.Is(err, ErrSealed) {
		t.Fatalf("opened with another seal key: %v", err)
	}
	sealed[len(sealed)-1] ^= 1
	if _, err := s.Open(sealed, []byte("dmch/abc")); !errors.Is(err, ErrSealed) {
		t.Fatalf("opened a corrupted value: %v", err)
	}
}

func TestNoSealKeyRefuses(t *testing.T) {
	s, err := NewSealer(nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Seal([]byte("x"), nil); !errors.Is(err, ErrNoSealKey) {
		t.Fatal(err)
	}
	if _, err := s.DonorRef("01712345678"); !errors.Is(err, ErrNoSealKey) {
		t.Fatal(err)
	}
	if _, err := NewSealer(make([]byte, 16)); err == nil {
		t.Fatal("accepted a 16-byte key")
	}
	for _, bad := range []string{"", "short", "!!!!"} {
		if _, err := ParseSealKey(bad); err == nil {
			t.Fatalf("ParseSealKey(%q) accepted", bad)
		}
	}
}

func TestDonorRefIsKeyedAndStable(t *testing.T) {
	a, b := sealer(t), sealer(t)
	r1, _ := a.DonorRef("01712345678")
	r2, _ := a.DonorRef("01712345678")
	r3, _ := a.DonorRef("01712345679")
	r4, _ := b.DonorRef("01712345678")
	if r1 != r2 || r1 == r3 || r1 == r4 || strings.Contains(r1, "1712345678") {
		t.Fatalf("refs %s %s %s %s", r1, r2, r3, r4)
	}
}

func TestLinks(t *testing.T) {
	s := sealer(t)
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tok, err := s.Link(now.Add(time.Hour), "ref123", "2025-26")
	if err != nil {
		t.Fatal(err)
	}
	parts, err := s.OpenLink(tok, 2, now)
	if err != nil || parts[0] != "ref123" || parts[1] != "2025-26" {
		t.Fatalf("open: %v %v", parts, err)
	}
	for name, bad := range map[string]string{
		"expired":      "",
		"other fy":     strings.Replace(tok, "2025-26", "2024-25", 1),
		"truncated":    tok[:len(tok)-2],
		"wrong parts":  "a.b",
		"other sealer": func() string { t2, _ := sealer(t).Link(now.Add(time.Hour), "ref123", "2025-26"); return t2 }(),
		"later expiry": strings.Replace(tok, "."+strconv.FormatInt(now.Add(time.Hour).Unix(), 10)+".", "."+strconv.FormatInt(now.Add(900*time.Hour).Unix(), 10)+".", 1),
	} {
		at := now
		if name == "expired" {
			bad, at = tok, now.Add(2*time.Hour)
		}
		if _, err := s.OpenLink(bad, 2, at); !errors.Is(err, ErrLink) {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := s.Link(now, "a.b"); err == nil {
		t.Fatal("accepted a part with a dot")
	}
}

func TestSeedAndFingerprint(t *testing.T) {
	seed := NewSeed()
	enc := "AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
	got, err := ParseSeed(enc)
	if err != nil || len(got) != SeedSize || got[31] != 31 {
		t.Fatalf("parse: %v", err)
	}
	if _, err := ParseSeed("AAEC"); err == nil {
		t.Fatal("accepted a short seed")
	}
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if fp := Fingerprint(pub); len(fp) != 16 || fp != Fingerprint(pub) {
		t.Fatalf("fingerprint %q", fp)
	}
}

func TestKeyedIDs(t *testing.T) {
	s, other := sealer(t), sealer(t)
	a, err := s.KeyedID("donation\x00online\x00dmch\x00key-1\x001")
	if err != nil || len(a) != 16 {
		t.Fatalf("%x %v", a, err)
	}
	if b, _ := s.KeyedID("donation\x00online\x00dmch\x00key-1\x001"); !bytes.Equal(a, b) {
		t.Fatal("the same input gave two IDs")
	}
	if b, _ := s.KeyedID("donation\x00online\x00dmch\x00key-1\x002"); bytes.Equal(a, b) {
		t.Fatal("another input gave the same ID")
	}
	if b, _ := other.KeyedID("donation\x00online\x00dmch\x00key-1\x001"); bytes.Equal(a, b) {
		t.Fatal("another seal key gave the same ID: the ID is a function of the input alone")
	}
	if _, err := (&Sealer{}).KeyedID("x"); !errors.Is(err, ErrNoSealKey) {
		t.Fatalf("no key: %v", err)
	}
}

// A gift's ID made before a seal key rotation must still be found after
// it, or a retry across the rotation would make a second gift.
func TestKeyedIDsAcrossARotation(t *testing.T) {
	oldKey, _ := ParseSealKey(NewSealKey())
	newKey, _ := ParseSealKey(NewSealKey())
	before, err := NewSealer(oldKey)
	if err != nil {
		t.Fatal(err)
	}
	during, err := NewRingSealer(KeyRing{Keys: []RingKey{{Key: oldKey}, {Key: newKey}}})
	if err != nil {
		t.Fatal(err)
	}
	after, err := NewSealer(newKey)
	if err != nil {
		t.Fatal(err)
	}
	const in = "donation\x00online\x00dmch\x00key-1\x001"
	old, _ := before.KeyedID(in)
	ids, err := during.KeyedIDs(in)
	if err != nil || len(ids) != 2 {
		t.Fatalf("%d IDs, %v", len(ids), err)
	}
	if nw, _ := after.KeyedID(in); !bytes.Equal(ids[0], nw) {
		t.Fatal("new records do not take the active key's ID")
	}
	if !bytes.Equal(ids[1], old) {
		t.Fatal("the ID made before the rotation is not among the candidates")
	}
	if act, _ := during.KeyedID(in); !bytes.Equal(act, ids[0]) {
		t.Fatal("KeyedID and KeyedIDs disagree on the active key's ID")
	}
}
