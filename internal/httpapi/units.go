package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/unitwire"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// unitNames is how every answer names a unit (links, receipts, units).
type unitNames = unitwire.Names

func (h *handlers) unitJSON(u *units.Unit) unitwire.Unit {
	return unitwire.PublicUnit(u, h.PublicURL+"/d/"+u.Code)
}

// adminUnitJSON is the unit as its registration answers it: with the
// policy's named checkers and committee size.
func (h *handlers) adminUnitJSON(u *units.Unit) unitwire.Unit {
	return unitwire.AdminUnit(u, h.PublicURL+"/d/"+u.Code)
}

func (h *handlers) putUnit(c *fiber.Ctx) error {
	var body unitwire.Registration
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	var v validation.Errors
	u := body.ToUnit(c.Params("code"), &v)
	unitContact(body.Contact, u, &v)
	mc, err := merchantChange(body.BKash, &v)
	if err != nil {
		return err
	}
	seed, err := parseSigningKey(body.SigningKey)
	v.AddErr("signingKey", err)
	if err := v.Err(); err != nil {
		return err
	}
	created, err := h.Registry.Put(c.UserContext(), u, mc, seed)
	if errors.Is(err, app.ErrMerchantChecksLimited) {
		c.Set(fiber.HeaderRetryAfter, "3600")
	}
	if err != nil {
		return err
	}
	status := fiber.StatusOK
	if created {
		status = fiber.StatusCreated
	}
	return c.Status(status).JSON(h.adminUnitJSON(u))
}

// unitContact reads the contact member into u for the registry: absent
// leaves u.Contact nil, which keeps the stored unit's (the operator's PUTs
// do not carry it); null sets it empty, which removes it.
func unitContact(raw json.RawMessage, u *units.Unit, v *validation.Errors) {
	switch {
	case raw == nil:
	case string(raw) == "null":
		u.Contact = &units.Contact{}
	default:
		var ct units.Contact
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&ct); err != nil {
			v.Add("contact", "must be an object with office, phone and email strings, or null")
			return
		}
		if ct == (units.Contact{}) {
			v.Add("contact", "must give an office, a phone or an e-mail address, or be null")
			return
		}
		u.Contact = &ct
	}
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
	var b unitwire.Merchant
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
