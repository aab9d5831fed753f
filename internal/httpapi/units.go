package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

type unitNames struct {
	EN string `json:"en"`
	BN string `json:"bn"`
}

type unitPolicyJSON struct {
	ApprovalThreshold string   `json:"approvalThreshold,omitempty"`
	Programmes        []string `json:"programmes,omitempty"`
	AllocationOrder   []string `json:"allocationOrder,omitempty"`
	MinDonation       string   `json:"minDonation,omitempty"`
	MaxDonation       string   `json:"maxDonation,omitempty"`
	// Approval rules. Checkers (identity-provider subjects) are staff
	// identities: shown to platform admins only, never on the public unit.
	Checkers        []string `json:"checkers,omitempty"`
	WindowDays      *int     `json:"windowDays,omitempty"`
	CommitteeQuorum *int     `json:"committeeQuorum,omitempty"`
	CommitteeSize   *int     `json:"committeeSize,omitempty"`
}

type merchantJSON struct {
	Username  string `json:"username"`
	Password  string `json:"password"`
	AppKey    string `json:"appKey"`
	AppSecret string `json:"appSecret"`
	// ShortCode is the merchant wallet's number (optional): gifts made to
	// it in the bKash app can be claimed only when it is known.
	ShortCode string `json:"shortCode"`
}

// unitRegistration is the admin PUT body. bkash and signingKey are
// write-only secrets synchronised by the operator from Kubernetes Secrets.
type unitRegistration struct {
	Names      unitNames       `json:"names"`
	Level      string          `json:"level"`
	Division   string          `json:"division"`
	District   string          `json:"district"`
	Upazila    string          `json:"upazila"`
	Policy     unitPolicyJSON  `json:"policy"`
	BKash      json.RawMessage `json:"bkash,omitempty"`
	SigningKey string          `json:"signingKey,omitempty"`
}

type unitJSON struct {
	Code        string         `json:"code"`
	Names       unitNames      `json:"names"`
	Level       string         `json:"level"`
	Division    string         `json:"division"`
	District    string         `json:"district"`
	Upazila     string         `json:"upazila,omitempty"`
	Policy      unitPolicyJSON `json:"policy"`
	Status      string         `json:"status"`
	DonationURL string         `json:"donationURL"`
}

func (h *handlers) unitJSON(u *units.Unit) unitJSON {
	return unitJSON{
		Code: u.Code, Names: unitNames{EN: u.Names.EN, BN: u.Names.BN}, Level: string(u.Level),
		Division: u.Division, District: u.District, Upazila: u.Upazila, Status: string(u.Status),
		DonationURL: h.PublicURL + "/d/" + u.Code,
		Policy: unitPolicyJSON{
			ApprovalThreshold: u.Policy.ApprovalThreshold.String(), Programmes: u.Policy.Programmes,
			AllocationOrder: u.Policy.AllocationOrder, MinDonation: u.Policy.MinDonation.String(), MaxDonation: u.Policy.MaxDonation.String(),
			WindowDays: ptr(int(u.Policy.Window().Hours() / 24)), CommitteeQuorum: ptr(u.Policy.Quorum()),
		},
	}
}

func ptr[T any](v T) *T { return &v }

// adminUnitJSON is the unit as its registration answers it: with the
// policy's named checkers and committee size.
func (h *handlers) adminUnitJSON(u *units.Unit) unitJSON {
	out := h.unitJSON(u)
	out.Policy.Checkers = u.Policy.Checkers
	if u.Policy.CommitteeSize > 0 {
		out.Policy.CommitteeSize = ptr(u.Policy.CommitteeSize)
	}
	return out
}

