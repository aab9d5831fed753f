package console

import (
	"bytes"
	"errors"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// Campaign links (unit admins): the unit's links with what was given
// through each, a form that creates one through the links use case (the
// API's POST /units/{code}/links), switching a link off and on, and its A4
// poster for the notice board.

var linkRoles = []auth.Role{auth.UnitAdmin}

type linkRow struct {
	Slug, Title, URL, Kind, Programme, Presets string
	Goal, Given, Gifts, Ends, Status           string
	Disabled                                   bool
	Toggle, Poster                             string
}

type linksView struct {
	consoleView
	Rows                                  []linkRow
	Action                                string
	Slug, TitleBN, TitleEN, Presets, Goal webkit.Field
	Ends                                  webkit.Field
	Kind, Programme                       selectField
	HasProgrammes                         bool
}

var linkFields = []string{"slug", "title_bn", "title_en", "kind", "programme", "presets", "goal", "ends"}

func (cs *console) linksPage(c *fiber.Ctx) error {
	unit, err := cs.unitOf(c, linkRoles...)
	if err != nil {
		return err
	}
	return cs.renderLinks(c, fiber.StatusOK, unit, map[string]string{}, &webkit.FormErrors{})
}

func (cs *console) renderLinks(c *fiber.Ctx, status int, unit string, form map[string]string, fe *webkit.FormErrors) error {
	ctx := c.UserContext()
	l := webkit.Lang(c)
	u, err := cs.h.Units.Get(ctx, unit)
	if err != nil {
		return err
	}
	ls, err := cs.h.Links.ForUnit(ctx, unit)
	if err != nil {
		return err
	}
	totals, err := cs.h.Links.Totals(ctx, ls)
	if err != nil {
		return err
	}
	v := &linksView{consoleView: cs.base(c, l, unit, l.T("console.links.title"), "/console/links")}
	v.Action = "/console/links" + v.UnitQ
	now := time.Now()
	for _, k := range ls {
		t := totals[k.Slug]
		r := linkRow{Slug: k.Slug, Title: pick(l, k.TitleBN, k.TitleEN), URL: cs.h.PublicURL + "/d/" + k.Slug,
			Given: l.Money(t.Amount), Gifts: l.Digits(strconv.Itoa(t.Gifts)), Disabled: k.Disabled,
			Toggle: "/console/links/" + url.PathEscape(k.Slug) + "/enable" + v.UnitQ,
			Poster: "/console/links/" + url.PathEscape(k.Slug) + "/poster.pdf" + v.UnitQ}
		if !k.Disabled {
			r.Toggle = "/console/links/" + url.PathEscape(k.Slug) + "/disable" + v.UnitQ
		}
		if k.Kind != "" {
			r.Kind = l.Kind(k.Kind)
		}
		if k.Programme != "" {
			r.Programme = l.Programme(k.Programme)
		}
		var ps []string
		for _, a := range k.Amounts {
			ps = append(ps, l.Money(a))
		}
		r.Presets = strings.Join(ps, ", ")
		if k.Goal > 0 {
			r.Goal = l.Money(k.Goal)
		}
		if !k.EndsAt.IsZero() {
			r.Ends = l.Digits(k.EndsAt.In(dhaka).Format("2006-01-02"))
		}
		switch err := k.Usable(now); {
		case errors.Is(err, links.ErrDisabled):
			r.Status = l.T("console.links.status.disabled")
		case errors.Is(err, links.ErrExpired):
			r.Status = l.T("console.links.status.ended")
		default:
			r.Status = l.T("console.links.status.open")
		}
		v.Rows = append(v.Rows, r)
	}
	field := func(id, typ, mode string, required bool) webkit.Field {
		return webkit.Field{ID: id, Name: id, Type: typ, InputMode: mode, Autocomplete: "off", Label: l.T("console.links.f." + id),
			Hint: hintOf(l, "console.links.f."+id+"-hint"), Err: fe.Get(id), Value: form[id], Required: required}
	}
	v.Slug = field("slug", "text", "", true)
	v.TitleBN = field("title_bn", "text", "", false)
	v.TitleEN = field("title_en", "text", "", false)
	v.Presets = field("presets", "text", "decimal", false)
	v.Goal = field("goal", "text", "decimal", false)
	v.Ends = field("ends", "date", "", false)
	v.Kind = selectField{ID: "kind", Name: "kind", Label: l.T("console.links.f.kind"), Err: fe.Get("kind"), Blank: l.T("console.links.f.any-kind")}
	for _, k := range []string{"zakat", "sadaqah", "general"} {
		v.Kind.Options = append(v.Kind.Options, webkit.Choice{Value: k, Label: l.Kind(k), Checked: form["kind"] == k})
	}
	v.Programme = selectField{ID: "programme", Name: "programme", Label: l.T("console.cash.f.programme"), Err: fe.Get("programme"),
		Blank: l.T("console.cash.f.no-programme")}
	for _, p := range u.Policy.Programmes {
		v.Programme.Options = append(v.Programme.Options, webkit.Choice{Value: p, Label: l.Programme(p), Checked: form["programme"] == p})
	}
	v.HasProgrammes = len(u.Policy.Programmes) > 0
	pg := webkit.NewPage(c, l, v.Heading, v)
	pg.Errors = fe.List
	return moneyPages.Render(c, status, "console_links", pg)
}

func hintOf(l i18n.Lang, key string) string {
	if i18n.Has(key) {
		return l.T(key)
	}
	return ""
}

func pick(l i18n.Lang, bn, en string) string {
	if (l == i18n.EN && en != "") || bn == "" {
		return en
	}
	return bn
}

// createLink adds a campaign link from the form; nothing is stored unless
// every field is valid.
func (cs *console) createLink(c *fiber.Ctx) error {
	unit, err := cs.unitOf(c, linkRoles...)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	form := make(map[string]string, len(linkFields))
	for _, f := range linkFields {
		form[f] = strings.TrimSpace(c.FormValue(f))
	}
	fe := &webkit.FormErrors{}
	k := &links.Link{Slug: strings.ToLower(form["slug"]), TitleBN: form["title_bn"], TitleEN: form["title_en"], Kind: form["kind"],
		Programme: form["programme"], CreatedBy: webkit.Caller(c).Subject}
	for _, s := range strings.FieldsFunc(i18n.ASCIIDigits(form["presets"]), func(r rune) bool { return r == ' ' || r == ';' || r == '/' }) {
		// "500, 1,000" and "500 1000" both work: a comma followed by
		// three digits groups a number; otherwise it separates two.
		for _, part := range splitPresets(s) {
			a, err := money.Parse(part)
			if err != nil {
				fe.Add("presets", l.T("console.links.err.presets"))
				break
			}
			k.Amounts = append(k.Amounts, a)
		}
	}
	if g := i18n.NormalizeNumber(form["goal"]); g != "" {
		a, err := money.Parse(g)
		if err != nil {
			fe.Add("goal", l.T("console.links.err.goal"))
		}
		k.Goal = a
	}
	if form["ends"] != "" {
		// The campaign runs to the end of that day in Bangladesh.
		d, err := time.ParseInLocation("2006-01-02", i18n.ASCIIDigits(form["ends"]), dhaka)
		if err != nil {
			fe.Add("ends", l.T("console.links.err.ends"))
		}
		k.EndsAt = d.AddDate(0, 0, 1).UTC()
	}
	if len(fe.List) > 0 {
		// Say everything wrong at once: the rest of the form is checked
		// as the use case would, and nothing is stored.
		u, err := cs.h.Units.Get(c.UserContext(), unit)
		if err != nil {
			return err
		}
		linkErrors(l, fe, k.Validate(u, time.Now()))
	} else {
		err = cs.h.Links.Create(c.UserContext(), unit, k)
		var ve validation.Errors
		switch {
		case errors.Is(err, links.ErrTaken):
			fe.Add("slug", l.T("console.links.err.taken"))
		case errors.As(err, &ve):
			linkErrors(l, fe, ve)
		case err != nil:
			return err
		}
	}
	if len(fe.List) > 0 {
		return cs.renderLinks(c, fiber.StatusUnprocessableEntity, unit, form, fe)
	}
	return c.Redirect("/console/links"+unitQ(c)+"#link-"+url.PathEscape(k.Slug), fiber.StatusSeeOther)
}

// linkErrors says the links use case's field errors in the page's
// language, keyed by the input to fix (first error of a field wins).
func linkErrors(l i18n.Lang, fe *webkit.FormErrors, err error) {
	var ve validation.Errors
	if !errors.As(err, &ve) {
		return
	}
	add := func(id, key string) {
		if fe.Get(id) == "" {
			fe.Add(id, l.T(key))
		}
	}
	for _, e := range ve {
		switch e.Field {
		case "slug":
			add("slug", "console.links.err.slug")
		case "title", "title.bn":
			add("title_bn", "console.links.err.title")
		case "title.en":
			add("title_en", "console.links.err.title")
		case "kind":
			add("kind", "console.cash.err.kind")
		case "programme":
			add("programme", "console.cash.err.programme")
		case "amounts":
			add("presets", "console.links.err.presets-range")
		case "endsAt":
			add("ends", "console.links.err.ends")
		default:
			add("goal", "console.links.err.goal")
		}
	}
}

// splitPresets splits "500,1,000" at the commas that do not group digits.
func splitPresets(s string) []string {
	var out []string
	cur := ""
	for i, part := range strings.Split(s, ",") {
		switch {
		case part == "":
		case i > 0 && cur != "" && len(part) == 3 && strings.Trim(part, "0123456789") == "":
			cur += part
		default:
			if cur != "" {
				out = append(out, cur)
			}
			cur = part
		}
	}
	if cur != "" {
		out = append(out, cur)
	}
	return out
}

// linkOf is the route's link, for a unit admin of its unit (404 for
// anyone else's, as Authorize answers another unit's aid request).
func (cs *console) linkOf(c *fiber.Ctx) (*links.Link, error) {
	k, err := cs.h.Links.Get(c.UserContext(), c.Params("slug"))
	if errors.Is(err, links.ErrNotFound) {
		return nil, webkit.NewProblem(fiber.StatusNotFound, "link-not-found", "No such donation link", "")
	}
	if err != nil {
		return nil, err
	}
	if err := webkit.ActOn(c, k.Unit, linkRoles...); err != nil {
		return nil, err
	}
	return k, nil
}

func (cs *console) setLinkDisabled(disabled bool) fiber.Handler {
	return func(c *fiber.Ctx) error {
		k, err := cs.linkOf(c)
		if err != nil {
			return err
		}
		if err := cs.h.Links.SetDisabled(c.UserContext(), k.Slug, disabled); err != nil {
			return err
		}
		return c.Redirect("/console/links"+unitQ(c)+"#link-"+url.PathEscape(k.Slug), fiber.StatusSeeOther)
	}
}

// linkPoster prints the link's A4 poster.
func (cs *console) linkPoster(c *fiber.Ctx) error {
	k, err := cs.linkOf(c)
	if err != nil {
		return err
	}
	u, err := cs.h.Units.Get(c.UserContext(), k.Unit)
	if err != nil {
		return err
	}
	full := cs.h.PublicURL + "/d/" + k.Slug
	short := strings.TrimPrefix(strings.TrimPrefix(full, "https://"), "http://")
	var buf bytes.Buffer
	err = cs.h.PDF.RenderPoster(&buf, receiptpdf.Poster{UnitBN: u.Names.BN, UnitEN: u.Names.EN, TitleBN: k.TitleBN, TitleEN: k.TitleEN,
		URL: full, ShortURL: short, Kind: k.Kind, Programme: k.Programme, Goal: k.Goal, EndsAt: k.EndsAt})
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/pdf")
	c.Set(fiber.HeaderContentDisposition, `inline; filename="poster-`+k.Slug+`.pdf"`)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	return c.Send(buf.Bytes())
}
