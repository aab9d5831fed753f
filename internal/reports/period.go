package reports

import (
	"fmt"
	"regexp"
	"strconv"
	"time"
)

// Period is a run of whole months, From..To inclusive ("2006-01"): a month
// or a fiscal year (July–June).
type Period struct {
	// Name is "2025-26" for a fiscal year, "2026-03" for a month.
	Name     string
	From, To string
	// FY marks a fiscal year (distinct patients count per year then).
	FY bool
}

var (
	fyRE    = regexp.MustCompile(`^(\d{4})-(\d{2})$`)
	monthRE = regexp.MustCompile(`^\d{4}-(0[1-9]|1[0-2])$`)
)

// ParsePeriod reads a fiscal year ("2025-26": 1 July 2025 – 30 June 2026)
// or a month ("2026-03").
func ParsePeriod(s string) (Period, error) {
	if monthRE.MatchString(s) {
		return Period{Name: s, From: s, To: s}, nil
	}
	m := fyRE.FindStringSubmatch(s)
	if m == nil {
		return Period{}, fmt.Errorf("period %q: give a fiscal year as 2025-26 or a month as 2026-03", s)
	}
	y, _ := strconv.Atoi(m[1])
	if y < 2000 || y > 2999 || fmt.Sprintf("%02d", (y+1)%100) != m[2] {
		return Period{}, fmt.Errorf("period %q: a fiscal year runs from July of one year to June of the next, e.g. 2025-26", s)
	}
	return Period{Name: s, From: fmt.Sprintf("%d-07", y), To: fmt.Sprintf("%d-06", y+1), FY: true}, nil
}

// FiscalYearOf is the fiscal year t falls in (Asia/Dhaka).
func FiscalYearOf(t time.Time) string {
	d := t.In(dhaka)
	y := d.Year()
	if d.Month() < time.July {
		y--
	}
	return fmt.Sprintf("%d-%02d", y, (y+1)%100)
}

// Contains reports whether month lies in the period.
func (p Period) Contains(month string) bool { return month >= p.From && month <= p.To }

// Months lists the period's months in order.
func (p Period) Months() []string {
	t, err := time.Parse("2006-01", p.From)
	if err != nil {
		return nil
	}
	var out []string
	for m := t.Format("2006-01"); m <= p.To; m = t.Format("2006-01") {
		out = append(out, m)
		t = t.AddDate(0, 1, 0)
	}
	return out
}

// End is the first instant after the period (Asia/Dhaka).
func (p Period) End() time.Time {
	t, _ := time.ParseInLocation("2006-01", p.To, dhaka)
	return t.AddDate(0, 1, 0)
}

// key is the period's name in patient counts ("month" or "fy").
func (p Period) key() string {
	if p.FY {
		return "fy"
	}
	return "month"
}
