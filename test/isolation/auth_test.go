package isolation

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

// badToken is an Authorization header value the API must refuse.
type badToken struct {
	name   string
	header string
}

// badTokens forges every kind of refused token for a platform admin (the
// most powerful role, so a slip would matter most).
func badTokens(t *testing.T) []badToken {
	t.Helper()
	cfg := stack.Config.Auth
	raw, err := os.ReadFile(cfg.KeyFile)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := jwk.ParseKey(raw)
	if err != nil {
		t.Fatal(err)
	}
	kid, _ := priv.KeyID()
	pub, err := jwk.PublicKeyOf(priv)
	if err != nil {
		t.Fatal(err)
	}
	var pubRaw ed25519.PublicKey
	if err := jwk.Export(pub, &pubRaw); err != nil {
		t.Fatal(err)
	}
	pubJSON, err := json.Marshal(pub)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKIXPublicKey(pubRaw)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: der})

	// Another Ed25519 key under the same key ID: right shape, wrong signer.
	_, otherRaw, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	other, err := jwk.Import(otherRaw)
	if err != nil {
		t.Fatal(err)
	}
	if err := other.Set(jwk.KeyIDKey, kid); err != nil {
		t.Fatal(err)
	}

	now := time.Now()
	type claims struct {
		iss, aud, role, unit string
		iat, exp             time.Time
	}
	good := claims{iss: cfg.Issuer, aud: cfg.Audience, role: "platform_admin", iat: now, exp: now.Add(time.Hour)}
	sign := func(c claims, key jwk.Key) string {
		b := jwt.NewBuilder().Issuer(c.iss).Audience([]string{c.aud}).Subject("mallory").IssuedAt(c.iat).NotBefore(c.iat).
			Expiration(c.exp).Claim("role", c.role)
		if c.unit != "" {
			b = b.Claim("unit", c.unit)
		}
		tok, err := b.Build()
		if err != nil {
			t.Fatal(err)
		}
		out, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), key))
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	enc := base64.RawURLEncoding.EncodeToString
	payload := enc([]byte(`{"iss":"` + cfg.Issuer + `","aud":["` + cfg.Audience + `"],"sub":"mallory","role":"platform_admin",` +
		`"iat":` + itoa(now.Unix()) + `,"nbf":` + itoa(now.Unix()) + `,"exp":` + itoa(now.Add(time.Hour).Unix()) + `}`))
	// hs256 signs the payload with HMAC keyed by the server's public key, the
	// classic algorithm confusion against verifiers that trust the header.
	hs256 := func(secret []byte) string {
		head := enc([]byte(`{"alg":"HS256","typ":"JWT","kid":"` + kid + `"}`))
		m := hmac.New(sha256.New, secret)
		m.Write([]byte(head + "." + payload))
		return head + "." + payload + "." + enc(m.Sum(nil))
	}
	valid := sign(good, priv)
	parts := strings.Split(valid, ".")
	// signRaw signs raw claims under extra protected header members with
	// the server's own key: the signature verifies.
	signRaw := func(claims string, header map[string]any) string {
		h := jws.NewHeaders()
		for k, v := range header {
			if err := h.Set(k, v); err != nil {
				t.Fatal(err)
			}
		}
		out, err := jws.Sign([]byte(claims), jws.WithKey(jwa.EdDSA(), priv, jws.WithProtectedHeaders(h)))
		if err != nil {
			t.Fatal(err)
		}
		return string(out)
	}
	claimsWith := func(times string) string {
		return `{"iss":"` + cfg.Issuer + `","aud":["` + cfg.Audience + `"],"sub":"mallory","role":"platform_admin"` + times + `}`
	}
	goodTimes := `,"iat":` + itoa(now.Unix()) + `,"nbf":` + itoa(now.Unix()) + `,"exp":` + itoa(now.Add(time.Hour).Unix())
	if r := call(t, request{method: "GET", path: "/api/v1/units/" + unitA + "/links"}, "Bearer "+signRaw(claimsWith(goodTimes), nil)); r.Status != 200 {
		t.Fatalf("a good raw-signed token is refused: %d %s", r.Status, r.Body)
	}

	expired := good
	expired.iat, expired.exp = now.Add(-2*time.Hour), now.Add(-time.Hour)
	wrongIss, wrongAud, noRole, unitless := good, good, good, good
	wrongIss.iss, wrongAud.aud, noRole.role = "someone-else", "another-api", "superuser"
	unitless.role = "unit_admin"
	return []badToken{
		{"missing", ""},
		{"empty bearer", "Bearer "},
		{"not a bearer", "Basic " + enc([]byte("admin:admin"))},
		{"bearer without scheme", valid},
		{"garbage", "Bearer not.a.jwt"},
		{"expired", "Bearer " + sign(expired, priv)},
		{"wrong issuer", "Bearer " + sign(wrongIss, priv)},
		{"wrong audience", "Bearer " + sign(wrongAud, priv)},
		{"unknown role", "Bearer " + sign(noRole, priv)},
		{"unit role without a unit", "Bearer " + sign(unitless, priv)},
		{"signed with another key", "Bearer " + sign(good, other)},
		{"signature stripped", "Bearer " + parts[0] + "." + parts[1] + "."},
		{"payload swapped under a valid signature", "Bearer " + parts[0] + "." + payload + "." + parts[2]},
		{"alg none", "Bearer " + enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + payload + "."},
		{"alg None", "Bearer " + enc([]byte(`{"alg":"None","typ":"JWT"}`)) + "." + payload + "."},
		{"HS256 keyed with the raw public key", "Bearer " + hs256(pubRaw)},
		{"HS256 keyed with the public JWK", "Bearer " + hs256(pubJSON)},
		{"HS256 keyed with the public PEM", "Bearer " + hs256(pubPEM)},
		{"HS256 keyed with the JWK x value", "Bearer " + hs256([]byte(enc(pubRaw)))},
		{"no expiry", "Bearer " + signRaw(claimsWith(`,"iat":`+itoa(now.Unix())), nil)},
		{"unknown critical header", "Bearer " + signRaw(claimsWith(goodTimes), map[string]any{"crit": []string{"kalyan-scope"}, "kalyan-scope": "all"})},
		{"not yet valid", "Bearer " + signRaw(claimsWith(`,"iat":`+itoa(now.Unix())+`,"nbf":`+itoa(now.Add(10*time.Minute).Unix())+`,"exp":`+itoa(now.Add(time.Hour).Unix())), nil)},
		{"issued in the future", "Bearer " + signRaw(claimsWith(`,"iat":`+itoa(now.Add(10*time.Minute).Unix())+`,"exp":`+itoa(now.Add(time.Hour).Unix())), nil)},
	}
}

