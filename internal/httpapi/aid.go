package httpapi

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

type aidItemJSON struct {
	Category    string `json:"category"`
	Description string `json:"description"`
	Estimated   string `json:"estimated"`
	Approved    string `json:"approved,omitempty"`
	Disbursed   string `json:"disbursed,omitempty"`
	Grant       bool   `json:"grant,omitempty"`
}

type aidFileRequest struct {
	Patient   aid.Patient   `json:"patient"`
	Diagnosis string        `json:"diagnosis"`
	Items     []aidItemJSON `json:"items"`
	Urgency   string        `json:"urgency"`
	CaseStudy struct {
		HouseholdSize    int      `json:"householdSize"`
		MonthlyIncome    string   `json:"monthlyIncome"`
		Occupation       string   `json:"occupation"`
		Assets           string   `json:"assets"`
		Narrative        string   `json:"narrative"`
		DocumentsChecked []string `json:"documentsChecked"`
	} `json:"caseStudy"`
	GrantRequested bool `json:"grantRequested"`
}

type aidJSON struct {
	ID             string              `json:"id"`
	Unit           string              `json:"unit"`
	Status         string              `json:"status"`
	Patient        aid.Patient         `json:"patient"`
	Diagnosis      string              `json:"diagnosis"`
	Urgency        string              `json:"urgency"`
	Items          []aidItemJSON       `json:"items"`
	CaseStudy      any                 `json:"caseStudy,omitempty"`
	GrantRequested bool                `json:"grantRequested"`
	ZakatEligible  bool                `json:"zakatEligible"`
	Requested      string              `json:"requested"`
	Approved       string              `json:"approved"`
	Allocated      string              `json:"allocated"`
	Allocations    []map[string]string `json:"allocations,omitempty"`
	FiledBy        string              `json:"filedBy"`
	AssessedBy     string              `json:"assessedBy,omitempty"`
	ApprovedBy     string              `json:"approvedBy,omitempty"`
	RejectReason   string              `json:"rejectReason,omitempty"`
	CreatedAt      time.Time           `json:"createdAt"`
	UpdatedAt      time.Time           `json:"updatedAt"`
	// Committee approvals above the threshold, with their resolutions.
	Committee []aid.CommitteeApproval `json:"committee,omitempty"`
	// PendingDisbursement is a recorded disbursement awaiting its second
	// staff member's confirmation.
	PendingDisbursement *pendingJSON `json:"pendingDisbursement,omitempty"`
	// Disbursed is what the confirmed parts gave; Disbursements are those
	// parts, each with who recorded and who confirmed it.
	Disbursed     string     `json:"disbursed"`
	Disbursements []partJSON `json:"disbursements,omitempty"`
	// IdentityFlags: the same name and date of birth under the other form
	// of NID elsewhere (ADR 0010); on a single request only.
	IdentityFlags []fiber.Map `json:"identityFlags,omitempty"`
}

type pendingJSON struct {
	Items      []disbursementJSON `json:"items"`
	RecordedBy string             `json:"recordedBy"`
	RecordedAt time.Time          `json:"recordedAt"`
	// Final: confirming it closes the request, returning the rest.
	Final bool `json:"final"`
}

type disbursementJSON struct {
	Item          int    `json:"item"`
	Amount        string `json:"amount"`
	Method        string `json:"method"`
	Reference     string `json:"reference"`
	Recipient     string `json:"recipient"`
	RecipientName string `json:"recipientName,omitempty"`
}

type fundAmountJSON struct {
	Fund   string `json:"fund"`
	Amount string `json:"amount"`
}

// partJSON is one confirmed part; staff appear by name, never by subject.
type partJSON struct {
	Part        int                `json:"part"`
	Items       []disbursementJSON `json:"items"`
	Total       string             `json:"total"`
	Final       bool               `json:"final"`
	RecordedBy  string             `json:"recordedBy"`
	RecordedAt  time.Time          `json:"recordedAt"`
	ConfirmedBy string             `json:"confirmedBy"`
	ConfirmedAt time.Time          `json:"confirmedAt"`
	Spent       []fundAmountJSON   `json:"spent,omitempty"`
	Returned    []fundAmountJSON   `json:"returned,omitempty"`
}

