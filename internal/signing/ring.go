package signing

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// The seal key ring (ADR 0008). KALYAN_SEAL_KEY, or the file KALYAN_SEAL_KEY_FILE names, holds one key
// or several, oldest first, separated by newlines, commas or spaces (# starts a comment):
//
//	<base64 of 32 bytes>            opens, and seals if it is the newest such key
//	pending:<base64 of 32 bytes>    opens only
//
// New seals, donor references and links use the active key: the newest one not marked pending. Opens
// try the key a sealed value names, then every key. A rotation adds the new key as pending until every
// replica has it (else one replica could seal what another cannot open yet), then drops "pending:",
// then runs `kalyan-worker reseal`, then removes the old key.

// pendingPrefix marks a key that opens but does not seal yet.
const pendingPrefix = "pending:"

// RingKey is one key of a ring.
type RingKey struct {
	Key []byte
	// Pending keys open but never seal.
	Pending bool
}

// KeyRing is a parsed seal key ring, oldest key first.
type KeyRing struct{ Keys []RingKey }

// ParseKeyRing parses the ring format above.
func ParseKeyRing(text string) (KeyRing, error) {
	var kr KeyRing
	seen := map[string]bool{}
	for line := range strings.SplitSeq(text, "\n") {
		line, _, _ = strings.Cut(line, "#")
		for _, f := range strings.FieldsFunc(line, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' || r == '\r' }) {
			enc, pending := strings.CutPrefix(f, pendingPrefix)
			k, err := ParseSealKey(enc)
			if err != nil {
				return KeyRing{}, fmt.Errorf("key %d of the ring: %w", len(kr.Keys)+1, err)
			}
			if seen[string(k)] {
				return KeyRing{}, fmt.Errorf("key %d of the ring is listed twice", len(kr.Keys)+1)
			}
			seen[string(k)] = true
			kr.Keys = append(kr.Keys, RingKey{Key: k, Pending: pending})
		}
	}
	if len(kr.Keys) == 0 {
		return KeyRing{}, errors.New("no key: want 32 random bytes in standard base64 (openssl rand -base64 32), or several")
	}
	if kr.active() < 0 {
		return KeyRing{}, errors.New("every key is pending: at least one must seal")
	}
	return kr, nil
}

// active is the index of the newest key that is not pending, or -1.
func (kr KeyRing) active() int {
	for i := len(kr.Keys) - 1; i >= 0; i-- {
		if !kr.Keys[i].Pending {
			return i
		}
	}
	return -1
}

const keyIDSize = 4

func keyID(key []byte) [keyIDSize]byte {
	sum := sha256.Sum256(derive(key, "seal-id/v1"))
	return [keyIDSize]byte(sum[:keyIDSize])
}

// derive gives each purpose its own subkey, so the AES key never doubles as an HMAC key.
func derive(key []byte, label string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("kalyan/" + label))
	return m.Sum(nil)
}

// sealMagic starts every value Seal makes since key rings, followed by the key's 4-byte ID, the nonce
// and the AES-GCM ciphertext. Values from before have no header (nonce and ciphertext only); Open
// tells them apart by trying the header's key first and every key on the whole value after.
var sealMagic = []byte{0xc5, 'K', 'R', 1}

func splitHeader(sealed []byte) (id [keyIDSize]byte, body []byte, ok bool) {
	if len(sealed) < len(sealMagic)+keyIDSize || !bytes.Equal(sealed[:len(sealMagic)], sealMagic) {
		return id, nil, false
	}
	copy(id[:], sealed[len(sealMagic):])
	return id, sealed[len(sealMagic)+keyIDSize:], true
}

// sealKey is one key of the ring with its derived subkeys.
type sealKey struct {
	id       string
	rawID    [keyIDSize]byte
	aead     cipher.AEAD
	donorKey []byte
	linkKey  []byte
	idKey    []byte
}

func newSealKey(key []byte) (*sealKey, error) {
	if len(key) != SealKeySize {
		return nil, fmt.Errorf("seal key: %d bytes, want %d", len(key), SealKeySize)
	}
	block, err := aes.NewCipher(derive(key, "seal/v1"))
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("seal key: %w", err)
	}
	raw := keyID(key)
	return &sealKey{id: hex.EncodeToString(raw[:]), rawID: raw, aead: aead,
		donorKey: derive(key, "donor-ref/v1"), linkKey: derive(key, "link/v1"),
		idKey: derive(key, "keyed-id/v1")}, nil
}

