package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lestrrat-go/jwx/v3/jwa"
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
