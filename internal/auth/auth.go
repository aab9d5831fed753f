// Package auth verifies staff bearer tokens (asymmetric JWTs carrying a
// subject, a role and a unit) and, for the embedded default, issues them.
package auth

import (
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/lestrrat-go/httprc/v3"
	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// Role of a staff member.
type Role string

// Roles. A platform admin acts on every unit; the others only on their own.
// A cashier takes cash at the unit's counter (with unit admins, the only
// ones who may) and keeps the cash book; aid work is not theirs.
const (
	SocialWorker  Role = "social_worker"
	Committee     Role = "committee"
	UnitAdmin     Role = "unit_admin"
	Cashier       Role = "cashier"
	PlatformAdmin Role = "platform_admin"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case SocialWorker, Committee, UnitAdmin, Cashier, PlatformAdmin:
		return true
	}
	return false
}

// Principal is the verified caller.
type Principal struct {
	Subject string
	Role    Role
	Unit    string
	// Name is the staff member's name from the token's OIDC "name" claim
	// (empty when the identity provider sends none): what audit trails
	// show people instead of the subject.
	Name string
}

// CanActOn reports whether p may touch unit's records.
func (p Principal) CanActOn(unit string) bool { return p.Role == PlatformAdmin || p.Unit == unit }

// ErrUnauthenticated covers every reason a token is refused; the reason is
// kept for logs, never shown to the caller in detail.
var ErrUnauthenticated = errors.New("invalid or missing bearer token")

// Verifier checks tokens against a key set.
type Verifier struct {
	keys     jwk.Set
	issuer   string
	audience string
}

// NewJWKSVerifier verifies against an identity provider's JWKS URL, cached
// and refreshed in the background until ctx ends.
func NewJWKSVerifier(ctx context.Context, url, issuer, audience string) (*Verifier, error) {
	c, err := jwk.NewCache(ctx, httprc.NewClient())
	if err != nil {
		return nil, fmt.Errorf("jwks cache: %w", err)
	}
	if err := c.Register(ctx, url); err != nil {
		return nil, fmt.Errorf("register jwks %s: %w", url, err)
	}
	set, err := c.CachedSet(url)
	if err != nil {
		return nil, fmt.Errorf("jwks %s: %w", url, err)
	}
	return &Verifier{keys: set, issuer: issuer, audience: audience}, nil
}

// Verify checks signature, algorithm (taken from our key, never from the
// token), issuer, audience, expiry (required), not-before and issued-at,
// and returns the caller. Only the compact form with no critical header
// extensions is accepted: we understand none, and RFC 7515 §4.1.11 says a
// recipient must refuse a "crit" it does not understand.
func (v *Verifier) Verify(raw string) (Principal, error) {
	if err := plainCompact(raw); err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	tok, err := jwt.ParseString(raw,
		jwt.WithKeySet(v.keys),
		jwt.WithValidate(true),
		jwt.WithIssuer(v.issuer),
		jwt.WithAudience(v.audience),
		// A token that never expires is a standing key to the console.
		jwt.WithRequiredClaim(jwt.ExpirationKey),
		jwt.WithAcceptableSkew(30*time.Second),
	)
	if err != nil {
		return Principal{}, fmt.Errorf("%w: %w", ErrUnauthenticated, err)
	}
	var p Principal
	p.Subject, _ = tok.Subject()
	var role, unit string
	_ = tok.Get("role", &role)
	_ = tok.Get("unit", &unit)
	p.Role, p.Unit = Role(role), unit
	if err := tok.Get("name", &p.Name); err != nil {
		p.Name = ""
	}
	if p.Subject == "" || !p.Role.Valid() || (p.Role != PlatformAdmin && p.Unit == "") {
		return Principal{}, fmt.Errorf("%w: missing subject, role or unit", ErrUnauthenticated)
	}
	return p, nil
}

