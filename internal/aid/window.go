package aid

import (
	"errors"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// WindowEntry is one approval in a patient's rolling window: a slot in the
// chain of one of the patient's keys (identity key or mobile). Each final
// approval takes the next slot of every chain its patient has, computed from
// the entries its decision read. The store keeps (Key, Seq) unique, so two
// approvals deciding at once on the same chain cannot both take a slot: the
// loser re-reads, now counts the winner, and decides again. Concurrent
// updates are not atomic on FerretDB; a unique insert is.
type WindowEntry struct {
	Key     string
	Seq     int
	Request string
	Unit    string
	Amount  money.Amount
	At      time.Time
}

// ErrWindowMoved: another approval took the window slot this one read as
// free; the decision must be made again on a fresh read.
var ErrWindowMoved = errors.New("the patient's window changed while deciding")

// WindowKeys are the chains a patient's approvals are counted in: the
// identity key (the NID as written for requests filed before identity keys,
// ADR 0010) and the mobile.
func (p *Patient) WindowKeys() []string {
	var keys []string
	switch {
	case p.IDKey != "":
		keys = append(keys, p.IDKey)
	case p.NID != "":
		keys = append(keys, "nid:"+p.NID)
	}
	if p.Mobile != "" {
		keys = append(keys, "mobile:"+p.Mobile)
	}
	return keys
}
