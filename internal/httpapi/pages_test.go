package httpapi

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/i18n"
)

// TestPageMessagesExist checks that every message key the templates and the
// page handlers name is in the catalogue, so no page shows a raw key.
func TestPageMessagesExist(t *testing.T) {
	keys := map[string]string{}
	add := func(re *regexp.Regexp, file string, b []byte) {
		for _, m := range re.FindAllSubmatch(b, -1) {
			keys[string(m[1])] = file
		}
	}
	tmpl := regexp.MustCompile(`\.T "([^"]+)"`)
	entries, err := webFS.ReadDir("web")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		b, _ := webFS.ReadFile("web/" + e.Name())
		add(tmpl, e.Name(), b)
	}
	code := regexp.MustCompile(`l\.[TF]\("([^"]+)"`)
	files, _ := filepath.Glob("pages*.go")
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		add(code, f, b)
	}
	// Keys built at run time.
	for _, k := range []string{"zakat", "sadaqah", "general"} {
		keys["donate.kind-hint."+k], keys["kind."+k] = "pages_donate.go", "i18n"
	}
	for _, b := range []string{"gold", "silver"} {
		keys["zakat.basis-"+b], keys["zakat.row.nisab-"+b] = "pages_zakat.go", "pages_zakat.go"
	}
	for _, slug := range []string{"link-not-found", "link-ended", "link-disabled", "unit-not-found", "unit-archived", "donation-not-found", "http-404"} {
		keys["problem."+slug+".title"], keys["problem."+slug+".detail"] = "problem", "problem"
	}
	if len(keys) < 100 {
		t.Fatalf("found only %d keys: the scan is broken", len(keys))
	}
	for k, where := range keys {
		if strings.HasSuffix(k, ".") || strings.HasSuffix(k, "-") {
			continue // a prefix completed at run time, listed above
		}
		if !i18n.Has(k) {
			t.Errorf("%s: message %q is not in the catalogue", where, k)
		}
	}
}

// TestPagesRender executes every page template in both languages with
// typical data: no template error, no html/template "ZgotmplZ" (an unsafe
// value it refused), the right lang attribute, the meta refresh intact.
func TestPagesRender(t *testing.T) {
	for _, l := range []i18n.Lang{i18n.BN, i18n.EN} {
		fe := &formErrors{}
		fe.add("phone", "bad phone")
		views := map[string]any{
			"home": &homeView{Q: "x", Groups: []unitGroup{{Title: "g", Units: []unitLink{{"U", "/d/u", "P"}}}}, Divisions: []link{{"D", "/?division=D"}}},
			"donate": &donateView{Heading: "H", Action: "/d/u?lang=bn", Key: "k", Presets: []choice{{Value: "500", Label: "৳৫০০"}},
				Kinds: []choice{{Value: "zakat", Label: "Z", Checked: true}}, Programmes: []choice{{Value: "burn", Label: "B"}},
				Phone: field{ID: "phone", Name: "phone", Type: "tel", Label: "P", Hint: "h", Err: "bad phone"}, ZakatURL: "/zakat?unit=u"},
			"status": &statusView{Heading: "S", Message: "m", Updating: true, StopURL: "/donations/x?auto=off", ReceiptURL: "/r/x"},
			"zakat":  &zakatView{Result: &zakatResult{Due: true, Headline: "h", Rows: []zakatRow{{"a", "b"}}, GiveURL: "/d/u?amount=1&kind=zakat", GiveLabel: "g"}},
			"error":  &errorPage{Status: 404, Heading: "h", Text: "t", Next: []link{{"home", "/"}}},
		}
		for name, v := range views {
			p := &page{L: l, Title: "T", Switch: "/?lang=" + string(l.Other()), P: v, Errors: fe.list}
			if name == "status" {
				p.Refresh = "3;url=/donations/x?n=1"
			}
			var buf bytes.Buffer
			if err := pageTemplates[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
				t.Fatalf("%s/%s: %v", name, l, err)
			}
			html := buf.String()
			if strings.Contains(html, "ZgotmplZ") || !strings.Contains(html, `<html lang="`+string(l)+`">`) {
				t.Errorf("%s/%s renders badly:\n%s", name, l, html)
			}
			if name == "status" && !strings.Contains(html, `<meta http-equiv="refresh" content="3;url=/donations/x?n=1">`) {
				t.Errorf("status refresh mangled:\n%s", html)
			}
		}
	}
}

func TestMinifyCSS(t *testing.T) {
	got := minifyCSS("/* a\n  comment */\nbody{x:1}\n  /* b */ a{y:2}\n")
	if got != "body{x:1}a{y:2}" {
		t.Fatalf("minifyCSS = %q", got)
	}
}
