package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Level is the kind of hospital the unit sits in.
// +kubebuilder:validation:Enum=medical-college;specialised;district;upazila
type Level string

// Levels of hospital that host a social service unit.
const (
	LevelMedicalCollege Level = "medical-college"
	LevelSpecialised    Level = "specialised"
	LevelDistrict       Level = "district"
	LevelUpazila        Level = "upazila"
)

// Condition types of a HospitalUnit.
const (
	// ConditionProvisioned is True once the unit's namespace and everything in it match the spec.
	ConditionProvisioned = "Provisioned"
	// ConditionRegistered is True once the Kalyan API has accepted the current spec.
	ConditionRegistered = "Registered"
	// ConditionReady is True when the unit is provisioned, registered and accepting donations.
	ConditionReady = "Ready"
)

// Names of the unit as donors see them.
type Names struct {
	// English name, e.g. "Dhaka Medical College Hospital".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=200
	// +kubebuilder:validation:XValidation:rule="size(self.trim()) > 0",message="must not be blank"
	EN string `json:"en"`
	// Bengali name, e.g. "ঢাকা মেডিকেল কলেজ হাসপাতাল".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=400
	// +kubebuilder:validation:XValidation:rule="size(self.trim()) > 0",message="must not be blank"
	BN string `json:"bn"`
}

