// Package reports computes the oversight reports (issue #18) of a unit, a
// district, a division and the nation, per month and fiscal year, from
// aggregates kept incrementally as the platform works.
//
// Every event that changes a report figure (a gift paid, a refund, an aid
// request approved, an aid part given) becomes one Fact: the figures it adds,
// and the month they belong to. A unit's facts form a sequence like its
// ledger (docs/adr/0016-report-aggregates.md): fact n has the key "unit/n"
// and a unique source (the event's ID), so a redelivered event adds nothing,
// and every CheckpointEvery facts the fold of the facts so far (a Tally) is
// stored once. A report reads each unit's tally (its last checkpoint and the
// facts after it) and sums the cells of its months.
package reports

import (
	"cmp"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// CheckpointEvery is how many facts of a unit lie between two checkpoints.
const CheckpointEvery = 100

// Metrics a fact adds to, with the dimensions its key joins by "|".
const (
	// Gifts paid and refunds completed: kind|programme|channel.
	MetricGift   = "gift"
	MetricRefund = "refund"
	// Aid approved (the assessed total): disease|urgency.
	MetricApproved = "approved"
	// Aid given, per item of a confirmed part: disease|category|urgency.
	MetricGiven = "given"
	// What each fund paid for aid given (its ledger "disbursed" lines) and
	// what went back to it unspent: fund.
	MetricSpent    = "spent"
	MetricReturned = "returned"
	// Zakat funds' spending by the request's zakat eligibility:
	// "eligible" or "ineligible" (a red flag: verify reports it).
	MetricZakatSpent = "zakat_spent"
	// Patients helped: a part given to a patient for the first time in a
	// scope and period counts 1 under "level/period" (unit, district,
	// division, nation × month, fy), so distinct patients add up across
	// units; for the first time ever in a scope, 1 under MetricNewPatients
	// "level".
	MetricPatients    = "patients"
	MetricNewPatients = "new_patients"
	// Seconds from filing to approval (at approval), and from approval to
	// the first part given (at that part): averages are Amount/Count.
	MetricFileToApprove = "file_approve"
	MetricApproveToGive = "approve_give"
)

// Channels of a gift.
const (
	ChannelLink    = "link"    // bKash checkout from a donation link or the unit page
	ChannelCounter = "counter" // cash at the unit's counter
	ChannelApp     = "app"     // made in the bKash app, claimed here
)

// Levels of a report's scope.
const (
	LevelUnit     = "unit"
	LevelDistrict = "district"
	LevelDivision = "division"
	LevelNation   = "nation"
)

// Levels lists them from the narrowest.
var Levels = []string{LevelUnit, LevelDistrict, LevelDivision, LevelNation}

// Entry is one figure a fact adds.
type Entry struct {
	Metric string       `bson:"m" json:"m"`
	Key    string       `bson:"k" json:"k"`
	Amount money.Amount `bson:"a" json:"a"`
	Count  int64        `bson:"n" json:"n"`
}

// Fact is what one event adds to a unit's report figures.
type Fact struct {
	// Source is the event's ID: unique, so an event counts once.
	Source  string    `bson:"source"`
	Unit    string    `bson:"unit"`
	Seq     int64     `bson:"seq"`
	At      time.Time `bson:"at"`
	Entries []Entry   `bson:"entries"`
}

// Month is the fact's month ("2006-01", Asia/Dhaka), as the ledger's.
func (f *Fact) Month() string { return MonthOf(f.At) }

var dhaka = time.FixedZone("Asia/Dhaka", 6*60*60)

// MonthOf is t's month in Asia/Dhaka.
func MonthOf(t time.Time) string { return t.In(dhaka).Format("2006-01") }

// Validate checks a fact before it is stored.
func (f *Fact) Validate() error {
	if f.Source == "" || f.Unit == "" || f.At.IsZero() || len(f.Entries) == 0 {
		return errors.New("report fact needs a source, a unit, a time and entries")
	}
	for _, e := range f.Entries {
		if e.Metric == "" || e.Count < 0 {
			return fmt.Errorf("report fact %s: bad entry %+v", f.Source, e)
		}
	}
	return nil
}

// Cell is the sum of a unit's facts' entries of one month, metric and key.
type Cell struct {
	Month  string
	Metric string
	Key    string
	Amount money.Amount
	Count  int64
}

type cellKey struct{ month, metric, key string }

type sums struct {
	amount money.Amount
	count  int64
}

// Tally is the fold of a unit's facts 1..Seq.
type Tally struct {
	Unit  string
	Seq   int64
	cells map[cellKey]sums
}

// NewTally is the tally of no facts.
func NewTally(unit string) *Tally { return &Tally{Unit: unit, cells: map[cellKey]sums{}} }

// Clone returns an independent copy.
func (t *Tally) Clone() *Tally {
	c := &Tally{Unit: t.Unit, Seq: t.Seq, cells: make(map[cellKey]sums, len(t.cells))}
	for k, v := range t.cells {
		c.cells[k] = v
	}
	return c
}

// Add folds the unit's next fact in; facts must come in sequence.
func (t *Tally) Add(f *Fact) error {
	if f.Unit != t.Unit || f.Seq != t.Seq+1 {
		return fmt.Errorf("report tally of %s at %d: fact %s/%d is not the next one", t.Unit, t.Seq, f.Unit, f.Seq)
	}
	month := f.Month()
	for _, e := range f.Entries {
		k := cellKey{month, e.Metric, e.Key}
		s := t.cells[k]
		t.cells[k] = sums{s.amount + e.Amount, s.count + e.Count}
	}
	t.Seq = f.Seq
	return nil
}

// Cells returns the cells in a stable order.
func (t *Tally) Cells() []Cell {
	out := make([]Cell, 0, len(t.cells))
	for k, v := range t.cells {
		out = append(out, Cell{Month: k.month, Metric: k.metric, Key: k.key, Amount: v.amount, Count: v.count})
	}
	slices.SortFunc(out, func(a, b Cell) int {
		return cmp.Or(cmp.Compare(a.Month, b.Month), cmp.Compare(a.Metric, b.Metric), cmp.Compare(a.Key, b.Key))
	})
	return out
}

// Equal reports whether two tallies are the same fold.
func (t *Tally) Equal(o *Tally) bool {
	if t.Unit != o.Unit || t.Seq != o.Seq || len(t.cells) != len(o.cells) {
		return false
	}
	for k, v := range t.cells {
		if o.cells[k] != v {
			return false
		}
	}
	return true
}

// Checkpoint is a tally as stored.
type Checkpoint struct {
	Unit string `bson:"unit"`
	Seq  int64  `bson:"seq"`
	// Packed is the cells in Cells order as one binary value, in the
	// ledger checkpoints' encoding (ledger.PackCells: a dictionary of the
	// strings, then varints; ~10 bytes a cell), the metric in the class
	// slot and the key in the fund slot: a store decodes one value at once
	// (ADR 0012's lesson), and every writer stores the same bytes.
	Packed []byte `bson:"packed"`
}

// Checkpoint returns the tally to store.
func (t *Tally) Checkpoint() Checkpoint {
	cells := t.Cells()
	lc := make([]ledger.Cell, len(cells))
	for i, c := range cells {
		lc[i] = ledger.Cell{Month: c.Month, Class: c.Metric, Fund: c.Key, Debit: c.Amount, Lines: c.Count}
	}
	return Checkpoint{Unit: t.Unit, Seq: t.Seq, Packed: ledger.PackCells(lc)}
}

// Tally restores a stored checkpoint; a value no writer stores is an error.
func (c Checkpoint) Tally() (*Tally, error) {
	cells, err := ledger.UnpackCells(c.Packed)
	if err != nil {
		return nil, fmt.Errorf("report checkpoint %s/%d: %w", c.Unit, c.Seq, err)
	}
	t := &Tally{Unit: c.Unit, Seq: c.Seq, cells: make(map[cellKey]sums, len(cells))}
	for _, x := range cells {
		if x.Cause != "" || x.Credit != 0 {
			return nil, fmt.Errorf("report checkpoint %s/%d: not a report cell", c.Unit, c.Seq)
		}
		k := cellKey{x.Month, x.Class, x.Fund}
		if _, dup := t.cells[k]; dup {
			return nil, fmt.Errorf("report checkpoint %s/%d: cell %v twice", c.Unit, c.Seq, k)
		}
		t.cells[k] = sums{x.Debit, x.Lines}
	}
	return t, nil
}

// each calls fn with the cells of the months in p.
func (t *Tally) each(p Period, fn func(month, metric, key string, amount money.Amount, count int64)) {
	for k, v := range t.cells {
		if p.Contains(k.month) {
			fn(k.month, k.metric, k.key, v.amount, v.count)
		}
	}
}

// Count sums the counts of metric and key over the months of p.
func (t *Tally) Count(p Period, metric, key string) int64 {
	var n int64
	for k, v := range t.cells {
		if k.metric == metric && k.key == key && p.Contains(k.month) {
			n += v.count
		}
	}
	return n
}
