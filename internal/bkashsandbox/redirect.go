package bkashsandbox

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// How bKash's hosted checkout is addressed, and how it sends the payer back.
//
// bKash's create answers a bkashURL of the form
// https://sandbox.payment.bkash.com/redirect/tokenized/?paymentID=TR0011…&hash=<opaque>&mode=0011&apiVersion=v1.2.0-beta
// (create answers quoted in integrators' code and READMEs, e.g. a Laravel
// bKash package's README sample and several storefronts' saved bkashURLs
// found with the code search); the sandbox's payer page is served at the
// same path with the same query parameters, and the hash is checked, so a
// client must use the URL as given rather than build one.
//
// The create answer's successCallbackURL, failureCallbackURL and
// cancelledCallbackURL carry paymentID and status only (the same samples);
// when bKash sends the payer's browser back, integrators report a
// signature parameter as well (issue #15's sources). bKash does not document
// how to check it, which is one more reason the callback proves nothing: a
// merchant executes or queries. The sandbox adds signature and apiVersion
// to the redirect.

const apiVersion = "v1.2.0-beta"

// mac is the sandbox's keyed digest of parts, URL-safe.
func (s *Server) mac(parts ...string) string {
	m := hmac.New(sha256.New, s.secret)
	for _, p := range parts {
		m.Write([]byte(p))
		m.Write([]byte{0})
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// checkoutURL is the bkashURL create answers for paymentID.
func (s *Server) checkoutURL(base, paymentID string) string {
	// In bKash's order: paymentID, hash, mode, apiVersion.
	return base + "/redirect/tokenized/?paymentID=" + url.QueryEscape(paymentID) + "&hash=" + url.QueryEscape(s.mac("hash", paymentID)) +
		"&mode=0011&apiVersion=" + url.QueryEscape(apiVersion)
}

// returnURL is where the payer's browser is sent back: the merchant's
// callback with paymentID and status, plus signature and apiVersion.
func (s *Server) returnURL(p *payment, status string) string {
	u := callbackWith(p.CallbackURL, p.ID, status)
	base, frag, hasFrag := cutFragment(u)
	base += "&signature=" + url.QueryEscape(s.mac("callback", p.ID, status)) + "&apiVersion=" + url.QueryEscape(apiVersion)
	if hasFrag {
		base += "#" + frag
	}
	return base
}

func cutFragment(u string) (string, string, bool) {
	for i := 0; i < len(u); i++ {
		if u[i] == '#' {
			return u[:i], u[i+1:], true
		}
	}
	return u, "", false
}

// redirectPaymentID reads the payment of a /redirect/tokenized/ request:
// an unknown hash finds no payment.
func (s *Server) redirectPaymentID(r *http.Request) string {
	q := r.URL.Query()
	id := q.Get("paymentID")
	if id == "" || !hmac.Equal([]byte(q.Get("hash")), []byte(s.mac("hash", id))) {
		return ""
	}
	return id
}

// pageID is the payment a payer page request is about: /pay/{id}, or
// bKash's /redirect/tokenized/?paymentID=…&hash=….
func (s *Server) pageID(r *http.Request) string {
	if id := r.PathValue("id"); id != "" {
		return id
	}
	return s.redirectPaymentID(r)
}

// Age makes payment id d older (a test hook: an Initiated payment whose
// payer closed the page expires PaymentTTL after its creation).
//
// Reached only by tests: a sandbox switch tests use to age a payment.
func (s *Server) Age(id string, d time.Duration) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	p := s.payments[id]
	if p == nil {
		return fmt.Errorf("bkash sandbox: unknown payment %q", id)
	}
	np := p.clone()
	np.CreatedAt = np.CreatedAt.Add(-d)
	return s.commitLocked(np)
}
