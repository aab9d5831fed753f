// Package geo names Bangladesh's 8 divisions and 64 districts (bd-geocode,
// MIT, data/LICENSE) by stable codes: the lower-case slug of the English
// name, as unit codes are made ("Coxsbazar" → "coxsbazar"). Units record
// their division and district by English name; supervisors' tokens name
// theirs by code.
package geo

import (
	"bytes"
	_ "embed"
	"encoding/csv"
	"fmt"
	"regexp"
	"strings"
	"sync"
)

//go:embed data/divisions.csv
var divisionsCSV []byte

//go:embed data/districts.csv
var districtsCSV []byte

// Place is a division or a district.
type Place struct {
	Code string
	EN   string
	BN   string
	// Division is a district's division code ("" for a division).
	Division string
}

// Atlas holds the divisions and districts.
type Atlas struct {
	Divisions []Place
	Districts []Place
	byCode    map[string]Place
	divByCode map[string]Place
}

var (
	nonSlug    = regexp.MustCompile(`[^a-z0-9]+`)
	apostrophe = strings.NewReplacer("'", "", "’", "")
)

// Code is the code of a place's English name.
func Code(name string) string {
	return strings.Trim(nonSlug.ReplaceAllString(apostrophe.Replace(strings.ToLower(strings.TrimSpace(name))), "-"), "-")
}

// Bangladesh returns the atlas (parsed once; read only).
var Bangladesh = sync.OnceValue(func() *Atlas {
	a, err := parse(divisionsCSV, districtsCSV)
	if err != nil {
		panic(err) // embedded data: a test proves it parses
	}
	return a
})

func parse(divs, dists []byte) (*Atlas, error) {
	read := func(b []byte) ([][]string, error) {
		r := csv.NewReader(bytes.NewReader(b))
		r.FieldsPerRecord = -1
		return r.ReadAll()
	}
	dv, err := read(divs)
	if err != nil {
		return nil, fmt.Errorf("divisions: %w", err)
	}
	ds, err := read(dists)
	if err != nil {
		return nil, fmt.Errorf("districts: %w", err)
	}
	a := &Atlas{byCode: map[string]Place{}, divByCode: map[string]Place{}}
	divID := map[string]string{}
	for _, rec := range dv {
		if len(rec) < 3 {
			return nil, fmt.Errorf("division record %v", rec)
		}
		p := Place{Code: Code(rec[1]), EN: strings.TrimSpace(rec[1]), BN: strings.TrimSpace(rec[2])}
		divID[rec[0]] = p.Code
		a.Divisions = append(a.Divisions, p)
		a.divByCode[p.Code] = p
	}
	for _, rec := range ds {
		if len(rec) < 4 || divID[rec[1]] == "" {
			return nil, fmt.Errorf("district record %v", rec)
		}
		p := Place{Code: Code(rec[2]), EN: strings.TrimSpace(rec[2]), BN: strings.TrimSpace(rec[3]), Division: divID[rec[1]]}
		a.Districts = append(a.Districts, p)
		a.byCode[p.Code] = p
	}
	return a, nil
}

// District returns the district with code.
func (a *Atlas) District(code string) (Place, bool) {
	p, ok := a.byCode[code]
	return p, ok
}

// Division returns the division with code.
func (a *Atlas) Division(code string) (Place, bool) {
	p, ok := a.divByCode[code]
	return p, ok
}