func disbursementsJSON(ds []aid.Disbursement) []disbursementJSON {
	out := make([]disbursementJSON, len(ds))
	for i, d := range ds {
		r := d.Recipient
		if r == "" {
			r = "patient"
		}
		out[i] = disbursementJSON{Item: d.Item, Amount: d.Amount.String(), Method: d.Method, Reference: d.Reference, Recipient: r,
			RecipientName: d.RecipientName}
	}
	return out
}

func fundAmounts(as []aid.Allocation) []fundAmountJSON {
	var out []fundAmountJSON
	for _, a := range as {
		out = append(out, fundAmountJSON{Fund: a.Fund, Amount: a.Amount.String()})
	}
	return out
}

func toPartJSON(p *aid.Part) partJSON {
	return partJSON{Part: p.Number, Items: disbursementsJSON(p.Items), Total: p.Total().String(), Final: p.Final,
		RecordedBy: staffName(p.RecordedName), RecordedAt: p.RecordedAt, ConfirmedBy: staffName(p.ConfirmedName), ConfirmedAt: p.ConfirmedAt,
		Spent: fundAmounts(p.Spent), Returned: fundAmounts(p.Returned)}
}

// toAidJSON renders a request; masked hides the patient's mobile and NID
// (lists, other units' duplicate flags).
func toAidJSON(q *aid.Request, masked bool) aidJSON {
	out := aidJSON{ID: q.ID, Unit: q.Unit, Status: string(q.Status), Patient: q.Patient, Diagnosis: q.Diagnosis, Urgency: q.Urgency,
		GrantRequested: q.GrantRequested, ZakatEligible: q.ZakatEligible, Approved: q.ApprovedTotal().String(), Allocated: q.AllocatedTotal().String(),
		FiledBy: q.FiledBy, AssessedBy: q.AssessedBy, ApprovedBy: q.ApprovedBy, RejectReason: q.RejectReason, CreatedAt: q.CreatedAt, UpdatedAt: q.UpdatedAt}
	out.Patient.IDKey = "" // the NID's digits again, unmasked
	var req money.Amount
	for _, it := range q.Items {
		req += it.Estimated
		j := aidItemJSON{Category: it.Category, Description: it.Description, Estimated: it.Estimated.String(), Grant: it.Grant}
		if it.Approved > 0 {
			j.Approved = it.Approved.String()
		}
		if it.Disbursed > 0 {
			j.Disbursed = it.Disbursed.String()
		}
		out.Items = append(out.Items, j)
	}
	out.Requested = req.String()
	out.Committee = q.Committee
	if p := q.Pending; p != nil {
		out.PendingDisbursement = &pendingJSON{RecordedBy: staffName(p.Name), RecordedAt: p.At, Final: !p.Open, Items: disbursementsJSON(p.Items)}
	}
	out.Disbursed = q.DisbursedTotal().String()
	for i := range q.Parts {
		out.Disbursements = append(out.Disbursements, toPartJSON(&q.Parts[i]))
	}
	for _, a := range q.Allocations {
		out.Allocations = append(out.Allocations, map[string]string{"fund": a.Fund, "amount": a.Amount.String()})
	}
	if masked {
		out.Patient.Mobile = contact.MaskMobile(q.Patient.Mobile)
		out.Patient.NID = aid.MaskNID(q.Patient.NID)
	} else {
		cs := q.CaseStudy
		out.CaseStudy = map[string]any{"householdSize": cs.HouseholdSize, "monthlyIncome": cs.MonthlyIncome.String(), "occupation": cs.Occupation,
			"assets": cs.Assets, "narrative": cs.Narrative, "documentsChecked": cs.DocumentsChecked}
	}
	return out
}

// staffName is how histories show a staff member: the name from the
// identity provider's token, never the subject (which is an opaque ID).
func staffName(name string) string {
	if name == "" {
		return "(name not given by the identity provider)"
	}
	return name
}

