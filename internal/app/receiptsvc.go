package app

import (
	"context"
	"crypto/ed25519"
	"errors"
	"fmt"
	"net/url"
	"sync"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
)

// UnitKeyStore is the port for the units' receipt signing keys. Keys are
// only ever added; the active pointer says which one signs new receipts.
type UnitKeyStore interface {
	// AddKey stores k; a key with the same unit and fingerprint is kept as is.
	AddKey(ctx context.Context, k *signing.UnitKey) error
	GetKey(ctx context.Context, unit, fingerprint string) (*signing.UnitKey, error)
	ListKeys(ctx context.Context, unit string) ([]signing.UnitKey, error)
	ActiveKey(ctx context.Context, unit string) (string, error)
	SetActiveKey(ctx context.Context, unit, fingerprint string, at time.Time) error
}

// UnitKeys manages the units' Ed25519 receipt signing keys: installing the
// operator's key (from the unit's Kubernetes Secret), generating one for a
// unit that has none, and handing out signing and verification keys.
type UnitKeys struct {
	Store  UnitKeyStore
	Sealer *signing.Sealer
	Now    func() time.Time

	mu   sync.Mutex
	priv map[string]ed25519.PrivateKey // by key ref; keys never change
	pub  map[string]ed25519.PublicKey
}

// KeyInfo is a unit's public key as published.
type KeyInfo struct {
	Fingerprint string
	Public      ed25519.PublicKey
	CreatedAt   time.Time
	Active      bool
}

func keyAAD(ref string) []byte { return []byte("kalyan/unit-key/v1\x00" + ref) }

// Install stores seed as one of the unit's keys (if new) and makes it the
// active key. Earlier keys stay: receipts they signed keep verifying.
func (k *UnitKeys) Install(ctx context.Context, unit string, seed []byte) (string, error) {
	if len(seed) != signing.SeedSize {
		return "", fmt.Errorf("install key for %s: seed must be %d bytes", unit, signing.SeedSize)
	}
	priv := ed25519.NewKeyFromSeed(seed)
	pub := priv.Public().(ed25519.PublicKey)
	uk := signing.UnitKey{Unit: unit, Fingerprint: signing.Fingerprint(pub), Public: pub, CreatedAt: k.Now().UTC()}
	if _, err := k.Store.GetKey(ctx, unit, uk.Fingerprint); errors.Is(err, signing.ErrKeyNotFound) {
		sealed, err := k.Sealer.Seal(seed, keyAAD(uk.Ref()))
		if err != nil {
			return "", fmt.Errorf("install key for %s: %w", unit, err)
		}
		uk.Sealed, uk.SealKeyID = sealed, k.Sealer.ID()
		if err := k.Store.AddKey(ctx, &uk); err != nil {
			return "", err
		}
	} else if err != nil {
		return "", err
	}
	if err := k.Store.SetActiveKey(ctx, unit, uk.Fingerprint, k.Now().UTC()); err != nil {
		return "", err
	}
	return uk.Fingerprint, nil
}

// Ensure gives a unit without a key a freshly generated one, so units
// registered without the operator (dataset, demo) can issue receipts.
func (k *UnitKeys) Ensure(ctx context.Context, unit string) (string, error) {
	fp, err := k.Store.ActiveKey(ctx, unit)
	if errors.Is(err, signing.ErrKeyNotFound) {
		return k.Install(ctx, unit, signing.NewSeed())
	}
	return fp, err
}

// SigningKey is a unit's active private key.
type SigningKey struct {
	Fingerprint string
	priv        ed25519.PrivateKey
}

// Sign signs msg.
func (s SigningKey) Sign(msg []byte) []byte { return ed25519.Sign(s.priv, msg) }

// Active returns the unit's active signing key, generating one if the unit
// has none yet.
func (k *UnitKeys) Active(ctx context.Context, unit string) (SigningKey, error) {
	fp, err := k.Ensure(ctx, unit)
	if err != nil {
		return SigningKey{}, err
	}
	ref := signing.KeyRef(unit, fp)
	k.mu.Lock()
	priv, ok := k.priv[ref]
	k.mu.Unlock()
	if ok {
		return SigningKey{Fingerprint: fp, priv: priv}, nil
	}
	uk, err := k.Store.GetKey(ctx, unit, fp)
	if err != nil {
		return SigningKey{}, fmt.Errorf("active key of %s: %w", unit, err)
	}
	// Any key of the seal key ring opens it (a rotation re-seals keys in the background).
	seed, err := k.Sealer.Open(uk.Sealed, keyAAD(ref))
	if err != nil {
		return SigningKey{}, fmt.Errorf("open key %s (sealed under seal key %s; the ring has %v): %w", ref, uk.SealKeyID, k.Sealer.KeyIDs(), err)
	}
	priv = ed25519.NewKeyFromSeed(seed)
	k.mu.Lock()
	if k.priv == nil {
		k.priv = map[string]ed25519.PrivateKey{}
	}
	k.priv[ref] = priv
	k.mu.Unlock()
	return SigningKey{Fingerprint: fp, priv: priv}, nil
}

