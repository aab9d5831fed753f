// Package signing holds the platform's small cryptographic building blocks:
// sealing unit signing keys at rest (AES-256-GCM under the platform seal
// key ring), Ed25519 key fingerprints, keyed references that let us find a
// donor's receipts without storing a searchable phone number, and
// expiring HMAC links.
package signing

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// SealKeySize is the length of the platform seal key (AES-256).
const SealKeySize = 32

// Errors of this package.
var (
	// ErrNoSealKey means KALYAN_SEAL_KEY was not configured.
	ErrNoSealKey = errors.New("seal key not configured (KALYAN_SEAL_KEY)")
	// ErrSealed means a sealed value could not be opened: wrong seal key,
	// wrong binding (e.g. copied to another unit's record) or corrupted.
	ErrSealed = errors.New("sealed value cannot be opened with this seal key")
	// ErrLink means a link token is malformed, forged or expired.
	ErrLink = errors.New("invalid or expired link")
)

// ParseSealKey decodes a base64 (standard encoding) 32-byte key.
func ParseSealKey(s string) ([]byte, error) {
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(k) != SealKeySize {
		return nil, errors.New("must be 32 random bytes in standard base64 (openssl rand -base64 32)")
	}
	return k, nil
}

// NewSealKey returns a fresh random seal key, base64-encoded.
func NewSealKey() string {
	k := make([]byte, SealKeySize)
	_, _ = rand.Read(k) // crypto/rand.Read never fails (Go ≥ 1.24)
	return base64.StdEncoding.EncodeToString(k)
}

// Sealer encrypts small secrets under the platform seal key ring
// (ring.go). The zero value (no key) refuses every operation with
// ErrNoSealKey.
type Sealer struct {
	ring atomic.Pointer[ring]
	file *ringFile // set when the ring is re-read from a file
}

// NewSealer builds a sealer from one 32-byte key; a nil key gives a sealer
// that fails on use (the configuration check reports the missing setting).
func NewSealer(key []byte) (*Sealer, error) {
	if key == nil {
		return &Sealer{}, nil
	}
	return NewRingSealer(KeyRing{Keys: []RingKey{{Key: key}}})
}

// NewRingSealer builds a sealer from a key ring.
func NewRingSealer(kr KeyRing) (*Sealer, error) {
	r, err := newRing(kr)
	if err != nil {
		return nil, err
	}
	s := &Sealer{}
	s.ring.Store(r)
	return s, nil
}

// current returns the ring to use now (re-reading its file when due).
func (s *Sealer) current() *ring {
	if s.file != nil {
		s.file.refresh(s)
	}
	return s.ring.Load()
}

// ID names the seal key new seals use (not secret), so a record sealed
// under another key is recognised rather than failing obscurely.
func (s *Sealer) ID() string {
	if r := s.current(); r != nil {
		return r.active.id
	}
	return ""
}

// KeyIDs names every key of the ring, oldest first.
func (s *Sealer) KeyIDs() []string {
	r := s.current()
	if r == nil {
		return nil
	}
	ids := make([]string, len(r.keys))
	for i, k := range r.keys {
		ids[i] = k.id
	}
	return ids
}

// Seal encrypts plain under the ring's active key, binding it to aad (e.g.
// the record's key) so a sealed value moved to another record does not
// open. The result names its key (sealHeader).
func (s *Sealer) Seal(plain, aad []byte) ([]byte, error) {
	r := s.current()
	if r == nil {
		return nil, ErrNoSealKey
	}
	k := r.active
	out := make([]byte, 0, len(sealMagic)+keyIDSize+k.aead.NonceSize()+len(plain)+k.aead.Overhead())
	out = append(append(out, sealMagic...), k.rawID[:]...)
	nonce := make([]byte, k.aead.NonceSize())
	_, _ = rand.Read(nonce)
	out = append(out, nonce...)
	return k.aead.Seal(out, nonce, plain, aad), nil
}

// Open reverses Seal: a value that names its key is opened with that key;
// one sealed before the ring existed (no header) with each key in turn.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	r := s.current()
	if r == nil {
		return nil, ErrNoSealKey
	}
	if id, body, ok := splitHeader(sealed); ok {
		if k := r.byID[id]; k != nil {
			if plain, err := k.open(body, aad); err == nil {
				return plain, nil
			}
		}
	}
	for _, k := range r.tryOrder {
		if plain, err := k.open(sealed, aad); err == nil {
			return plain, nil
		}
	}
	return nil, ErrSealed
}

// SealedKeyID returns the ID of the key a value from Seal was sealed
// under, or "" for a value sealed before key rings (which names no key).
func SealedKeyID(sealed []byte) string {
	id, _, ok := splitHeader(sealed)
	if !ok {
		return ""
	}
	return hex.EncodeToString(id[:])
}

// DonorRef is a keyed, non-reversible reference to a normalised mobile
// number under the active key: receipts carry it so a donor's statement
// can be assembled without storing a number anyone with database access
// could search or enumerate.
func (s *Sealer) DonorRef(mobile string) (string, error) {
	r := s.current()
	if r == nil {
		return "", ErrNoSealKey
	}
	return r.active.donorRef(mobile), nil
}

