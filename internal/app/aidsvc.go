package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"sort"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// AidStore is the aid request port.
type AidStore interface {
	Create(ctx context.Context, q *aid.Request) error
	Get(ctx context.Context, id string) (*aid.Request, error)
	History(ctx context.Context, id string) ([]aid.Request, error)
	Update(ctx context.Context, id string, fn func(*aid.Request) error) (*aid.Request, error)
	UpdateFrom(ctx context.Context, id string, from *aid.Request, fn func(*aid.Request) error) (*aid.Request, error)
	List(ctx context.Context, f aid.Filter) ([]aid.Request, error)
	// ApprovedSince lists the latest versions of requests approved since
	// the given time for this identity key, NID as written or mobile, in
	// every unit.
	ApprovedSince(ctx context.Context, idKey, nid, mobile string, since time.Time) ([]aid.Request, error)
	// PatientRequests lists the latest versions of at most limit requests,
	// newest first, for this identity key, NID as written or mobile, in
	// every unit (an indexed, bounded find).
	PatientRequests(ctx context.Context, idKey, nid, mobile string, limit int) ([]aid.Request, error)
	// WindowEntries lists the window entries of these keys (all units).
	WindowEntries(ctx context.Context, keys []string) ([]aid.WindowEntry, error)
	// TakeWindow inserts entries guarded by their unique (key, seq);
	// aid.ErrWindowMoved when a slot is taken.
	TakeWindow(ctx context.Context, entries []aid.WindowEntry) error
}

// ErrGrantTaken is returned when a patient already received the one-time
// grant (it was disbursed).
type ErrGrantTaken struct {
	Unit string
	At   time.Time
}

func (e ErrGrantTaken) Error() string {
	return fmt.Sprintf("this patient already received the one-time grant at unit %s on %s", e.Unit, e.At.Format("2006-01-02"))
}

// Aid runs the aid request use cases.
type Aid struct {
	Store  AidStore
	Units  *Units
	Ledger ledger.Repository
	Now    func() time.Time
	Log    *slog.Logger
	// Snapshots seals the approved version into aid.approved and opens it
	// when allocating (nil: allocation reads the version).
	Snapshots SealOpener
	// Keys maps filing Idempotency-Keys to the random IDs they filed.
	Keys Claims
}

// File records a new request filed by a social worker. When the one-time
// programme grant is asked for, the patient's NID is claimed first: a second
// application anywhere is refused with the first one's unit and date.
//
// With an Idempotency-Key (key != "", the filing staff member's own) the key
// names the request: its first use claims a random ID for it, and a retry
// with the same body (q.RequestHash) gets the stored request back (created
// false), another body aid.ErrKeyReused.
func (s *Aid) File(ctx context.Context, a aid.Actor, unitCode, key string, q *aid.Request) ([]aid.Request, bool, error) {
	u, err := s.Units.Servable(ctx, unitCode)
	if err != nil {
		return nil, false, err
	}
	q.ID = aid.NewID()
	if key != "" {
		if s.Keys == nil {
			return nil, false, errors.New("file aid request: no idempotency key store configured")
		}
		if q.ID, _, err = s.Keys.Claim(ctx, "aid\x00"+u.Code+"\x00"+a.Sub+"\x00"+key, q.ID, s.Now()); err != nil {
			return nil, false, err
		}
		// Look before claiming a grant: a reused key must not claim the
		// grant of another patient for the stored request.
		if prev, err := s.replay(ctx, q); !errors.Is(err, aid.ErrNotFound) {
			return prev, false, err
		}
	}
	q.Unit = u.Code
	if err := q.File(a, s.Now()); err != nil {
		return nil, false, err
	}
	if q.GrantRequested {
		if err := s.claimGrant(ctx, q); err != nil {
			return nil, false, err
		}
		q.Items = append(q.Items, aid.Item{Category: "other", Description: "Financial assistance programme grant", Estimated: aid.GrantAmount, Grant: true})
	}
	if err := s.Store.Create(ctx, q); err != nil {
		if key != "" && errors.Is(err, aid.ErrExists) {
			// A concurrent retry stored it first.
			prev, err := s.replay(ctx, q)
			return prev, false, err
		}
		if q.GrantRequested {
			// Nothing was filed: the claim goes back.
			if g, gerr := s.grants(); gerr == nil {
				err = errors.Join(err, g.ReleaseGrant(ctx, grantKey(q), q.ID))
			}
		}
		return nil, false, err
	}
	dups, err := s.Duplicates(ctx, q)
	return dups, true, err
}

