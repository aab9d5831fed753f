package bkashsandbox

import (
	"net/http"
	"slices"
	"time"
)

// bKash's limit on token grants: "Do not call more than twice within an
// hour or the caller is blocked for one hour" (bKash developer docs, token
// management overview, mirrored in api-evangelist/bkash
// authentication/bkash-authentication.yml and rate-limits/bkash-rate-limits.yml;
// integrators were told the same: karim-007/laravel-bkash-tokenize PR #5,
// #7). The sandbox counts the grants each merchant was issued; a third
// within an hour is refused and the merchant's token calls (grant and
// refresh) are refused for the hour that follows.
//
// The rate-limits mirror says the block is "signalled through the
// proprietary errorCode envelope rather than HTTP headers" (no 429, no
// Retry-After) but names no code: the errorCode/errorMessage envelope with
// HTTP 200 is from there; the code 9999 and the message are our guess.
const (
	grantLimit  = 2
	grantWindow = time.Hour
	blockedFor  = time.Hour
)

// merchantGrants is one merchant's grant history.
type merchantGrants struct {
	issued       []time.Time // grants issued, oldest first
	blockedUntil time.Time
}

// admitTokenCallLocked applies the grant limit to a grant (grant=true) or
// refresh of merchant at now; it reports whether the call may go on and
// records an admitted grant. s.mu must be held.
func (s *Server) admitTokenCallLocked(merchant string, grant bool, now time.Time) bool {
	g := s.grants[merchant]
	if g == nil {
		g = &merchantGrants{}
		s.grants[merchant] = g
	}
	if now.Before(g.blockedUntil) {
		s.stats.GrantsRefused++
		return false
	}
	if !grant {
		return true
	}
	recent := 0
	for _, t := range g.issued {
		if now.Sub(t) < grantWindow {
			recent++
		}
	}
	if recent >= grantLimit {
		g.blockedUntil = now.Add(blockedFor)
		s.stats.GrantsRefused++
		s.log.Warn("bkash sandbox: merchant blocked for an hour after a third token grant", "merchant", merchant)
		return false
	}
	g.issued = append(g.issued, now)
	return true
}

func writeGrantBlocked(w http.ResponseWriter) {
	writeJSON(w, http.StatusOK, map[string]string{
		"errorCode":    "9999",
		"errorMessage": "Token API called more than twice within an hour; try again after an hour",
	})
}

// GrantTimes returns when merchant was issued each token grant, oldest first.
//
// Reached only by tests: inspection of the sandbox (bKash's grant limit) for tests.
func (s *Server) GrantTimes(merchant string) []time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	if g := s.grants[merchant]; g != nil {
		return slices.Clone(g.issued)
	}
	return nil
}

// Blocked reports whether merchant's token calls are refused now.
//
// Reached only by tests: inspection of the sandbox for tests.
func (s *Server) Blocked(merchant string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	g := s.grants[merchant]
	return g != nil && s.cfg.Now().Before(g.blockedUntil)
}
