package donorweb

import (
	"html/template"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// The short trust pages the footer links (issue 19): how the rebate works,
// privacy, the refund policy, and contact and complaints per unit. Their
// text is the catalogue's; the legal sentence is the footer's own
// ("legal.rebate"), so the site says it one way.

// infoSection is a heading (optional) and its paragraphs or steps.
type infoSection struct {
	Heading string
	Paras   []string
	Steps   []string
}

type infoView struct {
	Heading  string
	Lead     string
	Sections []infoSection
	Links    []webkit.Link
}

func infoPage(key string, build func(l i18n.Lang) *infoView) fiber.Handler {
	return func(c *fiber.Ctx) error {
		l := webkit.Lang(c)
		v := build(l)
		return pages.Render(c, fiber.StatusOK, "info", webkit.NewPage(c, l, l.T(key), v))
	}
}

func rebateView(l i18n.Lang) *infoView {
	return &infoView{Heading: l.T("rebate.title"), Lead: l.T("legal.rebate"), Sections: []infoSection{
		{Paras: []string{l.T("rebate.who")}},
		{Heading: l.T("rebate.steps"), Steps: []string{l.T("rebate.s1"), l.T("rebate.s2"), l.T("rebate.s3"), l.T("rebate.s4")}},
		{Paras: []string{l.T("rebate.refund")}},
	}, Links: []webkit.Link{{Label: l.T("rebate.statement-link"), Href: "/statement"}, {Label: l.T("footer.refunds"), Href: "/refunds"}}}
}

func privacyView(l i18n.Lang) *infoView {
	return &infoView{Heading: l.T("privacy.title"), Sections: []infoSection{
		{Heading: l.T("privacy.what-h"), Paras: []string{l.T("privacy.what")}},
		{Heading: l.T("privacy.who-h"), Paras: []string{l.T("privacy.who"), l.T("privacy.logs")}},
		{Heading: l.T("privacy.keep-h"), Paras: []string{l.T("privacy.keep")}},
	}, Links: []webkit.Link{{Label: l.T("privacy.my-link"), Href: "/my"}}}
}

func refundsView(l i18n.Lang) *infoView {
	return &infoView{Heading: l.T("refunds.title"), Sections: []infoSection{
		{Paras: []string{l.T("refunds.when"), l.T("refunds.how"), l.T("refunds.spent"), l.T("refunds.note")}},
	}, Links: []webkit.Link{{Label: l.T("footer.contact"), Href: "/contact"}, {Label: l.T("footer.rebate"), Href: "/rebate"}}}
}

// contactView is the contact page: the national advice, a search for a
// unit, and with ?unit= that unit's contact.
type contactView struct {
	Q, QErr  string
	Results  []webkit.Link
	More     bool
	Searched bool
	Unit     *unitContactView
}

// unitContactView is one unit's contact block (contact page, unit page).
type unitContactView struct {
	L                    i18n.Lang
	Name, AccountsURL    string
	Office, Phone, Email string
	// Tel and MailTo are built from the validated contact (units.Contact).
	Tel, MailTo template.URL
}

func newUnitContact(l i18n.Lang, u *units.Unit) *unitContactView {
	v := &unitContactView{L: l, Name: webkit.UnitName(l, u), AccountsURL: "/u/" + url.PathEscape(u.Code)}
	if ct := u.Contact; ct != nil {
		v.Office, v.Phone, v.Email = ct.Office, l.Digits(ct.Phone), ct.Email
		if ct.Phone != "" {
			v.Tel = template.URL("tel:" + strings.NewReplacer(" ", "", "-", "").Replace(ct.Phone))
		}
		if ct.Email != "" {
			v.MailTo = template.URL("mailto:" + url.PathEscape(ct.Email))
		}
	}
	return v
}

const contactResultsMax = 20

func (h *handlers) contactPage(c *fiber.Ctx) error {
	l := webkit.Lang(c)
	v := &contactView{Q: strings.TrimSpace(c.Query("q"))}
	status := fiber.StatusOK
	if code := c.Query("unit"); code != "" {
		u, err := h.Units.Get(c.UserContext(), code)
		if err != nil {
			return err
		}
		v.Unit = newUnitContact(l, u)
	}
	var errs []webkit.FieldError
	if _, asked := c.Queries()["q"]; asked {
		v.Searched = true
		if utf8.RuneCountInString(v.Q) < 2 {
			v.QErr = l.T("contact.err.q")
			errs = append(errs, webkit.FieldError{ID: "q", Msg: v.QErr})
			status = fiber.StatusUnprocessableEntity
		} else {
			us, err := h.Units.List(c.UserContext())
			if err != nil {
				return err
			}
			for i := range us {
				u := &us[i]
				if !matchUnit(u, v.Q) {
					continue
				}
				if len(v.Results) == contactResultsMax {
					v.More = true
					break
				}
				v.Results = append(v.Results, webkit.Link{Label: webkit.UnitName(l, u), Href: "/contact?unit=" + url.QueryEscape(u.Code)})
			}
		}
	}
	pg := webkit.NewPage(c, l, l.T("contact.title"), v)
	pg.Errors = errs
	return pages.Render(c, status, "contact", pg)
}