// replay answers a filing whose key names a stored request: that request
// (into q) and its duplicate flags, aid.ErrKeyReused for another body, or
// aid.ErrNotFound when nothing is stored under the key yet.
func (s *Aid) replay(ctx context.Context, q *aid.Request) ([]aid.Request, error) {
	prev, err := s.Store.Get(ctx, q.ID)
	if err != nil {
		return nil, err
	}
	if prev.RequestHash != q.RequestHash {
		return nil, aid.ErrKeyReused
	}
	*q = *prev
	return s.Duplicates(ctx, q)
}

// Duplicates flags (never blocks) other requests in any unit for the same
// NID or mobile in the last 90 days.
func (s *Aid) Duplicates(ctx context.Context, q *aid.Request) ([]aid.Request, error) {
	var out []aid.Request
	seen := map[string]bool{q.ID: true}
	for _, key := range []string{q.Patient.IDKey, q.Patient.Mobile} {
		if key == "" {
			continue
		}
		found, err := s.Store.List(ctx, aid.Filter{Patient: key, Since: s.Now().AddDate(0, 0, -90)})
		if err != nil {
			return nil, err
		}
		for _, f := range found {
			if !seen[f.ID] {
				seen[f.ID] = true
				out = append(out, f)
			}
		}
	}
	return out, nil
}

// Assess records the social worker's assessment.
func (s *Aid) Assess(ctx context.Context, a aid.Actor, id string, approved []money.Amount, zakatEligible bool, note string) (*aid.Request, error) {
	return s.Store.Update(ctx, id, func(q *aid.Request) error { return q.Assess(a, approved, zakatEligible, note, s.Now()) })
}

// Approve approves under the unit's policy (aid.Rules): four-eyes at every
// amount, and above the threshold — counting what the patient received in
// the unit's window — the committee's quorum with the meeting's resolution.
//
// Approvals of one patient's requests decided at the same moment must see
// each other, or each stays under the threshold alone: a final approval
// takes the next slot of the patient's window chains (aid.WindowEntry), as
// read for its decision, before its version is stored. A slot taken in
// between means another approval went first: read again and decide again.
func (s *Aid) Approve(ctx context.Context, a aid.Actor, id string, res aid.Resolution, note string) (*aid.Request, error) {
	for attempt := 0; attempt < 20; attempt++ {
		q, u, err := s.requestAndUnit(ctx, id)
		if err != nil {
			return nil, err
		}
		rules, slots, err := s.window(ctx, u, q)
		if err != nil {
			return nil, err
		}
		taken := false
		out, err := s.Store.Update(ctx, id, func(q *aid.Request) error {
			err := approve(s.Snapshots, q, func(q *aid.Request) error { return q.Approve(a, rules, res, note, s.Now()) })
			if err != nil || q.Status != aid.Approved || taken {
				return err
			}
			for i := range slots {
				slots[i].Amount = q.ApprovedTotal()
			}
			if err := s.Store.TakeWindow(ctx, slots); err != nil {
				return err
			}
			taken = true
			return nil
		})
		if !errors.Is(err, aid.ErrWindowMoved) {
			return out, err
		}
	}
	return nil, fmt.Errorf("approve aid request %s: the patient's window keeps changing", id)
}

