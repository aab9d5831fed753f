package webkit

import (
	"crypto/rand"
	"encoding/base64"
	"mime"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"
)

// hstsMaxAge is a year, as browsers' preload lists ask; subdomains are left
// to whoever runs them.
const hstsMaxAge = "max-age=31536000"

const nonceKey = "csp-nonce"

// securityHeaders sets on every response, before the handler runs (so
// errors and pages rendered by the error handler carry them too):
//   - nosniff, so a JSON or PDF answer is never run as a script or page;
//   - no referrer to other sites: /r/<receipt> and /s/<statement token>
//     are capabilities, and the donate form sends the donor on to bKash
//     ("same-origin", not "no-referrer": with that, browsers send
//     "Origin: null" on our own form posts, which sameOrigin reads);
//   - no framing (X-Frame-Options for old browsers, frame-ancestors);
//   - a content security policy that allows nothing but the page's own
//     inline stylesheet, named by a fresh nonce per response (the pages
//     have no scripts and no images);
//   - HSTS when the request came over TLS (overTLS).
//
// A PDF (receipts, notes, statements) keeps nosniff, the referrer policy
// and HSTS but no CSP or X-Frame-Options: browsers show a PDF in a viewer
// page of their own, to which they apply the PDF's policy, and a strict one
// leaves the receipt blank (Chromium issue 271452), while a PDF runs nothing
// a policy could stop.
func (k *Kit) securityHeaders(c *fiber.Ctx) error {
	k.setSecurityHeaders(c)
	err := c.Next()
	if hd := &c.Response().Header; err == nil && string(hd.ContentType()) == "application/pdf" {
		hd.Del(fiber.HeaderContentSecurityPolicy)
		hd.Del(fiber.HeaderXFrameOptions)
	}
	return err
}

// setSecurityHeaders sets the headers (and the page's nonce). The error
// handler calls it too, for errors the server raises before any middleware
// runs (a body over the limit).
func (k *Kit) setSecurityHeaders(c *fiber.Ctx) {
	nonce := newNonce()
	c.Locals(nonceKey, nonce)
	hd := &c.Response().Header
	hd.Set(fiber.HeaderXContentTypeOptions, "nosniff")
	hd.Set(fiber.HeaderReferrerPolicy, "same-origin")
	hd.Set(fiber.HeaderXFrameOptions, "DENY")
	hd.Set(fiber.HeaderContentSecurityPolicy, "default-src 'none'; style-src 'nonce-"+nonce+"'; base-uri 'none'; frame-ancestors 'none'")
	if k.OverTLS(c) {
		hd.Set(fiber.HeaderStrictTransportSecurity, hstsMaxAge)
	}
}

func newNonce() string {
	b := make([]byte, 18)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// nonceOf is the response's CSP nonce, for a page's inline <style>.
func Nonce(c *fiber.Ctx) string {
	n, _ := c.Locals(nonceKey).(string)
	return n
}

// overTLS reports whether the browser talks to us over TLS: the connection
// itself, X-Forwarded-Proto from a proxy in http.trustedProxies (Fiber
// ignores the header from anyone else: EnableTrustedProxyCheck), or a
// public URL that is https (then every browser reaches us through TLS,
// whatever the hop in front of us says).
func (k *Kit) OverTLS(c *fiber.Ctx) bool {
	return c.Protocol() == "https" || strings.HasPrefix(k.PublicURL, "https://")
}

// sameOrigin reports whether a state-changing browser request comes from
// our own pages. Browsers say so in Sec-Fetch-Site (which no page can set);
// older ones only in Origin, or Referer. A request that says nothing is not
// a browser's form post, so no other site can have made a browser send it.
func (k *Kit) SameOrigin(c *fiber.Ctx) bool {
	switch c.Get("Sec-Fetch-Site") {
	case "same-origin", "none": // "none": typed or bookmarked by the user
		return true
	case "":
	default: // same-site, cross-site
		return false
	}
	if o := c.Get(fiber.HeaderOrigin); o != "" {
		return k.ownOrigin(c, o)
	}
	if r := c.Get(fiber.HeaderReferer); r != "" {
		u, err := url.Parse(r)
		return err == nil && k.ownOrigin(c, u.Scheme+"://"+u.Host)
	}
	return true
}

// ownOrigin: the public URL's origin, or the one this request was sent to.
func (k *Kit) ownOrigin(c *fiber.Ctx, origin string) bool {
	if u, err := url.Parse(k.PublicURL); err == nil && u.Host != "" && strings.EqualFold(origin, u.Scheme+"://"+u.Host) {
		return true
	}
	return strings.EqualFold(origin, c.BaseURL())
}

var ErrCrossSite = NewProblem(fiber.StatusForbidden, "cross-site", "Cross-site request refused",
	"This form must be sent from Kalyan's own page. Open the page again and send it from there.")

// isJSON accepts application/json and application/*+json, in UTF-8 (RFC
// 8259 §8.1). Anything else, including look-alikes such as
// application/jsonp, is not read as JSON.
func isJSON(contentType string) bool {
	mt, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		return false
	}
	if cs, ok := params["charset"]; ok && !strings.EqualFold(cs, "utf-8") {
		return false
	}
	sub, ok := strings.CutPrefix(mt, "application/")
	return ok && (sub == "json" || (strings.HasSuffix(sub, "+json") && len(sub) > len("+json")))
}
