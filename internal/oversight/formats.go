package oversight

import (
	"bytes"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"fmt"
	"io"
	"strconv"

	"github.com/xuri/excelize/v2"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/receiptpdf"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

// writeCSV writes the report's tables one after another: a title line,
// the header, the rows, a blank line. UTF-8 with a byte-order mark, which
// spreadsheet programs need to read Bengali from CSV.
func writeCSV(w io.Writer, r *reports.Report) error {
	if _, err := io.WriteString(w, "\ufeff"); err != nil {
		return err
	}
	cw := csv.NewWriter(w)
	head := []string{"report", scopeTitle(r).EN, "period", r.Period.Name, "as of", r.AsOf.UTC().Format("2006-01-02T15:04:05Z")}
	if err := cw.Write(head); err != nil {
		return err
	}
	for _, t := range tables(r) {
		_ = cw.Write(nil)
		_ = cw.Write([]string{t.ID, t.Title.both()})
		hdr := make([]string, len(t.Header))
		for i, h := range t.Header {
			hdr[i] = h.both()
		}
		_ = cw.Write(hdr)
		for _, row := range t.Rows {
			rec := make([]string, len(row))
			for i, c := range row {
				rec[i] = c.plain()
			}
			_ = cw.Write(rec)
		}
	}
	cw.Flush()
	return cw.Error()
}

// writeXLSX writes one sheet per table, figures as numbers (taka with two
// decimals), for the Department's spreadsheets.
func writeXLSX(w io.Writer, r *reports.Report) error {
	f := excelize.NewFile()
	defer f.Close()
	taka, err := f.NewStyle(&excelize.Style{NumFmt: 4}) // #,##0.00
	if err != nil {
		return err
	}
	bold, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return err
	}
	for i, t := range tables(r) {
		sheet := t.ID
		if i == 0 {
			if err := f.SetSheetName("Sheet1", sheet); err != nil {
				return err
			}
		} else if _, err := f.NewSheet(sheet); err != nil {
			return err
		}
		set := func(col, row int, v any) error {
			ref, err := excelize.CoordinatesToCellName(col, row)
			if err != nil {
				return err
			}
			return f.SetCellValue(sheet, ref, v)
		}
		if err := set(1, 1, scopeTitle(r).both()+" — "+t.Title.both()+" — "+r.Period.Name); err != nil {
			return err
		}
		for c, h := range t.Header {
			if err := set(c+1, 2, h.both()); err != nil {
				return err
			}
		}
		_ = f.SetRowStyle(sheet, 1, 2, bold)
		for ri, row := range t.Rows {
			for ci, c := range row {
				var v any = c.text
				switch {
				case c.amount != nil:
					v = float64(*c.amount) / 100
				case c.count != nil:
					v = *c.count
				case c.days != nil:
					v = *c.days
				}
				if err := set(ci+1, ri+3, v); err != nil {
					return err
				}
				if c.amount != nil {
					ref, _ := excelize.CoordinatesToCellName(ci+1, ri+3)
					_ = f.SetCellStyle(sheet, ref, ref, taka)
				}
			}
		}
		_ = f.SetColWidth(sheet, "A", "A", 48)
		_ = f.SetColWidth(sheet, "B", "H", 16)
	}
	return f.Write(w)
}

// Sealer seals a report's digest with the platform's key (signing.Sealer's
// keyed IDs), so a printed report can be checked against the platform.
type Sealer interface {
	KeyedIDs(input string) ([][]byte, error)
}

// seal is the printed seal of a report: the SHA-256 of its CSV and the
// platform's keyed MAC over that digest.
func seal(s Sealer, r *reports.Report) (digest, mac string, err error) {
	var b bytes.Buffer
	if err := writeCSV(&b, r); err != nil {
		return "", "", err
	}
	sum := sha256.Sum256(b.Bytes())
	digest = hex.EncodeToString(sum[:])
	if s == nil {
		return digest, "", nil
	}
	ids, err := s.KeyedIDs("oversight-report\x00" + digest)
	if err != nil || len(ids) == 0 {
		return "", "", fmt.Errorf("seal report: %w", err)
	}
	return digest, hex.EncodeToString(ids[0][:16]), nil
}

// writePDF writes the report with the receipt PDF engine, sealed.
func writePDF(w io.Writer, pdf *receiptpdf.Renderer, s Sealer, r *reports.Report) error {
	digest, mac, err := seal(s, r)
	if err != nil {
		return err
	}
	title := scopeTitle(r)
	doc := receiptpdf.TableDoc{
		Title:       "তদারকি প্রতিবেদন: " + title.BN + "  ·  Oversight report: " + title.EN,
		Subtitle:    periodLabel(r.Period).both(),
		GeneratedAt: r.AsOf,
		Seal:        "SHA-256 " + digest + "  ·  seal " + mac,
	}
	for _, t := range tables(r) {
		dt := receiptpdf.DocTable{Title: t.Title.both()}
		for _, h := range t.Header {
			dt.Header = append(dt.Header, h.both())
		}
		for _, row := range t.Rows {
			cells := make([]string, len(row))
			for i, c := range row {
				cells[i] = c.pretty()
			}
			dt.Rows = append(dt.Rows, cells)
		}
		doc.Tables = append(doc.Tables, dt)
	}
	return pdf.RenderTables(w, doc)
}

// pretty is the cell as pages and PDFs show it: taka grouped in lakh and
// crore, Bengali digits for counts.
func (c cell) pretty() string {
	switch {
	case c.amount != nil:
		return bnfmt.Taka(*c.amount, "bn")
	case c.count != nil:
		return bnfmt.Digits(bnfmt.Group(*c.count))
	case c.days != nil:
		return bnfmt.Digits(strconv.FormatFloat(*c.days, 'f', 1, 64))
	}
	return c.text
}