func (h *handlers) fileAid(c *fiber.Ctx) error {
	code := c.Params("code")
	p, err := h.StaffOf(c, code, auth.SocialWorker, auth.UnitAdmin)
	if err != nil {
		return err
	}
	// Optional for filing (older clients send none), but a retry after a
	// lost answer files the patient twice without it.
	key := c.Get("Idempotency-Key")
	if key != "" && !webkit.ValidKey(key) {
		return webkit.FieldProblem(fiber.StatusBadRequest, "Idempotency-Key", webkit.KeyRule)
	}
	var body aidFileRequest
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	sum := sha256.Sum256(c.Body())
	q := &aid.Request{Patient: body.Patient, Diagnosis: body.Diagnosis, Urgency: body.Urgency, GrantRequested: body.GrantRequested,
		RequestHash: hex.EncodeToString(sum[:])}
	var v validation.Errors
	for i, it := range body.Items {
		amt, err := money.Parse(it.Estimated)
		if err != nil {
			v.AddErr("items["+strconv.Itoa(i)+"].estimated", err)
		}
		q.Items = append(q.Items, aid.Item{Category: it.Category, Description: it.Description, Estimated: amt})
	}
	cs := body.CaseStudy
	q.CaseStudy = aid.CaseStudy{HouseholdSize: cs.HouseholdSize, Occupation: cs.Occupation, Assets: cs.Assets, Narrative: cs.Narrative, DocumentsChecked: cs.DocumentsChecked}
	if cs.MonthlyIncome != "" {
		if q.CaseStudy.MonthlyIncome, err = money.Parse(cs.MonthlyIncome); err != nil {
			v.AddErr("caseStudy.monthlyIncome", err)
		}
	}
	if err := v.Err(); err != nil {
		return err
	}
	dups, created, err := h.Aid.File(c.UserContext(), webkit.Actor(p), code, key, q)
	var taken app.ErrGrantTaken
	var pending app.ErrGrantPending
	switch {
	case errors.As(err, &taken):
		return webkit.NewProblem(fiber.StatusConflict, "grant-already-given", "The one-time grant was already given to this patient", taken.Error())
	case errors.As(err, &pending):
		return webkit.NewProblem(fiber.StatusConflict, "grant-application-open", "Another application for this patient's one-time grant is open", pending.Error())
	}
	if err != nil {
		return err
	}
	flags := make([]fiber.Map, 0, len(dups))
	for _, d := range dups {
		// Other units' requests: where and when only, no case details.
		flags = append(flags, fiber.Map{"id": d.ID, "unit": d.Unit, "status": d.Status, "createdAt": d.CreatedAt, "approved": d.ApprovedTotal().String()})
	}
	status := fiber.StatusCreated
	if !created {
		status = fiber.StatusOK
		c.Set("Idempotent-Replayed", "true")
	}
	same, err := h.identityFlags(c, q)
	if err != nil {
		return err
	}
	c.Location("/api/v1/aid-requests/" + q.ID)
	return c.Status(status).JSON(fiber.Map{"id": q.ID, "status": q.Status, "duplicates": flags, "identityFlags": same})
}

// aidOf loads a request and checks the caller may act on its unit; other
// units' requests answer 404.
func (h *handlers) aidOf(c *fiber.Ctx, roles ...auth.Role) (*aid.Request, auth.Principal, error) {
	p, err := h.Principal(c)
	if err != nil {
		return nil, p, err
	}
	q, err := h.Aid.Store.Get(c.UserContext(), c.Params("id"))
	if errors.Is(err, aid.ErrNotFound) {
		return nil, p, webkit.NewProblem(fiber.StatusNotFound, "aid-request-not-found", "No such aid request", "")
	}
	if err != nil {
		return nil, p, err
	}
	if _, err := h.StaffOf(c, q.Unit, roles...); err != nil {
		return nil, p, err
	}
	return q, p, nil
}

func (h *handlers) getAid(c *fiber.Ctx) error {
	q, _, err := h.aidOf(c, webkit.StaffRoles...)
	if err != nil {
		return err
	}
	out := toAidJSON(q, false)
	if out.IdentityFlags, err = h.identityFlags(c, q); err != nil {
		return err
	}
	return c.JSON(out)
}

