package oversight

import (
	"embed"
	"fmt"
	"html/template"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/reports"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

//go:embed web/report.html
var webFS embed.FS

var pageTmpl = template.Must(template.New("report.html").ParseFS(webFS, "web/report.html"))

// scopeTitle names the report's scope.
func scopeTitle(r *reports.Report) label {
	switch r.Scope.Level {
	case reports.LevelNation:
		return label{"বাংলাদেশ (জাতীয়)", "Bangladesh (national)"}
	case reports.LevelDivision:
		return label{r.Scope.NameBN + " বিভাগ", r.Scope.NameEN + " division"}
	case reports.LevelDistrict:
		return label{r.Scope.NameBN + " জেলা", r.Scope.NameEN + " district"}
	}
	return label{r.Scope.NameBN, r.Scope.NameEN}
}

// periodLabel names a month or a fiscal year.
func periodLabel(p reports.Period) label {
	if p.FY {
		return label{"অর্থবছর " + bnfmt.Digits(p.Name) + " (জুলাই–জুন)", "Fiscal year " + p.Name + " (July–June)"}
	}
	return label{"মাস " + bnfmt.Digits(p.Name), "Month " + p.Name}
}

type pageTable struct {
	Title  label
	Header []label
	Rows   [][]string
}

type bar struct {
	X, GiftsY, GiftsH, GivenY, GivenH float64
	Label, Tip                        string
}

type pageView struct {
	Nonce              string
	Title, Period      label
	Tables             []pageTable
	Bars               []bar
	ChartW, ChartH     float64
	Max                string
	CSV, XLSX, PDF     string
	AsOf               string
	ZakatIneligibleBad bool
}

// page renders the report as an HTML page, Bengali first, with the monthly
// gifts and aid given as an inline SVG chart (no script, no image: the
// pages' content security policy allows neither).
func (h *handlers) page(c *fiber.Ctx) error {
	r, err := h.report(c)
	if err != nil {
		return err
	}
	nonce := webkit.Nonce(c)
	base := strings.TrimSuffix(c.Path(), "/")
	v := pageView{Nonce: nonce, Title: scopeTitle(r), Period: periodLabel(r.Period), CSV: base + ".csv", XLSX: base + ".xlsx", PDF: base + ".pdf",
		AsOf: bnfmt.DateBN(r.AsOf), ZakatIneligibleBad: r.Zakat.SpentIneligible > 0}
	for _, t := range tables(r) {
		pt := pageTable{Title: t.Title, Header: t.Header}
		for _, row := range t.Rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = c.pretty()
			}
			pt.Rows = append(pt.Rows, cells)
		}
		v.Tables = append(v.Tables, pt)
	}
	v.ChartW, v.ChartH, v.Bars, v.Max = chart(r.Monthly)
	c.Set(fiber.HeaderContentType, fiber.MIMETextHTMLCharsetUTF8)
	c.Set(fiber.HeaderCacheControl, "private, no-store")
	var b strings.Builder
	if err := pageTmpl.Execute(&b, v); err != nil {
		return fmt.Errorf("render report page: %w", err)
	}
	return c.SendString(b.String())
}

// chart lays out one pair of bars (gifts, aid given) per month.
func chart(months []reports.MonthRow) (w, h float64, bars []bar, maxLabel string) {
	const barW, gap, plotH, top = 14.0, 10.0, 140.0, 10.0
	var most money.Amount
	for _, m := range months {
		most = max(most, m.Gifts, m.Given)
	}
	w = float64(len(months))*(2*barW+gap) + gap
	h = plotH + top + 30
	for i, m := range months {
		x := gap + float64(i)*(2*barW+gap)
		scale := func(a money.Amount) float64 {
			if most == 0 {
				return 0
			}
			return plotH * float64(a) / float64(most)
		}
		gh, vh := scale(m.Gifts), scale(m.Given)
		bars = append(bars, bar{X: x, GiftsY: top + plotH - gh, GiftsH: gh, GivenY: top + plotH - vh, GivenH: vh,
			Label: bnfmt.Digits(m.Month[5:]), Tip: bnfmt.Digits(m.Month) + ": দান " + bnfmt.Taka(m.Gifts, "bn") + ", সহায়তা " + bnfmt.Taka(m.Given, "bn")})
	}
	return w, h, bars, bnfmt.Taka(most, "bn")
}
