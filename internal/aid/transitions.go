package aid

import (
	"fmt"
	"slices"
	"time"

	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Event types of aid requests.
const (
	EventApproved  = "aid.approved"
	EventDisbursed = "aid.disbursed"
	TopicAid       = "kalyan.aid.v1"
)

// Actor is who makes a change: the identity provider's subject, role and
// (display) name.
type Actor struct{ Sub, Role, Name string }

func (r *Request) record(a Actor, action, note string, at time.Time) {
	r.Change = Change{Action: action, By: a.Sub, Role: a.Role, At: at.UTC(), Note: note, Name: a.Name}
	r.UpdatedAt = at.UTC()
}

// File starts a request.
func (r *Request) File(a Actor, at time.Time) error {
	if err := r.Validate(); err != nil {
		return err
	}
	for i := range r.Items {
		r.Items[i].Approved, r.Items[i].Disbursed = 0, 0
	}
	r.Status, r.FiledBy, r.CreatedAt, r.Version = Submitted, a.Sub, at.UTC(), 1
	r.record(a, "filed", "", at)
	return nil
}

// Assess records the approved amount per item and the zakat eligibility.
func (r *Request) Assess(a Actor, approved []money.Amount, zakatEligible bool, note string, at time.Time) error {
	if r.Status != Submitted && r.Status != Assessed {
		return ErrState
	}
	var v validation.Errors
	freetext.Into(&v, "note", &note, freetext.Text.WithMax(1000))
	if len(approved) != len(r.Items) {
		v.Add("approved", fmt.Sprintf("give one amount per requested item (%d)", len(r.Items)))
	}
	for i, amt := range approved {
		if i < len(r.Items) && (amt < 0 || amt > r.Items[i].Estimated) {
			v.Add(fmt.Sprintf("approved[%d]", i), "must be between 0 and the item's estimate "+r.Items[i].Estimated.String())
		}
	}
	if zakatEligible && !r.Patient.Identified() {
		v.Add("zakatEligible", "zakat may only reach a patient identified by NID or birth registration")
	}
	if err := v.Err(); err != nil {
		return err
	}
	var total money.Amount
	for i, amt := range approved {
		r.Items[i].Approved = amt
		total += amt
	}
	if total == 0 {
		return validation.Errors{{Field: "approved", Message: "approve something, or reject the request"}}
	}
	r.ZakatEligible, r.AssessedBy, r.Status = zakatEligible, a.Sub, Assessed
	// Committee members approved the earlier amounts, not these.
	r.Committee = nil
	r.record(a, "assessed", note, at)
	return nil
}

// ApprovedPayload is the body of aid.approved (no personal data).
type ApprovedPayload struct {
	Request string       `json:"request"`
	Amount  money.Amount `json:"amount"`
	// Version is the approved version's number, so the allocation worker
	// reads exactly that version instead of walking the chain (0 in events
	// written before it was added).
	Version int `json:"version,omitempty"`
	// Sealed is an opaque snapshot of that version, sealed by the
	// application before the change is stored (ADR 0005), so allocating
	// needs no read of it; absent in older events.
	Sealed []byte `json:"sealed,omitempty"`
}

// Approve approves an assessed request under the unit's rules (checks.go):
// never by whoever filed or assessed it; above the threshold (counting what
// the patient received lately) only by the committee, with the meeting's
// resolution, once rules.Quorum members have approved.
func (r *Request) Approve(a Actor, rules Rules, res Resolution, note string, at time.Time) error {
	if r.Status != Assessed {
		return ErrState
	}
	if a.Sub == r.FiledBy || a.Sub == r.AssessedBy {
		return ErrSameAsMaker
	}
	var v validation.Errors
	if !freetext.Into(&v, "note", &note, freetext.Text.WithMax(1000)) {
		return v
	}
	if rules.NeedsCommittee(r) {
		done, err := r.committeeApproves(a, rules, res, at)
		if err != nil || !done {
			if err == nil {
				r.record(a, "committee-approval", note, at)
			}
			return err
		}
	} else if !rules.checker(a, RoleCommittee) {
		return ErrNotChecker
	}
	r.Status, r.ApprovedBy, r.ApprovedAt = Approved, a.Sub, at.UTC()
	r.record(a, "approved", note, at)
	ev, err := events.New(r.ID+"/approved", EventApproved, r.Unit, at, ApprovedPayload{Request: r.ID, Amount: r.ApprovedTotal(),
		Version: r.Version + 1}) // the store saves this change as the next version
	if err != nil {
		return err
	}
	r.Outbox = append(r.Outbox, ev)
	return nil
}

// Reject closes a request that will not be helped; a reason is required.
func (r *Request) Reject(a Actor, reason string, at time.Time) error {
	if r.Status != Submitted && r.Status != Assessed {
		return ErrState
	}
	if err := checkReason(&reason); err != nil {
		return err
	}
	r.Status, r.RejectReason = Rejected, reason
	r.record(a, "rejected", reason, at)
	return nil
}

// AwaitingFunds reports whether allocation still has work to do.
func (r *Request) AwaitingFunds() bool {
	return slices.Contains([]Status{Approved, Waitlisted, PartiallyAllocated}, r.Status) && r.Outstanding() > 0
}

// AllocationSource is the ledger source of the request's next allocation.
func (r *Request) AllocationSource() string {
	return fmt.Sprintf("aid/%s/alloc/%d", r.ID, len(r.Allocations)+1)
}

// ApplyAllocation records what the ledger moved to the request (possibly
// nothing: then the request waits on the waitlist).
func (r *Request) ApplyAllocation(tx string, moved []Allocation, at time.Time) error {
	if !r.AwaitingFunds() {
		return ErrNoChange
	}
	for _, m := range moved {
		if m.Amount > 0 {
			m.Tx = tx
			r.Allocations = append(r.Allocations, m)
		}
	}
	switch {
	case r.Outstanding() == 0:
		r.Status = Allocated
	case r.AllocatedTotal() > 0:
		r.Status = PartiallyAllocated
	default:
		if r.Status == Waitlisted {
			return ErrNoChange
		}
		r.Status = Waitlisted
	}
	r.record(Actor{Sub: "allocation-worker", Role: "system"}, "allocation", "", at)
	return nil
}

// Disbursement of one item.
type Disbursement struct {
	Item      int          `bson:"item" json:"item"`
	Amount    money.Amount `bson:"amount" json:"amount"`
	Method    string       `bson:"method" json:"method"` // in_kind, cash, bkash
	Reference string       `bson:"reference" json:"reference"`
}

// DisbursedPayload is the body of aid.disbursed: what was given and what
// goes back to which fund.
type DisbursedPayload struct {
	Request   string       `json:"request"`
	Allocated money.Amount `json:"allocated"`
	Disbursed money.Amount `json:"disbursed"`
	// Spent and Returns split the allocation per fund.
	Spent   []Allocation `json:"spent"`
	Returns []Allocation `json:"returns"`
}

// Disburse records what was actually given per item. Nothing moves until a
// second staff member confirms it (ConfirmDisbursement, checks.go).
func (r *Request) Disburse(a Actor, ds []Disbursement, at time.Time) error {
	if r.Status != Allocated && r.Status != PartiallyAllocated {
		return ErrState
	}
	if _, err := r.checkDisbursement(ds); err != nil {
		return err
	}
	r.Pending = &PendingDisbursement{Items: ds, By: a.Sub, Name: a.Name, At: at.UTC(), From: r.Status}
	r.Status = DisbursementRecorded
	r.record(a, "disbursement-recorded", "", at)
	return nil
}

// checkDisbursement validates ds (cleaning references in place) and
// returns its total.
func (r *Request) checkDisbursement(ds []Disbursement) (money.Amount, error) {
	var v validation.Errors
	var total money.Amount
	listed := map[int]int{}
	for i, d := range ds {
		f := fmt.Sprintf("items[%d]", i)
		if d.Item < 0 || d.Item >= len(r.Items) {
			v.Add(f+".item", "no such item")
			continue
		}
		// Each item once: two lines for one item would each pass the
		// per-item bound and give twice what was approved.
		if first, ok := listed[d.Item]; ok {
			v.Add(f+".item", fmt.Sprintf("item %d is already listed as items[%d]; list each item once", d.Item, first))
			continue
		}
		listed[d.Item] = i
		if !slices.Contains([]string{"in_kind", "cash", "bkash"}, d.Method) {
			v.Add(f+".method", "must be in_kind, cash or bkash")
		}
		if !freetext.Into(&v, f+".reference", &ds[i].Reference, freetext.Line) {
			continue
		}
		if d.Method != "cash" && ds[i].Reference == "" {
			v.Add(f+".reference", "is required (store issue number, bKash transaction ID)")
		}
		if d.Amount < 0 || d.Amount > r.Items[d.Item].Approved {
			v.Add(f+".amount", "must be between 0 and the item's approved amount")
		}
		total += d.Amount
	}
	if total > r.AllocatedTotal() {
		v.Add("items", "more than was allocated ("+r.AllocatedTotal().String()+")")
	}
	r.checkGrantDisbursement(&v, ds)
	return total, v.Err()
}

// settle applies a confirmed disbursement: the unspent part of the
// allocation returns to the funds it came from (last taken, first back:
// general before zakat before the programme).
func (r *Request) settle(a Actor, ds []Disbursement, at time.Time) error {
	total, err := r.checkDisbursement(ds)
	if err != nil {
		return err
	}
	for _, d := range ds {
		r.Items[d.Item].Disbursed += d.Amount
	}
	spent, returns := r.spendAndReturn(ds)
	r.Status = Disbursed
	r.record(a, "disbursed", "", at)
	ev, err := events.New(r.ID+"/disbursed", EventDisbursed, r.Unit, at, DisbursedPayload{Request: r.ID, Allocated: r.AllocatedTotal(), Disbursed: total, Spent: spent, Returns: returns})
	if err != nil {
		return err
	}
	r.Outbox = append(r.Outbox, ev)
	return nil
}
