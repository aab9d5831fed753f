package httpapi

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// createCashDonation records a gift taken in cash at the unit's counter.
func (h *handlers) createCashDonation(c *fiber.Ctx) error {
	code := c.Params("code")
	p, err := h.StaffOf(c, code, auth.SocialWorker, auth.Committee, auth.UnitAdmin)
	if err != nil {
		return err
	}
	key, err := webkit.IdempotencyKey(c)
	if err != nil {
		return err
	}
	var body donationRequest
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	d, created, err := h.Donations.CreateCash(c.UserContext(), code, key, p.Subject, body.domain())
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if !created {
		status = fiber.StatusOK
		c.Set("Idempotent-Replayed", "true")
	}
	c.Location("/api/v1/donations/" + d.ID)
	return c.Status(status).JSON(toDonationJSON(app.View{Donation: d}))
}

type refundRequest struct {
	Amount string `json:"amount"`
	Reason string `json:"reason"`
}

type refundJSON struct {
	ID          string     `json:"id"`
	Amount      string     `json:"amount"`
	Status      string     `json:"status"`
	Reason      string     `json:"reason"`
	RefundTrxID string     `json:"refundTrxID,omitempty"`
	Failure     string     `json:"failure,omitempty"`
	RequestedAt time.Time  `json:"requestedAt"`
	CompletedAt *time.Time `json:"completedAt,omitempty"`
}

func toRefundJSON(r donations.Refund) refundJSON {
	out := refundJSON{ID: r.ID, Amount: r.Amount.String(), Status: r.Status, Reason: r.Reason, RefundTrxID: r.RefundTrxID, Failure: r.Failure, RequestedAt: r.RequestedAt}
	if !r.CompletedAt.IsZero() {
		t := r.CompletedAt
		out.CompletedAt = &t
	}
	return out
}

// refundDonation refunds all or part of a paid gift (unit admins).
func (h *handlers) refundDonation(c *fiber.Ctx) error {
	v, err := h.Donations.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	p, err := h.StaffOf(c, v.Unit, auth.UnitAdmin)
	if err != nil {
		return err
	}
	key, err := webkit.IdempotencyKey(c)
	if err != nil {
		return err
	}
	var body refundRequest
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	amount, err := money.Parse(body.Amount)
	if err == nil && amount == 0 {
		err = money.ErrNegative
	}
	if err != nil {
		return webkit.FieldProblem(fiber.StatusUnprocessableEntity, "amount", err.Error())
	}
	reason, err := freetext.Required(body.Reason, freetext.Line.WithMax(255))
	if err != nil {
		msg := err.Error()
		if freetext.CodeOf(err) == freetext.CodeEmpty || freetext.CodeOf(err) == freetext.CodeTooLong {
			msg = "is required (at most 255 characters)"
		}
		return webkit.FieldProblem(fiber.StatusUnprocessableEntity, "reason", msg)
	}
	body.Reason = reason
	d, r, err := h.Donations.Refund(c.UserContext(), v.ID, key, amount, body.Reason, p.Subject)
	switch {
	case errors.Is(err, donations.ErrRefundTooLarge):
		return webkit.FieldProblem(fiber.StatusUnprocessableEntity, "amount", err.Error())
	case errors.Is(err, donations.ErrNotRefundable):
		return webkit.NewProblem(fiber.StatusConflict, "not-refundable", "This gift cannot be refunded", "Only a paid gift can be refunded.")
	case errors.Is(err, app.ErrRefundInProgress):
		return webkit.NewProblem(fiber.StatusConflict, "refund-in-progress", "A refund is in progress", err.Error())
	case err != nil:
		return err
	}
	// 202 while bKash's answer is outstanding: the refund is held and will be
	// settled by bKash's refund status; asking again never refunds again.
	status := fiber.StatusCreated
	if r.Open() {
		status = fiber.StatusAccepted
	}
	vv, err := h.Donations.Get(c.UserContext(), d.ID)
	if err != nil {
		return err
	}
	return c.Status(status).JSON(fiber.Map{"refund": toRefundJSON(*r), "donation": toDonationJSON(vv)})
}

type fundJSON struct {
	Fund      string `json:"fund"`
	Received  string `json:"received"`
	Allocated string `json:"allocated"`
	Disbursed string `json:"disbursed"`
	Refunded  string `json:"refunded"`
	// RefundPending is held for refunds awaiting bKash's answer.
	RefundPending string `json:"refundPending"`
	Balance       string `json:"balance"`
	Gifts         int    `json:"gifts"`
	Refunds       int    `json:"refunds"`
	// TransferredIn/Out moved from/to another unit's same fund (an
	// archived unit's money).
	TransferredIn  string `json:"transferredIn"`
	TransferredOut string `json:"transferredOut"`
}

func toFundJSON(f ledger.FundFigures) fundJSON {
	return fundJSON{Fund: f.Fund, Received: f.Received.String(), Allocated: f.Allocated.String(), Disbursed: f.Disbursed.String(),
		Refunded: f.Refunded.String(), RefundPending: f.Held.String(), Balance: f.Balance().String(), Gifts: f.Gifts, Refunds: f.Refunds,
		TransferredIn: f.TransferredIn.String(), TransferredOut: f.TransferredOut.String()}
}

// unitLedger is the public per-fund view of one unit. No personal data.
func (h *handlers) unitLedger(c *fiber.Ctx) error {
	// Archived units' figures stay public (their transfers out).
	u, err := h.Units.Get(c.UserContext(), c.Params("code"))
	if err != nil {
		return err
	}
	funds, err := h.Transparency.UnitFunds(c.UserContext(), u)
	if err != nil {
		return err
	}
	var total ledger.FundFigures
	out := make([]fundJSON, len(funds))
	for i, f := range funds {
		out[i] = toFundJSON(f)
		total.Received += f.Received
		total.Allocated += f.Allocated
		total.Disbursed += f.Disbursed
		total.Refunded += f.Refunded
		total.Held += f.Held
		total.Gifts += f.Gifts
		total.Refunds += f.Refunds
		total.TransferredIn += f.TransferredIn
		total.TransferredOut += f.TransferredOut
	}
	total.Fund = "total"
	return c.JSON(fiber.Map{"unit": u.Code, "status": u.Status, "currency": "BDT", "funds": out, "total": toFundJSON(total)})
}

// nationalLedger is the national view: totals and per-unit rows, paged.
func (h *handlers) nationalLedger(c *fiber.Ctx) error {
	page, err := webkit.IntQuery(c, "page", 1, 1, webkit.MaxPage)
	if err != nil {
		return err
	}
	size, err := webkit.IntQuery(c, "pageSize", 50, 1, 200)
	if err != nil {
		return err
	}
	rows, nat, err := h.Transparency.National(c.UserContext())
	if err != nil {
		return err
	}
	nat.Fund = "total"
	type rowJSON struct {
		Unit  string   `json:"unit"`
		Name  string   `json:"name"`
		Funds fundJSON `json:"totals"`
	}
	// Bounded above, so neither product overflows.
	from, to := min((page-1)*size, len(rows)), min(page*size, len(rows))
	out := make([]rowJSON, 0, to-from)
	for _, r := range rows[from:to] {
		r.Totals.Fund = "total"
		out = append(out, rowJSON{Unit: r.Unit.Code, Name: r.Unit.Names.EN, Funds: toFundJSON(r.Totals)})
	}
	return c.JSON(fiber.Map{"currency": "BDT", "total": toFundJSON(nat), "units": out, "page": page, "pageSize": size, "unitCount": len(rows)})
}