func (h *handlers) putUnit(c *fiber.Ctx) error {
	var body unitRegistration
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	u := &units.Unit{
		Code: c.Params("code"), Names: units.Names{EN: strings.TrimSpace(body.Names.EN), BN: strings.TrimSpace(body.Names.BN)},
		Level: units.Level(body.Level), Division: body.Division, District: body.District, Upazila: body.Upazila,
		Policy: units.DefaultPolicy(),
	}
	var v validation.Errors
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
	amount("approvalThreshold", body.Policy.ApprovalThreshold, &u.Policy.ApprovalThreshold)
	amount("minDonation", body.Policy.MinDonation, &u.Policy.MinDonation)
	amount("maxDonation", body.Policy.MaxDonation, &u.Policy.MaxDonation)
	if body.Policy.Programmes != nil {
		u.Policy.Programmes = body.Policy.Programmes
	}
	if body.Policy.AllocationOrder != nil {
		u.Policy.AllocationOrder = body.Policy.AllocationOrder
	}
	if body.Policy.Checkers != nil {
		u.Policy.Checkers = body.Policy.Checkers
	}
	for _, f := range []struct {
		src *int
		dst *int
	}{{body.Policy.WindowDays, &u.Policy.WindowDays}, {body.Policy.CommitteeQuorum, &u.Policy.CommitteeQuorum}, {body.Policy.CommitteeSize, &u.Policy.CommitteeSize}} {
		if f.src != nil {
			*f.dst = *f.src
		}
	}
	mc, err := merchantChange(body.BKash, &v)
	if err != nil {
		return err
	}
	seed, err := parseSigningKey(body.SigningKey)
	v.AddErr("signingKey", err)
	if err := v.Err(); err != nil {
		return err
	}
	created, err := h.Units.RegisterWith(c.UserContext(), u, mc)
	if errors.Is(err, app.ErrMerchantChecksLimited) {
		c.Set(fiber.HeaderRetryAfter, "3600")
	}
	if err != nil {
		return err
	}
	if err := h.installKey(c, u, seed); err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(h.adminUnitJSON(u))
}

// merchantChange reads the write-only bkash member: absent keeps the unit's
// merchant, null removes it (back to the platform's), an object sets it.
func merchantChange(raw json.RawMessage, v *validation.Errors) (app.MerchantChange, error) {
	if raw == nil {
		return app.MerchantChange{}, nil
	}
	if string(raw) == "null" {
		return app.MerchantChange{Remove: true}, nil
	}
	var b merchantJSON
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		// Say what is wrong without echoing any of the secret values.
		return app.MerchantChange{}, webkit.FieldProblem(fiber.StatusBadRequest, "bkash", "must be null or an object with string members username, password, appKey and appSecret")
	}
	if b.Username == "" || b.Password == "" || b.AppKey == "" || b.AppSecret == "" {
		v.Add("bkash", "needs username, password, appKey and appSecret")
	}
	for _, f := range [...]struct{ name, val string }{{"username", b.Username}, {"password", b.Password}, {"appKey", b.AppKey}, {"appSecret", b.AppSecret}} {
		// They travel in HTTP headers and bodies to bKash, which issues them
		// as plain ASCII.
		if len(f.val) > 256 || strings.ContainsFunc(f.val, func(r rune) bool { return r <= ' ' || r > '~' }) {
			v.Add("bkash."+f.name, "must be at most 256 printable ASCII characters without spaces")
		}
	}
	if b.ShortCode != "" && !validShortCode(b.ShortCode) {
		v.Add("bkash.shortCode", "must be the merchant wallet number, 11 digits starting with 01")
	}
	return app.MerchantChange{Set: &app.MerchantCredentials{Username: b.Username, Password: b.Password, AppKey: b.AppKey, AppSecret: b.AppSecret, ShortCode: b.ShortCode}}, nil
}

// validShortCode: a bKash merchant wallet number, 01 and nine digits.
func validShortCode(s string) bool {
	if len(s) != 11 || !strings.HasPrefix(s, "01") {
		return false
	}
	return !strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })
}

func (h *handlers) archiveUnit(c *fiber.Ctx) error {
	if err := h.Units.Archive(c.UserContext(), c.Params("code")); err != nil {
		return err
	}
	return c.SendStatus(fiber.StatusNoContent)
}

func (h *handlers) getUnit(c *fiber.Ctx) error {
	u, err := h.Units.Servable(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	return c.JSON(h.unitJSON(u))
}
