package reports

import (
	"cmp"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// LunarYear is how long zakat may be held before it is idle: a lunar year
// (354 days) — zakat held longer is a red flag for donors.
const LunarYear = 354 * 24 * time.Hour

// Scope is what a report covers.
type Scope struct {
	Level string
	// Code is the unit code or the district/division geo code ("" for the
	// nation).
	Code   string
	NameBN string
	NameEN string
}

// Waitlist is a unit's approved requests still waiting for money, as of a
// snapshot.
type Waitlist struct {
	Requests int          `bson:"requests" json:"requests"`
	Needed   money.Amount `bson:"needed" json:"needed"`
	// Oldest is when the longest-waiting request was approved (zero: none).
	Oldest time.Time `bson:"oldest,omitempty" json:"oldest"`
}

func (w *Waitlist) add(o Waitlist) {
	w.Requests += o.Requests
	w.Needed += o.Needed
	if !o.Oldest.IsZero() && (w.Oldest.IsZero() || o.Oldest.Before(w.Oldest)) {
		w.Oldest = o.Oldest
	}
}

// OldestDays is how many days the longest-waiting request has waited at t.
func (w Waitlist) OldestDays(t time.Time) int {
	if w.Oldest.IsZero() {
		return 0
	}
	return int(t.Sub(w.Oldest) / (24 * time.Hour))
}

// UnitInput is what a report reads of one unit.
type UnitInput struct {
	Code, NameBN, NameEN string
	// District and Division are geo codes.
	District, Division string
	Facts              *Tally
	// Ledger is the unit's ledger tally (idle zakat); nil: none.
	Ledger   *ledger.Tally
	Waitlist Waitlist
}

// Total is an amount and how many things made it.
type Total struct {
	Amount money.Amount
	Count  int64
}

// Line is one row of a breakdown.
type Line struct {
	Key string
	Total
}

// Average is a sum of durations and their number.
type Average struct {
	Seconds int64
	Count   int64
}

// Days is the average in days (0 without data).
func (a Average) Days() float64 {
	if a.Count == 0 {
		return 0
	}
	return float64(a.Seconds) / float64(a.Count) / 86400
}

// Zakat are a scope's zakat figures.
type Zakat struct {
	Received, Refunded money.Amount
	// SpentEligible reached zakat-eligible patients; SpentIneligible
	// anything else (must be zero: verify reports it).
	SpentEligible, SpentIneligible money.Amount
	// Idle is zakat that came into a zakat fund more than a lunar year
	// before AsOf and has not left it (first in, first out, by month).
	Idle money.Amount
}

// Patients are distinct identities helped in the period.
type Patients struct{ Distinct, New, Repeat int64 }

// MonthRow is one month of the chart.
type MonthRow struct {
	Month                 string
	Gifts, Given, Refunds money.Amount
}

// ChildRow is one unit (district report), district (division report) or
// division (national report) of a roll-up.
type ChildRow struct {
	Level, Code, NameBN, NameEN string
	Units                       int
	Gifts, Refunds, Given       Total
	Patients                    int64
	Waitlist                    Waitlist
	ZakatIdle                   money.Amount
}

// Report is one scope's figures for one period.
type Report struct {
	Scope  Scope
	Period Period
	// AsOf is when it was built: the waitlist and idle zakat are as of then.
	AsOf  time.Time
	Units int

	Gifts, Refunds, Approved, Given Total
	// Breakdowns: GiftsBy "kind", "programme", "channel"; RefundsBy the
	// same; ApprovedBy "disease", "urgency"; GivenBy "disease", "category",
	// "urgency".
	GiftsBy, RefundsBy, ApprovedBy, GivenBy map[string][]Line
	// SpentBy is what each fund paid for aid given; Returned what went back.
	SpentBy  []Line
	Returned money.Amount

	Zakat         Zakat
	Patients      Patients
	Waitlist      Waitlist
	FileToApprove Average
	ApproveToGive Average
	Monthly       []MonthRow
	Children      []ChildRow
}

// dims name the dimensions of each metric's key.
var dims = map[string][]string{
	MetricGift:     {"kind", "programme", "channel"},
	MetricRefund:   {"kind", "programme", "channel"},
	MetricApproved: {"disease", "urgency"},
	MetricGiven:    {"disease", "category", "urgency"},
}

// Build computes the report of scope over p from the inputs of the units in
// scope (the caller selects them), as of now.
func Build(scope Scope, p Period, now time.Time, in []UnitInput) *Report {
	r := &Report{Scope: scope, Period: p, AsOf: now, Units: len(in),
		GiftsBy: map[string][]Line{}, RefundsBy: map[string][]Line{}, ApprovedBy: map[string][]Line{}, GivenBy: map[string][]Line{}}
	by := map[string]map[string]map[string]Total{} // metric → dim → value → total
	add := func(metric, key string, t Total) {
		names := dims[metric]
		parts := strings.Split(key, "|")
		if by[metric] == nil {
			by[metric] = map[string]map[string]Total{}
		}
		for i, d := range names {
			v := ""
			if i < len(parts) {
				v = parts[i]
			}
			if by[metric][d] == nil {
				by[metric][d] = map[string]Total{}
			}
			s := by[metric][d][v]
			by[metric][d][v] = Total{s.Amount + t.Amount, s.Count + t.Count}
		}
	}
	months := map[string]*MonthRow{}
	for _, m := range p.Months() {
		months[m] = &MonthRow{Month: m}
	}
	spent := map[string]Total{}
	level := scope.Level
	if level == "" {
		level = LevelNation
	}
	children := map[string]*ChildRow{}
	for _, u := range in {
		w := u.Waitlist
		r.Waitlist.add(w)
		idle := IdleZakat(u.Ledger, now, LunarYear)
		r.Zakat.Idle += idle
		c := child(children, level, u)
		c.Units++
		c.Waitlist.add(w)
		c.ZakatIdle += idle
		if u.Facts == nil {
			continue
		}
		u.Facts.each(p, func(month, metric, key string, amount money.Amount, count int64) {
			t := Total{amount, count}
			switch metric {
			case MetricGift:
				r.Gifts = plus(r.Gifts, t)
				c.Gifts = plus(c.Gifts, t)
				months[month].Gifts += amount
				if strings.HasPrefix(key, "zakat|") {
					r.Zakat.Received += amount
				}
				add(metric, key, t)
			case MetricRefund:
				r.Refunds = plus(r.Refunds, t)
				c.Refunds = plus(c.Refunds, t)
				months[month].Refunds += amount
				if strings.HasPrefix(key, "zakat|") {
					r.Zakat.Refunded += amount
				}
				add(metric, key, t)
			case MetricApproved:
				r.Approved = plus(r.Approved, t)
				add(metric, key, t)
			case MetricGiven:
				r.Given = plus(r.Given, t)
				c.Given = plus(c.Given, t)
				months[month].Given += amount
				add(metric, key, t)
			case MetricSpent:
				spent[key] = plus(spent[key], t)
			case MetricReturned:
				r.Returned += amount
			case MetricZakatSpent:
				if key == "eligible" {
					r.Zakat.SpentEligible += amount
				} else {
					r.Zakat.SpentIneligible += amount
				}
			case MetricPatients:
				if key == level+"/"+p.key() {
					r.Patients.Distinct += count
				}
				if key == childLevel(level)+"/"+p.key() {
					c.Patients += count
				}
			case MetricNewPatients:
				if key == level {
					r.Patients.New += count
				}
			case MetricFileToApprove:
				r.FileToApprove.Seconds += int64(amount)
				r.FileToApprove.Count += count
			case MetricApproveToGive:
				r.ApproveToGive.Seconds += int64(amount)
				r.ApproveToGive.Count += count
			}
		})
	}
	r.Patients.Repeat = r.Patients.Distinct - r.Patients.New
	for _, m := range p.Months() {
		r.Monthly = append(r.Monthly, *months[m])
	}
	for metric, into := range map[string]map[string][]Line{MetricGift: r.GiftsBy, MetricRefund: r.RefundsBy, MetricApproved: r.ApprovedBy, MetricGiven: r.GivenBy} {
		for d, vals := range by[metric] {
			into[d] = lines(vals)
		}
	}
	r.SpentBy = lines(spent)
	for _, k := range slices.Sorted(maps.Keys(children)) {
		r.Children = append(r.Children, *children[k])
	}
	return r
}

func plus(a, b Total) Total { return Total{a.Amount + b.Amount, a.Count + b.Count} }

// lines orders a breakdown by amount, largest first (then by key).
func lines(m map[string]Total) []Line {
	out := make([]Line, 0, len(m))
	for k, v := range m {
		out = append(out, Line{Key: k, Total: v})
	}
	slices.SortFunc(out, func(a, b Line) int { return cmp.Or(cmp.Compare(b.Amount, a.Amount), cmp.Compare(a.Key, b.Key)) })
	return out
}

// childLevel is the level a scope's roll-up rows are at.
func childLevel(level string) string {
	switch level {
	case LevelNation:
		return LevelDivision
	case LevelDivision:
		return LevelDistrict
	}
	return LevelUnit
}

// child returns the roll-up row u belongs to.
func child(rows map[string]*ChildRow, level string, u UnitInput) *ChildRow {
	cl := childLevel(level)
	code := u.Code
	switch cl {
	case LevelDivision:
		code = u.Division
	case LevelDistrict:
		code = u.District
	}
	c := rows[code]
	if c == nil {
		c = &ChildRow{Level: cl, Code: code}
		if cl == LevelUnit {
			c.NameBN, c.NameEN = u.NameBN, u.NameEN
		}
		rows[code] = c
	}
	return c
}

// IsZakatFund reports whether a ledger fund name is a zakat fund ("zakat",
// "zakat:<programme>").
func IsZakatFund(fund string) bool { return fund == "zakat" || strings.HasPrefix(fund, "zakat:") }

// IdleZakat is the zakat in the unit's zakat funds that came in during
// months that ended more than age before now and has not left since: per
// fund, what came in by then less everything that ever left (first in,
// first out), never below zero.
func IdleZakat(t *ledger.Tally, now time.Time, age time.Duration) money.Amount {
	if t == nil {
		return 0
	}
	cutoff := now.Add(-age)
	old, out := map[string]money.Amount{}, map[string]money.Amount{}
	for _, c := range t.Cells() {
		if c.Class != ledger.ClassFund || !IsZakatFund(c.Fund) {
			continue
		}
		out[c.Fund] += c.Debit
		start, err := time.ParseInLocation("2006-01", c.Month, dhaka)
		if err == nil && !start.AddDate(0, 1, 0).After(cutoff) {
			old[c.Fund] += c.Credit
		}
	}
	var idle money.Amount
	for f, in := range old {
		idle += max(0, in-out[f])
	}
	return idle
}
