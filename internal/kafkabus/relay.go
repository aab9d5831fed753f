package kafkabus

import (
	"context"
	"log/slog"
	"time"

	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/lease"
)

// Outbox is what the relay reads and acknowledges.
type Outbox interface {
	PendingEvents(ctx context.Context, limit int) ([]events.Pending, error)
	MarkPublished(ctx context.Context, published []events.Pending) error
	Sweep(ctx context.Context) (int, error)
}

// Relay publishes pending outbox events to Kafka and marks them published.
// A crash between publishing and marking publishes again: consumers dedupe
// by event ID.
type Relay struct {
	Outbox    Outbox
	Publisher *Publisher
	Topic     string
	Interval  time.Duration
	// SweepEvery re-marks unpublished versions whose marker was lost.
	SweepEvery time.Duration
	Log        *slog.Logger
	// Published counts events relayed (metrics hook).
	Published func(n int)
	// Lease, when set, lets only its holder relay: replicas that all relayed
	// published every event once per replica, doubling every consumer's
	// work. Without a holder for a moment (it died) events wait, they are
	// not lost.
	Lease lease.Lease
}

// Run relays until ctx ends.
func (r *Relay) Run(ctx context.Context) error {
	lastSweep := time.Time{}
	for {
		if !lease.Held(ctx, r.Lease, r.Log, "outbox relay") {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(r.Interval):
			}
			continue
		}
		if time.Since(lastSweep) > r.SweepEvery {
			if n, err := r.Outbox.Sweep(ctx); err != nil {
				r.Log.WarnContext(ctx, "outbox sweep failed", "err", err)
			} else {
				lastSweep = time.Now()
				if n > 0 {
					r.Log.InfoContext(ctx, "outbox sweep re-marked versions", "count", n)
				}
			}
		}
		n, err := r.once(ctx)
		if err != nil && ctx.Err() == nil {
			r.Log.WarnContext(ctx, "outbox relay failed; retrying", "err", err)
		}
		if n == 0 || err != nil {
			select {
			case <-ctx.Done():
				return nil
			case <-time.After(r.Interval):
			}
		}
	}
}

func (r *Relay) once(ctx context.Context) (int, error) {
	pending, err := r.Outbox.PendingEvents(ctx, 500)
	if err != nil || len(pending) == 0 {
		return 0, err
	}
	byTopic := map[string][]events.Envelope{}
	var topics []string
	n := 0
	for _, p := range pending {
		t := p.Topic
		if t == "" {
			t = r.Topic
		}
		if byTopic[t] == nil {
			topics = append(topics, t)
		}
		byTopic[t] = append(byTopic[t], p.Events...)
		n += len(p.Events)
	}
	for _, t := range topics {
		if err := r.Publisher.Publish(ctx, t, byTopic[t]...); err != nil {
			return 0, err
		}
	}
	if err := r.Outbox.MarkPublished(ctx, pending); err != nil {
		return 0, err
	}
	if r.Published != nil {
		r.Published(n)
	}
	return n, nil
}