func (h *handlers) aidHistory(c *fiber.Ctx) error {
	q, _, err := h.aidOf(c, webkit.StaffRoles...)
	if err != nil {
		return err
	}
	hist, err := h.Aid.Store.History(c.UserContext(), q.ID)
	if err != nil {
		return err
	}
	out := make([]fiber.Map, len(hist))
	for i, v := range hist {
		out[i] = fiber.Map{"version": v.Version, "action": v.Change.Action, "by": staffName(v.Change.Name), "role": v.Change.Role,
			"at": v.Change.At, "note": v.Change.Note, "status": v.Status}
		// What was recorded or confirmed, as staff entered it.
		switch v.Change.Action {
		case "disbursement-recorded":
			if p := v.Pending; p != nil {
				out[i]["disbursement"] = fiber.Map{"items": disbursementsJSON(p.Items), "final": !p.Open}
			}
		case "disbursed", "part-disbursed":
			if n := len(v.Parts); n > 0 {
				out[i]["disbursement"] = toPartJSON(&v.Parts[n-1])
			}
		}
	}
	return c.JSON(fiber.Map{"id": q.ID, "history": out})
}

func (h *handlers) listAid(c *fiber.Ctx) error {
	code := c.Params("code")
	if _, err := h.StaffOf(c, code, webkit.StaffRoles...); err != nil {
		return err
	}
	limit, err := webkit.IntQuery(c, "limit", 50, 1, 200)
	if err != nil {
		return err
	}
	offset, err := webkit.IntQuery(c, "offset", 0, 0, webkit.MaxOffset)
	if err != nil {
		return err
	}
	qs, err := h.Aid.Store.List(c.UserContext(), aid.Filter{Unit: code, Status: c.Query("status"), Limit: limit, Offset: offset})
	if err != nil {
		return err
	}
	out := make([]aidJSON, len(qs))
	for i := range qs {
		out[i] = toAidJSON(&qs[i], true)
	}
	return c.JSON(fiber.Map{"requests": out, "limit": limit, "offset": offset})
}

// aidTransition authorises the caller on the request's unit first, then
// decodes the body (so a stranger learns nothing, not even a field error),
// then applies fn.
func (h *handlers) aidTransition(c *fiber.Ctx, decode func() error, fn func(q *aid.Request, a aid.Actor) (*aid.Request, error), roles ...auth.Role) error {
	q, p, err := h.aidOf(c, roles...)
	if err != nil {
		return err
	}
	if err := decode(); err != nil {
		return err
	}
	out, err := fn(q, webkit.Actor(p))
	switch {
	case errors.Is(err, aid.ErrState):
		return webkit.NewProblem(fiber.StatusConflict, "invalid-state", "Not possible in this state", "The request is "+string(q.Status)+".")
	case errors.Is(err, aid.ErrSameAsMaker), errors.Is(err, aid.ErrNeedsCommittee), errors.Is(err, aid.ErrSameAsRecorder),
		errors.Is(err, aid.ErrNotChecker):
		return webkit.NewProblem(fiber.StatusForbidden, "maker-checker", "Needs a second person", err.Error())
	case errors.Is(err, aid.ErrAlreadyApproved):
		return webkit.NewProblem(fiber.StatusConflict, "already-approved", "Already approved by this member", err.Error())
	case err != nil:
		return err
	}
	return c.JSON(toAidJSON(out, false))
}

func (h *handlers) assessAid(c *fiber.Ctx) error {
	var body struct {
		Approved      []string `json:"approved"`
		ZakatEligible bool     `json:"zakatEligible"`
		Note          string   `json:"note"`
	}
	var amounts []money.Amount
	decode := func() error {
		if err := webkit.DecodeJSON(c, &body); err != nil {
			return err
		}
		amounts = make([]money.Amount, len(body.Approved))
		for i, s := range body.Approved {
			a, err := money.Parse(s)
			if err != nil {
				return webkit.FieldProblem(fiber.StatusUnprocessableEntity, "approved["+strconv.Itoa(i)+"]", err.Error())
			}
			amounts[i] = a
		}
		return nil
	}
	return h.aidTransition(c, decode, func(q *aid.Request, a aid.Actor) (*aid.Request, error) {
		return h.Aid.Assess(c.UserContext(), a, q.ID, amounts, body.ZakatEligible, body.Note)
	}, auth.SocialWorker, auth.UnitAdmin)
}

func (h *handlers) approveAid(c *fiber.Ctx) error {
	var body struct {
		Note string `json:"note"`
		// Resolution of the committee meeting (required above the threshold).
		Resolution aid.Resolution `json:"resolution"`
	}
	decode := func() error {
		if len(c.Body()) > 0 {
			return webkit.DecodeJSON(c, &body)
		}
		return nil
	}
	return h.aidTransition(c, decode, func(q *aid.Request, a aid.Actor) (*aid.Request, error) {
		return h.Aid.Approve(c.UserContext(), a, q.ID, body.Resolution, body.Note)
	}, webkit.StaffRoles...) // the unit's named checker may hold any staff role: the rules decide
}