// DonorRefs are mobile's references under every key of the ring, the
// active key's first: receipts issued before a rotation (and not yet
// re-keyed by `kalyan-worker reseal`) carry an older one.
func (s *Sealer) DonorRefs(mobile string) ([]string, error) {
	r := s.current()
	if r == nil {
		return nil, ErrNoSealKey
	}
	refs := make([]string, 0, len(r.tryOrder))
	for _, k := range r.tryOrder {
		refs = append(refs, k.donorRef(mobile))
	}
	return refs, nil
}

// KeyedID derives 128 bits from input under the active key's secret
// subkey: an ID that is the same for the same input, and that nobody
// without the seal key can compute from the input.
func (s *Sealer) KeyedID(input string) ([]byte, error) {
	r := s.current()
	if r == nil {
		return nil, ErrNoSealKey
	}
	return r.active.keyedID(input), nil
}

// KeyedIDs are input's IDs under every key of the ring, the active key's
// first: an ID made before a rotation still names its record, so a retry
// across the rotation finds it instead of making a second one.
func (s *Sealer) KeyedIDs(input string) ([][]byte, error) {
	r := s.current()
	if r == nil {
		return nil, ErrNoSealKey
	}
	ids := make([][]byte, 0, len(r.tryOrder))
	for _, k := range r.tryOrder {
		ids = append(ids, k.keyedID(input))
	}
	return ids, nil
}

// Link signs parts (which must not contain ".") with an expiry into a
// URL-safe token: "<part>.<part>…<unix expiry>.<mac>", under the active key.
func (s *Sealer) Link(exp time.Time, parts ...string) (string, error) {
	r := s.current()
	if r == nil {
		return "", ErrNoSealKey
	}
	for _, p := range parts {
		if p == "" || strings.Contains(p, ".") {
			return "", fmt.Errorf("link part %q: empty or contains '.'", p)
		}
	}
	body := strings.Join(append(parts, strconv.FormatInt(exp.Unix(), 10)), ".")
	return body + "." + r.active.linkMAC(body), nil
}

// OpenLink checks a token made by Link with n parts (under any key of the
// ring: links made before a rotation keep working) and returns the parts.
func (s *Sealer) OpenLink(token string, n int, now time.Time) ([]string, error) {
	r := s.current()
	if r == nil {
		return nil, ErrNoSealKey
	}
	fields := strings.Split(token, ".")
	if len(fields) != n+2 {
		return nil, ErrLink
	}
	body := strings.Join(fields[:n+1], ".")
	valid := false
	for _, k := range r.tryOrder {
		valid = valid || hmac.Equal([]byte(k.linkMAC(body)), []byte(fields[n+1]))
	}
	if !valid {
		return nil, ErrLink
	}
	exp, err := strconv.ParseInt(fields[n], 10, 64)
	if err != nil || now.Unix() > exp {
		return nil, ErrLink
	}
	return fields[:n], nil
}

// SeedSize is the length of an Ed25519 private key seed.
const SeedSize = ed25519.SeedSize

// ParseSeed decodes the admin API's signingKey: a base64 (standard) 32-byte
// Ed25519 seed.
func ParseSeed(s string) ([]byte, error) {
	seed, err := base64.StdEncoding.DecodeString(strings.TrimSpace(s))
	if err != nil || len(seed) != SeedSize {
		return nil, errors.New("must be a 32-byte Ed25519 seed in standard base64")
	}
	return seed, nil
}

// NewSeed returns a fresh random Ed25519 seed.
func NewSeed() []byte {
	seed := make([]byte, SeedSize)
	_, _ = rand.Read(seed)
	return seed
}

// Fingerprint is the short public name of an Ed25519 public key: the first
// 8 bytes of its SHA-256, in hex. It is printed on receipts and names the
// key in the unit's key list; it is only unique within a unit, which is
// where keys are looked up.
func Fingerprint(pub ed25519.PublicKey) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:8])
}

// UnitKey is one of a unit's receipt signing keys. The private seed is only
// ever stored sealed; the public key is published.
type UnitKey struct {
	Unit        string
	Fingerprint string
	Public      []byte
	Sealed      []byte
	SealKeyID   string
	CreatedAt   time.Time
}

// Ref is the key's storage key, "<unit>/<fingerprint>"; sealing binds the
// seed to it.
func (k *UnitKey) Ref() string { return KeyRef(k.Unit, k.Fingerprint) }

// KeyRef is "<unit>/<fingerprint>".
func KeyRef(unit, fingerprint string) string { return unit + "/" + fingerprint }

// ErrKeyNotFound means the unit has no such key (or no active key).
var ErrKeyNotFound = errors.New("signing key not found")

// SealedMerchant is a bKash merchant's API credentials at rest: sealed under
// the platform seal key and bound to the merchant ID (its bKash username).
type SealedMerchant struct {
	ID        string
	Sealed    []byte
	SealKeyID string
	Rev       int64 // increases whenever the credentials change (Unix nanoseconds)
	UpdatedAt time.Time
}

// ErrMerchantNotFound means no credentials are stored for a merchant ID.
var ErrMerchantNotFound = errors.New("bkash merchant credentials not found")
