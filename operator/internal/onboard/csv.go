// Package onboard turns the units dataset (config/units/units.csv) into HospitalUnit manifests and
// applies them to a cluster with server-side apply, so one command onboards every unit.
package onboard

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// Unit is one row of the units dataset.
type Unit struct {
	Row               int // 1-based CSV record number; the header is row 1
	Code              string
	NameEN, NameBN    string
	Level             kalyanv1alpha1.Level
	Division          string
	District          string
	Upazila           string
	Programmes        []string
	ApprovalThreshold string
	MinDonation       string
	MaxDonation       string
	BKashSecret       *kalyanv1alpha1.SecretReference
	Approvals         Approvals
}

// Columns of the dataset. The required ones must all be present; the optional ones may be left out
// or left empty (the platform's defaults apply).
const (
	colCode              = "code"
	colNameEN            = "name_en"
	colNameBN            = "name_bn"
	colLevel             = "level"
	colDivision          = "division"
	colDistrict          = "district"
	colUpazila           = "upazila"
	colProgrammes        = "programmes"         // ';'-separated
	colApprovalThreshold = "approval_threshold" // taka, e.g. 10000.00
	colMinDonation       = "min_donation"
	colMaxDonation       = "max_donation"
	colBKashSecret       = "bkash_secret" // namespace/name of the unit's bKash credentials Secret
)

// Columns are every column the dataset may have, the required ones first.
func Columns() []string { return append(requiredColumns(), optionalColumns()...) }

func requiredColumns() []string {
	return []string{colCode, colNameEN, colNameBN, colLevel, colDivision, colDistrict, colUpazila}
}

func optionalColumns() []string {
	return append([]string{colProgrammes, colApprovalThreshold, colMinDonation, colMaxDonation, colBKashSecret}, approvalColumns()...)
}

// Limits matching the HospitalUnit schema, checked here so a bad row fails before anything is applied.
const (
	maxNameEN     = 200
	maxNameBN     = 400
	maxPlace      = 100
	maxProgrammes = 32
	maxRows       = 100_000
)

var (
	codeRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)
	dnsRE    = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`)
	subdomRE = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`)
)

// RowError is a problem with one row of the dataset.
type RowError struct {
	Row int
	Err error
}

