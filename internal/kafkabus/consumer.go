package kafkabus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/kalyan-platform/kalyan/internal/events"
)

// Consumer reads a topic in a consumer group and hands what it fetches to
// its middleware chain and handlers (FetchMessage, handle, CommitMessages),
// committing offsets only after every message was settled: handled,
// dead-lettered or skipped as a duplicate.
type Consumer struct {
	Brokers []string
	Group   string
	Topic   string
	// Topics, when set, replaces Topic: one group reading several topics.
	Topics  []string
	Handler EventHandler
	// Middleware wraps every fetch, the one-event and the batch path alike
	// (Worker is the workers' chain), first listed outermost.
	Middleware []Middleware
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
	handle := Chain(Handle(c.Handler, c.Batch), c.Middleware...)
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
			}
			if err := handle(ctx, decode(msgs)); err != nil {
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

// decode reads each message's envelope; one that is not an event is kept,
// marked, for the dead-letter middleware.
func decode(msgs []kafka.Message) []*Message {
	out := make([]*Message, len(msgs))
	for i, m := range msgs {
		out[i] = &Message{Kafka: m}
		err := json.Unmarshal(m.Value, &out[i].Event)
		if err == nil && (out[i].Event.ID == "" || out[i].Event.Type == "") {
			err = errors.New("envelope without id or type")
		}
		if err != nil {
			out[i].Event, out[i].undecodable = events.Envelope{}, err
		}
	}
	return out
}
