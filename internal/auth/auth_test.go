package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
	"github.com/lestrrat-go/jwx/v3/jwk"
	"github.com/lestrrat-go/jwx/v3/jws"
	"github.com/lestrrat-go/jwx/v3/jwt"
)

func TestLocalRoundTripAndPersistence(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.jwk")
	v, s, err := LocalKeys(path, "kalyan", "kalyan-api")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.Token("rahima", SocialWorker, "dmch", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	// A second process loading the same file accepts the token.
	v2, _, err := LocalKeys(path, "kalyan", "kalyan-api")
	if err != nil {
		t.Fatal(err)
	}
	for _, ver := range []*Verifier{v, v2} {
		p, err := ver.Verify(tok)
		if err != nil {
			t.Fatal(err)
		}
		if p != (Principal{Subject: "rahima", Role: SocialWorker, Unit: "dmch"}) {
			t.Fatalf("got %+v", p)
		}
	}
}

func TestRejects(t *testing.T) {
	dir := t.TempDir()
	v, s, _ := LocalKeys(filepath.Join(dir, "a.jwk"), "kalyan", "kalyan-api")
	_, other, _ := LocalKeys(filepath.Join(dir, "b.jwk"), "kalyan", "kalyan-api")
	expired, _ := s.Token("x", UnitAdmin, "dmch", -time.Minute)
	foreign, _ := other.Token("x", PlatformAdmin, "", time.Hour)
	good, _ := s.Token("x", PlatformAdmin, "", time.Hour)
	parts := strings.Split(good, ".")
	// alg=none with the same claims.
	none := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + parts[1] + "."
	// HS256 signed with the public key bytes: the classic alg confusion.
	pubJSON, _ := v.PublicJWKS()
	tok, _ := jwt.NewBuilder().Issuer("kalyan").Audience([]string{"kalyan-api"}).Subject("x").Expiration(time.Now().Add(time.Hour)).Claim("role", "platform_admin").Build()
	hs, err := jwt.Sign(tok, jwt.WithKey(jwa.HS256(), pubJSON))
	if err != nil {
		t.Fatal(err)
	}
	wrongAud := func() string {
		_, s2, _ := LocalKeys(filepath.Join(dir, "a.jwk"), "kalyan", "other")
		t, _ := s2.Token("x", PlatformAdmin, "", time.Hour)
		return t
	}()
	for name, raw := range map[string]string{"empty": "", "garbage": "abc", "expired": expired, "foreign key": foreign, "alg none": none, "hs256 confusion": string(hs), "audience": wrongAud} {
		if _, err := v.Verify(raw); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: accepted (err=%v)", name, err)
		}
	}
	if _, err := s.Token("x", SocialWorker, "", time.Hour); err == nil {
		t.Error("unit-less social worker token issued")
	}
}

func TestJWKSVerifier(t *testing.T) {
	v, s, _ := LocalKeys(filepath.Join(t.TempDir(), "k.jwk"), "kalyan", "kalyan-api")
	body, _ := v.PublicJWKS()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	jv, err := NewJWKSVerifier(ctx, srv.URL, "kalyan", "kalyan-api")
	if err != nil {
		t.Fatal(err)
	}
	tok, _ := s.Token("c1", Committee, "rmch", time.Hour)
	p, err := jv.Verify(tok)
	if err != nil || p.Role != Committee || p.Unit != "rmch" {
		t.Fatalf("got %+v, %v", p, err)
	}
}

// forge signs claims (raw JSON) with the verifier's own key under the given
// protected header members: the signature is good, so each refusal below is
// about what the token says.
func forge(t *testing.T, path string, claims string, header map[string]any) string {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	priv, err := jwk.ParseKey(raw)
	if err != nil {
		t.Fatal(err)
	}
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

// TestRefusesWhatTheTokenMustNotSay: a token needs an expiry, may not be
// used before its nbf or claim to be issued in the future, and may not
// carry a critical header extension we do not understand (RFC 7515
// §4.1.11); "none" and HMAC algorithms are refused whatever the header.
func TestRefusesWhatTheTokenMustNotSay(t *testing.T) {
	path := filepath.Join(t.TempDir(), "k.jwk")
	v, _, err := LocalKeys(path, "kalyan", "kalyan-api")
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().Unix()
	claims := func(extra string) string {
		return `{"iss":"kalyan","aud":["kalyan-api"],"sub":"mallory","role":"platform_admin"` + extra + `}`
	}
	n := func(d time.Duration) string { return strconv.FormatInt(now+int64(d/time.Second), 10) }
	good := claims(`,"iat":` + n(0) + `,"nbf":` + n(0) + `,"exp":` + n(time.Hour))
	if _, err := v.Verify(forge(t, path, good, map[string]any{"typ": "JWT"})); err != nil {
		t.Fatalf("the forging helper makes tokens the verifier refuses when nothing is wrong: %v", err)
	}
	cases := map[string]string{
		"no exp":            forge(t, path, claims(`,"iat":`+n(0)), nil),
		"no exp, nbf only":  forge(t, path, claims(`,"nbf":`+n(0)), nil),
		"unknown crit":      forge(t, path, good, map[string]any{"crit": []string{"kalyan-scope"}, "kalyan-scope": "all"}),
		"crit b64":          forge(t, path, good, map[string]any{"crit": []string{"b64"}, "b64": true}),
		"nbf in the future": forge(t, path, claims(`,"iat":`+n(0)+`,"nbf":`+n(10*time.Minute)+`,"exp":`+n(time.Hour)), nil),
		"iat in the future": forge(t, path, claims(`,"iat":`+n(10*time.Minute)+`,"exp":`+n(time.Hour)), nil),
		"exp as a string":   forge(t, path, claims(`,"exp":"`+n(time.Hour)+`"`), nil),
		"expired":           forge(t, path, claims(`,"exp":`+n(-time.Hour)), nil),
	}
	parts := strings.Split(cases["no exp"], ".")
	for _, alg := range []string{"none", "None", "NONE", "HS256", "HS512"} {
		head := base64.RawURLEncoding.EncodeToString([]byte(`{"alg":"` + alg + `","typ":"JWT"}`))
		payload := base64.RawURLEncoding.EncodeToString([]byte(good))
		cases["alg "+alg+" unsigned"] = head + "." + payload + "."
		cases["alg "+alg+" with a copied signature"] = head + "." + payload + "." + parts[2]
	}
	for name, tok := range cases {
		if p, err := v.Verify(tok); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: accepted as %+v (err=%v)", name, p, err)
		}
	}
}

