package webkit

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
// page handlers of every front end name is in the catalogue, so no page shows a raw key.
func TestPageMessagesExist(t *testing.T) {
	keys := map[string]string{}
	add := func(re *regexp.Regexp, file string, b []byte) {
		for _, m := range re.FindAllSubmatch(b, -1) {
			keys[string(m[1])] = file
		}
	}
	// The layout and error page here, and each front end's pages.
	dirs := []string{".", "../donorweb", "../console"}
	tmpl := regexp.MustCompile(`\.T "([^"]+)"`)
	for _, d := range dirs {
		entries, err := filepath.Glob(filepath.Join(d, "web", "*.html"))
		if err != nil || len(entries) == 0 {
			t.Fatalf("no templates in %s: %v", d, err)
		}
		for _, e := range entries {
			b, err := os.ReadFile(e)
			if err != nil {
				t.Fatal(err)
			}
			add(tmpl, e, b)
		}
	}
	code := regexp.MustCompile(`l\.[TF]\("([^"]+)"`)
	var files []string
	for _, d := range dirs {
		fs, _ := filepath.Glob(filepath.Join(d, "*.go"))
		files = append(files, fs...)
	}
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

// TestErrorPageRenders executes the error page in both languages: no
// template error, no html/template "ZgotmplZ", the right lang attribute.
func TestErrorPageRenders(t *testing.T) {
	for _, l := range []i18n.Lang{i18n.BN, i18n.EN} {
		fe := &FormErrors{}
		fe.Add("phone", "bad phone")
		v := &ErrorPage{Status: 404, Heading: "h", Text: "t", Next: []Link{{"home", "/"}}}
		p := &Page{L: l, Title: "T", Switch: "/?lang=" + string(l.Other()), P: v, Errors: fe.List}
		var buf bytes.Buffer
		if err := errorPages["error"].ExecuteTemplate(&buf, "layout.html", p); err != nil {
			t.Fatalf("error/%s: %v", l, err)
		}
		html := buf.String()
		if strings.Contains(html, "ZgotmplZ") || !strings.Contains(html, `<html lang="`+string(l)+`">`) {
			t.Errorf("error/%s renders badly:\n%s", l, html)
		}
	}
}

func TestMinifyCSS(t *testing.T) {
	got := minifyCSS("/* a\n  comment */\nbody{x:1}\n  /* b */ a{y:2}\n")
	if got != "body{x:1}a{y:2}" {
		t.Fatalf("minifyCSS = %q", got)
	}
}
