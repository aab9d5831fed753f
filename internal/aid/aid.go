// Package aid holds a patient aid request: filed by a hospital social
// worker with a social case study, assessed, approved (by a committee member
// above the unit's threshold, never the same person who filed or assessed
// it), allocated from the unit's funds and disbursed. Every change is a new
// version carrying who, when and what, so the versions are the audit trail.
package aid

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Status of a request.
type Status string

// Statuses, in order of a request's life.
const (
	Submitted          Status = "submitted"
	Assessed           Status = "assessed"
	Approved           Status = "approved"
	Rejected           Status = "rejected"
	PartiallyAllocated Status = "partially_allocated"
	Allocated          Status = "allocated"
	Waitlisted         Status = "waitlisted"
	// DisbursementRecorded: what was given is recorded and waits for a
	// second staff member to confirm it; no money has moved yet.
	DisbursementRecorded Status = "disbursement_recorded"
	Disbursed            Status = "disbursed"
)

// Diagnosis categories. The first six are the Department's financial
// assistance programme diseases.
var Diagnoses = []string{"general", "cancer", "kidney", "liver-cirrhosis", "stroke-paralysis", "congenital-heart", "thalassaemia", "burn", "other"}

// GrantDiseases may ask for the one-time Tk 50,000 grant.
var GrantDiseases = []string{"cancer", "kidney", "liver-cirrhosis", "stroke-paralysis", "congenital-heart", "thalassaemia"}

// GrantAmount is the financial assistance programme's one-time grant.
const GrantAmount = money.Amount(50_000 * 100)

// ItemCategories of what a patient may need.
var ItemCategories = []string{"medicine", "tests", "blood", "devices", "surgery", "diet", "clothing", "transport", "burial", "other"}

// Documents are the papers a social worker usually sees before filing
// (the console offers them as checkboxes; the API also takes others).
var Documents = []string{"nid", "birth-registration", "prescription", "admission-slip", "test-reports", "income-certificate", "photo"}

// Urgencies, most urgent first (the waitlist order).
var Urgencies = []string{"critical", "high", "normal", "low"}

// Errors of transitions.
var (
	ErrNotFound    = errors.New("aid request not found")
	ErrState       = errors.New("the request is not in a state that allows this")
	ErrSameAsMaker = errors.New("the person who filed or assessed a request cannot approve it")
	// ErrSameAsRecorder: a disbursement is confirmed by a second person.
	ErrSameAsRecorder = errors.New("the person who recorded a disbursement cannot confirm it: a second staff member does")
	// ErrNotChecker: the caller may not be the second pair of eyes here.
	ErrNotChecker = errors.New("only another social worker of the unit or a checker named in its policy can do this")
	// ErrAlreadyApproved: one committee member counts once.
	ErrAlreadyApproved = errors.New("this committee member has already approved the request")
	ErrNeedsCommittee  = errors.New("above the unit's threshold only a committee member can approve")
	ErrNoChange        = errors.New("no change")
	// ErrExists: a request with this ID is stored already.
	ErrExists = errors.New("aid request already exists")
	// ErrKeyReused: an Idempotency-Key named an earlier filing with another body.
	ErrKeyReused = errors.New("idempotency key was already used with a different request")
)

// Patient is who the aid is for. Personal data: masked in lists, logs, events.
type Patient struct {
	Name        string `json:"name"`
	Age         int    `json:"age"`
	Sex         string `json:"sex"`
	Guardian    string `json:"guardian"`
	Mobile      string `json:"mobile"`
	NID         string `json:"nid,omitempty"`
	District    string `json:"district"`
	Upazila     string `json:"upazila,omitempty"`
	HospitalReg string `json:"hospitalReg"`
	Ward        string `json:"ward,omitempty"`
	Bed         string `json:"bed,omitempty"`
	// BirthDate (YYYY-MM-DD, optional) links a patient's smart-card NID
	// with the same person's 13/17-digit number (ADR 0010).
	BirthDate string `json:"birthDate,omitempty"`
	// IDKey is the NID's identity key (IdentityKey), set by Validate. It
	// travels in sealed snapshots (JSON); the API never shows it.
	IDKey string `json:"idKey,omitempty"`
}