// Rules are the unit's approval rules for q, with what its patient
// received lately by other requests in any unit (q nil: the rules alone).
func (s *Aid) Rules(ctx context.Context, u *units.Unit, q *aid.Request) (aid.Rules, error) {
	rules, _, err := s.window(ctx, u, q)
	return rules, err
}

// window is Rules, with the window slots an approval of q would take.
// What the patient received counts the approved requests and the window
// entries of approvals still in flight (their request not yet stored as
// approved): an entry counts unless its request was closed.
func (s *Aid) window(ctx context.Context, u *units.Unit, q *aid.Request) (aid.Rules, []aid.WindowEntry, error) {
	rules := aid.Rules{Threshold: u.Policy.ApprovalThreshold, Quorum: u.Policy.Quorum(), Checkers: u.Policy.Checkers}
	if q == nil {
		return rules, nil, nil
	}
	now := s.Now()
	since := now.Add(-u.Policy.Window())
	// Entries first: an approval stored after this read took its slot
	// before, so it is either among the entries or among the approved.
	keys := q.Patient.WindowKeys()
	entries, err := s.Store.WindowEntries(ctx, keys)
	if err != nil {
		return rules, nil, err
	}
	prior, err := s.Store.ApprovedSince(ctx, q.Patient.IDKey, q.Patient.NID, q.Patient.Mobile, since)
	if err != nil {
		return rules, nil, err
	}
	counted := map[string]bool{q.ID: true}
	for i := range prior {
		if !counted[prior[i].ID] {
			counted[prior[i].ID] = true
			rules.Received += prior[i].Received()
		}
	}
	last := map[string]int{}
	for _, e := range entries {
		last[e.Key] = max(last[e.Key], e.Seq)
		if e.At.Before(since) || counted[e.Request] {
			continue
		}
		counted[e.Request] = true
		other, err := s.Store.Get(ctx, e.Request)
		if err != nil {
			return rules, nil, err
		}
		switch other.Status {
		case aid.Submitted, aid.Rejected, aid.Withdrawn:
		case aid.Assessed:
			// In flight, or an approval that failed after taking its
			// slot: counted until the request is decided.
			rules.Received += e.Amount
		default:
			rules.Received += other.Received()
		}
	}
	slots := make([]aid.WindowEntry, len(keys))
	for i, k := range keys {
		slots[i] = aid.WindowEntry{Key: k, Seq: last[k] + 1, Request: q.ID, Unit: q.Unit, At: now}
	}
	return rules, slots, nil
}

// Reject rejects with a reason.
func (s *Aid) Reject(ctx context.Context, a aid.Actor, id, reason string) (*aid.Request, error) {
	q, err := s.Store.Update(ctx, id, func(q *aid.Request) error { return q.Reject(a, reason, s.Now()) })
	if err != nil {
		return q, err
	}
	return q, s.settleGrant(ctx, q)
}

// ConfirmDisbursement is the second staff member's confirmation: the
// money moves (aid.disbursed).
// The one-time grant counts as received from this moment.
func (s *Aid) ConfirmDisbursement(ctx context.Context, a aid.Actor, id string) (*aid.Request, error) {
	q, err := s.checked(ctx, id, func(q *aid.Request, rules aid.Rules) error { return q.ConfirmDisbursement(a, rules, s.Now()) })
	if err != nil {
		return q, err
	}
	return q, s.settleGrant(ctx, q)
}

// DeclineDisbursement sends a recorded disbursement back with a reason.
func (s *Aid) DeclineDisbursement(ctx context.Context, a aid.Actor, id, reason string) (*aid.Request, error) {
	return s.checked(ctx, id, func(q *aid.Request, rules aid.Rules) error { return q.DeclineDisbursement(a, rules, reason, s.Now()) })
}

// requestAndUnit reads request id and its unit.
func (s *Aid) requestAndUnit(ctx context.Context, id string) (*aid.Request, *units.Unit, error) {
	q, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, nil, err
	}
	u, err := s.Units.Get(ctx, q.Unit)
	return q, u, err
}

