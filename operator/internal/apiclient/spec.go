package apiclient

import (
	"encoding/base64"
	"encoding/json"

	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/unitwire"
	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// RegistrationFor is the registration that makes the API's unit what spec
// declares: merchant is the unit's own bKash merchant read from the Secret
// spec.bkashSecretRef names (nil: the platform's; sent as null, since the
// HospitalUnit is the desired state and an absent member would keep whatever
// the API has), seed the receipt signing key. Fields of the spec that only
// Kubernetes acts on (code, which is the URL's, quota, adminGroup) have no
// place in it.
func RegistrationFor(spec kalyanv1alpha1.HospitalUnitSpec, merchant *unitwire.Merchant, seed []byte) Registration {
	p := spec.Policy
	reg := Registration{
		Names:    Names{EN: spec.Names.EN, BN: spec.Names.BN},
		Level:    string(spec.Level),
		Division: spec.Division,
		District: spec.District,
		Upazila:  spec.Upazila,
		Policy: Policy{
			ApprovalThreshold: string(p.ApprovalThreshold),
			Programmes:        strs(p.Programmes),
			AllocationOrder:   strs(p.AllocationOrder),
			MinDonation:       string(p.MinDonation),
			MaxDonation:       string(p.MaxDonation),
			Checkers:          strs(p.Checkers),
			WindowDays:        intPtr(p.WindowDays),
			CommitteeQuorum:   intPtr(p.CommitteeQuorum),
			CommitteeSize:     intPtr(p.CommitteeSize),
		},
		BKash:      unitwire.MerchantMember(merchant),
		SigningKey: base64.StdEncoding.EncodeToString(seed),
	}
	if c := spec.Contact; c != nil {
		// Strings only: cannot fail.
		reg.Contact, _ = json.Marshal(units.Contact{Office: c.Office, Phone: c.Phone, Email: c.Email})
	}
	return reg
}

// strs turns the CRD's named string types into strings (nil stays nil: the
// API's default).
func strs[S ~string](in []S) []string {
	if in == nil {
		return nil
	}
	out := make([]string, len(in))
	for i, s := range in {
		out[i] = string(s)
	}
	return out
}

func intPtr(p *int32) *int {
	if p == nil {
		return nil
	}
	v := int(*p)
	return &v
}
