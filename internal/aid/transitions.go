package aid

import (
	"fmt"
	"slices"
	"strings"
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

// Methods of giving an item: from the hospital store or a pharmacy in
// kind, cash at the counter, bKash to the patient's wallet, or payment to a
// vendor (pharmacy, laboratory, blood bank) against its invoice.
var Methods = []string{"in_kind", "cash", "bkash", "vendor_payment"}

// Recipients: who took what was given.
var Recipients = []string{"patient", "attendant", "vendor"}

// Disbursement of one item in one part.
type Disbursement struct {
	Item   int          `json:"item"`
	Amount money.Amount `json:"amount"`
	Method string       `json:"method"`
	// Reference: the store issue number, bKash TrxID or vendor invoice.
	Reference string `json:"reference"`
	// Recipient is patient, attendant or vendor; RecipientName names the
	// attendant or the vendor.
	Recipient     string `json:"recipient,omitempty"`
	RecipientName string `json:"recipientName,omitempty"`
}

// Part is one confirmed disbursement: what was given, by whom, and which
// funds paid it (a dialysis patient gets sessions over months, each a part).
type Part struct {
	Number int
	Items  []Disbursement
	// Final parts close the request: what is allocated and not given
	// returns to the funds (Returned).
	Final        bool
	RecordedBy   string
	RecordedName string
	RecordedAt   time.Time
	ConfirmedBy  string
	// ConfirmedName is the second staff member's name.
	ConfirmedName string
	ConfirmedAt   time.Time
	Spent         []Allocation
	Returned      []Allocation
}

// Total is what the part gave.
func (p *Part) Total() money.Amount {
	var s money.Amount
	for _, d := range p.Items {
		s += d.Amount
	}
	return s
}

// DisbursedPayload is the body of aid.disbursed, one per confirmed part:
// what leaves the request's account (Allocated), what was given and what
// goes back to which fund.
type DisbursedPayload struct {
	Request   string       `json:"request"`
	Allocated money.Amount `json:"allocated"`
	Disbursed money.Amount `json:"disbursed"`
	// Spent and Returns split Allocated per fund.
	Spent   []Allocation `json:"spent"`
	Returns []Allocation `json:"returns"`
}

// Disburse records what was given per item as the request's final part.
func (r *Request) Disburse(a Actor, ds []Disbursement, at time.Time) error {
	return r.DisbursePart(a, ds, true, at)
}

// DisbursePart records one part of what was given. Nothing moves until a
// second staff member confirms it (ConfirmDisbursement, checks.go). A final
// part closes the request and returns what it does not give to the funds;
// with no items it only releases that remainder. A request also closes
// when its parts have given every item in full.
func (r *Request) DisbursePart(a Actor, ds []Disbursement, final bool, at time.Time) error {
	if r.Status != Allocated && r.Status != PartiallyAllocated {
		return ErrState
	}
	total, err := r.checkDisbursement(ds)
	if err != nil {
		return err
	}
	if !final && total == 0 {
		return validation.Errors{{Field: "items", Message: "list what was given in this part (or make it the final part to release the rest)"}}
	}
	r.Pending = &PendingDisbursement{Items: ds, By: a.Sub, Name: a.Name, At: at.UTC(), From: r.Status, Open: !final}
	r.Status = DisbursementRecorded
	r.record(a, "disbursement-recorded", "", at)
	return nil
}

// DisbursedTotal is what the confirmed parts gave.
func (r *Request) DisbursedTotal() money.Amount {
	var s money.Amount
	for _, it := range r.Items {
		s += it.Disbursed
	}
	return s
}

// checkDisbursement validates one part ds (cleaning free text in place and
// defaulting the recipient to the patient) against what earlier parts gave,
// and returns its total.
func (r *Request) checkDisbursement(ds []Disbursement) (money.Amount, error) {
	var v validation.Errors
	var total money.Amount
	listed := map[int]int{}
	for i := range ds {
		d := &ds[i]
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
		if !slices.Contains(Methods, d.Method) {
			v.Add(f+".method", "must be one of "+strings.Join(Methods, ", "))
		}
		if d.Recipient == "" {
			d.Recipient = "patient"
		}
		if !slices.Contains(Recipients, d.Recipient) {
			v.Add(f+".recipient", "must be one of "+strings.Join(Recipients, ", "))
		}
		if freetext.Into(&v, f+".recipientName", &d.RecipientName, freetext.Line.WithMax(200)) && d.RecipientName == "" && d.Recipient != "patient" {
			v.Add(f+".recipientName", "is required for an attendant or a vendor (their name)")
		}
		if d.Method == "vendor_payment" && d.Recipient != "vendor" {
			v.Add(f+".recipient", "a vendor payment goes to a vendor: name it")
		}
		if freetext.Into(&v, f+".reference", &d.Reference, freetext.Line.WithMax(100)) && d.Method != "cash" && d.Reference == "" {
			v.Add(f+".reference", "is required (store issue number, bKash TrxID or vendor invoice number)")
		}
		it := r.Items[d.Item]
		if d.Amount < 0 || d.Amount > it.Approved-it.Disbursed {
			v.Add(f+".amount", "must be between 0 and what is left of the item's approved amount ("+(it.Approved-it.Disbursed).String()+")")
		}
		total += d.Amount
	}
	if left := r.AllocatedTotal() - r.DisbursedTotal(); total > left {
		v.Add("items", "more than is allocated and not yet given ("+left.String()+")")
	}
	r.checkGrantDisbursement(&v, ds)
	return total, v.Err()
}

// settle applies a confirmed part: it is spent from the earliest
// allocations; a final part (or the one that gives everything) returns the
// unspent rest to the funds it came from (last taken, first back).
func (r *Request) settle(a Actor, p *PendingDisbursement, at time.Time) error {
	total, err := r.checkDisbursement(p.Items)
	if err != nil {
		return err
	}
	// Every item given in full closes the request too.
	final := !p.Open || r.DisbursedTotal()+total == r.ApprovedTotal()
	spent, returns := r.spendAndReturn(p.Items, final)
	for _, d := range p.Items {
		r.Items[d.Item].Disbursed += d.Amount
	}
	part := Part{Number: len(r.Parts) + 1, Items: p.Items, Final: final, RecordedBy: p.By, RecordedName: p.Name, RecordedAt: p.At,
		ConfirmedBy: a.Sub, ConfirmedName: a.Name, ConfirmedAt: at.UTC(), Spent: spent, Returned: returns}
	// A fresh slice: the store's copy of the previous version shares arrays.
	r.Parts = append(slices.Clip(r.Parts), part)
	action := "part-disbursed"
	r.Status = p.From
	if final {
		action, r.Status = "disbursed", Disbursed
	}
	r.record(a, action, "", at)
	var moved money.Amount
	for _, x := range append(slices.Clip(spent), returns...) {
		moved += x.Amount
	}
	ev, err := events.New(fmt.Sprintf("%s/disbursed/%d", r.ID, part.Number), EventDisbursed, r.Unit, at,
		DisbursedPayload{Request: r.ID, Allocated: moved, Disbursed: total, Spent: spent, Returns: returns})
	if err != nil {
		return err
	}
	r.Outbox = append(r.Outbox, ev)
	return nil
}