// checked applies fn with the unit's rules (without the patient's window).
func (s *Aid) checked(ctx context.Context, id string, fn func(*aid.Request, aid.Rules) error) (*aid.Request, error) {
	_, u, err := s.requestAndUnit(ctx, id)
	if err != nil {
		return nil, err
	}
	rules, err := s.Rules(ctx, u, nil)
	if err != nil {
		return nil, err
	}
	return s.Store.Update(ctx, id, func(q *aid.Request) error { return fn(q, rules) })
}

// plan decides how much each fund gives, in the unit's policy order, each
// source honouring the donors' restrictions (docs/adr/0011-restricted-funds.md):
// "programme" is the zakat fund of the diagnosis' programme (only for an
// identified patient assessed eligible) then its general programme fund;
// "zakat" the unrestricted zakat fund (eligible patients only); "general"
// sadaqah (patients only, which aid always is) then general. The one-time
// grant's items are paid from the grant fund alone, and nothing else is.
func plan(u *units.Unit, q *aid.Request, bal map[string]money.Amount) []aid.Allocation {
	var out []aid.Allocation
	take := func(fund string, need *money.Amount) {
		if got := min(*need, max(bal[fund], 0)); got > 0 {
			out = append(out, aid.Allocation{Fund: fund, Amount: got})
			*need -= got
		}
	}
	grantNeed, need := q.GrantOutstanding(), q.Outstanding()
	need -= grantNeed
	take(ledger.FundGrant, &grantNeed)
	for _, f := range payingFunds(u, q) {
		if need == 0 {
			break
		}
		take(f, &need)
	}
	return out
}

// payingFunds are the fund accounts that may pay q's items other than the
// one-time grant's, in the unit's allocation order (plan's sources).
func payingFunds(u *units.Unit, q *aid.Request) []string {
	var funds []string
	zakatOK := q.ZakatEligible && q.Patient.Identified()
	for _, src := range u.Policy.AllocationOrder {
		switch src {
		case "programme":
			if !u.HasProgramme(q.Diagnosis) {
				continue
			}
			if zakatOK {
				funds = append(funds, ledger.ZakatProgrammeFund(q.Diagnosis))
			}
			funds = append(funds, ledger.ProgrammeFund(q.Diagnosis))
		case "zakat":
			if zakatOK {
				funds = append(funds, ledger.FundZakat)
			}
		case "general":
			funds = append(funds, ledger.FundSadaqah, ledger.FundGeneral)
		}
	}
	return funds
}

// Allocate moves what the funds can give to one request. The ledger append
// is the money movement (it re-plans against fresh balances if another
// writer got there first, so no fund goes negative); the request then
// records it. If we crashed in between, the next attempt finds the ledger
// entry by its deterministic source and records that instead.
func (s *Aid) Allocate(ctx context.Context, id string) (*aid.Request, error) {
	q, err := s.Store.Get(ctx, id)
	if err != nil {
		return nil, err
	}
	if !q.AwaitingFunds() {
		return q, nil
	}
	u, err := s.Units.Get(ctx, q.Unit)
	if err != nil {
		return nil, err
	}
	source := q.AllocationSource()
	var moved []aid.Allocation
	applied, err := s.Ledger.Append(ctx, q.Unit, func(bal map[string]money.Amount) (ledger.Transaction, error) {
		return allocationTx(u, q, source, bal, s.Now(), &moved)
	})
	switch {
	case errors.Is(err, errNothingToMove):
		moved, err = nil, nil
	case err != nil:
		return q, err
	case !applied:
		// Applied before a crash: read what it moved.
		if moved, err = s.movedBy(ctx, q.Unit, source); err != nil {
			return q, err
		}
	}
	return s.Store.UpdateFrom(ctx, id, q, func(x *aid.Request) error {
		if x.AllocationSource() != source {
			return aid.ErrNoChange // someone recorded it already
		}
		return x.ApplyAllocation(source, moved, s.Now())
	})
}

