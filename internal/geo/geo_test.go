package geo_test

import (
	"encoding/csv"
	"os"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/geo"
)

// Every unit of the onboarding dataset sits in a known district of the
// division it records: supervisors' scopes are matched by these codes.
func TestEveryOnboardedUnitHasAKnownDistrictAndDivision(t *testing.T) {
	a := geo.Bangladesh()
	if len(a.Divisions) != 8 || len(a.Districts) != 64 {
		t.Fatalf("atlas has %d divisions and %d districts, want 8 and 64", len(a.Divisions), len(a.Districts))
	}
	f, err := os.Open("../../config/units/units.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range recs[1:] {
		code, division, district := r[0], r[4], r[5]
		d, ok := a.District(geo.Code(district))
		if !ok {
			t.Errorf("unit %s: district %q has no code", code, district)
			continue
		}
		if d.Division != geo.Code(division) {
			t.Errorf("unit %s: district %s lies in %s, the unit records %s", code, district, d.Division, division)
		}
	}
	if d, _ := a.District("coxsbazar"); d.BN != "কক্সবাজার" {
		t.Errorf("Coxsbazar is not coded coxsbazar")
	}
}
