package signing

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

func ringOf(t *testing.T, text string) *Sealer {
	t.Helper()
	kr, err := ParseKeyRing(text)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewRingSealer(kr)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// legacySeal seals as Sealer did before key rings: nonce||ciphertext, no header.
func legacySeal(t *testing.T, key string, plain, aad []byte) []byte {
	t.Helper()
	k, err := ParseSealKey(key)
	if err != nil {
		t.Fatal(err)
	}
	sk, err := newSealKey(k)
	if err != nil {
		t.Fatal(err)
	}
	nonce := make([]byte, sk.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return sk.aead.Seal(nonce, nonce, plain, aad)
}

func TestRingRotation(t *testing.T) {
	k1, k2 := NewSealKey(), NewSealKey()
	id1, id2 := mustID(t, k1), mustID(t, k2)
	plain, aad := []byte("merchant credentials"), []byte("kalyan/bkash-merchant/v1\x00rks")

	// Data sealed by the single-key sealer of before (no header), and by a one-key ring.
	legacy := legacySeal(t, k1, plain, aad)
	one := ringOf(t, k1)
	if one.ID() != id1 {
		t.Fatalf("one-key ring ID %s, want %s", one.ID(), id1)
	}
	sealed1, err := one.Seal(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if SealedKeyID(sealed1) != id1 || SealedKeyID(legacy) != "" {
		t.Fatalf("SealedKeyID: %q %q", SealedKeyID(sealed1), SealedKeyID(legacy))
	}

	// Step 1: the new key is added as pending. Seals still use the old key; both open everything.
	pending := ringOf(t, k1+"\npending:"+k2)
	if pending.ID() != id1 {
		t.Fatalf("a pending key seals: ID %s", pending.ID())
	}
	// Step 2: the new key seals.
	promoted := ringOf(t, k1+","+k2)
	if promoted.ID() != id2 || !slices.Equal(promoted.KeyIDs(), []string{id1, id2}) {
		t.Fatalf("promoted ring: ID %s, keys %v", promoted.ID(), promoted.KeyIDs())
	}
	sealed2, err := promoted.Seal(plain, aad)
	if err != nil {
		t.Fatal(err)
	}
	if SealedKeyID(sealed2) != id2 {
		t.Fatalf("sealed under %s, want %s", SealedKeyID(sealed2), id2)
	}
	for name, s := range map[string]*Sealer{"pending": pending, "promoted": promoted} {
		for what, v := range map[string][]byte{"legacy": legacy, "old key": sealed1, "new key": sealed2} {
			got, err := s.Open(v, aad)
			if err != nil || !bytes.Equal(got, plain) {
				t.Errorf("%s ring opening a value sealed with the %s: %v", name, what, err)
			}
			if _, err := s.Open(v, []byte("another record")); !errors.Is(err, ErrSealed) {
				t.Errorf("%s ring opened a %s value under another binding: %v", name, what, err)
			}
		}
	}
	// The old single-key sealer cannot open what the new key sealed (why step 1 comes first).
	if _, err := one.Open(sealed2, aad); !errors.Is(err, ErrSealed) {
		t.Errorf("the old ring opened a new seal: %v", err)
	}
	// Step 4: after the reseal the old key goes; only the new key's values open.
	newOnly := ringOf(t, k2)
	if _, err := newOnly.Open(sealed2, aad); err != nil {
		t.Errorf("new-key ring: %v", err)
	}
	for what, v := range map[string][]byte{"legacy": legacy, "old key": sealed1} {
		if _, err := newOnly.Open(v, aad); !errors.Is(err, ErrSealed) {
			t.Errorf("the old key's %s value opened without it: %v", what, err)
		}
	}
	// A header naming a key the ring lacks, or a forged header, is still just unopenable.
	forged := append(append([]byte{}, sealed2[:len(sealMagic)]...), append([]byte{1, 2, 3, 4}, sealed2[len(sealMagic)+keyIDSize:]...)...)
	if _, err := promoted.Open(forged, aad); !errors.Is(err, ErrSealed) {
		t.Errorf("forged header: %v", err)
	}
}

func TestRingDonorRefsAndLinks(t *testing.T) {
	k1, k2 := NewSealKey(), NewSealKey()
	before, after := ringOf(t, k1), ringOf(t, k1+"\n"+k2)
	old, _ := before.DonorRef("01712345678")
	cur, _ := after.DonorRef("01712345678")
	refs, err := after.DonorRefs("01712345678")
	if err != nil || len(refs) != 2 || refs[0] != cur || refs[1] != old || cur == old {
		t.Fatalf("refs %v (active %s, old %s): %v", refs, cur, old, err)
	}
	now := time.Unix(1_800_000_000, 0)
	link, err := before.Link(now.Add(time.Hour), "ref", "2025-26")
	if err != nil {
		t.Fatal(err)
	}
	if parts, err := after.OpenLink(link, 2, now); err != nil || parts[0] != "ref" {
		t.Fatalf("a link made before the rotation: %v %v", parts, err)
	}
	if _, err := ringOf(t, k2).OpenLink(link, 2, now); !errors.Is(err, ErrLink) {
		t.Fatalf("a link made under a removed key still opens: %v", err)
	}
}

func TestParseKeyRing(t *testing.T) {
	k1, k2 := NewSealKey(), NewSealKey()
	kr, err := ParseKeyRing("# rotated 2026-11\n" + k1 + "  # old\n\npending:" + k2 + "\n")
	if err != nil || len(kr.Keys) != 2 || kr.Keys[0].Pending || !kr.Keys[1].Pending {
		t.Fatalf("%+v %v", kr, err)
	}
	for text, want := range map[string]string{
		"":                             "no key",
		"# only a comment":             "no key",
		"short":                        "key 1",
		k1 + "," + k1:                  "listed twice",
		"pending:" + k1:                "every key is pending",
		k1 + "\npending:not-base64!!!": "key 2",
	} {
		if _, err := ParseKeyRing(text); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseKeyRing(%q): %v, want %q", text, err, want)
		}
	}
}

// TestSealerReReadsItsFile: a rotated Secret (the kubelet rewrites the mounted file) reaches a running
// process; a broken file keeps the last good ring.
func TestSealerReReadsItsFile(t *testing.T) {
	k1, k2 := NewSealKey(), NewSealKey()
	path := filepath.Join(t.TempDir(), "seal-keys")
	if err := os.WriteFile(path, []byte(k1+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := NewSealerFromFile(path, 0)
	if err != nil {
		t.Fatal(err)
	}
	if s.ID() != mustID(t, k1) {
		t.Fatalf("ID %s", s.ID())
	}
	sealed1, _ := s.Seal([]byte("x"), nil)
	if err := os.WriteFile(path, []byte(k1+"\n"+k2+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s.ID() != mustID(t, k2) {
		t.Fatalf("after the rotation the ID is %s, want %s", s.ID(), mustID(t, k2))
	}
	if _, err := s.Open(sealed1, nil); err != nil {
		t.Fatalf("value sealed before the re-read: %v", err)
	}
	if err := os.WriteFile(path, []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	if s.ID() != mustID(t, k2) || s.RingFileError() == nil {
		t.Fatalf("a broken file replaced the ring (ID %s) or went unreported (%v)", s.ID(), s.RingFileError())
	}
	if _, err := NewSealerFromFile(filepath.Join(t.TempDir(), "missing"), time.Second); err == nil {
		t.Fatal("a missing file was accepted")
	}
}

func mustID(t *testing.T, key string) string {
	t.Helper()
	k, err := ParseSealKey(key)
	if err != nil {
		t.Fatal(err)
	}
	return KeyID(k)
}

// KeyID is the public name of a seal key, as Sealer.ID reports it.
func KeyID(key []byte) string {
	id := keyID(key)
	return hex.EncodeToString(id[:])
}