var errNothingToMove = errors.New("nothing to move")

// allocationTx is the ledger transaction moving to q what the funds can
// give (*moved is set to the plan); errNothingToMove if they give nothing.
func allocationTx(u *units.Unit, q *aid.Request, source string, bal map[string]money.Amount, now time.Time, moved *[]aid.Allocation) (ledger.Transaction, error) {
	*moved = plan(u, q, bal)
	var total money.Amount
	t := ledger.Transaction{ID: source, Cause: ledger.CauseAllocation, Request: q.ID, At: now.UTC()}
	for _, m := range *moved {
		t.Lines = append(t.Lines, ledger.Line{Account: m.Fund, Debit: m.Amount})
		total += m.Amount
	}
	if total == 0 {
		return t, errNothingToMove
	}
	t.Lines = append(t.Lines, ledger.Line{Account: ledger.RequestAccount(q.ID), Credit: total})
	return t, nil
}

// SourceReader finds a ledger entry by its source (crash recovery only).
type SourceReader interface {
	BySource(ctx context.Context, unit, source string) (*ledger.Transaction, error)
}

func (s *Aid) movedBy(ctx context.Context, unit, source string) ([]aid.Allocation, error) {
	sr, ok := s.Ledger.(SourceReader)
	if !ok {
		return nil, fmt.Errorf("ledger cannot look up %s", source)
	}
	t, err := sr.BySource(ctx, unit, source)
	if err != nil {
		return nil, err
	}
	var out []aid.Allocation
	for _, l := range t.Lines {
		if ledger.IsFund(l.Account) && l.Debit > 0 {
			out = append(out, aid.Allocation{Fund: l.Account, Amount: l.Debit})
		}
	}
	return out, nil
}

// allocateBlock is how many waiting requests DrainWaitlist allocates to at
// once: one ordered insert's worth in the store (mongostore.MaxInsertBatch,
// FerretDB's chunk), which splits larger blocks anyway.
const allocateBlock = 100

// DrainWaitlist allocates to a unit's waiting requests, most urgent first,
// then oldest, until the funds run dry.
func (s *Aid) DrainWaitlist(ctx context.Context, unit string) (int, error) {
	waiting, err := s.Store.List(ctx, aid.Filter{Unit: unit, Awaiting: true})
	if err != nil {
		return 0, err
	}
	sort.SliceStable(waiting, func(i, j int) bool {
		ui, uj := slices.Index(aid.Urgencies, waiting[i].Urgency), slices.Index(aid.Urgencies, waiting[j].Urgency)
		if ui != uj {
			return ui < uj
		}
		return waiting[i].CreatedAt.Before(waiting[j].CreatedAt)
	})
	got := make([]*aid.Request, len(waiting))
	if _, ok := s.Store.(AidBatchStore); ok {
		// In blocks, from the versions just listed; what a block cannot
		// settle (a listed version that is no longer the latest) re-reads.
		for lo := 0; lo < len(waiting); lo += allocateBlock {
			hi := min(lo+allocateBlock, len(waiting))
			qs, pos := make([]*aid.Request, 0, hi-lo), make([]int, 0, hi-lo)
			for i := lo; i < hi; i++ {
				qs, pos = append(qs, &waiting[i]), append(pos, i)
			}
			again, err := s.allocateRead(ctx, unit, qs, got, pos)
			if err != nil {
				return 0, err
			}
			for _, i := range again {
				got[i] = nil
			}
		}
	}
	n := 0
	for i, w := range waiting {
		q := got[i]
		if q == nil {
			var err error
			if q, err = s.Allocate(ctx, w.ID); err != nil {
				return n, err
			}
		}
		if q.AllocatedTotal() > w.AllocatedTotal() {
			n++
		}
	}
	return n, nil
}
