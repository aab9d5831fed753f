package ledger

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// CheckpointEvery is how many entries of a unit's ledger lie between two of
// its checkpoints: a checkpoint is stored at every multiple of it, so a read
// folds at most CheckpointEvery-1 entries after the last one (ADR 0012).
const CheckpointEvery = 100

// Account classes of a Cell: what the public figures tell apart.
const (
	ClassFund      = "fund"
	ClassHeld      = "held"
	ClassDisbursed = "disbursed"
)

// Cell is the sum of a unit's ledger lines of one month (Asia/Dhaka), fund,
// account class and cause: the grain of the public figures and of reports.
type Cell struct {
	Month  string       `json:"month"`
	Class  string       `json:"class"`
	Fund   string       `json:"fund"`
	Cause  string       `json:"cause"`
	Debit  money.Amount `json:"debit"`
	Credit money.Amount `json:"credit"`
	// Lines is how many ledger lines were summed (a gift's credit is one).
	Lines int64 `json:"lines"`
}

type cellKey struct{ month, class, fund, cause string }

type cellSums struct {
	debit, credit money.Amount
	lines         int64
}

// Tally is the fold of a unit's ledger entries 1..Seq into cells. It is what
// a checkpoint stores and what the public figures are derived from; folding
// one more entry costs its lines, never the history.
type Tally struct {
	Unit  string
	Seq   int64
	cells map[cellKey]cellSums
}

// NewTally returns the tally of a unit's empty ledger.
func NewTally(unit string) *Tally { return &Tally{Unit: unit, cells: map[cellKey]cellSums{}} }

// Clone returns an independent copy.
func (t *Tally) Clone() *Tally {
	c := &Tally{Unit: t.Unit, Seq: t.Seq, cells: make(map[cellKey]cellSums, len(t.cells))}
	for k, v := range t.cells {
		c.cells[k] = v
	}
	return c
}

// Add folds the unit's next entry in. Entries must come in sequence: a gap
// or a repeat would make every later figure wrong, so it is an error.
func (t *Tally) Add(tx *Transaction) error {
	if tx.Unit != t.Unit || tx.Seq != t.Seq+1 {
		return fmt.Errorf("tally of %s at %d: entry %s/%d is not the next one", t.Unit, t.Seq, tx.Unit, tx.Seq)
	}
	t.AddAny(tx)
	t.Seq = tx.Seq
	return nil
}

// AddAny folds an entry in without the sequence check and leaves Seq as it
// is: for sums of parts of a ledger read in no order (verify's segments),
// which Merge then adds up in order.
func (t *Tally) AddAny(tx *Transaction) {
	month := tx.At.In(dhaka).Format("2006-01")
	for _, l := range tx.Lines {
		class, fund, ok := classify(l.Account)
		if !ok {
			continue
		}
		k := cellKey{month: month, class: class, fund: fund, cause: tx.Cause}
		s := t.cells[k]
		s.debit += l.Debit
		s.credit += l.Credit
		s.lines++
		t.cells[k] = s
	}
}

// Merge adds o's cells to t's (Seq is the caller's to set).
func (t *Tally) Merge(o *Tally) {
	for k, v := range o.cells {
		s := t.cells[k]
		t.cells[k] = cellSums{debit: s.debit + v.debit, credit: s.credit + v.credit, lines: s.lines + v.lines}
	}
}

// classify names the public class and fund of an account; clearing and
// per-request accounts are not public figures.
func classify(account string) (class, fund string, ok bool) {
	switch {
	case strings.HasPrefix(account, DisbursedPrefix):
		return ClassDisbursed, FundName(account), true
	case IsHold(account):
		return ClassHeld, FundName(account), true
	case IsFund(account):
		return ClassFund, FundName(account), true
	}
	return "", "", false
}

// Cells returns the tally's cells in a stable order (month, class, fund,
// cause), as a checkpoint stores them.
func (t *Tally) Cells() []Cell {
	out := make([]Cell, 0, len(t.cells))
	for k, v := range t.cells {
		out = append(out, Cell{Month: k.month, Class: k.class, Fund: k.fund, Cause: k.cause, Debit: v.debit, Credit: v.credit, Lines: v.lines})
	}
	slices.SortFunc(out, func(a, b Cell) int {
		return cmp.Or(cmp.Compare(a.Month, b.Month), cmp.Compare(a.Class, b.Class), cmp.Compare(a.Fund, b.Fund), cmp.Compare(a.Cause, b.Cause))
	})
	return out
}

// Checkpoint is a tally as stored: the fold of entries 1..Seq of Unit.
type Checkpoint struct {
	Unit string
	Seq  int64
	// Packed is the cells as one binary value (PackCells). A store decodes
	// a document value by value: FerretDB spent ~80 ms on the ~1,700 cell
	// documents of a year's checkpoint, most of a cold read (issue #21);
	// one binary value of ~16 bytes a cell costs it next to nothing.
	Packed []byte
	// Cells is the first stored form, one document per cell: still read,
	// never written.
	Cells []Cell
}

// Checkpoint returns the tally to store.
func (t *Tally) Checkpoint() Checkpoint {
	return Checkpoint{Unit: t.Unit, Seq: t.Seq, Packed: PackCells(t.Cells())}
}

// Unpack returns the checkpoint's cells, whichever form they are stored in.
func (c Checkpoint) Unpack() ([]Cell, error) {
	if c.Packed == nil {
		return c.Cells, nil
	}
	cells, err := UnpackCells(c.Packed)
	if err != nil {
		return nil, fmt.Errorf("checkpoint %s/%d: %w", c.Unit, c.Seq, err)
	}
	return cells, nil
}

