package console

import (
	"errors"
	"net/url"
	"strconv"
	"strings"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/validation"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// The cash book: a day's cash gifts per staff member, and each one's day
// close — what they handed over and the bank deposit reference — with the
// difference shown when the two do not match. A cashier closes their own
// day; a unit admin may close anyone's (the one who received the cash).

type bookGift struct {
	At, Serial, Donor, Kind, Amount string
}

type bookStaff struct {
	N                  int
	Name, Total, Count string
	Gifts              []bookGift
	// Closed: the close as recorded; Diff says a mismatch in words.
	Closed                    bool
	Handed, Deposit, ClosedBy string
	ClosedAt, Expected, Diff  string
	DiffBad                   bool
	Later                     string
	CanClose                  bool
	Staff                     string
	HandedIn, DepositIn       webkit.Field
}

type bookView struct {
	consoleView
	Day, DayShown, Total, Count string
	Date                        webkit.Field
	Staff                       []bookStaff
	Action, Self                string
	Done, Failure               string
	Truncated                   bool
}

func (cs *console) cashBookPage(c *fiber.Ctx) error {
	unit, err := cs.unitOf(c, webkit.CashRoles...)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	done := ""
	if c.Query("done") == "closed" {
		done = l.T("console.book.done")
	}
	return cs.renderBook(c, fiber.StatusOK, unit, i18n.ASCIIDigits(strings.TrimSpace(c.Query("date"))), done, "", "", &webkit.FormErrors{}, nil)
}

// renderBook shows unit's book of day; posted is the staff member whose
// close form came back (with fe's errors and val's values).
func (cs *console) renderBook(c *fiber.Ctx, status int, unit, day, done, failure, posted string, fe *webkit.FormErrors, val func(string) string) error {
	ctx := c.UserContext()
	l := webkit.Lang(c)
	book, err := cs.h.CashBook.Day(ctx, unit, day)
	var ve validation.Errors
	if errors.As(err, &ve) {
		// An unreadable or future date: today's book, the date marked.
		fe.Add("date", l.T("console.book.err.date"))
		status = fiber.StatusUnprocessableEntity
		book, err = cs.h.CashBook.Day(ctx, unit, "")
	}
	if err != nil {
		return err
	}
	if val == nil {
		val = func(string) string { return "" }
	}
	p := webkit.Caller(c)
	v := &bookView{consoleView: cs.base(c, l, unit, l.T("console.book.title"), "/console/cash-book"), Day: book.Day,
		DayShown: l.Digits(book.Day), Total: l.Money(book.Total), Count: l.Num(int64(book.Count)), Done: done, Failure: failure,
		Truncated: book.Truncated}
	v.Action = "/console/cash-book/close" + v.UnitQ
	v.Self = "/console/cash-book"
	v.Date = webkit.Field{ID: "date", Name: "date", Type: "date", Label: l.T("console.book.f.date"), Value: book.Day, Err: fe.Get("date")}
	for i, s := range book.Staff {
		n := strconv.Itoa(i + 1)
		bs := bookStaff{N: i + 1, Name: staffName(l, s.Name), Total: l.Money(s.Total), Count: l.Num(int64(len(s.Gifts))), Staff: s.Staff}
		for _, g := range s.Gifts {
			bg := bookGift{At: l.Digits(g.PaidAt.In(dhaka).Format("15:04")), Donor: g.Donor.Name, Amount: l.Money(g.Amount),
				Kind: l.Kind(string(g.Kind))}
			if g.Programme != "" {
				bg.Kind += " · " + l.Programme(g.Programme)
			}
			if r, err := cs.h.Donations.Receipts.Get(ctx, g.ID); err == nil {
				bg.Serial = r.Serial
			} else if !errors.Is(err, receipts.ErrNotFound) {
				return err
			}
			bs.Gifts = append(bs.Gifts, bg)
		}
		if cl := s.Close; cl != nil {
			bs.Closed = true
			bs.Handed, bs.Deposit, bs.Expected = l.Money(cl.HandedOver), cl.Deposit, l.Money(cl.Expected)
			bs.ClosedBy = staffName(l, cl.ClosedByName)
			bs.ClosedAt = l.Digits(cl.At.In(dhaka).Format("2006-01-02 15:04"))
			switch d := cl.Difference(); {
			case d < 0:
				bs.Diff, bs.DiffBad = l.F("console.book.short", l.Money(-d)), true
			case d > 0:
				bs.Diff, bs.DiffBad = l.F("console.book.over", l.Money(d)), true
			default:
				bs.Diff = l.T("console.book.matches")
			}
			if s.Total != cl.Expected {
				bs.Later = l.F("console.book.later", l.Money(s.Total))
			}
		}
		bs.CanClose = !bs.Closed && len(s.Gifts) > 0 && (p.Role != auth.Cashier || p.Subject == s.Staff)
		if bs.CanClose {
			own := posted == s.Staff
			get := func(k string) string {
				if own {
					return val(k)
				}
				return ""
			}
			bs.HandedIn = webkit.Field{ID: "handed-" + n, Name: "handedOver", Type: "text", InputMode: "decimal", Autocomplete: "off",
				Label: l.F("console.book.f.handed", bs.Name), Hint: l.F("console.book.f.handed-hint", bs.Total), Value: get("handedOver"),
				Required: true}
			bs.DepositIn = webkit.Field{ID: "deposit-" + n, Name: "depositReference", Type: "text", Autocomplete: "off",
				Label: l.F("console.book.f.deposit", bs.Name), Hint: l.T("console.book.f.deposit-hint"), Value: get("depositReference"), Required: true}
			if own {
				bs.HandedIn.Err, bs.DepositIn.Err = fe.Get("handed-"+n), fe.Get("deposit-"+n)
			}
		}
		v.Staff = append(v.Staff, bs)
	}
	pg := webkit.NewPage(c, l, v.Heading, v)
	pg.Errors = fe.List
	return moneyPages.Render(c, status, "console_cashbook", pg)
}

// closeDay records a staff member's day close.
func (cs *console) closeDay(c *fiber.Ctx) error {
	unit, err := cs.unitOf(c, webkit.CashRoles...)
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	p := webkit.Caller(c)
	val := func(k string) string { return strings.TrimSpace(c.FormValue(k)) }
	in := app.CloseInput{Day: i18n.ASCIIDigits(val("date")), Staff: val("staff"), HandedOver: i18n.NormalizeNumber(val("handedOver")),
		Deposit: val("depositReference")}
	if p.Role == auth.Cashier && in.Staff != p.Subject {
		return webkit.NewProblem(fiber.StatusForbidden, "forbidden", "Not allowed", "A cashier closes their own day.")
	}
	_, _, err = cs.h.CashBook.Close(c.UserContext(), unit, app.Collector{Subject: p.Subject, Name: p.Name}, in)
	if err == nil {
		q := url.Values{"date": {in.Day}, "done": {"closed"}}
		if v := unitQ(c); v != "" {
			q.Set("unit", c.Query("unit"))
		}
		return c.Redirect("/console/cash-book?"+q.Encode(), fiber.StatusSeeOther)
	}
	// The row of the staff member whose form came back names its inputs.
	n := "1"
	if book, berr := cs.h.CashBook.Day(c.UserContext(), unit, in.Day); berr == nil {
		for i, s := range book.Staff {
			if s.Staff == in.Staff {
				n = strconv.Itoa(i + 1)
			}
		}
	}
	fe := &webkit.FormErrors{}
	var ve validation.Errors
	switch {
	case errors.Is(err, donations.ErrDayClosed):
		return cs.renderBook(c, fiber.StatusConflict, unit, in.Day, "", l.T("console.book.err.closed"), "", fe, nil)
	case errors.As(err, &ve):
		for _, f := range ve {
			switch f.Field {
			case "handedOver":
				fe.Add("handed-"+n, l.T("console.book.err.handed"))
			case "depositReference":
				fe.Add("deposit-"+n, webkit.TextMessage(l, f, "console.book.err.deposit"))
			case "date":
				fe.Add("date", l.T("console.book.err.date"))
			default:
				fe.Add("handed-"+n, l.T("console.book.err.staff"))
			}
		}
		return cs.renderBook(c, fiber.StatusUnprocessableEntity, unit, in.Day, "", "", in.Staff, fe, val)
	}
	return err
}
