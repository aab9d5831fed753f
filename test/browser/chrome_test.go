package browser

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// Phone-sized screen: a common cheap Android phone (360×740 CSS pixels).
const phoneWidth, phoneHeight = 360, 740

// hang bounds how long one step may wait for the page; it only stops a hung
// test and asserts nothing about speed.
const hang = 60 * time.Second

func chromiumPath(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	t.Fatal("chromium not found: install Debian's chromium (apt-get install -y chromium) or set CHROMIUM=/path/to/chrome")
	return ""
}

func axeSource(t testing.TB) string {
	t.Helper()
	p := os.Getenv("AXE_JS")
	if p == "" {
		t.Fatal(`AXE_JS is not set: it must name axe-core's axe.min.js. Run: AXE_JS="$(hack/axe.sh)" go test ./test/browser/ ` +
			`(hack/axe.sh installs axe-core with npm into ~/.cache/kalyan/axe and prints the path)`)
	}
	b, err := os.ReadFile(p)
	if err != nil || len(b) == 0 {
		t.Fatalf("AXE_JS=%s: cannot read axe-core (%v); run hack/axe.sh", p, err)
	}
	return string(b)
}

// browser is one headless Chromium with its own profile (so the language
// cookie of one test does not leak into another) and one tab.
type browser struct {
	t   testing.TB
	ctx context.Context
	// axe is axe-core's source, read from AXE_JS on first use.
	axe string
}

func newBrowser(t testing.TB) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath(t)),
		chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU, chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("lang", "bn-BD"),
		chromedp.WindowSize(phoneWidth, phoneHeight),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	t.Cleanup(func() { cancel(); cancelAlloc() })
	// The first action starts the browser; it must not carry a timeout.
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(phoneWidth, phoneHeight,
		chromedp.EmulateScale(2), chromedp.EmulateMobile, chromedp.EmulateTouch, chromedp.EmulatePortrait)); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return &browser{t: t, ctx: ctx}
}

// do runs steps, failing the test on error.
func (b *browser) do(what string, steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, hang)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("%s: %v (at %s)", what, err, b.location())
	}
}

// open navigates to a path of the API (or any other URL) and waits for
// the load event.
func (b *browser) open(path string) {
	b.t.Helper()
	u := path
	if strings.HasPrefix(path, "/") {
		u = stack.APIURL() + path
	}
	b.do("open "+path, chromedp.Navigate(u))
}

// submit clicks sel and waits until the page it leads to has loaded.
func (b *browser) submit(sel string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, hang)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel)))); err != nil {
		b.t.Fatalf("click %s: %v", sel, err)
	}
}

func (b *browser) location() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	loc, _ := chromedp.Run(ctx, chromedp.Location())
	return loc
}

// eval evaluates a JavaScript expression into T.
func eval[T any](b *browser, expr string) T {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, hang)
	defer cancel()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v (at %s)", expr, err, b.location())
	}
	return v
}

// until polls a JavaScript predicate across page loads (the status page
// reloads itself) until it holds.
func (b *browser) until(what, expr string) {
	b.t.Helper()
	deadline := time.Now().Add(hang)
	for {
		ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
		ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](expr))
		cancel()
		if err == nil && ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("timed out waiting for %s (at %s, last error %v)", what, b.location(), err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// wcagTags are the axe-core rule tags of WCAG 2.2 level A and AA.
var wcagTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

type axeViolation struct {
	ID     string `json:"id"`
	Impact string `json:"impact"`
	Help   string `json:"help"`
	Nodes  []struct {
		Target  string `json:"target"`
		HTML    string `json:"html"`
		Summary string `json:"summary"`
	} `json:"nodes"`
}

// checkA11y injects axe-core into the current page and fails the test on
// any WCAG 2.2 A/AA violation. skip names rules not to run, each with the
// reason in the caller.
func (b *browser) checkA11y(name string, skip ...string) {
	b.t.Helper()
	// The content security policy let the page's own inline stylesheet
	// apply (its nonce matches): a blocked <style> has no sheet.
	if !eval[bool](b, `document.querySelectorAll("style").length > 0 && Array.from(document.querySelectorAll("style")).every(s => s.sheet && s.sheet.cssRules.length > 0)`) {
		b.t.Errorf("%s (%s): the page's stylesheet did not apply (CSP nonce?)", name, b.location())
	}
	for _, v := range b.axeViolations(name, skip...) {
		var nodes []string
		for _, n := range v.Nodes {
			nodes = append(nodes, fmt.Sprintf("    %s: %s\n      %s", n.Target, n.HTML, strings.ReplaceAll(n.Summary, "\n", "\n      ")))
		}
		b.t.Errorf("%s (%s): axe %s [%s]: %s\n%s", name, b.location(), v.ID, v.Impact, v.Help, strings.Join(nodes, "\n"))
	}
}

// axeViolations runs axe-core's WCAG 2.2 A/AA rules on the current page.
func (b *browser) axeViolations(name string, skip ...string) []axeViolation {
	b.t.Helper()
	rules := map[string]map[string]bool{}
	for _, r := range skip {
		rules[r] = map[string]bool{"enabled": false}
	}
	opts, _ := json.Marshal(map[string]any{
		"runOnly":     map[string]any{"type": "tag", "values": wcagTags},
		"resultTypes": []string{"violations"},
		"rules":       rules,
	})
	script := fmt.Sprintf(`axe.run(document, %s).then(r => r.violations.map(v => ({id: v.id, impact: v.impact || "", help: v.help,
		nodes: v.nodes.map(n => ({target: n.target.join(" "), html: n.html, summary: n.failureSummary || ""}))})))`, opts)
	if b.axe == "" {
		b.axe = axeSource(b.t)
	}
	ctx, cancel := context.WithTimeout(b.ctx, hang)
	defer cancel()
	if _, err := chromedp.Run(ctx, chromedp.Evaluate[chromedp.Void](b.axe)); err != nil {
		b.t.Fatalf("%s: inject axe-core: %v", name, err)
	}
	vs, err := chromedp.Run(ctx, chromedp.Evaluate[[]axeViolation](script, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("%s: run axe-core: %v", name, err)
	}
	return vs
}

// screenshot saves a PNG of the page when KALYAN_SCREENSHOTS names a
// directory (for a person to look at; tests never compare pixels).
func (b *browser) screenshot(name string) {
	dir := os.Getenv("KALYAN_SCREENSHOTS")
	if dir == "" {
		return
	}
	ctx, cancel := context.WithTimeout(b.ctx, hang)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
		return
	}
	if err := os.WriteFile(dir+"/"+name+".png", png, 0o644); err != nil {
		b.t.Logf("screenshot %s: %v", name, err)
	}
}