func (e *RowError) Error() string { return fmt.Sprintf("row %d: %v", e.Row, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// ParseCSV reads the units dataset. It checks every row and returns all bad rows at once, each as a
// *RowError naming its row number (the header is row 1), joined with errors.Join.
func ParseCSV(r io.Reader) ([]Unit, error) {
	cr := csv.NewReader(r)
	cr.ReuseRecord = false
	header, err := cr.Read()
	if errors.Is(err, io.EOF) {
		return nil, errors.New("units dataset is empty: want a header row")
	}
	if err != nil {
		return nil, &RowError{Row: 1, Err: err}
	}
	cols, err := columnIndex(header)
	if err != nil {
		return nil, &RowError{Row: 1, Err: err}
	}
	cr.FieldsPerRecord = len(header)

	var (
		units  []Unit
		errs   []error
		byCode = map[string]int{}
	)
	for row := 2; ; row++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			errs = append(errs, &RowError{Row: row, Err: err})
			var pe *csv.ParseError
			if errors.As(err, &pe) && errors.Is(pe.Err, csv.ErrFieldCount) {
				continue // the record is still delimited correctly
			}
			break // the rest of the input cannot be trusted to line up
		}
		if row > maxRows {
			errs = append(errs, &RowError{Row: row, Err: fmt.Errorf("more than %d rows", maxRows-1)})
			break
		}
		u, err := parseRow(rec, cols)
		if err != nil {
			errs = append(errs, &RowError{Row: row, Err: err})
			continue
		}
		u.Row = row
		if first, dup := byCode[u.Code]; dup {
			errs = append(errs, &RowError{Row: row, Err: fmt.Errorf("code %q already used in row %d", u.Code, first)})
			continue
		}
		byCode[u.Code] = row
		units = append(units, u)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	if len(units) == 0 {
		return nil, errors.New("units dataset has no units")
	}
	return units, nil
}

func columnIndex(header []string) (map[string]int, error) {
	known := Columns()
	cols := map[string]int{}
	for i, h := range header {
		h = strings.TrimSpace(strings.TrimPrefix(h, "\uFEFF")) // spreadsheets like to add a BOM
		if !slices.Contains(known, h) {
			return nil, fmt.Errorf("unknown column %q (known: %s)", h, strings.Join(known, ", "))
		}
		if _, dup := cols[h]; dup {
			return nil, fmt.Errorf("column %q appears twice", h)
		}
		cols[h] = i
	}
	for _, c := range requiredColumns() {
		if _, ok := cols[c]; !ok {
			return nil, fmt.Errorf("missing column %q", c)
		}
	}
	return cols, nil
}

func parseRow(rec []string, cols map[string]int) (Unit, error) {
	// Every cell goes through the platform's free-text rules (NFC, no
	// controls, breaks or direction overrides, spaces collapsed): unit names
	// are printed on signed receipts.
	clean := map[string]string{}
	for _, c := range Columns() {
		i, ok := cols[c]
		if !ok {
			continue
		}
		v := strings.TrimSpace(rec[i])
		err := checkText(v)
		if err == nil {
			v, err = freetext.Clean(v, freetext.Rule{})
		}
		if err != nil {
			return Unit{}, fmt.Errorf("%s: %w", c, err)
		}
		clean[c] = v
	}
	get := func(c string) string { return clean[c] }
	u := Unit{
		Code:              get(colCode),
		NameEN:            get(colNameEN),
		NameBN:            get(colNameBN),
		Level:             kalyanv1alpha1.Level(get(colLevel)),
		Division:          get(colDivision),
		District:          get(colDistrict),
		Upazila:           get(colUpazila),
		ApprovalThreshold: get(colApprovalThreshold),
		MinDonation:       get(colMinDonation),
		MaxDonation:       get(colMaxDonation),
	}
	if !codeRE.MatchString(u.Code) {
		return Unit{}, fmt.Errorf("code %q must be 1-40 lower-case letters, digits or dashes, starting and ending with a letter or digit", u.Code)
	}
	switch {
	case u.NameEN == "":
		return Unit{}, errors.New("name_en is required")
	case utf8.RuneCountInString(u.NameEN) > maxNameEN:
		return Unit{}, fmt.Errorf("name_en is longer than %d characters", maxNameEN)
	case u.NameBN == "":
		return Unit{}, errors.New("name_bn is required")
	case utf8.RuneCountInString(u.NameBN) > maxNameBN:
		return Unit{}, fmt.Errorf("name_bn is longer than %d characters", maxNameBN)
	}
	switch u.Level {
	case kalyanv1alpha1.LevelMedicalCollege, kalyanv1alpha1.LevelSpecialised, kalyanv1alpha1.LevelDistrict, kalyanv1alpha1.LevelUpazila:
	default:
		return Unit{}, fmt.Errorf("level %q must be one of medical-college, specialised, district, upazila", u.Level)
	}
	for _, p := range []struct{ col, v string }{{colDivision, u.Division}, {colDistrict, u.District}, {colUpazila, u.Upazila}} {
		if utf8.RuneCountInString(p.v) > maxPlace {
			return Unit{}, fmt.Errorf("%s is longer than %d characters", p.col, maxPlace)
		}
	}
	if u.Division == "" || u.District == "" {
		return Unit{}, errors.New("division and district are required")
	}
	if u.Level == kalyanv1alpha1.LevelUpazila && u.Upazila == "" {
		return Unit{}, errors.New("upazila is required for an upazila health complex")
	}
	progs, err := parseProgrammes(get(colProgrammes))
	if err != nil {
		return Unit{}, err
	}
	u.Programmes = progs
	if err := checkAmounts(u); err != nil {
		return Unit{}, err
	}
	if u.Approvals, err = parseApprovals(get); err != nil {
		return Unit{}, err
	}
	if ref := get(colBKashSecret); ref != "" {
		// The Secret's name in the unit's own namespace; "kalyan-<code>/name" is accepted too. Another
		// namespace is refused, as the HospitalUnit's validation would refuse it.
		ns, name, qualified := strings.Cut(ref, "/")
		if !qualified {
			ns, name = "", ref
		}
		if !subdomRE.MatchString(name) || len(name) > 253 || qualified && (!dnsRE.MatchString(ns) || len(ns) > 63) {
			return Unit{}, fmt.Errorf("bkash_secret %q must be the name of a Secret in the unit's namespace %s", ref, kalyanv1alpha1.NamespaceName(u.Code))
		}
		if qualified && ns != kalyanv1alpha1.NamespaceName(u.Code) {
			return Unit{}, fmt.Errorf("bkash_secret %q: the Secret must be in the unit's own namespace %s, not %s", ref, kalyanv1alpha1.NamespaceName(u.Code), ns)
		}
		u.BKashSecret = &kalyanv1alpha1.SecretReference{Name: name}
	}
	return u, nil
}

// checkText rejects what no name or code should contain: invalid UTF-8 and control characters.
// checkText refuses what a spreadsheet cell should never hold, tabs
// included (freetext would turn a tab into a space).
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("is not valid UTF-8")
	}
	if i := strings.IndexFunc(s, unicode.IsControl); i >= 0 {
		return fmt.Errorf("contains a control character at byte %d", i)
	}
	return nil
}

func parseProgrammes(s string) ([]string, error) {
	if s == "" {
		return nil, nil
	}
	var out []string
	for _, p := range strings.Split(s, ";") {
		p = strings.TrimSpace(p)
		switch {
		case !codeRE.MatchString(p):
			return nil, fmt.Errorf("programme %q must be a lower-case name like cancer or congenital-heart", p)
		case p == "zakat" || p == "general":
			return nil, fmt.Errorf("programme %q: zakat and general are funds, not programmes", p)
		case slices.Contains(out, p):
			return nil, fmt.Errorf("programme %q listed twice", p)
		}
		out = append(out, p)
	}
	if len(out) > maxProgrammes {
		return nil, fmt.Errorf("more than %d programmes", maxProgrammes)
	}
	return out, nil
}

// takaRE is the schema's pattern for taka amounts; money.Parse then checks the value itself.
var takaRE = regexp.MustCompile(`^[0-9]{1,13}(\.[0-9]{1,2})?$`)

func checkAmounts(u Unit) error {
	amounts := map[string]money.Amount{}
	for _, a := range []struct{ col, v string }{
		{colApprovalThreshold, u.ApprovalThreshold}, {colMinDonation, u.MinDonation}, {colMaxDonation, u.MaxDonation},
	} {
		if a.v == "" {
			continue
		}
		if !takaRE.MatchString(a.v) {
			return fmt.Errorf("%s %q must be taka with at most two decimals, e.g. 10000.00", a.col, a.v)
		}
		m, err := money.Parse(a.v)
		if err != nil {
			return fmt.Errorf("%s %q: %w", a.col, a.v, err)
		}
		if m <= 0 {
			return fmt.Errorf("%s must be positive", a.col)
		}
		amounts[a.col] = m
	}
	lo, okLo := amounts[colMinDonation]
	hi, okHi := amounts[colMaxDonation]
	if okLo && okHi && lo > hi {
		return fmt.Errorf("min_donation %s exceeds max_donation %s", u.MinDonation, u.MaxDonation)
	}
	return nil
}
