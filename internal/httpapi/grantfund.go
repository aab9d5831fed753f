package httpapi

import (
	"errors"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// allocateGrant records the Department's grant money into a unit's grant
// fund (platform admin; Idempotency-Key required).
func (h *handlers) allocateGrant(c *fiber.Ctx) error {
	if h.GrantFund == nil {
		return fiber.ErrNotFound
	}
	p, err := h.Principal(c)
	if err != nil {
		return err
	}
	key := c.Get("Idempotency-Key")
	if !webkit.ValidKey(key) {
		return webkit.FieldProblem(fiber.StatusBadRequest, "Idempotency-Key", webkit.KeyRule)
	}
	var body struct {
		FiscalYear string `json:"fiscalYear"`
		Amount     string `json:"amount"`
		Reference  string `json:"reference"`
	}
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	amount, err := money.Parse(body.Amount)
	if err != nil {
		return webkit.FieldProblem(fiber.StatusUnprocessableEntity, "amount", err.Error())
	}
	a, created, err := h.GrantFund.Allocate(c.UserContext(), p.Subject, c.Params("code"), body.FiscalYear, key, body.Reference, amount)
	if errors.Is(err, ledger.ErrEnvelope) {
		return webkit.NewProblem(fiber.StatusUnprocessableEntity, "grant-envelope-exceeded", "The fiscal year's grant budget would be exceeded",
			"The national envelope of "+body.FiscalYear+" is "+h.GrantFund.Budget(body.FiscalYear).String()+".")
	}
	if err != nil {
		return err
	}
	// The money may be what waiting grant requests need.
	if _, err := h.Aid.DrainWaitlist(c.UserContext(), a.Unit); err != nil {
		return err
	}
	status := fiber.StatusCreated
	if !created {
		status = fiber.StatusOK
		c.Set("Idempotent-Replayed", "true")
	}
	return c.Status(status).JSON(fiber.Map{"id": a.ID, "unit": a.Unit, "fiscalYear": a.FY, "amount": a.Amount.String(),
		"reference": a.Reference, "fiscalYearAllocated": a.Total.String(), "envelope": a.Envelope.String(), "at": a.At})
}

// transferFunds moves an archived unit's remaining money, fund by fund, to
// the same funds of another unit (platform admin; Idempotency-Key required).
func (h *handlers) transferFunds(c *fiber.Ctx) error {
	if h.Transfers == nil {
		return fiber.ErrNotFound
	}
	key := c.Get("Idempotency-Key")
	if !webkit.ValidKey(key) {
		return webkit.FieldProblem(fiber.StatusBadRequest, "Idempotency-Key", webkit.KeyRule)
	}
	var body struct {
		To string `json:"to"`
	}
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	id, moved, err := h.Transfers.Transfer(c.UserContext(), c.Params("code"), body.To, key)
	switch {
	case errors.Is(err, app.ErrNotArchived):
		return webkit.NewProblem(fiber.StatusConflict, "unit-not-archived", "The unit is not archived", err.Error())
	case errors.Is(err, app.ErrTargetArchived):
		return webkit.NewProblem(fiber.StatusUnprocessableEntity, "target-archived", "The target unit is archived", err.Error(),
			validation.FieldError{Field: "to", Message: err.Error()})
	case err != nil:
		return err
	}
	funds := make([]fiber.Map, len(moved))
	for i, m := range moved {
		funds[i] = fiber.Map{"fund": ledger.FundName(m.Fund), "amount": m.Amount.String()}
	}
	return c.JSON(fiber.Map{"id": id, "from": c.Params("code"), "to": body.To, "funds": funds})
}