func itoa(n int64) string {
	b, _ := json.Marshal(n)
	return string(b)
}

// TestBadTokensAreRefused calls every staff route (on unit B's records and
// on unit A's) with each refused token: 401 problem+json, with a
// WWW-Authenticate challenge, whatever the route.
func TestBadTokensAreRefused(t *testing.T) {
	fx := setupFixturesOnce(t)
	toks := badTokens(t)
	// Sanity: the forging code makes tokens the API accepts when nothing is
	// wrong, so each refusal is about what was changed.
	if r := call(t, request{method: "GET", path: "/api/v1/units/" + unitA + "/links"}, bearer(t, "platform_admin", "")); r.Status != 200 {
		t.Fatalf("a good token is refused: %d %s", r.Status, r.Body)
	}
	for _, k := range staffKeys() {
		e := matrix[k]
		t.Run(k, func(t *testing.T) {
			for _, u := range []*unitFx{fx.b, fx.a} {
				req := e.req(u)
				for _, bt := range toks {
					r := call(t, req, bt.header)
					if r.Status != 401 {
						t.Errorf("%s %s with %s token: %d %.300s", req.method, req.path, bt.name, r.Status, r.Body)
						continue
					}
					problemBody(t, r, 401)
					if !strings.HasPrefix(r.Header.Get("WWW-Authenticate"), "Bearer") {
						t.Errorf("%s %s with %s token: no Bearer challenge", req.method, req.path, bt.name)
					}
					if strings.Contains(string(r.Body), u.donorPhone) || strings.Contains(string(r.Body), u.patientName) {
						t.Errorf("%s %s with %s token leaks data: %s", req.method, req.path, bt.name, r.Body)
					}
				}
			}
		})
	}
}
