package integration

import (
	"fmt"
	"sync"
	"testing"
	"time"
)

// TestUnitsAndLinksShareOneSlugNamespace: /d/<slug> is a unit's donation
// address when the slug is its code, else a campaign link's. So a link may
// not take a unit's code, and a unit may not be registered under a code a
// link already holds (its donors would give to the link's unit). Checked
// both ways, and under races: one registry of slugs, each taken by one
// insert.
func TestUnitsAndLinksShareOneSlugNamespace(t *testing.T) {
	run := time.Now().UnixNano() % 1_000_000
	admin := token(t, "platform_admin", "")
	dmchAdmin := token(t, "unit_admin", "dmch")
	linkBody := func(slug string) map[string]any {
		return map[string]any{"slug": slug, "title": map[string]any{"en": "Drive", "bn": "অভিযান"}, "kind": "general"}
	}

	// A link slug that is a future unit's code.
	future := fmt.Sprintf("dh-future-%d", run)
	if r := do(t, "POST", "/api/v1/units/dmch/links", linkBody(future), dmchAdmin); r.Status != 201 {
		t.Fatalf("link: %d %s", r.Status, r.Body)
	}
	problemOf(t, do(t, "PUT", "/api/v1/admin/units/"+future, unitBody("Future Hospital", "ভবিষ্যৎ হাসপাতাল"), admin), 409, "code")
	problemOf(t, do(t, "GET", "/api/v1/units/"+future, nil, nil), 404, "")
	if r := do(t, "GET", "/d/"+future+"/qr.svg", nil, nil); r.Status != 200 {
		t.Fatalf("the link stopped working: %d", r.Status)
	}

	// A unit code that is then asked for as a link slug.
	unit := fmt.Sprintf("dh-slug-%d", run)
	if r := do(t, "PUT", "/api/v1/admin/units/"+unit, unitBody("Slug Hospital", "স্লাগ হাসপাতাল"), admin); r.Status != 201 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	problemOf(t, do(t, "POST", "/api/v1/units/dmch/links", linkBody(unit), dmchAdmin), 409, "slug")
	// The unit keeps its code when registered again.
	if r := do(t, "PUT", "/api/v1/admin/units/"+unit, unitBody("Slug Hospital", "স্লাগ হাসপাতাল"), admin); r.Status != 200 {
		t.Fatalf("register again: %d %s", r.Status, r.Body)
	}

	// Races: a link and a unit asked for under one new name at once.
	for i := 0; i < 6; i++ {
		name := fmt.Sprintf("dh-race-%d-%d", run, i)
		var wg sync.WaitGroup
		var link, reg resp
		wg.Add(2)
		go func() { defer wg.Done(); link = do(t, "POST", "/api/v1/units/dmch/links", linkBody(name), dmchAdmin) }()
		go func() {
			defer wg.Done()
			reg = do(t, "PUT", "/api/v1/admin/units/"+name, unitBody("Race Hospital", "দৌড় হাসপাতাল"), admin)
		}()
		wg.Wait()
		linkWon, unitWon := link.Status == 201, reg.Status == 201
		if linkWon == unitWon {
			t.Fatalf("%s: link %d %s, unit %d %s: want exactly one", name, link.Status, link.Body, reg.Status, reg.Body)
		}
		if loser := map[bool]resp{true: reg, false: link}[linkWon]; loser.Status != 409 {
			t.Fatalf("%s: the loser answered %d %s", name, loser.Status, loser.Body)
		}
	}
}
