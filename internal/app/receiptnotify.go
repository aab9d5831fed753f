package app

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"time"

	"github.com/cenkalti/backoff/v5"

	"github.com/kalyan-platform/kalyan/internal/bnfmt"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/notify"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// NotificationLog remembers which notifications were handled.
type NotificationLog interface {
	Done(ctx context.Context, ref string) (bool, error)
	// Record notes ref as handled ("sent" or "failed"); the first record wins.
	Record(ctx context.Context, ref, status string, at time.Time) error
}

// ReceiptNotifier tells the donor that their receipt is ready, with the
// verification link, by SMS (and e-mail if they gave an address). It runs
// in its own consumer group on the donations topic: it waits for the
// receipt rather than being called by the issuer, so a slow or failing
// gateway delays only notifications, never receipts.
type ReceiptNotifier struct {
	Receipts  receipts.Repository
	Donations donations.Repository
	Notify    notify.Router
	Sent      NotificationLog
	PublicURL string
	Now       func() time.Time
	Log       *slog.Logger
	// WaitMax caps the backoff between looks for the receipt (default 5s).
	WaitMax time.Duration
}

// Handle implements the worker handler signature. Transient send failures
// are returned, so the consumer's retry middleware backs off and retries;
// a permanent refusal is recorded and the message dropped.
func (h *ReceiptNotifier) Handle(ctx context.Context, e events.Envelope) error {
	if e.Type == donations.EventRefunded {
		return h.refunded(ctx, e)
	}
	if e.Type != events.DonationPaid {
		return nil
	}
	p, err := donations.DecodePaid(e)
	if err != nil {
		return events.PoisonError{Err: err}
	}
	r, err := h.waitReceipt(ctx, p.Donation)
	if err != nil {
		return err
	}
	d, err := h.Donations.Get(ctx, p.Donation)
	if err != nil {
		return fmt.Errorf("notify receipt %s: %w", p.Donation, err)
	}
	c, _ := receipts.ParseContent([]byte(r.Content)) // unsigned receipts still get a link
	link := h.PublicURL + "/r/" + url.PathEscape(r.ID)
	amountBN, amountEN := bnfmt.Taka(r.Amount, "bn"), bnfmt.Taka(r.Amount, "en")
	unitBN, unitEN := c.UnitNameBN, c.UnitNameEN
	msgs := []struct {
		ch notify.Channel
		m  notify.Message
	}{{notify.SMS, notify.Message{
		Kind: "receipt-issued", To: d.Donor.Phone,
		Text: fmt.Sprintf("%s রোগীকল্যাণ সমিতি: আপনার %s দানের রসিদ %s প্রস্তুত। যাচাই ও ডাউনলোড: %s", unitBN, amountBN, r.Serial, link),
	}}}
	if d.Donor.Email != "" {
		msgs = append(msgs, struct {
			ch notify.Channel
			m  notify.Message
		}{notify.Email, notify.Message{
			Kind: "receipt-issued", To: d.Donor.Email,
			Subject: "দানের রসিদ " + r.Serial + " · Donation receipt",
			Text: fmt.Sprintf("%s রোগীকল্যাণ সমিতিতে আপনার %s দানের জন্য ধন্যবাদ। আপনার কর রেয়াতযোগ্য রসিদ নং %s প্রস্তুত।\nযাচাই ও ডাউনলোড: %s\n\n"+
				"Thank you for your gift of %s to the %s Rogi Kalyan Samiti. Your tax-rebate receipt %s is ready.\nVerify and download: %s\n",
				unitBN, amountBN, r.Serial, link, amountEN, unitEN, r.Serial, link),
		}})
	}
	for _, x := range msgs {
		n := h.Notify.For(x.ch)
		if n == nil {
			continue
		}
		x.m.Ref = p.Donation + "/receipt/" + string(x.ch)
		if err := h.send(ctx, n, x.m); err != nil {
			return err
		}
	}
	return nil
}

