package httpapi

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/qrcode"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

type linkRequest struct {
	Slug      string     `json:"slug"`
	Title     unitNames  `json:"title"`
	Kind      string     `json:"kind"`
	Programme string     `json:"programme"`
	Amounts   []string   `json:"amounts"`
	EndsAt    *time.Time `json:"endsAt"`
}

type linkJSON struct {
	Slug      string     `json:"slug"`
	URL       string     `json:"url"`
	QRPNG     string     `json:"qrPNG"`
	QRSVG     string     `json:"qrSVG"`
	Unit      string     `json:"unit"`
	Title     unitNames  `json:"title"`
	Kind      string     `json:"kind,omitempty"`
	Programme string     `json:"programme,omitempty"`
	Amounts   []string   `json:"amounts,omitempty"`
	EndsAt    *time.Time `json:"endsAt,omitempty"`
	Disabled  bool       `json:"disabled"`
}

func (h *handlers) linkJSON(l *links.Link) linkJSON {
	url := h.PublicURL + "/d/" + l.Slug
	out := linkJSON{Slug: l.Slug, URL: url, QRPNG: url + "/qr.png", QRSVG: url + "/qr.svg", Unit: l.Unit,
		Title: unitNames{EN: l.TitleEN, BN: l.TitleBN}, Kind: l.Kind, Programme: l.Programme, Disabled: l.Disabled}
	for _, a := range l.Amounts {
		out.Amounts = append(out.Amounts, a.String())
	}
	if !l.EndsAt.IsZero() {
		t := l.EndsAt
		out.EndsAt = &t
	}
	return out
}

// createLink adds a campaign link (unit admins).
func (h *handlers) createLink(c *fiber.Ctx) error {
	code := c.Params("code")
	p, err := h.StaffOf(c, code, auth.UnitAdmin)
	if err != nil {
		return err
	}
	var body linkRequest
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	l := &links.Link{Slug: body.Slug, TitleEN: body.Title.EN, TitleBN: body.Title.BN, Kind: body.Kind, Programme: body.Programme, CreatedBy: p.Subject}
	var v validation.Errors
	for _, s := range body.Amounts {
		a, err := money.Parse(s)
		if err != nil {
			v.AddErr("amounts", err)
			continue
		}
		l.Amounts = append(l.Amounts, a)
	}
	if err := v.Err(); err != nil {
		return err
	}
	if body.EndsAt != nil {
		l.EndsAt = body.EndsAt.UTC()
	}
	err = h.Links.Create(c.UserContext(), code, l)
	if errors.Is(err, links.ErrTaken) {
		return webkit.FieldProblem(fiber.StatusConflict, "slug", "is already taken")
	}
	if err != nil {
		return err
	}
	c.Location(h.PublicURL + "/d/" + l.Slug)
	return c.Status(fiber.StatusCreated).JSON(h.linkJSON(l))
}

// listLinks lists a unit's campaign links (its staff).
func (h *handlers) listLinks(c *fiber.Ctx) error {
	code := c.Params("code")
	if _, err := h.StaffOf(c, code, auth.UnitAdmin, auth.SocialWorker, auth.Committee); err != nil {
		return err
	}
	ls, err := h.Links.Store.ForUnit(c.UserContext(), code)
	if err != nil {
		return err
	}
	out := make([]linkJSON, len(ls))
	for i := range ls {
		out[i] = h.linkJSON(&ls[i])
	}
	return c.JSON(fiber.Map{"links": out})
}

func (h *handlers) setLinkDisabled(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		l, err := h.Links.Store.Get(c.UserContext(), c.Params("slug"))
		if errors.Is(err, links.ErrNotFound) {
			return webkit.NewProblem(fiber.StatusNotFound, "link-not-found", "No such donation link", "")
		}
		if err != nil {
			return err
		}
		if _, err := h.StaffOf(c, l.Unit, auth.UnitAdmin); err != nil {
			return err
		}
		if err := h.Links.Store.SetDisabled(c.UserContext(), l.Slug, disabled); err != nil {
			return err
		}
		l.Disabled = disabled
		return c.JSON(h.linkJSON(l))
	}
}

// linkQR serves a printable QR code of /d/{slug} (PNG or SVG). A QR code
// is still served for an ended link: posters outlive campaigns, and the
// page it opens says kindly that the campaign has ended.
func (h *handlers) linkQR(c *fiber.Ctx) error {
	l, u, err := h.Links.Resolve(c.UserContext(), c.Params("slug"))
	if l == nil || u == nil {
		if err == nil || errors.Is(err, links.ErrNotFound) {
			return webkit.NewProblem(fiber.StatusNotFound, "link-not-found", "No such donation link", "")
		}
		return err
	}
	url := h.PublicURL + "/d/" + l.Slug
	c.Set(fiber.HeaderCacheControl, "public, max-age=86400")
	if c.Params("format") == "svg" {
		b, err := qrcode.SVG(url, u.Names.BN+" · "+u.Names.EN)
		if err != nil {
			return err
		}
		c.Set(fiber.HeaderContentType, "image/svg+xml")
		return c.Send(b)
	}
	b, err := qrcode.PNG(url, 10)
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "image/png")
	return c.Send(b)
}
