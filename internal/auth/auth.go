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

	"github.com/kalyan-platform/kalyan/internal/geo"
)

// Role of a staff member.
type Role string

// Roles. A platform admin acts on every unit; the unit roles only on their
// own. The supervisory roles act on none: they read reports and case
// summaries of the units in their district, their division or (the
// Department's head office) the nation, and never write.
// A cashier takes cash at the unit's counter (with unit admins, the only
// ones who may) and keeps the cash book; aid work is not theirs.
const (
	SocialWorker  Role = "social_worker"
	Committee     Role = "committee"
	UnitAdmin     Role = "unit_admin"
	Cashier       Role = "cashier"
	PlatformAdmin Role = "platform_admin"

	DistrictOfficer Role = "district_officer"
	DivisionOfficer Role = "division_officer"
	Department      Role = "department"
)

// Valid reports whether r is a known role.
func (r Role) Valid() bool {
	switch r {
	case SocialWorker, Committee, UnitAdmin, Cashier, PlatformAdmin:
		return true
	}
	return r.Supervisory()
}

// Supervisory reports whether r is a read-only supervisor's role.
func (r Role) Supervisory() bool {
	return r == DistrictOfficer || r == DivisionOfficer || r == Department
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
	// District and Division are a supervisor's scope (geo codes, the
	// "district" and "division" claims): a district officer's district, a
	// division officer's division; the Department has neither.
	District string
	Division string
}

// CanActOn reports whether p may touch unit's records. Supervisors touch
// none (their Unit is always empty, and an empty unit is no unit).
func (p Principal) CanActOn(unit string) bool {
	if p.Role.Supervisory() {
		return false
	}
	return p.Role == PlatformAdmin || p.Unit == unit
}

// Oversees reports whether p may read the reports and case summaries of a
// unit in district and division (their geo codes, geo.Code of the names
// the unit records): a supervisor within their scope, or a platform admin.
func (p Principal) Oversees(district, division string) bool {
	switch p.Role {
	case PlatformAdmin, Department:
		return true
	case DivisionOfficer:
		return p.Division != "" && p.Division == division
	case DistrictOfficer:
		return p.District != "" && p.District == district
	}
	return false
}

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
	if p.Role.Supervisory() {
		return supervisor(tok, p)
	}
	if p.Subject == "" || !p.Role.Valid() || (p.Role != PlatformAdmin && p.Unit == "") {
		return Principal{}, fmt.Errorf("%w: missing subject, role or unit", ErrUnauthenticated)
	}
	return p, nil
}

// supervisor completes a supervisor's principal: the scope its role needs,
// a known district or division (a misspelt scope would see nothing, or,
// worse, match by accident), and no unit.
func supervisor(tok jwt.Token, p Principal) (Principal, error) {
	var district, division string
	_ = tok.Get("district", &district)
	_ = tok.Get("division", &division)
	p.Unit = ""
	atlas := geo.Bangladesh()
	switch p.Role {
	case DistrictOfficer:
		d, ok := atlas.District(district)
		if !ok {
			return Principal{}, fmt.Errorf("%w: district officer without a known district", ErrUnauthenticated)
		}
		p.District, p.Division = d.Code, d.Division
	case DivisionOfficer:
		if _, ok := atlas.Division(division); !ok {
			return Principal{}, fmt.Errorf("%w: division officer without a known division", ErrUnauthenticated)
		}
		p.Division = division
	}
	if p.Subject == "" {
		return Principal{}, fmt.Errorf("%w: missing subject", ErrUnauthenticated)
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

// Token issues a token for sub with role valid for ttl. scope is the unit
// of unit staff, the district code of a district officer and the division
// code of a division officer ("" for a platform admin or the Department).
func (s *Signer) Token(sub string, role Role, scope string, ttl time.Duration) (string, error) {
	return s.NamedToken(sub, "", role, scope, ttl)
}

// NamedToken is Token with the staff member's name (the OIDC "name" claim;
// none if empty).
func (s *Signer) NamedToken(sub, name string, role Role, scope string, ttl time.Duration) (string, error) {
	if !role.Valid() {
		return "", fmt.Errorf("unknown role %q (want social_worker, committee, unit_admin, cashier, platform_admin, district_officer, division_officer or department)", role)
	}
	claim := "unit"
	switch role {
	case Department:
		claim = ""
	case DistrictOfficer:
		claim = "district"
	case DivisionOfficer:
		claim = "division"
	}
	if claim != "" && scope == "" && role != PlatformAdmin {
		return "", fmt.Errorf("role %s needs a %s", role, claim)
	}
	now := time.Now()
	b := jwt.NewBuilder().Issuer(s.issuer).Audience([]string{s.audience}).Subject(sub).
		IssuedAt(now).NotBefore(now).Expiration(now.Add(ttl)).Claim("role", string(role))
	if claim != "" && scope != "" {
		b = b.Claim(claim, scope)
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