// plainCompact refuses anything but a three-part compact JWS whose
// protected header names no critical extension.
func plainCompact(raw string) error {
	if strings.Count(raw, ".") != 2 {
		return errors.New("not a compact JWS")
	}
	msg, err := jws.Parse([]byte(raw), jws.WithCompact())
	if err != nil {
		return err
	}
	sigs := msg.Signatures()
	if len(sigs) != 1 {
		return errors.New("not exactly one signature")
	}
	if h := sigs[0].ProtectedHeaders(); h.Has(jws.CriticalKey) {
		return errors.New(`"crit" header: no extension is understood here`)
	}
	// RFC 7519 §2: times are JSON numbers. The library would also read a
	// string or an RFC 3339 date; we take no second reading of a claim.
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(msg.Payload(), &claims); err != nil {
		return fmt.Errorf("claims: %w", err)
	}
	for _, k := range []string{jwt.ExpirationKey, jwt.NotBeforeKey, jwt.IssuedAtKey} {
		if v, ok := claims[k]; ok && (len(v) == 0 || (v[0] != '-' && (v[0] < '0' || v[0] > '9'))) {
			return fmt.Errorf("claim %s is not a number", k)
		}
	}
	return nil
}

// Signer issues tokens with a local Ed25519 key (embedded default and tests).
type Signer struct {
	key      jwk.Key
	issuer   string
	audience string
}

// Token issues a token for sub with role (and unit) valid for ttl.
func (s *Signer) Token(sub string, role Role, unit string, ttl time.Duration) (string, error) {
	return s.NamedToken(sub, "", role, unit, ttl)
}

// NamedToken is Token with the staff member's name (the OIDC "name" claim;
// none if empty).
func (s *Signer) NamedToken(sub, name string, role Role, unit string, ttl time.Duration) (string, error) {
	if !role.Valid() {
		return "", fmt.Errorf("unknown role %q (want social_worker, committee, unit_admin, cashier or platform_admin)", role)
	}
	if role != PlatformAdmin && unit == "" {
		return "", fmt.Errorf("role %s needs a unit", role)
	}
	now := time.Now()
	b := jwt.NewBuilder().Issuer(s.issuer).Audience([]string{s.audience}).Subject(sub).
		IssuedAt(now).NotBefore(now).Expiration(now.Add(ttl)).Claim("role", string(role))
	if unit != "" {
		b = b.Claim("unit", unit)
	}
	if name != "" {
		b = b.Claim("name", name)
	}
	tok, err := b.Build()
	if err != nil {
		return "", fmt.Errorf("build token: %w", err)
	}
	out, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), s.key))
	if err != nil {
		return "", fmt.Errorf("sign token: %w", err)
	}
	return string(out), nil
}

// LocalKeys loads the Ed25519 key in path (a private JWK), creating it on
// first use, and returns a verifier for it and a signer with it.
func LocalKeys(path, issuer, audience string) (*Verifier, *Signer, error) {
	priv, err := loadOrCreate(path)
	if err != nil {
		return nil, nil, err
	}
	pub, err := jwk.PublicKeyOf(priv)
	if err != nil {
		return nil, nil, fmt.Errorf("public key: %w", err)
	}
	set := jwk.NewSet()
	if err := set.AddKey(pub); err != nil {
		return nil, nil, err
	}
	return &Verifier{keys: set, issuer: issuer, audience: audience}, &Signer{key: priv, issuer: issuer, audience: audience}, nil
}

// PublicJWKS returns the verifier's keys as a JWKS document (for tests and
// for other services that verify our development tokens).
func (v *Verifier) PublicJWKS() ([]byte, error) { return json.Marshal(v.keys) }

func loadOrCreate(path string) (jwk.Key, error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return create(path)
	}
	if err != nil {
		return nil, fmt.Errorf("read signing key: %w", err)
	}
	key, err := jwk.ParseKey(b)
	if err != nil {
		return nil, fmt.Errorf("parse signing key %s: %w", path, err)
	}
	return key, nil
}

func create(path string) (jwk.Key, error) {
	_, raw, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, err
	}
	key, err := jwk.Import(raw)
	if err != nil {
		return nil, fmt.Errorf("import key: %w", err)
	}
	kid := fmt.Sprintf("dev-%d", time.Now().Unix())
	if err := key.Set(jwk.KeyIDKey, kid); err != nil {
		return nil, err
	}
	if err := key.Set(jwk.AlgorithmKey, jwa.EdDSA()); err != nil {
		return nil, err
	}
	b, err := json.Marshal(key)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create key dir: %w", err)
	}
	// O_EXCL: if two processes start at once, the loser reads the winner's key.
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, os.ErrExist) {
		time.Sleep(50 * time.Millisecond)
		return loadOrCreate(path)
	}
	if err != nil {
		return nil, fmt.Errorf("write signing key: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return nil, fmt.Errorf("write signing key: %w", err)
	}
	if err := f.Close(); err != nil {
		return nil, fmt.Errorf("write signing key: %w", err)
	}
	return key, nil
}
