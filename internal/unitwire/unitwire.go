// Package unitwire is the hospital unit's contract on the wire: the JSON the
// API accepts (PUT /api/v1/admin/units/{code}) and answers for units, written
// once for both sides of it, the API (internal/httpapi) and the operator's
// client (operator/internal/apiclient). Amounts travel as decimal taka
// strings ("10000.00"), the form the HospitalUnit, the onboarding CSV and the
// OpenAPI document use too; only the API turns them into money.Amount.
// operator/internal/apiclient's contract test holds the HospitalUnit CRD, the
// onboarding CSV and the OpenAPI document to these types.
package unitwire

import (
	"encoding/json"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Names of a unit in English and Bengali.
type Names struct {
	EN string `json:"en"`
	BN string `json:"bn"`
}

// Policy is a unit's money policy and approval rules. In a registration,
// fields left out take the API's defaults.
type Policy struct {
	ApprovalThreshold string   `json:"approvalThreshold,omitempty"`
	Programmes        []string `json:"programmes,omitempty"`
	AllocationOrder   []string `json:"allocationOrder,omitempty"`
	MinDonation       string   `json:"minDonation,omitempty"`
	MaxDonation       string   `json:"maxDonation,omitempty"`
	// Checkers (identity-provider subjects) are staff identities: answered
	// to platform admins only, never on the public unit.
	Checkers        []string `json:"checkers,omitempty"`
	WindowDays      *int     `json:"windowDays,omitempty"`
	CommitteeQuorum *int     `json:"committeeQuorum,omitempty"`
	// CommitteeSize is answered to platform admins only.
	CommitteeSize *int `json:"committeeSize,omitempty"`
}

// Merchant is a unit's own bKash merchant. Write-only: no answer contains it.
type Merchant struct {
	Username  string `json:"username"`
	Password  string `json:"password"`
	AppKey    string `json:"appKey"`
	AppSecret string `json:"appSecret"`
	// ShortCode is the merchant wallet's number (optional): gifts made to
	// it in the bKash app can be claimed only when it is known.
	ShortCode string `json:"shortCode,omitempty"`
}

// Registration is the body of PUT /api/v1/admin/units/{code}.
type Registration struct {
	Names    Names  `json:"names"`
	Level    string `json:"level"`
	Division string `json:"division"`
	District string `json:"district"`
	Upazila  string `json:"upazila,omitempty"`
	Policy   Policy `json:"policy"`
	// BKash is the write-only merchant member, three-valued: absent keeps
	// the unit's merchant, null puts the unit back on the platform's, a
	// Merchant object sets the unit's own (see MerchantMember). Raw, so the
	// API can tell absent from null and name a bad member itself.
	BKash json.RawMessage `json:"bkash,omitempty"`
	// SigningKey is the base64 (standard encoding) 32-byte Ed25519 seed
	// receipts are signed with; write-only.
	SigningKey string `json:"signingKey,omitempty"`
	// Contact is the unit's public contact, three-valued like BKash:
	// absent keeps the unit's, null removes it, an object sets it. The
	// operator's registrations leave it out (the unit's admins keep it).
	Contact json.RawMessage `json:"contact,omitempty"`
}

// Unit is a registered unit as the API answers it.
type Unit struct {
	Code        string `json:"code"`
	Names       Names  `json:"names"`
	Level       string `json:"level"`
	Division    string `json:"division"`
	District    string `json:"district"`
	Upazila     string `json:"upazila,omitempty"`
	Policy      Policy `json:"policy"`
	Status      string `json:"status"`
	DonationURL string `json:"donationURL"`
	// Contact is where donors reach the unit's social service office.
	Contact *units.Contact `json:"contact,omitempty"`
}

// MerchantMember is the bkash member for a unit whose merchant is m: null
// for nil (the platform's merchant), else the object. A desired-state
// client (the operator) always sends one of the two.
func MerchantMember(m *Merchant) json.RawMessage {
	if m == nil {
		return json.RawMessage("null")
	}
	b, _ := json.Marshal(m) // strings only: cannot fail
	return b
}

// ToUnit is the unit r registers under code: names trimmed, the policy's
// defaults where r leaves fields out. Amounts that do not parse are added
// to v under their field names; the caller validates the unit.
func (r Registration) ToUnit(code string, v *validation.Errors) *units.Unit {
	u := &units.Unit{
		Code: code, Names: units.Names{EN: strings.TrimSpace(r.Names.EN), BN: strings.TrimSpace(r.Names.BN)},
		Level: units.Level(r.Level), Division: r.Division, District: r.District, Upazila: r.Upazila,
		Policy: units.DefaultPolicy(),
	}
	p, dst := r.Policy, &u.Policy
	amount := func(field, s string, dst *money.Amount) {
		if s == "" {
			return
		}
		a, err := money.Parse(s)
		if err != nil {
			v.AddErr("policy."+field, err)
			return
		}
		*dst = a
	}
	amount("approvalThreshold", p.ApprovalThreshold, &dst.ApprovalThreshold)
	amount("minDonation", p.MinDonation, &dst.MinDonation)
	amount("maxDonation", p.MaxDonation, &dst.MaxDonation)
	if p.Programmes != nil {
		dst.Programmes = p.Programmes
	}
	if p.AllocationOrder != nil {
		dst.AllocationOrder = p.AllocationOrder
	}
	if p.Checkers != nil {
		dst.Checkers = p.Checkers
	}
	for _, f := range []struct{ src, dst *int }{
		{p.WindowDays, &dst.WindowDays}, {p.CommitteeQuorum, &dst.CommitteeQuorum}, {p.CommitteeSize, &dst.CommitteeSize},
	} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	return u
}

// PublicUnit is u as anyone may see it; donationURL is where donors give
// to it.
func PublicUnit(u *units.Unit, donationURL string) Unit {
	return Unit{
		Code: u.Code, Names: Names{EN: u.Names.EN, BN: u.Names.BN}, Level: string(u.Level),
		Division: u.Division, District: u.District, Upazila: u.Upazila, Status: string(u.Status),
		DonationURL: donationURL, Contact: u.Contact,
		Policy: Policy{
			ApprovalThreshold: u.Policy.ApprovalThreshold.String(), Programmes: u.Policy.Programmes,
			AllocationOrder: u.Policy.AllocationOrder, MinDonation: u.Policy.MinDonation.String(), MaxDonation: u.Policy.MaxDonation.String(),
			WindowDays: ptr(int(u.Policy.Window().Hours() / 24)), CommitteeQuorum: ptr(u.Policy.Quorum()),
		},
	}
}

// AdminUnit is u as its registration answers it to a platform admin: with
// the policy's named checkers and committee size.
func AdminUnit(u *units.Unit, donationURL string) Unit {
	out := PublicUnit(u, donationURL)
	out.Policy.Checkers = u.Policy.Checkers
	if u.Policy.CommitteeSize > 0 {
		out.Policy.CommitteeSize = ptr(u.Policy.CommitteeSize)
	}
	return out
}

func ptr[T any](v T) *T { return &v }
