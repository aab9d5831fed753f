package aid

import (
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/validation"
)

func TestIdentityKeyOfEveryForm(t *testing.T) {
	for _, c := range []struct{ in, digits, key string }{
		{"1234567890", "1234567890", "nid10:1234567890"},                    // smart card
		{"123 456 7890", "1234567890", "nid10:1234567890"},                  // as printed, in groups
		{"১২৩৪৫৬৭৮৯০", "1234567890", "nid10:1234567890"},                    // Bengali digits
		{"2691234567890", "2691234567890", "nid13:2691234567890"},           // 13-digit NID
		{"19852691234567890", "19852691234567890", "nid13:2691234567890"},   // 17-digit NID: year + the 13
		{"1985-269-1234567890", "19852691234567890", "nid13:2691234567890"}, // with dashes
		{"20151912345678901", "20151912345678901", "nid13:1912345678901"},   // birth registration number
		{" ২০১৫১৯১২৩৪৫৬৭৮৯০১ ", "20151912345678901", "nid13:1912345678901"}, // BRN in Bengali digits
	} {
		d, err := NormalizeNID(c.in)
		if err != nil || d != c.digits || IdentityKey(d) != c.key {
			t.Errorf("%q: %q %q %v, want %q %q", c.in, d, IdentityKey(d), err, c.digits, c.key)
		}
	}
	for _, c := range []struct{ in, says string }{
		{"12345", "10-digit smart-card"},
		{"123456789012", "10-digit smart-card"},
		{"123456789012345678", "10-digit smart-card"},
		{"12345678AB", "digits only"},
		{"1234567890\u200b", "digits only"},
		{"0000000000", "all zeros"},
		{"18002691234567890", "year of birth"},
		{"99992691234567890", "year of birth"},
		{"", "10-digit smart-card"},
	} {
		if _, err := NormalizeNID(c.in); err == nil || !strings.Contains(err.Error(), c.says) {
			t.Errorf("%q: %v, want an error saying %q", c.in, err, c.says)
		}
	}
}

func TestSeventeenDigitsMustMatchTheDateOfBirth(t *testing.T) {
	r := validRequest()
	r.Patient.NID, r.Patient.BirthDate = "19852691234567890", "1986-03-01"
	err := r.Validate()
	if err == nil || !strings.Contains(err.Error(), "patient.nid") {
		t.Fatalf("year 1985 against a 1986 birth: %v", err)
	}
	// Coded, so the console says this rather than its general NID message.
	if v, _ := validation.As(err); len(v) != 1 || v[0].Code != "nid-birth-year" {
		t.Fatalf("year mismatch carries code %v, want nid-birth-year", v)
	}
	r = validRequest()
	r.Patient.NID, r.Patient.BirthDate = "19852691234567890", "1985-03-01"
	if err := r.Validate(); err != nil || r.Patient.IDKey != "nid13:2691234567890" {
		t.Fatalf("valid: %v %q", err, r.Patient.IDKey)
	}
	r = validRequest()
	r.Patient.BirthDate = "01/03/1985"
	if err := r.Validate(); err == nil || !strings.Contains(err.Error(), "patient.birthDate") {
		t.Fatalf("bad date: %v", err)
	}
}

func TestMayBeSamePerson(t *testing.T) {
	card := Patient{Name: "Md. Abdul  Karim", NID: "1234567890", BirthDate: "1985-03-01"}
	old := Patient{Name: "md abdul karim", NID: "19852691234567890", BirthDate: "1985-03-01"}
	if !card.MayBeSamePerson(old) || !old.MayBeSamePerson(card) {
		t.Fatal("smart card and 17-digit NID with one name and birth date are not linked")
	}
	other := old
	other.BirthDate = "1985-03-02"
	same := card
	same.NID = "1234567891"
	if card.MayBeSamePerson(other) || card.MayBeSamePerson(same) {
		t.Fatal("linked across birth dates, or two smart cards")
	}
}

func validRequest() *Request {
	return &Request{Patient: Patient{Name: "Amena Khatun", Age: 40, Sex: "female", Guardian: "Abdul Karim", Mobile: "01711111111",
		District: "Cumilla", HospitalReg: "R-1"}, Diagnosis: "cancer", Urgency: "high",
		Items:     []Item{{Category: "medicine", Description: "x", Estimated: 100}},
		CaseStudy: CaseStudy{HouseholdSize: 3, Narrative: "poor"}}
}