// PublicKey returns the unit's public key with fingerprint, or
// signing.ErrKeyNotFound: another unit's key is not found here.
func (k *UnitKeys) PublicKey(ctx context.Context, unit, fingerprint string) (ed25519.PublicKey, error) {
	ref := signing.KeyRef(unit, fingerprint)
	k.mu.Lock()
	pub, ok := k.pub[ref]
	k.mu.Unlock()
	if ok {
		return pub, nil
	}
	uk, err := k.Store.GetKey(ctx, unit, fingerprint)
	if err != nil {
		return nil, err
	}
	if len(uk.Public) != ed25519.PublicKeySize || signing.Fingerprint(uk.Public) != fingerprint {
		return nil, fmt.Errorf("stored key %s is corrupt: %w", ref, signing.ErrKeyNotFound)
	}
	pub = ed25519.PublicKey(uk.Public)
	k.mu.Lock()
	if k.pub == nil {
		k.pub = map[string]ed25519.PublicKey{}
	}
	k.pub[ref] = pub
	k.mu.Unlock()
	return pub, nil
}

// List returns the unit's public keys, oldest first, marking the active one.
func (k *UnitKeys) List(ctx context.Context, unit string) ([]KeyInfo, error) {
	ks, err := k.Store.ListKeys(ctx, unit)
	if err != nil {
		return nil, err
	}
	active, err := k.Store.ActiveKey(ctx, unit)
	if err != nil && !errors.Is(err, signing.ErrKeyNotFound) {
		return nil, err
	}
	out := make([]KeyInfo, len(ks))
	for i, uk := range ks {
		out[i] = KeyInfo{Fingerprint: uk.Fingerprint, Public: uk.Public, CreatedAt: uk.CreatedAt, Active: uk.Fingerprint == active}
	}
	return out, nil
}

// ReceiptService reads and verifies receipts.
type ReceiptService struct {
	Repo receipts.Repository
	// NoteRepo holds refunds' cancellation notes (nil: none are listed).
	NoteRepo  receipts.NoteRepository
	Keys      *UnitKeys
	PublicURL string
	// CacheBytes bounds the receipt PDFs kept (0: DefaultReceiptCacheBytes).
	CacheBytes int
	docs       receiptDocs
}

// ReceiptView is a stored receipt with the outcome of verifying it.
type ReceiptView struct {
	*receipts.Receipt
	Valid  bool
	Reason string // why not valid
	// Signed is the parsed signed content (zero if unsigned or unreadable).
	Signed receipts.Content
}

// VerifyURL is the public verification page of receipt id (the QR code).
func (s *ReceiptService) VerifyURL(id string) string { return s.PublicURL + "/r/" + url.PathEscape(id) }

// Get returns receipt id (the donation's ID) verified; receipts.ErrNotFound
// if there is none.
func (s *ReceiptService) Get(ctx context.Context, id string) (*ReceiptView, error) {
	r, err := s.Repo.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	v, err := s.Verify(ctx, r)
	if err != nil {
		return nil, err
	}
	return &ReceiptView{Receipt: r, Valid: v.Valid, Reason: v.Reason, Signed: v.Content}, nil
}

// Verify checks r's signature with the key its unit holds under r.KeyID.
func (s *ReceiptService) Verify(ctx context.Context, r *receipts.Receipt) (receipts.Verification, error) {
	var pub ed25519.PublicKey
	if r.KeyID != "" {
		var err error
		pub, err = s.Keys.PublicKey(ctx, r.Unit, r.KeyID)
		if err != nil && !errors.Is(err, signing.ErrKeyNotFound) {
			return receipts.Verification{}, fmt.Errorf("verify receipt %s: %w", r.ID, err)
		}
	}
	return receipts.Verify(r, pub), nil
}

// Refunds (issue #3) cancel a receipt with a cancellation note, never by
// altering it: a new document with its own serial, signed by the same key
// scheme (receipts.Content with Doc = receipts.DocCancellation under a new
// content version that also carries the original serial and the refunded
// amount), rendered with receiptpdf.Receipt.Cancellation set. Statements
// total what the notes leave (Statements.Refunded).

// Refunded sums the cancellation notes issued against r.
func (s *ReceiptService) Refunded(ctx context.Context, r *receipts.Receipt) (money.Amount, error) {
	notes, err := s.NoteRepo.ListNotes(ctx, r.ID) // a receipt's ID is its donation's
	if err != nil {
		return 0, err
	}
	var sum money.Amount
	for _, n := range notes {
		sum += n.Amount
	}
	return sum, nil
}