func (h *handlers) rejectAid(c *fiber.Ctx) error {
	var body struct {
		Reason string `json:"reason"`
	}
	decode := func() error { return webkit.DecodeJSON(c, &body) }
	return h.aidTransition(c, decode, func(q *aid.Request, a aid.Actor) (*aid.Request, error) {
		return h.Aid.Reject(c.UserContext(), a, q.ID, body.Reason)
	}, auth.SocialWorker, auth.Committee)
}

func (h *handlers) withdrawAid(c *fiber.Ctx) error {
	var body struct {
		Reason string `json:"reason"`
	}
	decode := func() error { return webkit.DecodeJSON(c, &body) }
	return h.aidTransition(c, decode, func(q *aid.Request, a aid.Actor) (*aid.Request, error) {
		return h.Aid.Withdraw(c.UserContext(), a, q.ID, body.Reason)
	}, auth.SocialWorker, auth.UnitAdmin)
}

func (h *handlers) disburseAid(c *fiber.Ctx) error {
	var body struct {
		Items []struct {
			Item          int    `json:"item"`
			Amount        string `json:"amount"`
			Method        string `json:"method"`
			Reference     string `json:"reference"`
			Recipient     string `json:"recipient"`
			RecipientName string `json:"recipientName"`
		} `json:"items"`
		// Final (default true) closes the request once confirmed: what is
		// allocated and not given returns to the funds. false records a
		// part and keeps the request open for the next.
		Final *bool `json:"final"`
	}
	var ds []aid.Disbursement
	decode := func() error {
		if err := webkit.DecodeJSON(c, &body); err != nil {
			return err
		}
		ds = make([]aid.Disbursement, len(body.Items))
		for i, it := range body.Items {
			a, err := money.Parse(it.Amount)
			if err != nil {
				return webkit.FieldProblem(fiber.StatusUnprocessableEntity, "items["+strconv.Itoa(i)+"].amount", err.Error())
			}
			ds[i] = aid.Disbursement{Item: it.Item, Amount: a, Method: it.Method, Reference: it.Reference, Recipient: it.Recipient,
				RecipientName: it.RecipientName}
		}
		return nil
	}
	return h.aidTransition(c, decode, func(q *aid.Request, a aid.Actor) (*aid.Request, error) {
		return h.Aid.DisbursePart(c.UserContext(), a, q.ID, ds, body.Final == nil || *body.Final)
	}, auth.SocialWorker, auth.UnitAdmin)
}

func (h *handlers) confirmDisbursement(c *fiber.Ctx) error {
	decode := func() error {
		if len(c.Body()) > 0 {
			return webkit.DecodeJSON(c, &struct{}{})
		}
		return nil
	}
	return h.aidTransition(c, decode, func(q *aid.Request, a aid.Actor) (*aid.Request, error) {
		return h.Aid.ConfirmDisbursement(c.UserContext(), a, q.ID)
	}, webkit.StaffRoles...)
}

func (h *handlers) declineDisbursement(c *fiber.Ctx) error {
	var body struct {
		Reason string `json:"reason"`
	}
	decode := func() error { return webkit.DecodeJSON(c, &body) }
	return h.aidTransition(c, decode, func(q *aid.Request, a aid.Actor) (*aid.Request, error) {
		return h.Aid.DeclineDisbursement(c.UserContext(), a, q.ID, body.Reason)
	}, webkit.StaffRoles...)
}

// identityFlags renders q's identity flags: where, which form, the number
// masked.
func (h *handlers) identityFlags(c *fiber.Ctx, q *aid.Request) ([]fiber.Map, error) {
	fs, err := h.Aid.IdentityFlags(c.UserContext(), q)
	if err != nil {
		return nil, err
	}
	out := make([]fiber.Map, len(fs))
	for i, f := range fs {
		out[i] = fiber.Map{"id": f.Request, "unit": f.Unit, "nid": f.NID, "form": f.Form, "status": f.Status, "createdAt": f.CreatedAt}
	}
	return out, nil
}
