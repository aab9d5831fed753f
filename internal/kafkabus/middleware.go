package kafkabus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/segmentio/kafka-go"

	"github.com/kalyan-platform/kalyan/internal/events"
)

// Handlers and middleware after watermill's router
// (message/router/middleware: poison.go, retry.go), with one difference:
// a fetch is handed on as a set of messages, one on the one-event path and
// several on the batch path, so the same middleware serves both.

// Outcome is how a message was settled.
type Outcome int

// Outcomes of a message.
const (
	// Pending: not settled yet (or given up on: see Failed).
	Pending Outcome = iota
	// Handled: the handler succeeded.
	Handled
	// DeadLettered: poison, forwarded to the dead-letter topic.
	DeadLettered
	// Duplicate: its event came earlier in the same fetch, so it was
	// skipped.
	Duplicate
	// Failed: the chain gave up on it (the dead-letter topic refused it);
	// the consumer stops without committing it.
	Failed
)

// Message is one fetched Kafka message and the event it carries.
type Message struct {
	Kafka kafka.Message
	// Event is the decoded envelope (zero when the message is not one).
	Event events.Envelope
	// Outcome is set by the handler and the middleware that settle it.
	Outcome Outcome
	// undecodable is why the message carries no event: it is poison.
	undecodable error
}

// Handler handles the messages of one fetch in order: one message on the
// one-event path, several on the batch path. It returns nil only when every
// message was settled.
type Handler func(ctx context.Context, msgs []*Message) error

// Middleware wraps a handler.
type Middleware func(Handler) Handler

// Chain applies middleware so the first listed runs outermost.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// EventHandler processes one event. It must be idempotent: the same event
// can arrive again after a crash or a rebalance.
type EventHandler func(ctx context.Context, e events.Envelope) error

// BatchHandler processes what one fetch gathered, in order. It must be
// idempotent like EventHandler; an error makes OneByOne hand the same
// events to the EventHandler one by one (through the same retry and
// dead-letter middleware), so a batch handler only has to be right, never
// to recover.
type BatchHandler func(ctx context.Context, es []events.Envelope) error

// Handle is the innermost handler. Of the messages not settled yet, the
// events go to batch when there are several (to one, in turn, otherwise or
// when batch is nil); each is marked Handled once its handler succeeded.
// A message that is not an event fails the set as poison after the events
// were handled: DeadLetter settles it alone (through OneByOne in a set).
func Handle(one EventHandler, batch BatchHandler) Handler {
	return func(ctx context.Context, msgs []*Message) error {
		var todo, poison []*Message
		for _, m := range msgs {
			switch {
			case m.Outcome != Pending:
			case m.undecodable != nil:
				poison = append(poison, m)
			default:
				todo = append(todo, m)
			}
		}
		if len(todo) > 1 && batch != nil {
			envs := make([]events.Envelope, len(todo))
			for i, m := range todo {
				envs[i] = m.Event
			}
			if err := batch(ctx, envs); err != nil {
				return err
			}
			for _, m := range todo {
				m.Outcome = Handled
			}
		} else {
			for _, m := range todo {
				if err := one(ctx, m.Event); err != nil {
					return err
				}
				m.Outcome = Handled
			}
		}
		if len(poison) > 0 {
			return events.PoisonError{Err: poison[0].undecodable}
		}
		return nil
	}
}

// Observe reports each message once with its outcome and its share of the
// time the fetch took, retries and a failed batch's second pass included.
// Outermost, it sees every message exactly once. Messages left unsettled
// because ctx ended are not reported: they are redelivered and reported
// then.
func Observe(fn func(m *Message, d time.Duration)) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, msgs []*Message) error {
			start := time.Now()
			err := next(ctx, msgs)
			if len(msgs) == 0 || (err != nil && ctx.Err() != nil) {
				return err
			}
			d := time.Since(start) / time.Duration(len(msgs))
			for _, m := range msgs {
				if m.Outcome == Pending && err != nil {
					m.Outcome = Failed
				}
				fn(m, d)
			}
			return err
		}
	}
}

// Dedup skips a message whose event came earlier in the same fetch (a
// producer retry, a relay that published twice): handlers are idempotent,
// so this only saves their round trips (in a batch, a conflict round).
// Across fetches a redelivered event reaches the handlers again, as it
// would reach another replica after a crash; remembering events here would
// hide that path from the tests that hold the handlers to idempotence.
func Dedup() Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, msgs []*Message) error {
			fresh := make([]*Message, 0, len(msgs))
			seen := make(map[string]bool, len(msgs))
			for _, m := range msgs {
				if id := m.Event.ID; id != "" {
					if seen[id] {
						m.Outcome = Duplicate
						continue
					}
					seen[id] = true
				}
				fresh = append(fresh, m)
			}
			if len(fresh) == 0 {
				return nil
			}
			return next(ctx, fresh)
		}
	}
}

