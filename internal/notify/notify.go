// Package notify is the notification port and its adapters: an HTTP SMS
// gateway, e-mail over SMTP, and a JSON-lines file that stands in for both
// in the embedded default (the developer's outbox).
package notify

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/cenkalti/backoff/v5"
)

// Channel is how a message reaches a person.
type Channel string

// Channels.
const (
	SMS   Channel = "sms"
	Email Channel = "email"
)

// Message is one notification to one person. Its fields are personal data:
// adapters never log them.
type Message struct {
	// Ref identifies the message for the gateway and for de-duplication,
	// e.g. "<donation>/receipt". Contains no personal data.
	Ref string
	// Kind is what the message is about ("receipt-issued", "statement-link").
	Kind    string
	To      string // mobile number (SMS) or e-mail address
	Subject string // e-mail only
	Text    string
}

// Notifier delivers messages on one channel.
type Notifier interface {
	Send(ctx context.Context, m Message) error
}

// ErrPermanent marks a failure that retrying cannot fix (the gateway
// refused the message or the address); wrap it with fmt.Errorf("…: %w").
var ErrPermanent = errors.New("notification refused")

// Router holds one notifier per channel; a nil channel is not configured.
type Router struct {
	SMS   Notifier
	Email Notifier
}

// For returns the notifier of ch, or nil.
func (r Router) For(ch Channel) Notifier {
	switch ch {
	case SMS:
		return r.SMS
	case Email:
		return r.Email
	}
	return nil
}

// Retry sends through n, retrying transient failures with exponential
// backoff (cenkalti/backoff) at most tries times in all. ErrPermanent
// failures return at once.
func Retry(ctx context.Context, n Notifier, m Message, tries uint, initial, max time.Duration) error {
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = initial, max
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := n.Send(ctx, m)
		if errors.Is(err, ErrPermanent) {
			return struct{}{}, backoff.Permanent(err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxTries(tries), backoff.WithMaxElapsedTime(0))
	if err != nil {
		return fmt.Errorf("send %s %s: %w", m.Kind, m.Ref, err)
	}
	return nil
}