// refunded tells the donor of a completed refund: the amount, the reason,
// bKash's refund transaction ID and the cancellation note's page (issue 13).
func (h *ReceiptNotifier) refunded(ctx context.Context, e events.Envelope) error {
	p, err := donations.DecodeRefunded(e)
	if err != nil {
		return events.PoisonError{Err: err}
	}
	d, err := h.Donations.Get(ctx, p.Donation)
	if err != nil {
		return fmt.Errorf("notify refund %s: %w", p.Refund, err)
	}
	rf, ok := d.FindRefund(p.Refund)
	if !ok {
		return events.PoisonError{Err: fmt.Errorf("refund %s of %s unknown", p.Refund, p.Donation)}
	}
	link := h.PublicURL + "/r/" + url.PathEscape(d.ID) + "/notes/" + url.PathEscape(p.Refund)
	amountBN, amountEN := bnfmt.Taka(p.Amount, "bn"), bnfmt.Taka(p.Amount, "en")
	ref := cmp.Or(p.RefundTrxID, rf.RefundTrxID)
	// What stays eligible after this refund, as its note says: the same on
	// every delivery, whatever was refunded since.
	_, refunded := noteSeq(d, p.Refund, p.Amount)
	left := max(d.Amount-refunded, 0)
	rebateBN, rebateEN := "বাকি দান রেয়াতযোগ্য নয়।", "No part of the gift remains eligible for a tax rebate."
	if left > 0 {
		rebateBN = "দানের বাকি অংশ রেয়াতযোগ্য " + bnfmt.Taka(left, "bn") + "।"
		rebateEN = bnfmt.Taka(left, "en") + " of the gift remains eligible for a tax rebate."
	}
	// A gift given at the counter is refunded there in cash: its reference
	// is the counter's, not bKash's.
	smsText := fmt.Sprintf("আপনার দানের %s বিকাশে ফেরত দেওয়া হয়েছে (কারণ: %s; বিকাশ ফেরত আইডি %s)। বাতিল নোট: %s", amountBN, rf.Reason, ref, link)
	mailText := fmt.Sprintf("আপনার দানের %s আপনার বিকাশ অ্যাকাউন্টে ফেরত দেওয়া হয়েছে।\nকারণ: %s\nবিকাশ ফেরত লেনদেন আইডি: %s\n%s\nবাতিল নোট: %s\n\n"+
		"%s of your gift was refunded to your bKash account.\nReason: %s\nbKash refund transaction ID: %s\n%s\nCancellation note: %s\n",
		amountBN, rf.Reason, ref, rebateBN, link, amountEN, rf.Reason, ref, rebateEN, link)
	if d.Method == donations.Cash {
		smsText = fmt.Sprintf("আপনার দানের %s নগদে ফেরত দেওয়া হয়েছে (কারণ: %s; নগদ ফেরতের রেফারেন্স %s)। বাতিল নোট: %s", amountBN, rf.Reason, ref, link)
		mailText = fmt.Sprintf("আপনার দানের %s নগদে ফেরত দেওয়া হয়েছে।\nকারণ: %s\nনগদ ফেরতের রেফারেন্স: %s\n%s\nবাতিল নোট: %s\n\n"+
			"%s of your gift was refunded to you in cash.\nReason: %s\nCash refund reference: %s\n%s\nCancellation note: %s\n",
			amountBN, rf.Reason, ref, rebateBN, link, amountEN, rf.Reason, ref, rebateEN, link)
	}
	msgs := []struct {
		ch notify.Channel
		m  notify.Message
	}{{notify.SMS, notify.Message{Kind: "refund-completed", To: d.Donor.Phone, Text: smsText}}}
	if d.Donor.Email != "" {
		msgs = append(msgs, struct {
			ch notify.Channel
			m  notify.Message
		}{notify.Email, notify.Message{
			Kind: "refund-completed", To: d.Donor.Email, Subject: "দান ফেরত · Gift refunded " + amountEN, Text: mailText,
		}})
	}
	for _, x := range msgs {
		n := h.Notify.For(x.ch)
		if n == nil || x.m.To == "" {
			continue
		}
		x.m.Ref = p.Donation + "/refund/" + p.Refund + "/" + string(x.ch)
		if err := h.send(ctx, n, x.m); err != nil {
			return err
		}
	}
	return nil
}

func (h *ReceiptNotifier) send(ctx context.Context, n notify.Notifier, m notify.Message) error {
	done, err := h.Sent.Done(ctx, m.Ref)
	if err != nil || done {
		return err
	}
	status := "sent"
	if err := n.Send(ctx, m); errors.Is(err, notify.ErrPermanent) {
		// Retrying cannot help (number refused): record it and move on.
		h.Log.WarnContext(ctx, "notification refused", "ref", m.Ref, "kind", m.Kind, "err", err)
		status = "failed"
	} else if err != nil {
		return fmt.Errorf("notify %s: %w", m.Ref, err)
	}
	return h.Sent.Record(ctx, m.Ref, status, h.Now().UTC())
}

// errReceiptPending makes the wait loop look again.
var errReceiptPending = errors.New("receipt not issued yet")

// waitReceipt polls (by _id, cheap) with backoff until the receipt group has
// issued the receipt, or ctx ends.
func (h *ReceiptNotifier) waitReceipt(ctx context.Context, id string) (*receipts.Receipt, error) {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = 50*time.Millisecond, h.WaitMax
	if b.MaxInterval <= 0 {
		b.MaxInterval = 5 * time.Second
	}
	r, err := backoff.Retry(ctx, func() (*receipts.Receipt, error) {
		r, err := h.Receipts.Get(ctx, id)
		if errors.Is(err, receipts.ErrNotFound) {
			return nil, errReceiptPending
		}
		if err != nil {
			return nil, backoff.Permanent(err)
		}
		return r, nil
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithMaxTries(0))
	if err != nil {
		return nil, fmt.Errorf("notify receipt %s: %w", id, err)
	}
	return r, nil
}
