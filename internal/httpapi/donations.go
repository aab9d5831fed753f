package httpapi

import (
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

type donationRequest struct {
	Amount    string `json:"amount"`
	Currency  string `json:"currency"`
	Kind      string `json:"kind"`
	Programme string `json:"programme"`
	Donor     struct {
		Name  string `json:"name"`
		Phone string `json:"phone"`
		Email string `json:"email"`
		TIN   string `json:"tin"`
	} `json:"donor"`
	Anonymous bool `json:"anonymous"`
}

func (r donationRequest) domain() donations.Request {
	var out donations.Request
	out.Amount, out.Currency, out.Kind, out.Programme, out.Anonymous = r.Amount, r.Currency, r.Kind, r.Programme, r.Anonymous
	out.Donor.Name, out.Donor.Phone, out.Donor.Email, out.Donor.TIN = r.Donor.Name, r.Donor.Phone, r.Donor.Email, r.Donor.TIN
	return out
}

type receiptRef struct {
	ID     string `json:"id"`
	Serial string `json:"serial"`
}

// donationJSON is the public view of a donation: no donor personal data.
type donationJSON struct {
	ID         string       `json:"id"`
	Unit       string       `json:"unit"`
	Status     string       `json:"status"`
	Amount     string       `json:"amount"`
	Currency   string       `json:"currency"`
	Kind       string       `json:"kind"`
	Programme  string       `json:"programme,omitempty"`
	Anonymous  bool         `json:"anonymous"`
	Method     string       `json:"method"`
	PaymentURL string       `json:"paymentURL,omitempty"`
	TrxID      string       `json:"trxID,omitempty"`
	Receipt    *receiptRef  `json:"receipt,omitempty"`
	Refunded   string       `json:"refunded,omitempty"`
	Refunds    []refundJSON `json:"refunds,omitempty"`
	CreatedAt  time.Time    `json:"createdAt"`
	PaidAt     *time.Time   `json:"paidAt,omitempty"`
}

func toDonationJSON(v app.View) donationJSON {
	d := v.Donation
	out := donationJSON{
		ID: d.ID, Unit: d.Unit, Status: string(v.EffectiveStatus()), Amount: d.Amount.String(), Currency: "BDT",
		Kind: string(d.Kind), Programme: d.Programme, Anonymous: d.Anonymous, Method: string(d.Method),
		TrxID: d.TrxID, CreatedAt: d.CreatedAt,
	}
	if d.Status == donations.Initiated {
		out.PaymentURL = d.PaymentURL
	}
	if !d.PaidAt.IsZero() {
		t := d.PaidAt
		out.PaidAt = &t
	}
	if v.Receipt != nil {
		out.Receipt = &receiptRef{ID: v.Receipt.ID, Serial: v.Receipt.Serial}
	}
	if len(d.Refunds) > 0 {
		out.Refunded = d.Refunded().String()
		for _, r := range d.Refunds {
			out.Refunds = append(out.Refunds, toRefundJSON(r))
		}
	}
	return out
}

func (h *handlers) createDonation(c *fiber.Ctx) error {
	key := c.Get("Idempotency-Key")
	if !webkit.ValidKey(key) {
		return webkit.FieldProblem(fiber.StatusBadRequest, "Idempotency-Key", "header is required: "+webkit.KeyRule)
	}
	if _, err := h.Units.Servable(c.UserContext(), c.Params("code")); err != nil {
		return err
	}
	var body donationRequest
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	d, created, err := h.Donations.Create(c.UserContext(), c.Params("code"), key, body.domain())
	if err != nil {
		return err
	}
	status, v := fiber.StatusCreated, app.View{Donation: d}
	if !created {
		// A replay answers the gift as it stands now (paid, receipted,
		// refunded…), as a GET would.
		status = fiber.StatusOK
		c.Set("Idempotent-Replayed", "true")
		if v, err = h.Donations.Get(c.UserContext(), d.ID); err != nil {
			return err
		}
	}
	c.Location("/api/v1/donations/" + d.ID)
	return c.Status(status).JSON(toDonationJSON(v))
}

func (h *handlers) getDonation(c *fiber.Ctx) error {
	v, err := h.Donations.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	return c.JSON(toDonationJSON(v))
}

// bkashCallback is where bKash returns the payer. Whatever the query says,
// the donation is only marked paid by bKash's own execute/query answer.
func (h *handlers) bkashCallback(c *fiber.Ctx) error {
	id := c.Params("id")
	d, err := h.Donations.Callback(c.UserContext(), id, c.Query("paymentID"), c.Query("status"))
	if err != nil {
		return err
	}
	return c.Redirect("/donations/"+d.ID, fiber.StatusSeeOther)
}
