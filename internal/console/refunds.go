package console

import (
	"errors"
	"net/url"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// Refunds at the counter (unit admins): find the gift by its receipt
// number, bKash TrxID or the donor's mobile; see what can still be
// refunded; give the amount and a reason; confirm; see the outcome and the
// cancellation note. The refund use case holds the amount in the ledger
// before bKash is asked and never asks bKash twice: the form's key is the
// refund's Idempotency-Key, carried through the confirmation step, so a
// confirmation sent twice answers the one refund.

var refundRoles = []auth.Role{auth.UnitAdmin}

type foundRow struct {
	Href, Serial, Date, Donor, Mobile, Method, Amount, Refunded, Refundable string
}

type refundsView struct {
	consoleView
	Q        webkit.Field
	Action   string
	Rows     []foundRow
	Searched bool
}

func (cs *console) refundsPage(c *fiber.Ctx) error {
	unit, err := cs.unitOf(c, refundRoles...)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	q := strings.TrimSpace(c.Query("q"))
	fe := &webkit.FormErrors{}
	v := &refundsView{consoleView: cs.base(c, l, unit, l.T("console.refunds.title"), "/console/refunds"), Action: "/console/refunds"}
	status := fiber.StatusOK
	if q != "" {
		v.Searched = true
		found, err := cs.h.GiftSearch.Find(c.UserContext(), unit, i18n.ASCIIDigits(q))
		var ve validation.Errors
		switch {
		case errors.As(err, &ve):
			fe.Add("q", l.T("console.refunds.err.q"))
			status = fiber.StatusUnprocessableEntity
		case err != nil:
			return err
		}
		for _, g := range found {
			r := foundRow{Href: "/console/refunds/" + url.PathEscape(g.ID) + v.UnitQ, Date: l.Digits(g.CreatedAt.In(dhaka).Format("2006-01-02")),
				Donor: g.Donor.Name, Mobile: l.Digits(contact.MaskMobile(g.Donor.Phone)), Method: methodLabel(l, g.Method), Amount: l.Money(g.Amount),
				Refunded: l.Money(g.Refunded()), Refundable: l.Money(g.Refundable())}
			if g.Receipt != nil {
				r.Serial = g.Receipt.Serial
			}
			v.Rows = append(v.Rows, r)
		}
	}
	v.Q = webkit.Field{ID: "q", Name: "q", Type: "search", Autocomplete: "off", Label: l.T("console.refunds.f.q"), Hint: l.T("console.refunds.f.q-hint"),
		Value: q, Err: fe.Get("q"), Required: true}
	pg := webkit.NewPage(c, l, v.Heading, v)
	pg.Errors = fe.List
	return moneyPages.Render(c, status, "console_refunds", pg)
}

func methodLabel(l i18n.Lang, m donations.Method) string {
	return label(l, "console.method.gift.", string(m))
}

type refundRow struct {
	Amount, Status, Reason, Ref, At string
	NoteSerial, NotePage, NotePDF   string
	Open                            bool
}

type refundView struct {
	consoleView
	ID, Serial, Date, Donor, Mobile, Method, Kind, Amount, Refunded, Refundable string
	Refunds                                                                     []refundRow
	Action, Key                                                                 string
	AmountIn, Reason                                                            webkit.Field
	CanRefund                                                                   bool
	Why                                                                         string
	// The outcome of the refund just asked for.
	Result, ResultClass string
	Note                webkit.Link
	NotePDF             string
	Failure             string
	Back                string
}

// loadGift is gift id for a unit admin of its unit.
func (cs *console) loadGift(c *fiber.Ctx) (app.View, error) {
	g, err := cs.h.Donations.Get(c.UserContext(), c.Params("id"))
	if errors.Is(err, donations.ErrNotFound) {
		return g, webkit.NewProblem(fiber.StatusNotFound, "donation-not-found", "No such donation", "")
	}
	if err != nil {
		return g, err
	}
	if err := webkit.ActOn(c, g.Unit, refundRoles...); err != nil {
		return g, err
	}
	return g, nil
}

func (cs *console) refundPage(c *fiber.Ctx) error {
	g, err := cs.loadGift(c)
	if err != nil {
		return err
	}
	return cs.renderRefund(c, fiber.StatusOK, g, webkit.NewKey(), c.Query("refund"), "", &webkit.FormErrors{}, nil)
}

func (cs *console) renderRefund(c *fiber.Ctx, status int, g app.View, key, result, failure string, fe *webkit.FormErrors, val func(string) string) error {
	l := webkit.Lang(c)
	v := &refundView{consoleView: cs.base(c, l, g.Unit, l.T("console.refund.title"), ""), ID: g.ID, Key: key, Failure: failure,
		Date: l.Digits(g.CreatedAt.In(dhaka).Format("2006-01-02 15:04")), Donor: g.Donor.Name, Mobile: l.Digits(contact.MaskMobile(g.Donor.Phone)),
		Method: methodLabel(l, g.Method), Kind: l.Kind(string(g.Kind)), Amount: l.Money(g.Amount), Refunded: l.Money(g.Refunded()),
		Refundable: l.Money(g.Refundable())}
	if g.Programme != "" {
		v.Kind += " · " + l.Programme(g.Programme)
	}
	if g.Receipt != nil {
		v.Serial = g.Receipt.Serial
	}
	v.Action = "/console/refunds/" + url.PathEscape(g.ID) + v.UnitQ
	v.Back = "/console/refunds" + v.UnitQ
	notes, err := cs.h.Receipts.Notes(c.UserContext(), g.ID)
	if err != nil {
		return err
	}
	pg := webkit.NewPage(c, l, v.Heading, v)
	open := false
	for _, r := range g.Refunds {
		row := refundRow{Amount: l.Money(r.Amount), Status: label(l, "console.refund.status.", r.Status), Reason: r.Reason, Ref: r.RefundTrxID,
			At: l.Digits(r.RequestedAt.In(dhaka).Format("2006-01-02 15:04")), Open: r.Open()}
		open = open || r.Open()
		for _, n := range notes {
			if n.Refund == r.ID {
				row.NoteSerial = n.Serial
				row.NotePage = "/r/" + url.PathEscape(g.ID) + "/notes/" + url.PathEscape(r.ID)
				row.NotePDF = "/api/v1/receipts/" + url.PathEscape(g.ID) + "/notes/" + url.PathEscape(r.ID) + ".pdf"
			}
		}
		v.Refunds = append(v.Refunds, row)
		if r.ID != result {
			continue
		}
		switch r.Status {
		case donations.RefundCompleted:
			v.Result, v.ResultClass = l.F("console.refund.result.completed", l.Money(r.Amount)), "ok"
			if row.NoteSerial == "" {
				v.Result += " " + l.T("console.refund.result.note-wait")
				pg.Refresh = "2"
			} else {
				v.Note, v.NotePDF = webkit.Link{Label: row.NoteSerial, Href: row.NotePage}, row.NotePDF
			}
		case donations.RefundFailed:
			v.Result, v.ResultClass = l.F("console.refund.result.failed", l.Money(r.Amount)), "bad"
		default:
			v.Result, v.ResultClass = l.F("console.refund.result.pending", l.Money(r.Amount)), ""
			pg.Refresh = "3"
		}
	}
	switch {
	case g.Method == donations.BKashApp:
		v.Why = l.T("console.refund.why.app")
	case g.Status != donations.Paid:
		v.Why = l.T("console.refund.why.unpaid")
	case open:
		v.Why = l.T("console.refund.why.open")
	case g.Refundable() == 0:
		v.Why = l.T("console.refund.why.all")
	default:
		v.CanRefund = true
	}
	if val == nil {
		val = func(string) string { return "" }
	}
	amount := val("amount")
	if amount == "" {
		amount = l.Plain(g.Refundable())
	}
	v.AmountIn = webkit.Field{ID: "amount", Name: "amount", Type: "text", InputMode: "decimal", Autocomplete: "off", Label: l.T("console.refund.f.amount"),
		Hint: l.F("console.refund.f.amount-hint", v.Refundable), Value: amount, Err: fe.Get("amount"), Required: true}
	v.Reason = webkit.Field{ID: "reason", Name: "reason", Type: "text", Autocomplete: "off", Label: l.T("console.refund.f.reason"), Hint: l.T("console.refund.f.reason-hint"),
		Value: val("reason"), Err: fe.Get("reason"), Required: true}
	pg.Errors = fe.List
	return moneyPages.Render(c, status, "console_refund", pg)
}

type refundConfirmView struct {
	consoleView
	Action, Key, Amount, AmountShown, Reason string
	Serial, Donor, Method, Back              string
	Cash                                     bool
}

// refund checks the form, asks to confirm, and on confirmation refunds.
func (cs *console) refund(c *fiber.Ctx) error {
	g, err := cs.loadGift(c)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	val := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	key := webkit.FormKey(val("key"))
	fe := &webkit.FormErrors{}
	amount, perr := money.Parse(i18n.NormalizeNumber(val("amount")))
	switch {
	case perr != nil || amount <= 0:
		fe.Add("amount", l.T("console.refund.err.amount"))
	case amount > g.Refundable() && val("confirm") != "1":
		// A confirmation sent again names its refund by its key: the use
		// case answers it (and refuses anything beyond the gift).
		fe.Add("amount", l.F("console.refund.err.too-much", l.Money(g.Refundable())))
	}
	reason, rerr := freetext.Required(val("reason"), freetext.Line.WithMax(255))
	if rerr != nil {
		fe.Add("reason", webkit.TextMessage(l, validation.FieldError{Field: "reason", Code: freetext.CodeOf(rerr)}, "console.refund.err.reason"))
	}
	if len(fe.List) > 0 {
		return cs.renderRefund(c, fiber.StatusUnprocessableEntity, g, key, "", "", fe, val)
	}
	if val("confirm") != "1" {
		v := &refundConfirmView{consoleView: cs.base(c, l, g.Unit, l.T("console.refund.confirm.title"), ""), Key: key,
			Amount: amount.String(), AmountShown: l.Money(amount), Reason: reason, Donor: g.Donor.Name, Method: methodLabel(l, g.Method),
			Cash: g.Method == donations.Cash}
		if g.Receipt != nil {
			v.Serial = g.Receipt.Serial
		}
		v.Action = "/console/refunds/" + url.PathEscape(g.ID) + v.UnitQ
		v.Back = v.Action
		return moneyPages.Render(c, fiber.StatusOK, "console_refund_confirm", webkit.NewPage(c, l, v.Heading, v))
	}
	_, r, err := cs.h.Donations.Refund(c.UserContext(), g.ID, key, amount, reason, webkit.Caller(c).Subject)
	if r != nil {
		// Completed, pending or refused (the fund no longer held it): the
		// gift's page says which.
		return cs.afterRefund(c, g.ID, r.ID)
	}
	var failure string
	switch {
	case errors.Is(err, donations.ErrRefundTooLarge):
		failure = l.T("console.refund.err.meanwhile")
	case errors.Is(err, donations.ErrNotRefundable), errors.Is(err, app.ErrAppGiftNotRefundable):
		failure = l.T("console.refund.why.unpaid")
	case errors.Is(err, app.ErrRefundInProgress):
		failure = l.T("console.refund.why.open")
	case errors.Is(err, donations.ErrKeyReused):
		failure = l.T("console.refund.err.resubmit")
	case err != nil:
		return err
	}
	fresh, err := cs.h.Donations.Get(c.UserContext(), g.ID)
	if err != nil {
		return err
	}
	// Nothing was refunded; what is sent next is a new refund.
	return cs.renderRefund(c, fiber.StatusConflict, fresh, webkit.NewKey(), "", failure, fe, val)
}

// afterRefund shows the refund's outcome on the gift's page (a GET, so a
// reload never sends the confirmation again).
func (cs *console) afterRefund(c *fiber.Ctx, id, refund string) error {
	q := url.Values{"refund": {refund}}
	if unitQ(c) != "" {
		q.Set("unit", c.Query("unit"))
	}
	return c.Redirect("/console/refunds/"+url.PathEscape(id)+"?"+q.Encode(), fiber.StatusSeeOther)
}
