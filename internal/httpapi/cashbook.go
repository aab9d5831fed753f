package httpapi

import (
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// The counter's cash book: a day's cash gifts per staff member and their
// day closes (cashiers and unit admins). No donor data: the console shows
// donors to the staff who took the cash.

type cashGiftJSON struct {
	ID        string    `json:"id"`
	Amount    string    `json:"amount"`
	Kind      string    `json:"kind"`
	Programme string    `json:"programme,omitempty"`
	PaidAt    time.Time `json:"paidAt"`
}

type cashCloseJSON struct {
	Date         string    `json:"date"`
	Staff        string    `json:"staff"`
	StaffName    string    `json:"staffName,omitempty"`
	Expected     string    `json:"expected"`
	Gifts        int       `json:"gifts"`
	HandedOver   string    `json:"handedOver"`
	Deposit      string    `json:"depositReference"`
	Difference   string    `json:"difference"`
	ClosedByName string    `json:"closedByName,omitempty"`
	ClosedAt     time.Time `json:"closedAt"`
}

func toCashCloseJSON(c *donations.CashClose) *cashCloseJSON {
	if c == nil {
		return nil
	}
	return &cashCloseJSON{Date: c.Day, Staff: c.Staff, StaffName: c.StaffName, Expected: c.Expected.String(), Gifts: c.Gifts,
		HandedOver: c.HandedOver.String(), Deposit: c.Deposit, Difference: c.Difference().String(), ClosedByName: c.ClosedByName, ClosedAt: c.At}
}

type cashStaffJSON struct {
	Staff string         `json:"staff"`
	Name  string         `json:"name,omitempty"`
	Count int            `json:"count"`
	Total string         `json:"total"`
	Gifts []cashGiftJSON `json:"gifts"`
	Close *cashCloseJSON `json:"close,omitempty"`
}

// cashBook answers a unit's cash book of ?date= (today in Dhaka if none).
func (h *handlers) cashBook(c *fiber.Ctx) error {
	code := c.Params("code")
	book, err := h.CashBook.Day(c.UserContext(), code, c.Query("date"))
	if err != nil {
		return err
	}
	staff := make([]cashStaffJSON, 0, len(book.Staff))
	for _, s := range book.Staff {
		sj := cashStaffJSON{Staff: s.Staff, Name: s.Name, Count: len(s.Gifts), Total: s.Total.String(), Gifts: []cashGiftJSON{},
			Close: toCashCloseJSON(s.Close)}
		for _, g := range s.Gifts {
			sj.Gifts = append(sj.Gifts, cashGiftJSON{ID: g.ID, Amount: g.Amount.String(), Kind: string(g.Kind), Programme: g.Programme, PaidAt: g.PaidAt})
		}
		staff = append(staff, sj)
	}
	return c.JSON(fiber.Map{"unit": book.Unit, "date": book.Day, "currency": "BDT", "count": book.Count, "total": book.Total.String(),
		"truncated": book.Truncated, "staff": staff})
}

type closeRequest struct {
	Date       string `json:"date"`
	Staff      string `json:"staff"`
	HandedOver string `json:"handedOver"`
	Deposit    string `json:"depositReference"`
}

// closeCashDay records a staff member's day close: 201, the same close again
// 200, another close of the same day 409. A cashier closes only their own.
func (h *handlers) closeCashDay(c *fiber.Ctx) error {
	code := c.Params("code")
	p := webkit.Caller(c)
	var body closeRequest
	if err := webkit.DecodeJSON(c, &body); err != nil {
		return err
	}
	if p.Role == auth.Cashier && body.Staff != p.Subject {
		return webkit.NewProblem(fiber.StatusForbidden, "forbidden", "Not allowed", "A cashier closes their own day.")
	}
	cl, created, err := h.CashBook.Close(c.UserContext(), code, app.Collector{Subject: p.Subject, Name: p.Name},
		app.CloseInput{Day: body.Date, Staff: body.Staff, HandedOver: body.HandedOver, Deposit: body.Deposit})
	if errors.Is(err, donations.ErrDayClosed) {
		return webkit.NewProblem(fiber.StatusConflict, "cash-day-closed", "This day is already closed",
			"This staff member's cash day was closed with other figures; a close is never changed.")
	}
	if err != nil {
		return err
	}
	status := fiber.StatusCreated
	if !created {
		status = fiber.StatusOK
		c.Set("Idempotent-Replayed", "true")
	}
	return c.Status(status).JSON(toCashCloseJSON(cl))
}
