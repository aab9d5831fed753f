package harness

import (
	"context"
	"net/http"
	"time"

	"github.com/kalyan-platform/kalyan/internal/testkit/httpkit"
)

// client does not follow redirects, so callers see each 303 the way a
// browser would receive it. Its pool is sized for load drivers.
var httpClient = &http.Client{
	Timeout:       60 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	Transport: &http.Transport{
		Proxy:               nil,
		MaxIdleConns:        512,
		MaxIdleConnsPerHost: 256,
		IdleConnTimeout:     90 * time.Second,
	},
}

// Resp is an HTTP answer, read whole.
type Resp = httpkit.Resp

// Send sends a request to the API (path) or to an absolute URL over real
// HTTP. A url.Values body is sent as a form, a string as is, anything else
// as JSON.
func (s *System) Send(ctx context.Context, method, path string, body any, hdr map[string]string) (Resp, error) {
	return httpkit.Client{Base: s.APIURL, HTTP: httpClient}.Send(ctx, method, path, body, hdr)
}
