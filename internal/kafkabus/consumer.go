package kafkabus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/segmentio/kafka-go"

	"github.com/kalyan-platform/kalyan/internal/events"
)

// Handler processes one event. It must be idempotent: the same event can
// arrive again after a crash or a rebalance.
type Handler func(ctx context.Context, e events.Envelope) error

// BatchHandler processes what one fetch gathered, in order. It must be
// idempotent like Handler; an error makes the consumer hand the same events
// to Handler one by one (which retries and dead-letters), so a batch handler
// only has to be right, never to recover.
type BatchHandler func(ctx context.Context, es []events.Envelope) error

// Middleware wraps a handler.
type Middleware func(Handler) Handler

// Retry retries transient failures with exponential backoff, forever (until
// ctx ends): a database outage must delay events, never drop them. Poison
// errors are returned at once.
func Retry(log *slog.Logger, initial, max time.Duration) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, e events.Envelope) error {
			b := backoff.NewExponentialBackOff()
			b.InitialInterval, b.MaxInterval = initial, max
			_, err := backoff.Retry(ctx, func() (struct{}, error) {
				err := next(ctx, e)
				var poison events.PoisonError
				if errors.As(err, &poison) {
					return struct{}{}, backoff.Permanent(err)
				}
				if err != nil {
					log.WarnContext(ctx, "event handler failed; will retry", "event", e.ID, "type", e.Type, "err", err)
				}
				return struct{}{}, err
			}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithMaxTries(0))
			return err
		}
	}
}

// Observe reports each handled event's outcome and latency.
func Observe(fn func(result string, d time.Duration)) Middleware {
	return func(next Handler) Handler {
		return func(ctx context.Context, e events.Envelope) error {
			start := time.Now()
			err := next(ctx, e)
			result := "ok"
			if err != nil {
				result = "error"
			}
			fn(result, time.Since(start))
			return err
		}
	}
}

// Chain applies middleware so the first listed runs outermost.
func Chain(h Handler, mws ...Middleware) Handler {
	for i := len(mws) - 1; i >= 0; i-- {
		h = mws[i](h)
	}
	return h
}

// Consumer reads a topic in a consumer group and hands each message to its
// handler, committing offsets only after the handler succeeded (or the
// message was dead-lettered).
type Consumer struct {
	Brokers []string
	Group   string
	Topic   string
	// Topics, when set, replaces Topic: one group reading several topics.
	Topics     []string
	Handler    Handler
	DeadLetter *Publisher
	Log        *slog.Logger
	// SessionTimeout of the group membership (6 s when zero).
	SessionTimeout time.Duration
	// Lag reports the reader's lag after each fetch (metrics hook).
	Lag func(group string, lag int64)
	// CommitEvery bounds how many processed messages wait for one commit.
	CommitEvery int
	// CommitInterval bounds how long processed messages wait for a commit.
	CommitInterval time.Duration
	// Batch, when set, takes what is already fetched: up to BatchSize
	// messages, waiting at most BatchWait after the first for more. Offsets
	// are committed only after the whole batch was handled.
	Batch     BatchHandler
	BatchSize int
	BatchWait time.Duration
	// BatchObserve reports each batch's size, outcome and duration (metrics
	// hook; events that fall back to Handler are observed by its middleware).
	BatchObserve func(n int, err error, d time.Duration)
}