// OneByOne hands the messages of a failed set to the rest of the chain
// again one at a time: the batch path's fallback to the one-event path.
// Middleware below it runs for the batch and then for each message.
func OneByOne(log *slog.Logger, group string) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, msgs []*Message) error {
			err := next(ctx, msgs)
			if err == nil || len(msgs) < 2 || ctx.Err() != nil {
				return err
			}
			log.WarnContext(ctx, "batch failed; handling its events one by one", "group", group, "events", len(msgs), "err", err)
			for _, m := range msgs {
				if m.Outcome != Pending {
					continue
				}
				if err := next(ctx, []*Message{m}); err != nil {
					return err
				}
			}
			return nil
		}
	}
}

// RawPublisher forwards a message as it is (Publisher.PublishRaw).
type RawPublisher interface {
	PublishRaw(ctx context.Context, m kafka.Message) error
}

// DeadLetter forwards a poison message (the handler returned an
// events.PoisonError, or it is not an event) to events.TopicDeadLetter with
// the group, its origin and the error in headers, and settles it, so the
// rest of the partition moves on. Poison in a set of several cannot be
// told apart from its neighbours: the error goes up to OneByOne, and comes
// back here with the message alone. A dead-letter topic that refuses the
// message fails the chain (the consumer stops without committing it).
func DeadLetter(pub RawPublisher, group string, log *slog.Logger) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, msgs []*Message) error {
			err := next(ctx, msgs)
			var poison events.PoisonError
			if len(msgs) != 1 || !errors.As(err, &poison) {
				return err
			}
			m := msgs[0].Kafka
			log.ErrorContext(ctx, "dead-lettering poison message", "group", group, "partition", m.Partition, "offset", m.Offset, "err", err)
			dl := kafka.Message{Topic: events.TopicDeadLetter, Key: m.Key, Value: m.Value, Headers: append(m.Headers[:len(m.Headers):len(m.Headers)],
				kafka.Header{Key: "dlq-group", Value: []byte(group)},
				kafka.Header{Key: "dlq-source", Value: fmt.Appendf(nil, "%s/%d/%d", m.Topic, m.Partition, m.Offset)},
				kafka.Header{Key: "dlq-error", Value: []byte(err.Error())})}
			if err := pub.PublishRaw(ctx, dl); err != nil {
				return fmt.Errorf("dead-letter: %w", err)
			}
			msgs[0].Outcome = DeadLettered
			return nil
		}
	}
}

// RetryPolicy is how Retry backs off.
type RetryPolicy struct {
	Initial, Max time.Duration
	// BatchTries bounds the attempts at a set of several messages (3 when
	// zero): a batch handler's error may belong to one event, which only
	// the one-event path (OneByOne) settles. One message is retried until
	// ctx ends: a database outage must delay events, never drop them.
	BatchTries int
	Log        *slog.Logger
}

// Retry retries transient failures with exponential backoff. Poison errors
// are returned at once.
func Retry(p RetryPolicy) Middleware {
	batchTries := p.BatchTries
	if batchTries <= 0 {
		batchTries = 3
	}
	return func(next Handler) Handler {
		return func(ctx context.Context, msgs []*Message) error {
			b := backoff.NewExponentialBackOff()
			b.InitialInterval, b.MaxInterval = p.Initial, p.Max
			tries := 0 // unlimited
			if len(msgs) > 1 {
				tries = batchTries
			}
			_, err := backoff.Retry(ctx, func() (struct{}, error) {
				err := next(ctx, msgs)
				var poison events.PoisonError
				if errors.As(err, &poison) {
					return struct{}{}, backoff.Permanent(err)
				}
				if err != nil && ctx.Err() == nil {
					p.Log.WarnContext(ctx, "event handler failed; will retry", "events", len(msgs), "first", msgs[0].Event.ID, "type", msgs[0].Event.Type, "err", err)
				}
				return struct{}{}, err
			}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithMaxTries(uint(tries)))
			return err
		}
	}
}

// WorkerOptions configure Worker's chain.
type WorkerOptions struct {
	Group      string
	Log        *slog.Logger
	DeadLetter RawPublisher
	// Observe, if set, is told of each message once (metrics).
	Observe func(m *Message, d time.Duration)
	Retry   RetryPolicy
}

// Worker is the chain every worker consumer runs, outermost first: Observe
// (each message once), Dedup, OneByOne (a failed batch again message by
// message), DeadLetter, Retry. Retry inside DeadLetter: only what stays
// poison is dead-lettered; both inside OneByOne: a batch is retried, then
// each of its messages is retried and dead-lettered on its own.
func Worker(o WorkerOptions) []Middleware {
	var mws []Middleware
	if o.Observe != nil {
		mws = append(mws, Observe(o.Observe))
	}
	if o.Retry.Log == nil {
		o.Retry.Log = o.Log
	}
	return append(mws, Dedup(), OneByOne(o.Log, o.Group), DeadLetter(o.DeadLetter, o.Group, o.Log), Retry(o.Retry))
}
