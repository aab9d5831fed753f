package webkit

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"io/fs"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// The pages are plain server-rendered HTML that works without JavaScript
// on a cheap phone on 2G/3G: one small stylesheet inlined in every page (no
// extra request), no web fonts (the phone's Bengali font), no images.
// Bengali is the default language; ?lang=en switches and a cookie
// remembers the choice. The layout, the stylesheet and the error page live
// here; each front end parses its own pages onto the layout (ParsePages).
//
//go:embed web/*.html web/style.css
var webFS embed.FS

// Pages holds one template per page, each the shared layout plus the
// page's "content". Built once at start-up and read-only afterwards.
type Pages map[string]*template.Template

// layout is the shared layout with the stylesheet; pages clone it.
var layout = mustParseLayout()

// errorPages renders the friendly error page.
var errorPages = ParsePages(webFS, []string{"error"})

func mustParseLayout() *template.Template {
	css, err := webFS.ReadFile("web/style.css")
	if err != nil {
		panic(fmt.Sprintf("pages: %v", err))
	}
	funcs := template.FuncMap{
		// The stylesheet is our own file, so it is safe to inline as CSS.
		"css": func() template.CSS { return template.CSS(minifyCSS(string(css))) },
	}
	return template.Must(template.New("layout.html").Funcs(funcs).ParseFS(webFS, "web/layout.html"))
}

// ParsePages parses each of names (web/<name>.html in fsys, with the
// shared parts) onto the layout.
func ParsePages(fsys fs.FS, names []string, parts ...string) Pages {
	set := Pages{}
	for _, name := range names {
		t := template.Must(layout.Clone())
		set[name] = template.Must(t.ParseFS(fsys, append([]string{"web/" + name + ".html"}, parts...)...))
	}
	return set
}

// minifyCSS drops comments, line breaks and indentation so the inlined
// sheet costs fewer bytes; the file stays readable.
func minifyCSS(s string) string {
	var b strings.Builder
	for {
		start := strings.Index(s, "/*")
		if start < 0 {
			break
		}
		end := strings.Index(s[start:], "*/")
		if end < 0 {
			break
		}
		b.WriteString(s[:start])
		s = s[start+end+2:]
	}
	b.WriteString(s)
	var out strings.Builder
	for _, line := range strings.Split(b.String(), "\n") {
		out.WriteString(strings.TrimSpace(line))
	}
	return out.String()
}

// Page is what every template gets; P is the page's own data.
type Page struct {
	L     i18n.Lang
	Title string
	// Switch is this page's address in the other language.
	Switch string
	// Refresh is a meta refresh ("3;url=…"); empty for none.
	Refresh string
	// Errors are the form's field errors, for the summary at the top.
	Errors []FieldError
	// Nonce names the inline stylesheet in the response's CSP (render sets it).
	Nonce string
	P     any
}

// FieldError links an error summary entry to its field.
type FieldError struct{ ID, Msg string }

const langCookie = "lang"

// Lang is the language of this request: ?lang= (remembered in a
// cookie), then the cookie, then Bengali.
func Lang(c *fiber.Ctx) i18n.Lang {
	if l, ok := i18n.Parse(c.Query("lang")); ok {
		c.Cookie(&fiber.Cookie{Name: langCookie, Value: string(l), Path: "/", MaxAge: 365 * 24 * 3600, HTTPOnly: true, SameSite: fiber.CookieSameSiteLaxMode})
		return l
	}
	if l, ok := i18n.Parse(c.Cookies(langCookie)); ok {
		return l
	}
	return i18n.BN
}

// switchURL is the current page's GET address with lang set to the other
// language (other query parameters kept, so a calculator result survives).
func switchURL(c *fiber.Ctx, l i18n.Lang) string {
	q := url.Values{}
	c.Request().URI().QueryArgs().VisitAll(func(k, v []byte) { q.Add(string(k), string(v)) })
	q.Set("lang", string(l.Other()))
	return c.Path() + "?" + q.Encode()
}