// Tally restores a stored checkpoint.
func (c Checkpoint) Tally() (*Tally, error) {
	cells, err := c.Unpack()
	if err != nil {
		return nil, err
	}
	t := &Tally{Unit: c.Unit, Seq: c.Seq, cells: make(map[cellKey]cellSums, len(cells))}
	for _, x := range cells {
		k := cellKey{month: x.Month, class: x.Class, fund: x.Fund, cause: x.Cause}
		s := t.cells[k]
		t.cells[k] = cellSums{debit: s.debit + x.Debit, credit: s.credit + x.Credit, lines: s.lines + x.Lines}
	}
	return t, nil
}

// packVersion is the first byte of a packed checkpoint.
const packVersion = 1

// PackCells encodes cells compactly: a version byte, the distinct strings
// (in order of first use), then per cell the indexes of its month, class,
// fund and cause and its debit, credit and lines as varints. The same cells
// in the same order give the same bytes, so every writer of a checkpoint
// stores the same document.
func PackCells(cells []Cell) []byte {
	index := map[string]uint64{}
	var dict []string
	for _, c := range cells {
		for _, s := range [...]string{c.Month, c.Class, c.Fund, c.Cause} {
			if _, ok := index[s]; !ok {
				index[s] = uint64(len(dict))
				dict = append(dict, s)
			}
		}
	}
	out := []byte{packVersion}
	out = binary.AppendUvarint(out, uint64(len(dict)))
	for _, s := range dict {
		out = binary.AppendUvarint(out, uint64(len(s)))
		out = append(out, s...)
	}
	out = binary.AppendUvarint(out, uint64(len(cells)))
	for _, c := range cells {
		for _, s := range [...]string{c.Month, c.Class, c.Fund, c.Cause} {
			out = binary.AppendUvarint(out, index[s])
		}
		out = binary.AppendVarint(out, int64(c.Debit))
		out = binary.AppendVarint(out, int64(c.Credit))
		out = binary.AppendVarint(out, c.Lines)
	}
	return out
}

// UnpackCells decodes PackCells's bytes; anything else (a truncated or
// altered value) is an error, never cells.
func UnpackCells(b []byte) ([]Cell, error) {
	if len(b) == 0 || b[0] != packVersion {
		return nil, errors.New("packed cells: unknown version")
	}
	r := packReader{b: b[1:]}
	dict := make([]string, r.count())
	for i := range dict {
		n := r.count()
		if r.err != nil {
			return nil, r.err
		}
		dict[i], r.b = string(r.b[:n]), r.b[n:]
	}
	str := func() string {
		i := r.uvarint()
		if r.err == nil && i >= uint64(len(dict)) {
			r.err = errors.New("packed cells: string index out of range")
		}
		if r.err != nil {
			return ""
		}
		return dict[i]
	}
	cells := make([]Cell, r.count())
	for i := range cells {
		c := &cells[i]
		c.Month, c.Class, c.Fund, c.Cause = str(), str(), str(), str()
		c.Debit, c.Credit, c.Lines = money.Amount(r.varint()), money.Amount(r.varint()), r.varint()
	}
	if r.err == nil && len(r.b) != 0 {
		r.err = errors.New("packed cells: trailing bytes")
	}
	if r.err != nil {
		return nil, r.err
	}
	return cells, nil
}

var errTruncated = errors.New("packed cells: truncated")

// packReader reads varints from b, keeping the first error.
type packReader struct {
	b   []byte
	err error
}

func (r *packReader) uvarint() uint64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Uvarint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

func (r *packReader) varint() int64 {
	if r.err != nil {
		return 0
	}
	v, n := binary.Varint(r.b)
	if n <= 0 {
		r.err = errTruncated
		return 0
	}
	r.b = r.b[n:]
	return v
}

// count reads a length, which no valid value makes larger than the bytes
// left (each element takes at least one), so a corrupt one cannot make the
// reader allocate beyond its input.
func (r *packReader) count() int {
	n := r.uvarint()
	if r.err == nil && n > uint64(len(r.b)) {
		r.err = errTruncated
	}
	if r.err != nil {
		return 0
	}
	return int(n)
}

// Equal reports whether two tallies hold the same fold of the same entries.
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

// Funds derives the unit's public per-fund figures (every fund its ledger
// ever touched), exactly as Summarise folds them line by line.
func (t *Tally) Funds() map[string]*FundFigures { return t.FundsBetween("", "9999-12") }

// FundsBetween derives the per-fund figures of the entries of months from
// through to ("2006-01", Asia/Dhaka, both included): a fiscal year's
// movements, read from the cells like Funds.
func (t *Tally) FundsBetween(from, to string) map[string]*FundFigures {
	out := map[string]*FundFigures{}
	for k, v := range t.cells {
		if k.month < from || k.month > to {
			continue
		}
		f := out[k.fund]
		if f == nil {
			f = &FundFigures{Fund: k.fund}
			out[k.fund] = f
		}
		f.add(k.class, k.cause, v.debit, v.credit, int(v.lines))
	}
	return out
}

// Monthly derives the gifts received per month ("2006-01", Asia/Dhaka).
func (t *Tally) Monthly() map[string]money.Amount {
	out := map[string]money.Amount{}
	for k, v := range t.cells {
		if k.class == ClassFund && k.cause == CauseGift {
			out[k.month] += v.credit
		}
	}
	return out
}
