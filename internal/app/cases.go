package app

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// CaseOpening is the audit record of a supervisor opening a case's patient
// identity: who, when, why, which case (insert-only, never shown masked).
type CaseOpening struct {
	ID     string    `bson:"_id"`
	Case   string    `bson:"case"`
	Unit   string    `bson:"unit"`
	By     string    `bson:"by"`
	Role   string    `bson:"role"`
	Name   string    `bson:"name,omitempty"`
	Reason string    `bson:"reason"`
	At     time.Time `bson:"at"`
}

// CaseAudit records case openings.
type CaseAudit interface {
	Record(ctx context.Context, o CaseOpening) error
	// Openings lists a case's openings, oldest first.
	Openings(ctx context.Context, caseID string) ([]CaseOpening, error)
}

// CaseSummary is what a supervisor sees of an aid request: the case, its
// money and its timing, the patient masked.
type CaseSummary struct {
	ID         string       `json:"id"`
	Unit       string       `json:"unit"`
	Status     string       `json:"status"`
	Diagnosis  string       `json:"diagnosis"`
	Urgency    string       `json:"urgency"`
	Approved   money.Amount `json:"approved"`
	Allocated  money.Amount `json:"allocated"`
	Disbursed  money.Amount `json:"disbursed"`
	ZakatOK    bool         `json:"zakatEligible"`
	FiledAt    time.Time    `json:"filedAt"`
	ApprovedAt *time.Time   `json:"approvedAt,omitempty"`
	Patient    MaskedPerson `json:"patient"`
}

// MaskedPerson is a patient as lists show them.
type MaskedPerson struct {
	Initials string `json:"initials"`
	Age      int    `json:"age"`
	Sex      string `json:"sex"`
	District string `json:"district"`
	NID      string `json:"nid,omitempty"`
	Mobile   string `json:"mobile"`
}

// Mask keeps a patient's initials, age, sex and district, and the last
// digits of their numbers.
func Mask(p aid.Patient) MaskedPerson {
	var ini []string
	for _, w := range strings.Fields(p.Name) {
		r, _ := utf8.DecodeRuneInString(w)
		ini = append(ini, string(r)+".")
	}
	out := MaskedPerson{Initials: strings.Join(ini, " "), Age: p.Age, Sex: p.Sex, District: p.District, Mobile: contact.MaskMobile(p.Mobile)}
	if p.NID != "" {
		out.NID = aid.MaskNID(p.NID)
	}
	return out
}

// Summarise is a request's case summary.
func Summarise(r *aid.Request) CaseSummary {
	s := CaseSummary{ID: r.ID, Unit: r.Unit, Status: string(r.Status), Diagnosis: r.Diagnosis, Urgency: r.Urgency,
		Approved: r.ApprovedTotal(), Allocated: r.AllocatedTotal(), Disbursed: r.DisbursedTotal(), ZakatOK: r.ZakatEligible,
		FiledAt: r.CreatedAt, Patient: Mask(r.Patient)}
	if !r.ApprovedAt.IsZero() {
		at := r.ApprovedAt
		s.ApprovedAt = &at
	}
	return s
}

// Cases serves case summaries to supervisors and opens a case's identity
// only with a recorded reason.
type Cases struct {
	Aid   AidStore
	Audit CaseAudit
	Now   func() time.Time
}

// List returns a unit's cases, newest first, masked (limit ≤ 0: 200).
func (c *Cases) List(ctx context.Context, unit string, limit int) ([]CaseSummary, error) {
	if limit <= 0 {
		limit = 200
	}
	rs, err := c.Aid.List(ctx, aid.Filter{Unit: unit, Limit: limit})
	if err != nil {
		return nil, err
	}
	out := make([]CaseSummary, len(rs))
	for i := range rs {
		out[i] = Summarise(&rs[i])
	}
	return out, nil
}

// Get returns a case (for the caller's scope check) without opening it.
func (c *Cases) Get(ctx context.Context, id string) (*aid.Request, error) { return c.Aid.Get(ctx, id) }

// ErrReasonRequired is returned when a case is opened without a reason.
var ErrReasonRequired = errors.New("a reason is required to open a case")

// Open records who opens case r and why, then returns it whole. The record
// comes first: no identity is shown that is not audited.
func (c *Cases) Open(ctx context.Context, r *aid.Request, by, role, name, reason string) (*aid.Request, error) {
	var v validation.Errors
	if freetext.Into(&v, "reason", &reason, freetext.Text.WithMax(1000)) && len([]rune(strings.TrimSpace(reason))) < 10 {
		v.Add("reason", "say why you open this case (at least 10 characters)")
	}
	if err := v.Err(); err != nil {
		return nil, err
	}
	now := c.Now().UTC()
	o := CaseOpening{ID: fmt.Sprintf("%s/%d/%s", r.ID, now.UnixNano(), by), Case: r.ID, Unit: r.Unit, By: by, Role: role, Name: name, Reason: reason, At: now}
	if err := c.Audit.Record(ctx, o); err != nil {
		return nil, fmt.Errorf("audit case opening: %w", err)
	}
	return r, nil
}
