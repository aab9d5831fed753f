package aid

import (
	"slices"
	"time"

	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Four-eyes at every amount: whoever filed or assessed a request never
// approves it; a recorded disbursement moves money only once a second staff
// member confirms it. The second person is another social worker of the
// unit, a committee member (approvals), or a checker the unit's policy
// names (units with a single social worker); there is no bypass.

// Staff roles as the identity provider names them (auth.Role values; the
// domain does not import auth).
const (
	RoleSocialWorker  = "social_worker"
	RoleCommittee     = "committee"
	RoleUnitAdmin     = "unit_admin"
	RolePlatformAdmin = "platform_admin"
)

// Rules are the unit policy a decision is checked against.
type Rules struct {
	Threshold money.Amount
	// Received is what the patient received in the unit's window by other
	// requests in any unit (same NID or mobile): it counts toward the
	// threshold, so splitting a need into small requests does not avoid
	// the committee.
	Received money.Amount
	// Quorum is how many committee members must approve above the
	// threshold (at least one).
	Quorum int
	// Checkers are subjects named in the unit's policy as second checkers.
	Checkers []string
}

// NeedsCommittee reports whether approving r is the committee's decision.
func (rules Rules) NeedsCommittee(r *Request) bool {
	return r.ApprovedTotal()+rules.Received > rules.Threshold
}

// checker reports whether a may be the second pair of eyes: a social
// worker, a named checker, or a holder of one of the extra roles.
func (rules Rules) checker(a Actor, extra ...string) bool {
	return a.Role == RoleSocialWorker || a.Role == RolePlatformAdmin || slices.Contains(extra, a.Role) ||
		(a.Sub != "" && slices.Contains(rules.Checkers, a.Sub))
}

// Resolution is the committee meeting's decision an approval above the
// threshold rests on.
type Resolution struct {
	Number string `json:"number"`
	// Date is the meeting's date, YYYY-MM-DD (Bangladesh time).
	Date string `json:"date"`
}

// CommitteeApproval is one committee member's approval.
type CommitteeApproval struct {
	By         string     `json:"-"`
	Name       string     `json:"name"`
	Role       string     `json:"role"`
	At         time.Time  `json:"at"`
	Resolution Resolution `json:"resolution"`
}

// PendingDisbursement is a recorded disbursement awaiting confirmation.
type PendingDisbursement struct {
	Items []Disbursement
	By    string
	Name  string
	At    time.Time
	// From is the status to return to if the record is declined (or once
	// a part that does not close the request is confirmed).
	From Status
	// Open: a part after which the request stays open for more (zero, the
	// final part, is what records stored before parts existed meant).
	Open bool
}

var bangladesh = time.FixedZone("Asia/Dhaka", 6*3600)

// validate checks a resolution given at time at: a number, and a meeting
// date within the last year and not after today in Bangladesh.
func (res *Resolution) validate(v *validation.Errors, at time.Time) {
	if freetext.Into(v, "resolution.number", &res.Number, freetext.Line.WithMax(64)) && res.Number == "" {
		v.Add("resolution.number", "is required above the threshold: the committee meeting's resolution number")
	}
	d, err := time.ParseInLocation("2006-01-02", res.Date, bangladesh)
	today := at.In(bangladesh)
	switch {
	case err != nil:
		v.Add("resolution.date", "is required above the threshold: the meeting's date as YYYY-MM-DD")
	case d.After(today):
		v.Add("resolution.date", "must not be in the future")
	case d.Before(today.AddDate(-1, 0, -1)):
		v.Add("resolution.date", "must be within the last year")
	}
}

// committeeApproves adds a's approval; done once the quorum is reached.
func (r *Request) committeeApproves(a Actor, rules Rules, res Resolution, at time.Time) (done bool, err error) {
	if a.Role != RoleCommittee && a.Role != RolePlatformAdmin {
		return false, ErrNeedsCommittee
	}
	var v validation.Errors
	res.validate(&v, at)
	if err := v.Err(); err != nil {
		return false, err
	}
	if slices.ContainsFunc(r.Committee, func(c CommitteeApproval) bool { return c.By == a.Sub }) {
		return false, ErrAlreadyApproved
	}
	// A fresh slice: the store's copy of the previous version shares arrays.
	r.Committee = append(slices.Clip(r.Committee), CommitteeApproval{By: a.Sub, Name: a.Name, Role: a.Role, At: at.UTC(), Resolution: res})
	return len(r.Committee) >= max(rules.Quorum, 1), nil
}

// ConfirmDisbursement is the second staff member's check of a recorded
// disbursement: only now does the money move (aid.disbursed).
func (r *Request) ConfirmDisbursement(a Actor, rules Rules, at time.Time) error {
	if r.Status != DisbursementRecorded || r.Pending == nil {
		return ErrState
	}
	if a.Sub == r.Pending.By {
		return ErrSameAsRecorder
	}
	if !rules.checker(a, RoleUnitAdmin) {
		return ErrNotChecker
	}
	p := *r.Pending
	p.Items = slices.Clone(p.Items)
	r.Pending, r.DisbursedBy, r.ConfirmedBy = nil, p.By, a.Sub
	return r.settle(a, &p, at)
}

// DeclineDisbursement sends a recorded disbursement back (wrong amounts, an
// item not given): the request is as before it was recorded. The recorder
// may withdraw it too.
func (r *Request) DeclineDisbursement(a Actor, rules Rules, reason string, at time.Time) error {
	if r.Status != DisbursementRecorded || r.Pending == nil {
		return ErrState
	}
	if a.Sub != r.Pending.By && !rules.checker(a, RoleUnitAdmin) {
		return ErrNotChecker
	}
	if err := checkReason(&reason); err != nil {
		return err
	}
	r.Status, r.Pending = r.Pending.From, nil
	r.record(a, "disbursement-declined", reason, at)
	return nil
}

// checkReason cleans a required reason in place (freetext) and checks it.
func checkReason(reason *string) error {
	var v validation.Errors
	if freetext.Into(&v, "reason", reason, freetext.Text.WithMax(1000)) && len(*reason) < 3 {
		v.Add("reason", "is required (3-1000 characters)")
	}
	return v.Err()
}

// Received is what r gave its patient: the disbursed amount once disbursed,
// else what was approved (zero before approval).
func (r *Request) Received() money.Amount {
	switch r.Status {
	case Submitted, Assessed, Rejected:
		return 0
	case Disbursed:
		var s money.Amount
		for _, it := range r.Items {
			s += it.Disbursed
		}
		return s
	}
	return r.ApprovedTotal()
}