// Run consumes until ctx ends, then commits what was processed and leaves
// the group.
func (c *Consumer) Run(ctx context.Context) error {
	topic := c.Topic
	if len(c.Topics) > 0 {
		topic = ""
	}
	session := c.SessionTimeout
	if session <= 0 {
		session = 6 * time.Second // the brokers' default minimum
	}
	r := kafka.NewReader(kafka.ReaderConfig{
		Brokers:        c.Brokers,
		GroupID:        c.Group,
		Topic:          topic,
		GroupTopics:    c.Topics,
		MinBytes:       1,
		MaxBytes:       10 << 20,
		MaxWait:        250 * time.Millisecond,
		StartOffset:    kafka.FirstOffset,
		CommitInterval: 0, // we commit explicitly
		QueueCapacity:  1000,
		// A member that dies without leaving (SIGKILL, OOM) holds up every
		// rebalance until its session expires: with kafka-go's 30 s default a
		// replica crash-looping every few seconds stopped the whole group,
		// the healthy replicas included.
		SessionTimeout:    session,
		HeartbeatInterval: max(100*time.Millisecond, session/6),
		RebalanceTimeout:  10 * time.Second,
		JoinGroupBackoff:  time.Second,
	})
	defer r.Close()
	var pending []kafka.Message
	lastCommit := time.Now()
	commit := func(cctx context.Context) error {
		if len(pending) == 0 {
			return nil
		}
		if err := r.CommitMessages(cctx, pending...); err != nil {
			return fmt.Errorf("commit offsets: %w", err)
		}
		pending, lastCommit = pending[:0], time.Now()
		return nil
	}
	defer func() {
		// Commit what was processed even though ctx is done.
		cctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		if err := commit(cctx); err != nil {
			c.Log.Warn("final commit failed; messages will be redelivered", "group", c.Group, "err", err)
		}
	}()
	for {
		fctx, cancel := context.WithTimeout(ctx, c.CommitInterval)
		m, err := r.FetchMessage(fctx)
		cancel()
		if ctx.Err() != nil {
			return nil
		}
		if err != nil {
			if !errors.Is(err, context.DeadlineExceeded) {
				c.Log.WarnContext(ctx, "fetch failed", "group", c.Group, "err", err)
				time.Sleep(200 * time.Millisecond)
			}
		} else {
			msgs := []kafka.Message{m}
			if c.Batch != nil {
				msgs = c.gather(ctx, r, msgs)
				err = c.processBatch(ctx, msgs)
			} else {
				err = c.process(ctx, m)
			}
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			pending = append(pending, msgs...)
			if c.Lag != nil {
				c.Lag(c.Group, r.Lag())
			}
		}
		if len(pending) >= c.CommitEvery || (len(pending) > 0 && time.Since(lastCommit) >= c.CommitInterval) {
			if err := commit(ctx); err != nil && ctx.Err() == nil {
				c.Log.WarnContext(ctx, "commit failed; will retry", "group", c.Group, "err", err)
			}
		}
	}
}

func (c *Consumer) process(ctx context.Context, m kafka.Message) error {
	var e events.Envelope
	err := json.Unmarshal(m.Value, &e)
	if err == nil && (e.ID == "" || e.Type == "") {
		err = errors.New("envelope without id or type")
	}
	if err != nil {
		err = events.PoisonError{Err: err}
	} else {
		err = c.Handler(ctx, e)
	}
	var poison events.PoisonError
	if errors.As(err, &poison) {
		c.Log.ErrorContext(ctx, "dead-lettering poison message", "group", c.Group, "partition", m.Partition, "offset", m.Offset, "err", err)
		dl := kafka.Message{Topic: events.TopicDeadLetter, Key: m.Key, Value: m.Value, Headers: append(m.Headers,
			kafka.Header{Key: "dlq-group", Value: []byte(c.Group)},
			kafka.Header{Key: "dlq-source", Value: []byte(fmt.Sprintf("%s/%d/%d", m.Topic, m.Partition, m.Offset))},
			kafka.Header{Key: "dlq-error", Value: []byte(err.Error())})}
		if err := c.DeadLetter.PublishRaw(ctx, dl); err != nil {
			return fmt.Errorf("dead-letter: %w", err)
		}
		return nil
	}
	return err
}

// gather adds to msgs what the reader has ready, up to BatchSize messages
// or until BatchWait has passed.
func (c *Consumer) gather(ctx context.Context, r *kafka.Reader, msgs []kafka.Message) []kafka.Message {
	size := c.BatchSize
	if size <= 0 {
		size = 100
	}
	wait := c.BatchWait
	if wait <= 0 {
		wait = 5 * time.Millisecond
	}
	wctx, cancel := context.WithTimeout(ctx, wait)
	defer cancel()
	for len(msgs) < size {
		m, err := r.FetchMessage(wctx)
		if err != nil {
			break
		}
		msgs = append(msgs, m)
	}
	return msgs
}

// processBatch hands the decodable messages to Batch and dead-letters the
// rest; if Batch fails, each message goes through process instead.
func (c *Consumer) processBatch(ctx context.Context, msgs []kafka.Message) error {
	envs := make([]events.Envelope, 0, len(msgs))
	good := make([]kafka.Message, 0, len(msgs))
	for _, m := range msgs {
		var e events.Envelope
		if err := json.Unmarshal(m.Value, &e); err != nil || e.ID == "" || e.Type == "" {
			if err := c.process(ctx, m); err != nil { // dead-letters it
				return err
			}
			continue
		}
		envs, good = append(envs, e), append(good, m)
	}
	if len(envs) == 0 {
		return nil
	}
	start := time.Now()
	err := c.Batch(ctx, envs)
	if c.BatchObserve != nil {
		c.BatchObserve(len(envs), err, time.Since(start))
	}
	if err == nil {
		return nil
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	c.Log.WarnContext(ctx, "batch failed; handling its events one by one", "group", c.Group, "events", len(envs), "err", err)
	for _, m := range good {
		if err := c.process(ctx, m); err != nil {
			return err
		}
	}
	return nil
}
