// Package signing holds the platform's small cryptographic building blocks:
// sealing unit signing keys at rest (AES-256-GCM under the platform seal
// key), Ed25519 key fingerprints, keyed references that let us find a
// donor's receipts without storing a searchable phone number, and
// expiring HMAC links.
package signing

import (
	"crypto/aes"
	"crypto/cipher"
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

// Sealer encrypts small secrets under the platform seal key. The zero value
// (no key) refuses every operation with ErrNoSealKey.
type Sealer struct {
	aead cipher.AEAD
	id   string
	keys map[string][]byte // derived subkeys by label
}

// NewSealer builds a sealer from a 32-byte key; a nil key gives a sealer
// that fails on use (the configuration check reports the missing setting).
func NewSealer(key []byte) (*Sealer, error) {
	if key == nil {
		return &Sealer{}, nil
	}
	if len(key) != SealKeySize {
		return nil, fmt.Errorf("seal key: %d bytes, want %d", len(key), SealKeySize)
	}
	// Separate subkeys per purpose, so the AES key never doubles as an HMAC key.
	derive := func(label string) []byte {
		m := hmac.New(sha256.New, key)
		m.Write([]byte("kalyan/" + label))
		return m.Sum(nil)
	}
	block, err := aes.NewCipher(derive("seal/v1"))
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	id := sha256.Sum256(derive("seal-id/v1"))
	return &Sealer{aead: aead, id: hex.EncodeToString(id[:4]), keys: map[string][]byte{
		"donor-ref": derive("donor-ref/v1"),
		"link":      derive("link/v1"),
		"keyed-id":  derive("keyed-id/v1"),
	}}, nil
}

// ID names the seal key (not secret) so a record sealed under another key
// is recognised rather than failing obscurely.
func (s *Sealer) ID() string { return s.id }

// Seal encrypts plain, binding it to aad (e.g. the record's key) so a
// sealed value moved to another record does not open.
func (s *Sealer) Seal(plain, aad []byte) ([]byte, error) {
	if s.aead == nil {
		return nil, ErrNoSealKey
	}
	nonce := make([]byte, s.aead.NonceSize())
	_, _ = rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plain, aad), nil
}

// Open reverses Seal.
func (s *Sealer) Open(sealed, aad []byte) ([]byte, error) {
	if s.aead == nil {
		return nil, ErrNoSealKey
	}
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrSealed
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], aad)
	if err != nil {
		return nil, ErrSealed
	}
	return plain, nil
}

// DonorRef is a keyed, non-reversible reference to a normalised mobile
// number: receipts carry it so a donor's statement can be assembled without
// storing a number anyone with database access could search or enumerate.
func (s *Sealer) DonorRef(mobile string) (string, error) {
	if s.aead == nil {
		return "", ErrNoSealKey
	}
	m := hmac.New(sha256.New, s.keys["donor-ref"])
	m.Write([]byte(mobile))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16]), nil
}

// KeyedID derives 128 bits from input under a secret subkey: an ID that is
// the same for the same input (so a retry finds what the first request
// made) yet unpredictable to anyone without the seal key, whatever the
// input. Callers prefix input with its purpose.
func (s *Sealer) KeyedID(input string) ([]byte, error) {
	if s.aead == nil {
		return nil, ErrNoSealKey
	}
	m := hmac.New(sha256.New, s.keys["keyed-id"])
	m.Write([]byte(input))
	return m.Sum(nil)[:16], nil
}

// Link signs parts (which must not contain ".") with an expiry into a
// URL-safe token: "<part>.<part>…<unix expiry>.<mac>".
func (s *Sealer) Link(exp time.Time, parts ...string) (string, error) {
	if s.aead == nil {
		return "", ErrNoSealKey
	}
	for _, p := range parts {
		if p == "" || strings.Contains(p, ".") {
			return "", fmt.Errorf("link part %q: empty or contains '.'", p)
		}
	}
	body := strings.Join(append(parts, strconv.FormatInt(exp.Unix(), 10)), ".")
	return body + "." + s.linkMAC(body), nil
}

// OpenLink checks a token made by Link with n parts and returns the parts.
func (s *Sealer) OpenLink(token string, n int, now time.Time) ([]string, error) {
	if s.aead == nil {
		return nil, ErrNoSealKey
	}
	fields := strings.Split(token, ".")
	if len(fields) != n+2 {
		return nil, ErrLink
	}
	body := strings.Join(fields[:n+1], ".")
	if !hmac.Equal([]byte(s.linkMAC(body)), []byte(fields[n+1])) {
		return nil, ErrLink
	}
	exp, err := strconv.ParseInt(fields[n], 10, 64)
	if err != nil || now.Unix() > exp {
		return nil, ErrLink
	}
	return fields[:n], nil
}

func (s *Sealer) linkMAC(body string) string {
	m := hmac.New(sha256.New, s.keys["link"])
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
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
	Unit        string    `bson:"unit"`
	Fingerprint string    `bson:"fingerprint"`
	Public      []byte    `bson:"public"`
	Sealed      []byte    `bson:"sealed"`
	SealKeyID   string    `bson:"sealKeyID"`
	CreatedAt   time.Time `bson:"createdAt"`
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
	ID        string    `bson:"_id"`
	Sealed    []byte    `bson:"sealed"`
	SealKeyID string    `bson:"sealKeyID"`
	Rev       int64     `bson:"rev"` // increases whenever the credentials change (Unix nanoseconds)
	UpdatedAt time.Time `bson:"updatedAt"`
}

// ErrMerchantNotFound means no credentials are stored for a merchant ID.
var ErrMerchantNotFound = errors.New("bkash merchant credentials not found")