// NewPage is a page in language l.
func NewPage(c *fiber.Ctx, l i18n.Lang, title string, p any) *Page {
	return &Page{L: l, Title: title, Switch: switchURL(c, l), P: p}
}

// Render writes page name of ps with status.
func (ps Pages) Render(c *fiber.Ctx, status int, name string, data *Page) error {
	t, ok := ps[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	// Pages carry a fresh form key or a live status and differ by the
	// language cookie: never reuse one from a cache.
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Content-Language", data.L.Code())
	data.Nonce = Nonce(c)
	c.Status(status)
	return t.ExecuteTemplate(c.Response().BodyWriter(), "layout.html", data)
}

// ProblemText is a problem's title and detail for a page in language l.
func ProblemText(l i18n.Lang, p Problem) (title, detail string) {
	slug := strings.TrimPrefix(p.Type, ProblemBase)
	if k := "problem." + slug; i18n.Has(k + ".title") {
		return l.T(k + ".title"), l.T(k + ".detail")
	}
	if k := fmt.Sprintf("problem.http-%d", p.Status); i18n.Has(k + ".title") {
		return l.T(k + ".title"), l.T(k + ".detail")
	}
	if p.Status >= 500 {
		return l.T("problem.internal.title"), l.T("problem.internal.detail")
	}
	return p.Title, p.Detail
}

// ErrorPage is the data of the friendly error page.
type ErrorPage struct {
	Status        int
	Heading, Text string
	// Raw is true when Heading/Text are the problem's own English words
	// (no translation exists), so the page marks them lang="en".
	Raw bool
	// Next are suggested links (label, href).
	Next []Link
}

// Link is a labelled address.
type Link struct{ Label, Href string }

// RenderError renders a problem as a page for browsers; API clients get
// problem+json from the error handler instead.
func RenderError(c *fiber.Ctx, p Problem) error {
	l := Lang(c)
	title, detail := ProblemText(l, p)
	ep := &ErrorPage{Status: p.Status, Heading: title, Text: detail, Raw: title == p.Title && l != i18n.EN}
	ep.Next = append(ep.Next, Link{l.T("error.home"), "/"})
	return ShowError(c, l, title, ep)
}

// ShowError renders the error page ep, titled title, with ep's status.
func ShowError(c *fiber.Ctx, l i18n.Lang, title string, ep *ErrorPage) error {
	return errorPages.Render(c, ep.Status, "error", NewPage(c, l, title, ep))
}

// FormKey is a posted form's idempotency key, or a fresh one when the form
// sent none or a malformed one.
func FormKey(k string) string {
	if ValidKey(k) {
		return k
	}
	return NewKey()
}

// NewKey is a fresh idempotency key for a form.
func NewKey() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// compressPages compresses responses with brotli or gzip, as the client
// accepts (fasthttp's handler, as Fiber's compress middleware uses). Unlike
// that middleware it also compresses error pages: an error is rendered here
// by the app's error handler, then compressed.
func compressPages() fiber.Handler {
	compress := fasthttp.CompressHandlerBrotliLevel(func(*fasthttp.RequestCtx) {},
		fasthttp.CompressBrotliDefaultCompression, fasthttp.CompressDefaultCompression)
	return func(c *fiber.Ctx) error {
		if skipCompress(c) {
			return c.Next()
		}
		if err := c.Next(); err != nil {
			if herr := c.App().Config().ErrorHandler(c, err); herr != nil {
				return herr
			}
		}
		compress(c.Context())
		return nil
	}
}

// skipCompress leaves the JSON API, the operational endpoints and already
// compressed media (PDF, PNG) uncompressed; pages and SVG are compressed.
func skipCompress(c *fiber.Ctx) bool {
	p := c.Path()
	return strings.HasPrefix(p, "/api/") || p == "/metrics" || p == "/livez" || p == "/readyz" ||
		strings.HasSuffix(p, ".pdf") || strings.HasSuffix(p, ".png")
}

// UnitName is a unit's name in language l.
func UnitName(l i18n.Lang, u *units.Unit) string {
	if l == i18n.EN {
		return u.Names.EN
	}
	return u.Names.BN
}