// Identified reports whether the patient is identified by NID or birth
// registration number (zakat may only reach an identified patient).
func (p Patient) Identified() bool { return p.NID != "" }

// Item is one thing requested, with the assessed amount.
type Item struct {
	Category    string       `json:"category"`
	Description string       `json:"description"`
	Estimated   money.Amount `json:"estimated"`
	Approved    money.Amount `json:"approved"`
	Disbursed   money.Amount `json:"disbursed"`
	// Grant marks the one-time programme grant's item: paid only from the
	// unit's grant fund, never from donors' gifts.
	Grant bool `json:"grant,omitempty"`
}

// CaseStudy is the social worker's social case study.
type CaseStudy struct {
	HouseholdSize    int          `json:"householdSize"`
	MonthlyIncome    money.Amount `json:"monthlyIncome"`
	Occupation       string       `json:"occupation"`
	Assets           string       `json:"assets"`
	Narrative        string       `json:"narrative"`
	DocumentsChecked []string     `json:"documentsChecked"`
}

// Change is the audit record of one version: who did what, when.
type Change struct {
	Action string    `json:"action"`
	By     string    `json:"by"`
	Role   string    `json:"role"`
	At     time.Time `json:"at"`
	Note   string    `json:"note,omitempty"`
	// Name is the staff member's name from the identity provider's token
	// (By is the subject, kept for the audit; people read the name).
	Name string `json:"name,omitempty"`
}

// Allocation is money moved from a fund to this request.
type Allocation struct {
	Fund   string       `json:"fund"`
	Amount money.Amount `json:"amount"`
	Tx     string       `json:"tx"`
}

// Request is a patient aid request.
type Request struct {
	ID             string
	Unit           string
	Patient        Patient
	Diagnosis      string
	Items          []Item
	Urgency        string
	CaseStudy      CaseStudy
	GrantRequested bool
	Status         Status
	FiledBy        string
	AssessedBy     string
	ApprovedBy     string
	ZakatEligible  bool
	RejectReason   string
	Allocations    []Allocation
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// RequestHash identifies the filing request (its body), so a retry with
	// the same Idempotency-Key can be told from a reuse of the key.
	RequestHash string

	Version int
	Change  Change
	Outbox  []events.Envelope

	// ApprovedAt is when the request was approved: what a patient received
	// in a unit's window is looked up by it (indexed with the NID and the
	// mobile).
	ApprovedAt time.Time
	// Committee are the committee members' approvals above the threshold.
	Committee []CommitteeApproval
	// Pending is a recorded disbursement awaiting its confirmation.
	Pending *PendingDisbursement
	// Parts are the confirmed disbursements, in order.
	Parts []Part
	// DisbursedBy recorded the latest part; ConfirmedBy confirmed it.
	DisbursedBy string
	ConfirmedBy string
}

// NewID draws a request ID: 128 random bits, owing nothing to what the
// client sent (an Idempotency-Key maps to it through the store).
func NewID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return "aid_" + hex.EncodeToString(b[:])
}

// ApprovedTotal is the sum of assessed item amounts.
func (r *Request) ApprovedTotal() money.Amount {
	var s money.Amount
	for _, it := range r.Items {
		s += it.Approved
	}
	return s
}

// AllocatedTotal is what funds have covered so far.
func (r *Request) AllocatedTotal() money.Amount {
	var s money.Amount
	for _, a := range r.Allocations {
		s += a.Amount
	}
	return s
}

// Outstanding is what still waits for funds.
func (r *Request) Outstanding() money.Amount { return r.ApprovedTotal() - r.AllocatedTotal() }

