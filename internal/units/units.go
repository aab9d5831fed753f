// Package units holds the hospital social service unit: the tenant every
// record belongs to, with its names, place and money policy.
package units

import (
	"errors"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Level is the kind of hospital the unit sits in.
type Level string

// Levels of hospital that host a social service unit.
const (
	MedicalCollege Level = "medical-college"
	Specialised    Level = "specialised"
	District       Level = "district"
	Upazila        Level = "upazila"
)

// Status of a unit in the registry. Archived units keep every record but take
// no new gifts or requests.
type Status string

// Unit statuses.
const (
	Active   Status = "active"
	Archived Status = "archived"
)

// Errors of the registry.
var (
	ErrNotFound = errors.New("unit not found")
	ErrArchived = errors.New("unit is archived")
)

// DefaultProgrammes are the disease programmes a unit offers unless its
// policy says otherwise (the Department's financial assistance programme plus
// burn care).
var defaultProgrammes = []string{"cancer", "kidney", "liver-cirrhosis", "stroke-paralysis", "congenital-heart", "thalassaemia", "burn"}

// fundKinds name funds of their own: no programme may take their names.
var fundKinds = []string{"zakat", "general", "sadaqah", "grant"}

// Allocation sources, in the default order aid is paid from.
var defaultAllocationOrder = []string{"programme", "zakat", "general"}

// Names of the unit in English and Bengali.
type Names struct {
	EN string `json:"en"`
	BN string `json:"bn"`
}

// Policy is the unit's money policy, set by its Rogi Kalyan Samiti.
type Policy struct {
	ApprovalThreshold money.Amount `json:"approvalThreshold"`
	Programmes        []string     `json:"programmes"`
	AllocationOrder   []string     `json:"allocationOrder"`
	MinDonation       money.Amount `json:"minDonation"`
	MaxDonation       money.Amount `json:"maxDonation"`

	// Approval rules (maker-checker); zero values read as the defaults, so
	// units registered before these fields keep working.

	// Checkers are identity-provider subjects, beside the unit's social
	// workers, who may be the second pair of eyes on a request (approve
	// below the threshold, confirm a disbursement): in a unit with a single
	// social worker, e.g. the committee's member secretary.
	Checkers []string `json:"checkers,omitempty"`
	// WindowDays is the rolling window of what a patient received (in any
	// unit, by NID or mobile) that counts toward the threshold.
	WindowDays int `json:"windowDays,omitempty"`
	// CommitteeQuorum is how many committee members must approve above the
	// threshold (N of CommitteeSize).
	CommitteeQuorum int `json:"committeeQuorum,omitempty"`
	// CommitteeSize is the number of the Samiti's committee members (M);
	// 0 when not recorded.
	CommitteeSize int `json:"committeeSize,omitempty"`
}

// Defaults of the approval rules.
const (
	DefaultWindowDays      = 90
	DefaultCommitteeQuorum = 1
	maxCheckers            = 10
	maxCommittee           = 25
	maxWindowDays          = 366
)

// Window is the rolling window of what a patient received.
func (p Policy) Window() time.Duration {
	d := p.WindowDays
	if d == 0 {
		d = DefaultWindowDays
	}
	return time.Duration(d) * 24 * time.Hour
}

// Quorum is how many committee approvals a decision above the threshold
// needs.
func (p Policy) Quorum() int { return max(p.CommitteeQuorum, DefaultCommitteeQuorum) }

// DefaultPolicy is applied where a registration leaves fields out.
func DefaultPolicy() Policy {
	return Policy{
		ApprovalThreshold: money.Taka(10_000),
		Programmes:        slices.Clone(defaultProgrammes),
		AllocationOrder:   slices.Clone(defaultAllocationOrder),
		MinDonation:       money.Taka(10),
		MaxDonation:       money.Taka(5_00_000),
		WindowDays:        DefaultWindowDays,
		CommitteeQuorum:   DefaultCommitteeQuorum,
	}
}

// Unit is one hospital social service unit and its Rogi Kalyan Samiti.
type Unit struct {
	Code      string
	Names     Names
	Level     Level
	Division  string
	District  string
	Upazila   string
	Policy    Policy
	Status    Status
	CreatedAt time.Time
	UpdatedAt time.Time

	// Merchant is the unit's own bKash merchant wallet; nil means its gifts
	// go to the platform's default merchant.
	Merchant *MerchantRef

	// Contact is where donors reach the unit's social service office with
	// a question or a complaint (shown on its public page); nil: not given.
	Contact *Contact
}

// Contact is a unit's public contact: its office, a telephone and an
// e-mail address, each optional. Public data, not personal data.
type Contact struct {
	Office string `json:"office,omitempty"`
	Phone  string `json:"phone,omitempty"`
	Email  string `json:"email,omitempty"`
}

// phoneRE is a telephone number as an office writes it: digits with an
// optional leading +, spaces and dashes ("+880 2-55165088", "01712345678").
var phoneRE = regexp.MustCompile(`^\+?[0-9][0-9 -]{4,22}[0-9]$`)

// validate cleans the contact in place (like names, it is shown as stored).
func (c *Contact) validate(v *validation.Errors) {
	if freetext.Into(v, "contact.office", &c.Office, freetext.Line) && len([]rune(c.Office)) > 200 {
		v.Add("contact.office", "must be at most 200 characters")
	}
	c.Phone = strings.TrimSpace(c.Phone)
	if c.Phone != "" && !phoneRE.MatchString(c.Phone) {
		v.Add("contact.phone", "must be a telephone number: digits, an optional leading +, spaces or dashes")
	}
	c.Email = strings.TrimSpace(c.Email)
	if c.Email != "" {
		e, err := contact.NormalizeEmail(c.Email)
		v.AddErr("contact.email", err)
		c.Email = e
	}
	if c.Office == "" && c.Phone == "" && c.Email == "" {
		v.Add("contact", "must give an office, a phone or an e-mail address, or be null")
	}
}

// MerchantRef names a unit's own bKash merchant without its secrets, which
// are stored sealed apart from the registry (see app.Merchants).
type MerchantRef struct {
	// ID is the merchant's bKash username: not secret, it names the wallet
	// on donations, in logs and in settlement checks.
	ID string
	// Rev is when these credentials were stored (Unix nanoseconds): a
	// process holding an older revision of the merchant reloads it.
	Rev int64
}

var codeRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`)

// ValidCode reports whether code is a short DNS-safe unit code such as "dmch"
// or "uhc-debidwar" (it becomes part of a Kubernetes namespace name).
func ValidCode(code string) bool { return codeRE.MatchString(code) }

// HasProgramme reports whether donors may designate programme p at this unit.
func (u *Unit) HasProgramme(p string) bool { return slices.Contains(u.Policy.Programmes, p) }

// Servable returns ErrArchived for archived units.
func (u *Unit) Servable() error {
	if u.Status == Archived {
		return ErrArchived
	}
	return nil
}

// SerialPrefix is the upper-case code used in receipt serials.
func (u *Unit) SerialPrefix() string { return strings.ToUpper(u.Code) }

// Validate checks a unit as registered by a platform admin.
func (u *Unit) Validate() error {
	var v validation.Errors
	if !ValidCode(u.Code) {
		v.Add("code", "must be 1-40 lower-case letters, digits or dashes, starting and ending with a letter or digit")
	}
	// Names and places are printed on signed receipts: cleaned in place
	// (freetext), so what is stored is what will be printed.
	for _, f := range []struct {
		field    string
		s        *string
		required bool
	}{
		{"names.en", &u.Names.EN, true}, {"names.bn", &u.Names.BN, true}, {"division", &u.Division, true},
		{"district", &u.District, true}, {"upazila", &u.Upazila, u.Level == Upazila},
	} {
		if freetext.Into(&v, f.field, f.s, freetext.Line) && *f.s == "" && f.required {
			if f.field == "upazila" {
				v.Add(f.field, "is required for an upazila health complex")
			} else {
				v.Add(f.field, "is required")
			}
		}
	}
	switch u.Level {
	case MedicalCollege, Specialised, District, Upazila:
	default:
		v.Add("level", "must be one of medical-college, specialised, district, upazila")
	}
	p := u.Policy
	if p.ApprovalThreshold <= 0 {
		v.Add("policy.approvalThreshold", "must be positive")
	}
	if p.MinDonation <= 0 {
		v.Add("policy.minDonation", "must be positive")
	}
	if p.MaxDonation < p.MinDonation {
		v.Add("policy.maxDonation", "must not be below minDonation")
	}
	seen := map[string]bool{}
	for i, prog := range p.Programmes {
		if !ValidCode(prog) || seen[prog] || slices.Contains(fundKinds, prog) {
			v.Add("policy.programmes", "entry "+itoa(i)+" must be a unique lower-case name other than zakat/general/sadaqah/grant")
		}
		seen[prog] = true
	}
	order := map[string]bool{}
	for _, s := range p.AllocationOrder {
		if s != "programme" && s != "zakat" && s != "general" || order[s] {
			v.Add("policy.allocationOrder", "must list programme, zakat and general, each at most once")
			break
		}
		order[s] = true
	}
	p.validateApprovals(&v)
	if u.Contact != nil {
		u.Contact.validate(&v)
	}
	return v.Err()
}

func (p Policy) validateApprovals(v *validation.Errors) {
	if len(p.Checkers) > maxCheckers {
		v.Add("policy.checkers", "name at most "+itoa(maxCheckers)+" checkers")
	}
	seen := map[string]bool{}
	for i, c := range p.Checkers {
		if c == "" || len(c) > 255 || strings.IndexFunc(c, func(r rune) bool { return r <= ' ' || r == 0x7f }) >= 0 || seen[c] {
			v.Add("policy.checkers", "entry "+itoa(i)+" must be a unique identity-provider subject (1-255 characters, no spaces)")
		}
		seen[c] = true
	}
	if p.WindowDays < 1 || p.WindowDays > maxWindowDays {
		v.Add("policy.windowDays", "must be between 1 and "+itoa(maxWindowDays)+" days")
	}
	if p.CommitteeSize < 0 || p.CommitteeSize > maxCommittee {
		v.Add("policy.committeeSize", "must be between 1 and "+itoa(maxCommittee)+" members, or left out")
	}
	switch {
	case p.CommitteeQuorum < 1 || p.CommitteeQuorum > maxCommittee:
		v.Add("policy.committeeQuorum", "must be between 1 and "+itoa(maxCommittee))
	case p.CommitteeSize > 0 && p.CommitteeQuorum > p.CommitteeSize:
		v.Add("policy.committeeQuorum", "must not exceed committeeSize ("+itoa(p.CommitteeSize)+")")
	}
}

func itoa(i int) string {
	if i < 10 {
		return string(rune('0' + i))
	}
	return itoa(i/10) + string(rune('0'+i%10))
}
