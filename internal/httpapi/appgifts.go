package httpapi

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/donations"
)

// appGiftRequest is the body of POST /api/v1/units/{code}/bkash-app-gifts.
type appGiftRequest struct {
	TrxID     string `json:"trxID"`
	Kind      string `json:"kind"`
	Programme string `json:"programme"`
	Donor     struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
		TIN   string `json:"tin"`
	} `json:"donor"`
	Anonymous bool `json:"anonymous"`
}

// claimAppGift records a gift the donor made inside the bKash app, once
// bKash's search transaction confirms it: 201 with the donation (paid; its
// receipt follows), 200 when the same donor claims the same TrxID again.
func (h *handlers) claimAppGift(c *fiber.Ctx) error {
	if h.AppGifts == nil {
		return fiber.ErrNotFound
	}
	if _, err := h.Units.Servable(c.UserContext(), c.Params("code")); err != nil {
		return err
	}
	var body appGiftRequest
	if err := decodeJSON(c, &body); err != nil {
		return err
	}
	d, created, err := h.AppGifts.Claim(c.UserContext(), c.Params("code"), app.AppGiftRequest{
		TrxID: body.TrxID, Phone: body.Donor.Phone, Kind: body.Kind, Programme: body.Programme,
		Name: body.Donor.Name, TIN: body.Donor.TIN, Anonymous: body.Anonymous, ClientIP: c.IP(),
	})
	if err != nil {
		if errors.Is(err, app.ErrClaimRateLimited) {
			c.Set(fiber.HeaderRetryAfter, strconv.Itoa(3600))
		}
		return err
	}
	status := fiber.StatusCreated
	if !created {
		status = fiber.StatusOK
	}
	c.Location("/api/v1/donations/" + d.ID)
	return c.Status(status).JSON(toDonationJSON(app.View{Donation: d}))
}

// appGiftProblem maps the claim's refusals to problems.
func appGiftProblem(err error) (Problem, bool) {
	p := func(status int, slug, title, detail string) (Problem, bool) {
		return Problem{Type: problemBase + slug, Title: title, Status: status, Detail: detail}, true
	}
	switch {
	case errors.Is(err, donations.ErrTrxNotFound):
		return p(fiber.StatusNotFound, "trx-not-found", "No completed bKash payment with this TrxID",
			"bKash has no completed payment with this TrxID into this hospital's bKash account. Check the TrxID in bKash's SMS or the app's statement.")
	case errors.Is(err, donations.ErrTrxForeign):
		return p(fiber.StatusUnprocessableEntity, "trx-other-merchant", "This TrxID paid another bKash account",
			"The payment went to another merchant, not to this hospital's Rogi Kalyan Samiti.")
	case errors.Is(err, donations.ErrTrxClaimed):
		return p(fiber.StatusConflict, "trx-already-claimed", "This TrxID was already received as a gift",
			"A gift with this TrxID is already recorded, and its receipt was issued to the donor who recorded it.")
	case errors.Is(err, donations.ErrTrxPayer):
		return p(fiber.StatusUnprocessableEntity, "trx-other-payer", "This TrxID was paid from another number",
			"Enter the bKash number the payment was made from.")
	case errors.Is(err, donations.ErrTrxTooOld):
		return p(fiber.StatusUnprocessableEntity, "trx-too-old", "This payment is too old to claim here",
			"Gifts made in the bKash app can be claimed within the refund window after payment; ask the hospital's social service office for a receipt.")
	case errors.Is(err, app.ErrAppGiftNotRefundable):
		return p(fiber.StatusConflict, "app-gift-not-refundable", "This gift cannot be refunded here", err.Error())
	case errors.Is(err, app.ErrClaimRateLimited):
		return p(fiber.StatusTooManyRequests, "rate-limited", "Too many requests", "Too many claims from this address or for this number; try again in an hour.")
	case errors.Is(err, app.ErrAppGiftsUnavailable):
		return p(fiber.StatusServiceUnavailable, "app-gifts-unavailable", "Gifts made in the bKash app cannot be confirmed for this hospital yet",
			"The hospital's bKash wallet number is not configured; ask its social service office for a receipt.")
	}
	return Problem{}, false
}
