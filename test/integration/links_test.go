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
	if r.Status != 201 {
		t.Fatalf("create link: %d %s", r.Status, r.Body)
	}
	l := r.JSON(t)
	if !strings.HasSuffix(l["url"].(string), "/d/ramadan-zakat-dmch") || len(l["amounts"].([]any)) != 2 {
		t.Fatalf("link %v", l)
	}
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/links", body, admin), 409, "slug")
	taken := map[string]any{"slug": "dh-cumilla", "title": map[string]any{"en": "x"}}
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/links", taken, admin), 409, "slug")
	bad := map[string]any{"slug": "X", "title": map[string]any{}, "kind": "lottery", "programme": "dentistry", "amounts": []string{"1"}, "endsAt": time.Now().Add(-time.Hour)}
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/links", bad, admin), 422, "slug")

	png1 := do(t, "GET", "/d/ramadan-zakat-dmch/qr.png", nil, nil)
	if png1.Status != 200 || png1.Header.Get("Content-Type") != "image/png" {
		t.Fatalf("qr png: %d %v", png1.Status, png1.Header)
	}
	if _, err := png.Decode(bytes.NewReader(png1.Body)); err != nil {
		t.Fatal(err)
	}
	svg := do(t, "GET", "/d/dmch/qr.svg", nil, nil)
	if svg.Status != 200 || !strings.HasPrefix(string(svg.Body), "<svg") {
		t.Fatalf("qr svg: %d", svg.Status)
	}
	problemOf(t, do(t, "GET", "/d/no-such-link/qr.png", nil, nil), 404, "")

	list := do(t, "GET", "/api/v1/units/dmch/links", nil, admin)
	if list.Status != 200 || !strings.Contains(string(list.Body), "ramadan-zakat-dmch") {
		t.Fatalf("list: %d %s", list.Status, list.Body)
	}
	if r := do(t, "POST", "/api/v1/links/ramadan-zakat-dmch/disable", nil, admin); r.Status != 200 || r.JSON(t)["disabled"] != true {
		t.Fatalf("disable: %d %s", r.Status, r.Body)
	}
	if r := do(t, "POST", "/api/v1/links/ramadan-zakat-dmch/enable", nil, token(t, "unit_admin", "dh-cumilla")); r.Status != 404 {
		t.Fatalf("foreign enable: %d", r.Status)
	}
}