// Validate checks a new request.
func (r *Request) Validate() error {
	var v validation.Errors
	p := &r.Patient
	cs := &r.CaseStudy
	// Free text is cleaned in place (freetext): names on one line in
	// Bengali or Latin letters, the narrative keeping its paragraphs.
	name := freetext.PersonName.WithMax(200)
	for _, f := range []struct {
		field string
		s     *string
		rule  freetext.Rule
	}{
		{"patient.guardian", &p.Guardian, name}, {"patient.district", &p.District, freetext.Line},
		{"patient.upazila", &p.Upazila, freetext.Line}, {"patient.hospitalReg", &p.HospitalReg, freetext.Line},
		{"patient.ward", &p.Ward, freetext.Line}, {"patient.bed", &p.Bed, freetext.Line},
		{"caseStudy.occupation", &cs.Occupation, freetext.Line}, {"caseStudy.assets", &cs.Assets, freetext.Line.WithMax(1000)},
		{"caseStudy.narrative", &cs.Narrative, freetext.Text},
	} {
		freetext.Into(&v, f.field, f.s, f.rule)
	}
	for i := range r.Items {
		freetext.Into(&v, fmt.Sprintf("items[%d].description", i), &r.Items[i].Description, freetext.Line.WithMax(500))
	}
	if freetext.Into(&v, "patient.name", &p.Name, name) && p.Name == "" {
		v.Add("patient.name", "is required (at most 200 characters)")
	}
	if p.Age < 0 || p.Age > 130 {
		v.Add("patient.age", "must be between 0 and 130")
	}
	if !slices.Contains([]string{"female", "male", "other"}, p.Sex) {
		v.Add("patient.sex", "must be female, male or other")
	}
	if strings.TrimSpace(p.Guardian) == "" {
		v.Add("patient.guardian", "is required")
	}
	var err error
	if p.Mobile, err = contact.NormalizeMobile(p.Mobile); err != nil {
		v.AddErr("patient.mobile", err)
	}
	validateIdentity(&v, p)
	if strings.TrimSpace(p.District) == "" {
		v.Add("patient.district", "is required")
	}
	if strings.TrimSpace(p.HospitalReg) == "" {
		v.Add("patient.hospitalReg", "is required")
	}
	if !slices.Contains(Diagnoses, r.Diagnosis) {
		v.Add("diagnosis", "must be one of "+strings.Join(Diagnoses, ", "))
	}
	if !slices.Contains(Urgencies, r.Urgency) {
		v.Add("urgency", "must be one of "+strings.Join(Urgencies, ", "))
	}
	if len(r.Items) == 0 || len(r.Items) > 30 {
		v.Add("items", "list 1 to 30 items")
	}
	for i, it := range r.Items {
		f := fmt.Sprintf("items[%d]", i)
		if !slices.Contains(ItemCategories, it.Category) {
			v.Add(f+".category", "must be one of "+strings.Join(ItemCategories, ", "))
		}
		if it.Estimated <= 0 || it.Estimated > money.Taka(10_00_000) {
			v.Add(f+".estimated", "must be between 0.01 and 1000000.00")
		}
	}
	if r.GrantRequested && !slices.Contains(GrantDiseases, r.Diagnosis) {
		v.Add("grantRequested", "the one-time grant is only for "+strings.Join(GrantDiseases, ", "))
	}
	if r.GrantRequested && r.Patient.NID == "" {
		v.Add("patient.nid", "is required for the one-time grant")
	}
	if cs.HouseholdSize < 1 || cs.HouseholdSize > 50 {
		v.Add("caseStudy.householdSize", "must be between 1 and 50")
	}
	if cs.MonthlyIncome < 0 {
		v.Add("caseStudy.monthlyIncome", "must not be negative")
	}
	if strings.TrimSpace(cs.Narrative) == "" {
		v.Add("caseStudy.narrative", "is required")
	}
	if len(cs.DocumentsChecked) > 20 {
		v.Add("caseStudy.documentsChecked", "list at most 20 documents")
	}
	for i := range cs.DocumentsChecked {
		f := fmt.Sprintf("caseStudy.documentsChecked[%d]", i)
		if d := &cs.DocumentsChecked[i]; freetext.Into(&v, f, d, freetext.Line.WithMax(64)) && *d == "" {
			v.Add(f, "must be 1 to 64 characters")
		}
	}
	return v.Err()
}

// MaskNID keeps the last three digits.
func MaskNID(s string) string {
	if len(s) <= 3 {
		return s
	}
	return strings.Repeat("*", len(s)-3) + s[len(s)-3:]
}
