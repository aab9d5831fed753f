package oversight

import (
	"bytes"
	"encoding/csv"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

// sample is a district report over two units with gifts of every channel
// and aid given.
func sample(t *testing.T) *reports.Report {
	t.Helper()
	at := time.Date(2025, 8, 10, 6, 0, 0, 0, time.UTC)
	tally := func(unit string, facts ...reports.Fact) *reports.Tally {
		tl := reports.NewTally(unit)
		for i := range facts {
			facts[i].Seq = int64(i + 1)
			if err := tl.Add(&facts[i]); err != nil {
				t.Fatal(err)
			}
		}
		return tl
	}
	r := &aid.Request{ID: "aid_1", Unit: "u1", Diagnosis: "cancer", Urgency: "high", ZakatEligible: true,
		Items: []aid.Item{{Category: "medicine", Approved: money.Taka(700)}}, ApprovedAt: at.Add(-48 * time.Hour), CreatedAt: at.Add(-72 * time.Hour),
		Patient: aid.Patient{IDKey: "nid13:1234567890123"}}
	part := aid.Part{Number: 1, Items: []aid.Disbursement{{Item: 0, Amount: money.Taka(700)}}}
	given := reports.GivenFact(reports.Given{Source: "aid_1/disbursed/1", Request: r, Part: &part, At: at,
		Spent:   []aid.Allocation{{Fund: "fund:zakat", Amount: money.Taka(700)}},
		FirstIn: reports.PatientScopes(r, "cumilla", "chattagram", at)}, func(a string) string { return strings.TrimPrefix(a, "fund:") })
	in := []reports.UnitInput{
		{Code: "u1", NameBN: "ইউনিট এক", NameEN: "Unit One", District: "cumilla", Division: "chattagram", Facts: tally("u1",
			reports.GiftFact("d1/paid", "u1", "zakat", "", "bkash", money.Taka(1500), at),
			reports.GiftFact("d2/paid", "u1", "general", "", "cash", money.Taka(250), at),
			reports.RefundFact("d1/refund/1", "u1", "zakat", "", "bkash", money.Taka(100), at), given)},
		{Code: "u2", NameBN: "ইউনিট দুই", NameEN: "Unit Two", District: "cumilla", Division: "chattagram", Facts: tally("u2",
			reports.GiftFact("d3/paid", "u2", "sadaqah", "cancer", "bkash_app", money.Taka(1234), at))},
	}
	fy, err := reports.ParsePeriod("2025-26")
	if err != nil {
		t.Fatal(err)
	}
	return reports.Build(reports.Scope{Level: reports.LevelDistrict, Code: "cumilla", NameBN: "কুমিল্লা", NameEN: "Cumilla"}, fy, at, in)
}

func TestReportFigures(t *testing.T) {
	r := sample(t)
	if r.Gifts.Amount != money.Taka(2984) || r.Gifts.Count != 3 || r.Refunds.Amount != money.Taka(100) || r.Given.Amount != money.Taka(700) {
		t.Fatalf("gifts %v refunds %v given %v", r.Gifts, r.Refunds, r.Given)
	}
	if r.Patients != (reports.Patients{Distinct: 1, New: 1}) || r.Zakat.SpentEligible != money.Taka(700) || r.Zakat.Received != money.Taka(1500) {
		t.Fatalf("patients %+v zakat %+v", r.Patients, r.Zakat)
	}
	if len(r.Children) != 2 || r.Children[0].Gifts.Amount != money.Taka(1750) || r.Children[0].Patients != 1 {
		t.Fatalf("roll-up %+v", r.Children)
	}
	if d := r.ApproveToGive.Days(); d != 2 {
		t.Fatalf("approval to aid given: %v days", d)
	}
}

// Every format carries the same figures: CSV and XLSX as plain numbers for
// spreadsheets, the PDF and the page in Bengali.
func TestReportFormats(t *testing.T) {
	r := sample(t)
	var b bytes.Buffer
	if err := writeCSV(&b, r); err != nil {
		t.Fatal(err)
	}
	cr := csv.NewReader(strings.NewReader(strings.TrimPrefix(b.String(), "\ufeff")))
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	found := map[string]string{}
	for _, rec := range recs {
		if len(rec) == 2 {
			found[rec[0]] = rec[1]
		}
		if len(rec) == 3 && rec[0] == "বিকাশ অ্যাপ / bKash app" && rec[1] != "1234.00" {
			t.Errorf("CSV app gifts: %v", rec)
		}
	}
	if found["দান (টাকা) / Gifts (taka)"] != "2984.00" || found["সহায়তাপ্রাপ্ত রোগী / Patients helped (distinct)"] != "1" {
		t.Errorf("CSV summary: %v", found)
	}

	b.Reset()
	if err := writeXLSX(&b, r); err != nil {
		t.Fatal(err)
	}
	x, err := excelize.OpenReader(&b)
	if err != nil {
		t.Fatal(err)
	}
	v, err := x.GetCellValue("summary", "B4", excelize.Options{RawCellValue: true})
	if err != nil || v != "2984" {
		t.Errorf("XLSX gifts: %q %v (sheets %v)", v, err, x.GetSheetList())
	}
	if sheets := x.GetSheetList(); len(sheets) < 10 || sheets[len(sheets)-1] != "rollup" {
		t.Errorf("XLSX sheets %v", sheets)
	}

	pdf, err := receiptpdf.NewRenderer()
	if err != nil {
		t.Fatal(err)
	}
	b.Reset()
	if err := writePDF(&b, pdf, nil, r); err != nil {
		t.Fatal(err)
	}
	text := pdfText(t, b.Bytes())
	for _, want := range []string{"তদারকি প্রতিবেদন", "কুমিল্লা জেলা", "৳২,৯৮৪.০০", "SHA-256"} {
		if !strings.Contains(text, want) {
			t.Errorf("PDF text lacks %q:\n%s", want, text)
		}
	}

	var page strings.Builder
	w, h, bars, most := chart(r.Monthly)
	view := pageView{Title: scopeTitle(r), Period: periodLabel(r.Period), ChartW: w, ChartH: h, Bars: bars, Max: most, AsOf: "২ ডিসেম্বর ২০২৬"}
	for _, tb := range tables(r) {
		pt := pageTable{Title: tb.Title, Header: tb.Header}
		for _, row := range tb.Rows {
			var cells []string
			for _, c := range row {
				cells = append(cells, c.pretty())
			}
			pt.Rows = append(pt.Rows, cells)
		}
		view.Tables = append(view.Tables, pt)
	}
	if err := pageTmpl.Execute(&page, view); err != nil {
		t.Fatal(err)
	}
	if len(bars) != 12 || !strings.Contains(page.String(), "<svg") || !strings.Contains(page.String(), `lang="bn"`) {
		t.Errorf("page: %d bars", len(bars))
	}
	// KALYAN_REPORT_PAGE=<file> keeps the page (docs/ screenshots).
	if out := os.Getenv("KALYAN_REPORT_PAGE"); out != "" {
		if err := os.WriteFile(out, []byte(page.String()), 0o600); err != nil {
			t.Fatal(err)
		}
	}
}

func pdfText(t *testing.T, pdf []byte) string {
	t.Helper()
	if _, err := exec.LookPath("pdftotext"); err != nil {
		t.Fatal("pdftotext is needed (Debian: poppler-utils)")
	}
	f := filepath.Join(t.TempDir(), "r.pdf")
	if err := os.WriteFile(f, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.CommandContext(t.Context(), "pdftotext", "-enc", "UTF-8", f, "-").Output()
	if err != nil {
		t.Fatal(err)
	}
	return string(out)
}
