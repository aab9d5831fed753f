package donorweb

import (
	"bytes"
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// TestPagesRender executes every donor page template in both languages with
// typical data: no template error, no html/template "ZgotmplZ" (an unsafe
// value it refused), the right lang attribute, the meta refresh intact.
func TestPagesRender(t *testing.T) {
	for _, l := range []i18n.Lang{i18n.BN, i18n.EN} {
		fe := &webkit.FormErrors{}
		fe.Add("phone", "bad phone")
		views := map[string]any{
			"home": &homeView{Q: "x", Groups: []unitGroup{{Title: "g", Units: []unitLink{{"U", "/d/u", "P"}}}}, Divisions: []webkit.Link{{Label: "D", Href: "/?division=D"}}},
			"donate": &donateView{Heading: "H", Action: "/d/u?lang=bn", Key: "k", Presets: []webkit.Choice{{Value: "500", Label: "৳৫০০"}},
				Kinds: []webkit.Choice{{Value: "zakat", Label: "Z", Checked: true}}, Programmes: []webkit.Choice{{Value: "burn", Label: "B"}},
				Phone: webkit.Field{ID: "phone", Name: "phone", Type: "tel", Label: "P", Hint: "h", Err: "bad phone"}, ZakatURL: "/zakat?unit=u"},
			"status": &statusView{Heading: "S", Message: "m", Updating: true, StopURL: "/donations/x?auto=off", ReceiptURL: "/r/x"},
			"zakat":  &zakatView{Result: &zakatResult{Due: true, Headline: "h", Rows: []zakatRow{{"a", "b"}}, GiveURL: "/d/u?amount=1&kind=zakat", GiveLabel: "g"}},
		}
		for name, v := range views {
			p := &webkit.Page{L: l, Title: "T", Switch: "/?lang=" + string(l.Other()), P: v, Errors: fe.List}
			if name == "status" {
				p.Refresh = "3;url=/donations/x?n=1"
			}
			var buf bytes.Buffer
			if err := pages[name].ExecuteTemplate(&buf, "layout.html", p); err != nil {
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
