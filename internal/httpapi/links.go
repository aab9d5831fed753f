package httpapi

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

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
	Goal      string     `json:"goal"`
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
	Goal      string     `json:"goal,omitempty"`
	EndsAt    *time.Time `json:"endsAt,omitempty"`
	Disabled  bool       `json:"disabled"`
	// Given is what was given through the link (the list only).
	Given *linkGiven `json:"given,omitempty"`
}

type linkGiven struct {
	Gifts  int    `json:"gifts"`
	Amount string `json:"amount"`
}

func (h *handlers) linkJSON(l *links.Link) linkJSON {
	url := h.PublicURL + "/d/" + l.Slug
	out := linkJSON{Slug: l.Slug, URL: url, QRPNG: url + "/qr.png", QRSVG: url + "/qr.svg", Unit: l.Unit,
		Title: unitNames{EN: l.TitleEN, BN: l.TitleBN}, Kind: l.Kind, Programme: l.Programme, Disabled: l.Disabled}
	for _, a := range l.Amounts {
		out.Amounts = append(out.Amounts, a.String())
	}
	if l.Goal > 0 {
		out.Goal = l.Goal.String()
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
	p := webkit.Caller(c)
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
	if body.Goal != "" {
		g, err := money.Parse(body.Goal)
		if err != nil {
			v.AddErr("goal", err)
		}
		l.Goal = g
	}
	if err := v.Err(); err != nil {
		return err
	}
	if body.EndsAt != nil {
		l.EndsAt = body.EndsAt.UTC()
	}
	err := h.Links.Create(c.UserContext(), code, l)
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
	ls, err := h.Links.ForUnit(c.UserContext(), code)
	if err != nil {
		return err
	}
	totals, err := h.Links.Totals(c.UserContext(), ls)
	if err != nil {
		return err
	}
	out := make([]linkJSON, len(ls))
	for i := range ls {
		out[i] = h.linkJSON(&ls[i])
		t := totals[ls[i].Slug]
		out[i].Given = &linkGiven{Gifts: t.Gifts, Amount: t.Amount.String()}
	}
	return c.JSON(fiber.Map{"links": out})
}

// linkUnit names the unit of the link in the route's :slug (for
// Authorize); the handler finds the link in the request's locals.
func (h *handlers) linkUnit(c *fiber.Ctx) (string, error) {
	l, err := h.Links.Get(c.UserContext(), c.Params("slug"))
	if errors.Is(err, links.ErrNotFound) {
		return "", webkit.NewProblem(fiber.StatusNotFound, "link-not-found", "No such donation link", "")
	}
	if err != nil {
		return "", err
	}
	c.Locals(linkKey, l)
	return l.Unit, nil
}

const linkKey = "link"

func (h *handlers) setLinkDisabled(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		l, _ := c.Locals(linkKey).(*links.Link)
		if err := h.Links.SetDisabled(c.UserContext(), l.Slug, disabled); err != nil {
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
