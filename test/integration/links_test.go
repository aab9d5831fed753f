package integration

import (
	"bytes"
	"image/png"
	"strings"
	"testing"
	"time"
)

func TestDonationLinksAndQR(t *testing.T) {
	admin := token(t, "unit_admin", "dmch")
	body := map[string]any{"slug": "ramadan-zakat-dmch", "title": map[string]any{"en": "Ramadan zakat drive", "bn": "রমজান যাকাত অভিযান"},
		"kind": "zakat", "programme": "thalassaemia", "amounts": []string{"1000", "500", "500"}, "endsAt": time.Now().Add(48 * time.Hour)}
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/links", body, token(t, "social_worker", "dmch")), 403, "")
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/links", body, token(t, "unit_admin", "dh-cumilla")), 404, "")
	r := do(t, "POST", "/api/v1/units/dmch/links", body, admin)
	if r.status != 201 {
		t.Fatalf("create link: %d %s", r.status, r.body)
	}
	l := r.json(t)
	if !strings.HasSuffix(l["url"].(string), "/d/ramadan-zakat-dmch") || len(l["amounts"].([]any)) != 2 {
		t.Fatalf("link %v", l)
	}
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/links", body, admin), 409, "slug")
	taken := map[string]any{"slug": "dh-cumilla", "title": map[string]any{"en": "x"}}
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/links", taken, admin), 409, "slug")
	bad := map[string]any{"slug": "X", "title": map[string]any{}, "kind": "lottery", "programme": "dentistry", "amounts": []string{"1"}, "endsAt": time.Now().Add(-time.Hour)}
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/links", bad, admin), 422, "slug")

	png1 := do(t, "GET", "/d/ramadan-zakat-dmch/qr.png", nil, nil)
	if png1.status != 200 || png1.header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr png: %d %v", png1.status, png1.header)
	}
	if _, err := png.Decode(bytes.NewReader(png1.body)); err != nil {
		t.Fatal(err)
	}
	svg := do(t, "GET", "/d/dmch/qr.svg", nil, nil)
	if svg.status != 200 || !strings.HasPrefix(string(svg.body), "<svg") {
		t.Fatalf("qr svg: %d", svg.status)
	}
	problemOf(t, do(t, "GET", "/d/no-such-link/qr.png", nil, nil), 404, "")

	list := do(t, "GET", "/api/v1/units/dmch/links", nil, admin)
	if list.status != 200 || !strings.Contains(string(list.body), "ramadan-zakat-dmch") {
		t.Fatalf("list: %d %s", list.status, list.body)
	}
	if r := do(t, "POST", "/api/v1/links/ramadan-zakat-dmch/disable", nil, admin); r.status != 200 || r.json(t)["disabled"] != true {
		t.Fatalf("disable: %d %s", r.status, r.body)
	}
	if r := do(t, "POST", "/api/v1/links/ramadan-zakat-dmch/enable", nil, token(t, "unit_admin", "dh-cumilla")); r.status != 404 {
		t.Fatalf("foreign enable: %d", r.status)
	}
}
