package donorweb

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// TestOneLegalWording: gifts to a Rogi Kalyan Samiti qualify for a tax
// rebate under s.76(1) of the Income Tax Act 2023; they are not
// "tax-exempt" (issue 19: the footer said one thing, the receipt another).
// Every page, message, receipt text, README and doc of the repository is
// searched for the wrong claim, and the footer must cite the section.
func TestOneLegalWording(t *testing.T) {
	wrong := regexp.MustCompile(`(?i)tax[- ]exempt|exemption|করমুক্ত|কর মুক্ত|কর-মুক্ত`)
	root := filepath.Join("..", "..")
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			switch d.Name() {
			case ".git", ".kalyan", "node_modules", "testdata":
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, "_test.go") {
			return nil // tests may name the wrong words to refuse them
		}
		switch filepath.Ext(path) {
		case ".go", ".html", ".md", ".yaml", ".yml", ".css", ".txt", ".tpl":
		default:
			return nil
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		for i, line := range strings.Split(string(b), "\n") {
			if m := wrong.FindString(line); m != "" {
				t.Errorf("%s:%d says %q: gifts qualify for a tax rebate under s.76(1), say so", path, i+1, m)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range []i18n.Lang{i18n.BN, i18n.EN} {
		var buf bytes.Buffer
		p := &webkit.Page{L: l, Title: "T", Switch: "/?lang=" + string(l.Other()), P: &homeView{}}
		if err := pages["home"].ExecuteTemplate(&buf, "layout.html", p); err != nil {
			t.Fatal(err)
		}
		_, footer, _ := strings.Cut(buf.String(), "<footer")
		if !strings.Contains(footer, l.T("legal.rebate")) {
			t.Errorf("%s footer %q does not carry the legal wording %q", l, footer, l.T("legal.rebate"))
		}
		for _, href := range []string{"/rebate", "/privacy", "/refunds", "/contact", "/statement", "/my"} {
			if !strings.Contains(footer, `href="`+href+`"`) {
				t.Errorf("%s footer does not link %s", l, href)
			}
		}
	}
	for _, want := range []string{"ধারা ৭৬(১)", "কর রেয়াত", "section 76(1)", "tax rebate"} {
		if !strings.Contains(i18n.BN.T("legal.rebate")+i18n.EN.T("legal.rebate"), want) {
			t.Errorf("legal wording lacks %q", want)
		}
		if !strings.Contains(receiptpdf.DefaultCitation, want) {
			t.Errorf("receipt citation lacks %q", want)
		}
	}
}
