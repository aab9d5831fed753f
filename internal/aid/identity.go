package aid

import (
	"errors"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Identity number forms (docs/adr/0010-patient-identity.md).
const (
	// FormSmartCard is the 10-digit smart-card NID.
	FormSmartCard = "nid10"
	// FormNID13 is the 13-digit NID, and the 17-digit NID or birth
	// registration number without its birth-year prefix.
	FormNID13 = "nid13"
)

// NormalizeNID accepts an NID or birth registration number as people write
// it (Bengali or Latin digits, spaces or dashes between groups) and returns
// its digits: 10 (smart card), 13 (old NID) or 17 (birth year + 13 digits:
// old NID or birth registration number).
func NormalizeNID(s string) (string, error) {
	var b strings.Builder
	for _, r := range strings.TrimSpace(s) {
		switch {
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		case r >= '০' && r <= '৯':
			b.WriteRune('0' + (r - '০'))
		case r == ' ' || r == '-' || unicode.IsSpace(r):
		default:
			return "", errors.New("must contain digits only (spaces and dashes between groups are fine)")
		}
	}
	d := b.String()
	switch len(d) {
	case 10, 13:
	case 17:
		if y, _ := strconv.Atoi(d[:4]); y < 1900 || y > time.Now().Year() {
			return "", errors.New("a 17-digit NID or birth registration number starts with the year of birth (1900 to this year)")
		}
	default:
		return "", errors.New("must be a 10-digit smart-card NID, a 13- or 17-digit NID, or a 17-digit birth registration number")
	}
	if strings.Trim(d, "0") == "" {
		return "", errors.New("is not a real number (all zeros)")
	}
	return d, nil
}

// IdentityKey is the one key a patient's number is known by across forms:
// a 17-digit number is its last 13 digits (the birth-year prefix dropped),
// so the old NID written with or without the year is one person. A 10-digit
// smart-card number has no arithmetic relation to the others; it keys
// itself, and FlagSameAs links it to a 13/17-digit number by name and date
// of birth. digits must be NormalizeNID's output.
func IdentityKey(digits string) string {
	switch len(digits) {
	case 10:
		return FormSmartCard + ":" + digits
	case 17:
		return FormNID13 + ":" + digits[4:]
	case 13:
		return FormNID13 + ":" + digits
	}
	return ""
}

// Form is the form of a normalised number (FormSmartCard or FormNID13).
func Form(digits string) string {
	k, _, _ := strings.Cut(IdentityKey(digits), ":")
	return k
}

// SamePersonName compares names as recorded by different staff: case,
// spacing and dots (Md. / Md) do not matter.
func SamePersonName(a, b string) bool { return nameKey(a) == nameKey(b) && nameKey(a) != "" }

func nameKey(s string) string {
	return strings.Join(strings.Fields(strings.ToLower(strings.ReplaceAll(s, ".", " "))), " ")
}

// MayBeSamePerson reports whether o records, under the other form of NID
// (a 10-digit smart card against a 13/17-digit number), a patient with p's
// name and date of birth: probably the same person holding both cards.
func (p Patient) MayBeSamePerson(o Patient) bool {
	return p.NID != "" && o.NID != "" && p.BirthDate != "" && p.BirthDate == o.BirthDate &&
		Form(p.NID) != Form(o.NID) && SamePersonName(p.Name, o.Name)
}

// validateIdentity normalises the patient's number and date of birth and
// sets the identity key.
func validateIdentity(v *validation.Errors, p *Patient) {
	var born time.Time
	if p.BirthDate != "" {
		var err error
		if born, err = time.Parse(time.DateOnly, strings.TrimSpace(p.BirthDate)); err != nil || born.Year() < 1900 || born.After(time.Now()) {
			v.Add("patient.birthDate", "must be a date of birth as YYYY-MM-DD, not in the future")
			born = time.Time{}
		} else {
			p.BirthDate = born.Format(time.DateOnly)
		}
	}
	if p.NID == "" {
		return
	}
	d, err := NormalizeNID(p.NID)
	if err != nil {
		v.AddErr("patient.nid", err)
		return
	}
	if len(d) == 17 && !born.IsZero() && d[:4] != strconv.Itoa(born.Year()) {
		// Coded: pages say it in the reader's language (not a wrong
		// length, which their general NID message is about).
		*v = append(*v, validation.FieldError{Field: "patient.nid", Code: "nid-birth-year",
			Message: "a 17-digit number starts with the year of birth: " + d[:4] + " is not the year of the date of birth"})
		return
	}
	p.NID, p.IDKey = d, IdentityKey(d)
}