// TestCashierRole: a cashier is a unit's role like the others: issued and
// verified with its unit and name, and refused without a unit.
func TestCashierRole(t *testing.T) {
	v, s, err := LocalKeys(filepath.Join(t.TempDir(), "k.jwk"), "kalyan", "kalyan-api")
	if err != nil {
		t.Fatal(err)
	}
	tok, err := s.NamedToken("selina", "Selina Akter", Cashier, "dmch", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	p, err := v.Verify(tok)
	if err != nil || p != (Principal{Subject: "selina", Role: Cashier, Unit: "dmch", Name: "Selina Akter"}) {
		t.Fatalf("cashier token: %+v, %v", p, err)
	}
	if _, err := s.Token("selina", Cashier, "", time.Hour); err == nil {
		t.Fatal("a cashier token without a unit was issued")
	}
}

// Supervisors come from the token like the other roles: a district officer
// with a known district (its division derived), a division officer with a
// known division, the Department with neither. They act on no unit, and see
// only units in their scope.
func TestSupervisoryRoles(t *testing.T) {
	v, s, err := LocalKeys(filepath.Join(t.TempDir(), "k.jwk"), "kalyan", "kalyan-api")
	if err != nil {
		t.Fatal(err)
	}
	issue := func(role Role, scope string) string {
		t.Helper()
		tok, err := s.NamedToken("officer", "Officer", role, scope, time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return tok
	}
	cases := []struct {
		role                       Role
		scope                      string
		district, division         string
		cumilla, dhaka, chattogram bool
	}{
		{DistrictOfficer, "cumilla", "cumilla", "chattagram", true, false, false},
		{DivisionOfficer, "chattagram", "", "chattagram", true, false, true},
		{Department, "", "", "", true, true, true},
	}
	for _, c := range cases {
		p, err := v.Verify(issue(c.role, c.scope))
		if err != nil {
			t.Fatalf("%s: %v", c.role, err)
		}
		if p.Role != c.role || p.District != c.district || p.Division != c.division || p.Unit != "" {
			t.Errorf("%s: got %+v", c.role, p)
		}
		if p.CanActOn("") || p.CanActOn("dmch") {
			t.Errorf("%s may act on a unit", c.role)
		}
		if got := [3]bool{p.Oversees("cumilla", "chattagram"), p.Oversees("dhaka", "dhaka"), p.Oversees("chattogram", "chattagram")}; got != [3]bool{c.cumilla, c.dhaka, c.chattogram} {
			t.Errorf("%s oversees cumilla, dhaka, chattogram: %v", c.role, got)
		}
	}
	// Unit staff oversee nothing; an unknown or missing scope is no token.
	sw, _ := v.Verify(issue(SocialWorker, "dmch"))
	if sw.Oversees("dhaka", "dhaka") {
		t.Error("a social worker oversees a district")
	}
	for name, raw := range map[string]string{
		"unknown district": issue(DistrictOfficer, "atlantis"),
		"unknown division": issue(DivisionOfficer, "cumilla"),
	} {
		if _, err := v.Verify(raw); !errors.Is(err, ErrUnauthenticated) {
			t.Errorf("%s: accepted (err=%v)", name, err)
		}
	}
	if _, err := s.Token("x", DistrictOfficer, "", time.Hour); err == nil {
		t.Error("district officer token without a district issued")
	}
	// A unit claim does not give a supervisor a unit.
	tok, _ := jwt.NewBuilder().Issuer("kalyan").Audience([]string{"kalyan-api"}).Subject("x").Expiration(time.Now().Add(time.Hour)).
		Claim("role", "department").Claim("unit", "dmch").Build()
	signed, err := jwt.Sign(tok, jwt.WithKey(jwa.EdDSA(), s.key))
	if err != nil {
		t.Fatal(err)
	}
	if p, err := v.Verify(string(signed)); err != nil || p.Unit != "" || p.CanActOn("dmch") {
		t.Errorf("department token with a unit claim: %+v, %v", p, err)
	}
}
