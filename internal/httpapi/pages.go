package httpapi

import (
	"crypto/rand"
	"embed"
	"encoding/hex"
	"fmt"
	"html/template"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
	"github.com/valyala/fasthttp"

	"github.com/kalyan-platform/kalyan/internal/i18n"
)

// The donor pages are plain server-rendered HTML that works without
// JavaScript on a cheap phone on 2G/3G: one small stylesheet inlined in
// every page (no extra request), no web fonts (the phone's Bengali font),
// no images. Bengali is the default language; ?lang=en switches and a
// cookie remembers the choice.
//
//go:embed web/*.html web/style.css
var webFS embed.FS

// pageSet holds one template per page, each the shared layout plus the
// page's "content". Built once at start-up and read-only afterwards.
type pageSet map[string]*template.Template

var pageTemplates = mustParsePages()

func mustParsePages() pageSet {
	css, err := webFS.ReadFile("web/style.css")
	if err != nil {
		panic(fmt.Sprintf("donor pages: %v", err))
	}
	funcs := template.FuncMap{
		// The stylesheet is our own file, so it is safe to inline as CSS.
		"css": func() template.CSS { return template.CSS(minifyCSS(string(css))) },
	}
	base := template.Must(template.New("layout.html").Funcs(funcs).ParseFS(webFS, "web/layout.html"))
	set := pageSet{}
	for _, name := range []string{"home", "donate", "status", "zakat", "error", "unit", "appgift"} {
		t := template.Must(base.Clone())
		set[name] = template.Must(t.ParseFS(webFS, "web/"+name+".html"))
	}
	// The staff console's pages share their form parts.
	for _, name := range []string{"console_login", "console_queue", "console_new", "console_request"} {
		t := template.Must(base.Clone())
		set[name] = template.Must(t.ParseFS(webFS, "web/"+name+".html", "web/console_parts.html"))
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

// page is what every template gets; P is the page's own data.
type page struct {
	L     i18n.Lang
	Title string
	// Switch is this page's address in the other language.
	Switch string
	// Refresh is a meta refresh ("3;url=…"); empty for none.
	Refresh string
	// Errors are the form's field errors, for the summary at the top.
	Errors []fieldError
	// Nonce names the inline stylesheet in the response's CSP (render sets it).
	Nonce string
	P     any
}

// fieldError links an error summary entry to its field.
type fieldError struct{ ID, Msg string }

const langCookie = "lang"

// pageLang is the language of this request: ?lang= (remembered in a
// cookie), then the cookie, then Bengali.
func pageLang(c *fiber.Ctx) i18n.Lang {
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

func newPage(c *fiber.Ctx, l i18n.Lang, title string, p any) *page {
	return &page{L: l, Title: title, Switch: switchURL(c, l), P: p}
}

func render(c *fiber.Ctx, status int, name string, data *page) error {
	t, ok := pageTemplates[name]
	if !ok {
		return fmt.Errorf("no page template %q", name)
	}
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	// Pages carry a fresh form key or a live status and differ by the
	// language cookie: never reuse one from a cache.
	c.Set(fiber.HeaderCacheControl, "no-store")
	c.Set("Content-Language", data.L.Code())
	data.Nonce = nonceOf(c)
	c.Status(status)
	return t.ExecuteTemplate(c.Response().BodyWriter(), "layout.html", data)
}

// problemText is a problem's title and detail for a page in language l.
func problemText(l i18n.Lang, p Problem) (title, detail string) {
	slug := strings.TrimPrefix(p.Type, problemBase)
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

// errorPage is the data of the friendly error page.
type errorPage struct {
	Status        int
	Heading, Text string
	// Raw is true when Heading/Text are the problem's own English words
	// (no translation exists), so the page marks them lang="en".
	Raw bool
	// Next are suggested links (label, href).
	Next []link
}

type link struct{ Label, Href string }

// renderError renders a problem as a page for browsers; API clients get
// problem+json from the error handler instead.
func renderError(c *fiber.Ctx, p Problem) error {
	l := pageLang(c)
	title, detail := problemText(l, p)
	ep := &errorPage{Status: p.Status, Heading: title, Text: detail, Raw: title == p.Title && l != i18n.EN}
	ep.Next = append(ep.Next, link{l.T("error.home"), "/"})
	return render(c, p.Status, "error", newPage(c, l, title, ep))
}

// formKey is a posted form's idempotency key, or a fresh one when the form
// sent none or a malformed one.
func formKey(k string) string {
	if validKey(k) {
		return k
	}
	return newKey()
}

func newKey() string {
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