// open opens nonce||ciphertext.
func (k *sealKey) open(body, aad []byte) ([]byte, error) {
	n := k.aead.NonceSize()
	if len(body) < n+k.aead.Overhead() {
		return nil, ErrSealed
	}
	return k.aead.Open(nil, body[:n], body[n:], aad)
}

// keyedID is 128 bits of HMAC(idKey, input).
func (k *sealKey) keyedID(input string) []byte {
	m := hmac.New(sha256.New, k.idKey)
	m.Write([]byte(input))
	return m.Sum(nil)[:16]
}

func (k *sealKey) donorRef(mobile string) string {
	m := hmac.New(sha256.New, k.donorKey)
	m.Write([]byte(mobile))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

func (k *sealKey) linkMAC(body string) string {
	m := hmac.New(sha256.New, k.linkKey)
	m.Write([]byte(body))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil)[:16])
}

// ring is a KeyRing ready for use.
type ring struct {
	keys     []*sealKey // oldest first
	active   *sealKey
	tryOrder []*sealKey // active first, then newest to oldest
	byID     map[[keyIDSize]byte]*sealKey
}

func newRing(kr KeyRing) (*ring, error) {
	a := kr.active()
	if a < 0 {
		return nil, errors.New("seal key ring: no key that seals")
	}
	r := &ring{byID: map[[keyIDSize]byte]*sealKey{}}
	for _, rk := range kr.Keys {
		k, err := newSealKey(rk.Key)
		if err != nil {
			return nil, err
		}
		if r.byID[k.rawID] != nil {
			return nil, fmt.Errorf("seal key ring: two keys share the ID %s", k.id)
		}
		r.keys = append(r.keys, k)
		r.byID[k.rawID] = k
	}
	r.active = r.keys[a]
	r.tryOrder = append(r.tryOrder, r.active)
	for i := len(r.keys) - 1; i >= 0; i-- {
		if i != a {
			r.tryOrder = append(r.tryOrder, r.keys[i])
		}
	}
	return r, nil
}

// NewSealerFromFile builds a sealer from the ring in the file at path (a mounted Secret) and re-reads
// it when it changes, at most once per every: a rotation reaches a running process without a restart.
// A file that becomes unreadable or invalid keeps the last good ring (RingFileError says why).
func NewSealerFromFile(path string, every time.Duration) (*Sealer, error) {
	text, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("seal key file: %w", err)
	}
	kr, err := ParseKeyRing(string(text))
	if err != nil {
		return nil, fmt.Errorf("seal key file %s: %w", path, err)
	}
	s, err := NewRingSealer(kr)
	if err != nil {
		return nil, err
	}
	f := &ringFile{path: path, every: every, sum: sha256.Sum256(text)}
	f.checked.Store(time.Now().UnixNano())
	s.file = f
	return s, nil
}

// RingFileError is why the seal key file was last not taken (nil when it was).
func (s *Sealer) RingFileError() error {
	if s.file == nil {
		return nil
	}
	s.file.mu.Lock()
	defer s.file.mu.Unlock()
	return s.file.err
}

type ringFile struct {
	path    string
	every   time.Duration
	checked atomic.Int64 // UnixNano of the last look

	mu  sync.Mutex
	sum [32]byte
	err error
}

// refresh re-reads the file when due. One caller reads; the others go on with the ring they have.
func (f *ringFile) refresh(s *Sealer) {
	now := time.Now().UnixNano()
	if now-f.checked.Load() < int64(f.every) || !f.mu.TryLock() {
		return
	}
	defer f.mu.Unlock()
	f.checked.Store(now)
	text, err := os.ReadFile(f.path)
	if err != nil {
		f.err = fmt.Errorf("seal key file: %w", err)
		return
	}
	sum := sha256.Sum256(text)
	if sum == f.sum {
		f.err = nil
		return
	}
	kr, err := ParseKeyRing(string(text))
	if err != nil {
		f.err = fmt.Errorf("seal key file %s: %w", f.path, err)
		return
	}
	r, err := newRing(kr)
	if err != nil {
		f.err = fmt.Errorf("seal key file %s: %w", f.path, err)
		return
	}
	s.ring.Store(r)
	f.sum, f.err = sum, nil
}
