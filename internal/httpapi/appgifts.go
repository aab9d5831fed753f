package httpapi

import (
	"errors"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/webkit"
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
	if err := webkit.DecodeJSON(c, &body); err != nil {
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
