package donorweb

import (
	"fmt"
	"net/url"
	"strconv"

	"github.com/gofiber/fiber/v2"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/webkit"
)

// The status page reloads itself (meta refresh, no JavaScript) until the
// payment is final and its receipt exists. A page that reloads on its own
// is a time limit under WCAG 2.2.1, so the page offers a link that stops
// the updates before the first reload, and gives up after a few minutes
// with a "check again" link instead of reloading forever.
const (
	refreshPaid      = 3  // seconds: the receipt follows payment within moments
	refreshInitiated = 10 // seconds: the donor may still be paying at bKash
	refreshBudget    = 180
)

type statusView struct {
	Heading, Message, Detail, Tone string
	Unit, Amount, Kind, Programme  string
	ReceiptURL, ReceiptSerial      string
	PayURL, RetryURL               string
	TrxID, Refunded                string
	RefundPending                  string
	// Notes link the cancellation notes' pages.
	Notes             []webkit.NoteLinkJSON
	Final, Updating   bool
	StopURL, AgainURL string
}

func (h *handlers) statusPage(c *fiber.Ctx) error {
	v, err := h.Donations.Get(c.UserContext(), c.Params("id"))
	if err != nil {
		return err
	}
	l := webkit.Lang(c)
	d := v.Donation
	st := v.EffectiveStatus()
	self := "/donations/" + url.PathEscape(d.ID)
	sv := &statusView{
		Heading: l.T("status.title"), Amount: l.Money(d.Amount), Kind: l.Kind(string(d.Kind)),
		TrxID: d.TrxID, Final: st.Final() && st != donations.Paid, AgainURL: self,
	}
	if d.Programme != "" {
		sv.Programme = l.Programme(d.Programme)
	}
	sv.Unit = d.Unit
	if u, err := h.Units.Get(c.UserContext(), d.Unit); err == nil {
		sv.Unit = webkit.UnitName(l, u)
	}
	if v.Receipt != nil {
		id := v.Receipt.ID
		if id == "" {
			id = d.ID // the receipt id is the donation id
		}
		sv.ReceiptURL = "/r/" + url.PathEscape(id)
		sv.ReceiptSerial = v.Receipt.Serial // an identifier: as printed on the receipt
	}
	if r := d.Refunded(); r > 0 {
		sv.Refunded = l.Money(r)
		if notes, err := h.Receipts.Notes(c.UserContext(), d.ID); err == nil {
			sv.Notes = h.rv.NoteLinks(d.ID, notes)
		}
	}
	for _, rf := range d.Refunds {
		if rf.Open() {
			sv.RefundPending = l.Money(rf.Amount)
		}
	}
	retry := "/d/" + url.PathEscape(d.Unit)
	switch st {
	case donations.Initiated:
		sv.Message, sv.Detail, sv.Tone = l.T("status.initiated"), l.T("status.initiated-detail"), ""
		sv.PayURL = d.PaymentURL
	case donations.Paid:
		sv.Message, sv.Detail, sv.Tone = l.T("status.paid"), l.T("status.paid-detail"), "ok"
	case donations.Receipted:
		sv.Message, sv.Detail, sv.Tone = l.T("status.receipted"), l.T("status.receipted-detail"), "ok"
	case donations.Failed:
		sv.Message, sv.Detail, sv.Tone, sv.RetryURL = l.T("status.failed"), l.T("status.failed-detail"), "bad", retry
	case donations.Cancelled:
		sv.Message, sv.Detail, sv.Tone, sv.RetryURL = l.T("status.cancelled"), l.T("status.cancelled-detail"), "bad", retry
	case donations.Refunded:
		sv.Message, sv.Detail = l.T("status.refunded-all"), l.F("status.refunded-detail", sv.Refunded)
	case donations.PartiallyRefunded:
		sv.Message, sv.Detail = l.T("status.refunded-part"), l.F("status.refunded-detail", sv.Refunded)
	default:
		sv.Message = string(st)
	}

	pg := webkit.NewPage(c, l, l.T("status.title"), sv)
	if !sv.Final {
		delay := refreshInitiated
		if st == donations.Paid {
			delay = refreshPaid
		}
		// n counts the reloads so far; past the budget (or unreadable) the
		// page stops reloading. Compared without multiplying: n is the
		// client's and may be anything.
		n, err := strconv.Atoi(c.Query("n", "0"))
		if c.Query("auto") != "off" && err == nil && n >= 0 && n < refreshBudget/delay {
			sv.Updating = true
			sv.StopURL = self + "?auto=off"
			pg.Refresh = fmt.Sprintf("%d;url=%s?n=%d%s", delay, self, n+1, langParam(c))
		}
	}
	return pages.Render(c, fiber.StatusOK, "status", pg)
}

// langParam carries an explicit ?lang= into a reload, for browsers that
// refuse the cookie.
func langParam(c *fiber.Ctx) string {
	if l, ok := i18n.Parse(c.Query("lang")); ok {
		return "&lang=" + string(l)
	}
	return ""
}