// SecretReference points at a Secret in the unit's own namespace (kalyan-<code>). Only there: the
// operator reads the Secret with its own powers and sends its contents to the API, so a reference to
// any other namespace would let whoever may create HospitalUnits read Secrets they cannot read
// themselves (a confused deputy).
type SecretReference struct {
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
	// Namespace of the Secret; it must be the unit's namespace, kalyan-<code>, which is also the default.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=63
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?$`
	Namespace string `json:"namespace,omitempty"`
}

// Taka is a non-negative amount of Bangladeshi taka as a decimal string with at most two decimals,
// e.g. "10000.00". Strings, not numbers, so that no float ever touches money.
// +kubebuilder:validation:Pattern=`^[0-9]{1,13}(\.[0-9]{1,2})?$`
// +kubebuilder:validation:MaxLength=16
type Taka string

// Programme is a disease programme donors may designate, e.g. "cancer".
// +kubebuilder:validation:MaxLength=40
// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`
// +kubebuilder:validation:XValidation:rule="self != 'zakat' && self != 'general'",message="zakat and general are funds, not programmes"
type Programme string

// AllocationSource is a fund that aid is paid from.
// +kubebuilder:validation:Enum=programme;zakat;general
type AllocationSource string

// Subject is a staff member's identity-provider subject (the "sub" claim of their token).
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=255
// +kubebuilder:validation:Pattern=`^[^\s]+$`
type Subject string

// Policy is the unit's money policy, set by its Rogi Kalyan Samiti. Fields left out take the
// platform's defaults.
// +kubebuilder:validation:XValidation:rule="!has(self.minDonation) || !has(self.maxDonation) || double(self.minDonation) <= double(self.maxDonation)",message="minDonation must not exceed maxDonation"
// +kubebuilder:validation:XValidation:rule="!has(self.committeeQuorum) || !has(self.committeeSize) || self.committeeQuorum <= self.committeeSize",message="committeeQuorum must not exceed committeeSize",fieldPath=".committeeQuorum"
type Policy struct {
	// Aid requests above this amount need a second approval.
	// +optional
	// +kubebuilder:validation:XValidation:rule="double(self) > 0.0",message="must be positive"
	ApprovalThreshold Taka `json:"approvalThreshold,omitempty"`
	// Programmes donors may designate.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=32
	Programmes []Programme `json:"programmes,omitempty"`
	// Order in which funds pay approved aid.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=3
	AllocationOrder []AllocationSource `json:"allocationOrder,omitempty"`
	// Smallest gift accepted.
	// +optional
	// +kubebuilder:validation:XValidation:rule="double(self) > 0.0",message="must be positive"
	MinDonation Taka `json:"minDonation,omitempty"`
	// Largest single gift accepted.
	// +optional
	// +kubebuilder:validation:XValidation:rule="double(self) > 0.0",message="must be positive"
	MaxDonation Taka `json:"maxDonation,omitempty"`
	// Checkers are staff, beside the unit's social workers, who may be the second pair of eyes on an
	// aid request (approve below the threshold, confirm a recorded disbursement): in a unit with a
	// single social worker, e.g. the committee's member secretary. Whoever filed or assessed a
	// request never approves it, and whoever recorded a disbursement never confirms it.
	// +optional
	// +listType=set
	// +kubebuilder:validation:MaxItems=10
	Checkers []Subject `json:"checkers,omitempty"`
	// WindowDays is the rolling window, in days, of what a patient received (in any unit, by NID or
	// mobile) that counts toward the approval threshold. Default 90.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=366
	WindowDays *int32 `json:"windowDays,omitempty"`
	// CommitteeQuorum is how many committee members must approve a request above the threshold
	// (N of committeeSize), each recording the meeting's resolution. Default 1.
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=25
	CommitteeQuorum *int32 `json:"committeeQuorum,omitempty"`
	// CommitteeSize is the number of the Samiti committee's members (M).
	// +optional
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=25
	CommitteeSize *int32 `json:"committeeSize,omitempty"`
}

// Quota bounds what may run in the unit's namespace.
type Quota struct {
	// Hard limits of the namespace's ResourceQuota; resources left out take the operator's defaults.
	// +optional
	Hard corev1.ResourceList `json:"hard,omitempty"`
}

// HospitalUnitSpec declares one hospital social service unit.
// +kubebuilder:validation:XValidation:rule="self.level != 'upazila' || (has(self.upazila) && size(self.upazila) > 0)",message="upazila is required for an upazila health complex"
// +kubebuilder:validation:XValidation:rule="!has(self.bkashSecretRef) || !has(self.bkashSecretRef.__namespace__) || self.bkashSecretRef.__namespace__ == 'kalyan-' + self.code",message="bkashSecretRef must name a Secret in the unit's own namespace, kalyan-<code>",reason=FieldValueForbidden,fieldPath=".bkashSecretRef.namespace"
type HospitalUnitSpec struct {
	// Code is the unit's short, stable, DNS-safe identifier (e.g. "dmch", "uhc-debidwar"). It names the
	// namespace kalyan-<code> and appears in donation links and receipt serials, so it never changes.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=40
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$`
	// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="code is immutable"
	Code string `json:"code"`
	// Names of the unit in English and Bengali.
	Names Names `json:"names"`
	// Level of the hospital.
	Level Level `json:"level"`
	// Division the hospital is in, e.g. "Dhaka".
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	Division string `json:"division"`
	// District the hospital is in.
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=100
	District string `json:"district"`
	// Upazila the hospital is in; required for upazila health complexes.
	// +optional
	// +kubebuilder:validation:MaxLength=100
	Upazila string `json:"upazila,omitempty"`
	// BKashSecretRef names the Secret holding the unit's own bKash merchant credentials (keys username,
	// password, appKey, appSecret). Without it the API uses the platform's configured merchant.
	// +optional
	BKashSecretRef *SecretReference `json:"bkashSecretRef,omitempty"`
	// Policy is the unit's money policy.
	// +optional
	Policy Policy `json:"policy,omitempty"`
	// Contact is where donors reach the unit's social service office, shown on its public page. Left out,
	// the unit keeps the contact last set (through the API or an earlier spec).
	// +optional
	Contact *Contact `json:"contact,omitempty"`
	// Quota of the unit's namespace.
	// +optional
	Quota Quota `json:"quota,omitempty"`
	// AdminGroup is the group bound to the unit's admin Role; defaults to "kalyan:unit-admins:<code>".
	// Groups the API server assigns itself ("system:…": every authenticated user, every service account,
	// the nodes) are refused: binding one would hand the unit's bKash Secret to all of them.
	// +optional
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[^\s]+$`
	// +kubebuilder:validation:XValidation:rule="!self.startsWith('system:')",message="adminGroup must not be a system: group",reason=FieldValueForbidden
	AdminGroup string `json:"adminGroup,omitempty"`
}

// Contact is a unit's public contact: its office, a telephone and an e-mail address (at least one).
// +kubebuilder:validation:XValidation:rule="has(self.office) || has(self.phone) || has(self.email)",message="contact needs an office, a phone or an e-mail address"
type Contact struct {
	// Office is where the social service office is, as a visitor would find it.
	// +optional
	// +kubebuilder:validation:MaxLength=200
	Office string `json:"office,omitempty"`
	// Phone is a telephone number: digits, an optional leading +, spaces or dashes.
	// +optional
	// +kubebuilder:validation:Pattern=`^\+?[0-9][0-9 -]{4,22}[0-9]$`
	Phone string `json:"phone,omitempty"`
	// Email is the office's e-mail address.
	// +optional
	// +kubebuilder:validation:MaxLength=254
	Email string `json:"email,omitempty"`
}

// HospitalUnitStatus is what the operator last observed and did.
type HospitalUnitStatus struct {
	// Conditions Provisioned, Registered and Ready.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`
	// ObservedGeneration is the generation the status describes.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`
	// Namespace holding the unit's secrets and access rules.
	// +optional
	Namespace string `json:"namespace,omitempty"`
	// DonationURL is the unit's public donation link, as returned by the API.
	// +optional
	DonationURL string `json:"donationURL,omitempty"`
	// RegisteredHash is a digest of the registration the API last accepted (secrets included, so it is
	// salted by the 32-byte signing key); a different digest means the API must be told again.
	// +optional
	RegisteredHash string `json:"registeredHash,omitempty"`
	// SigningKeyFingerprint identifies the receipt signing key the unit was provisioned with: hex of the
	// first 16 bytes of the SHA-256 of its Ed25519 public key. Once set, a missing key Secret is
	// reported instead of silently replaced.
	// +optional
	SigningKeyFingerprint string `json:"signingKeyFingerprint,omitempty"`
	// LastRegistered is when the API last accepted the registration.
	// +optional
	LastRegistered *metav1.Time `json:"lastRegistered,omitempty"`
}

// HospitalUnit is one hospital social service unit: a tenant of the Kalyan platform. The operator
// gives it a namespace (quota, network policy, admin RBAC, receipt signing key), registers it with
// the Kalyan API and archives it there when the HospitalUnit is deleted.
//
// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:scope=Cluster,shortName=hu,categories=kalyan
// +kubebuilder:printcolumn:name="Level",type=string,JSONPath=`.spec.level`
// +kubebuilder:printcolumn:name="District",type=string,JSONPath=`.spec.district`
// +kubebuilder:printcolumn:name="Ready",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Ready")].reason`
// +kubebuilder:printcolumn:name="Namespace",type=string,JSONPath=`.status.namespace`,priority=1
// +kubebuilder:printcolumn:name="Donation URL",type=string,JSONPath=`.status.donationURL`,priority=1
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`
// +kubebuilder:validation:XValidation:rule="self.metadata.name == self.spec.code",message="metadata.name must equal spec.code"
type HospitalUnit struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	Spec   HospitalUnitSpec   `json:"spec"`
	Status HospitalUnitStatus `json:"status,omitempty"`
}

// HospitalUnitList is a list of HospitalUnits.
//
// +kubebuilder:object:root=true
type HospitalUnitList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	Items           []HospitalUnit `json:"items"`
}

// NamespaceName is the namespace the operator provisions for the unit with the given code.
func NamespaceName(code string) string { return "kalyan-" + code }
