package kafkabus_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/kafkabus"
)

// broker starts the in-process Kafka broker with topics of one partition
// (so one fetch gathers them in order) and the dead-letter topic.
func broker(t *testing.T, topics ...string) ([]string, *kafkabus.Publisher) {
	t.Helper()
	dir, err := os.MkdirTemp("", "kalyan-kafkabus-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	k, err := devstack.StartKafka(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { k.Close() })
	brokers := k.Brokers()
	for _, tp := range append(topics, events.TopicDeadLetter) {
		if err := kafkabus.EnsureTopics(t.Context(), brokers, 1, 1, tp); err != nil {
			t.Fatal(err)
		}
	}
	pub := kafkabus.NewPublisher(brokers)
	t.Cleanup(func() { pub.Close() })
	return brokers, pub
}

func testEvents(t *testing.T, n int) []events.Envelope {
	t.Helper()
	out := make([]events.Envelope, n)
	for i := range out {
		e, err := events.New(fmt.Sprintf("ev-%02d", i), "test.event", "u1", time.Now(), map[string]int{"i": i})
		if err != nil {
			t.Fatal(err)
		}
		out[i] = e
	}
	return out
}

// observed records what Observe reports, per message (topic/offset).
type observed struct {
	mu  sync.Mutex
	got map[string][]kafkabus.Outcome
	ids map[string]string // offset key → event ID
}

func (o *observed) fn(m *kafkabus.Message, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	k := fmt.Sprintf("%s/%d", m.Kafka.Topic, m.Kafka.Offset)
	o.got[k] = append(o.got[k], m.Outcome)
	o.ids[k] = m.Event.ID
}

func (o *observed) count() int {
	o.mu.Lock()
	defer o.mu.Unlock()
	return len(o.got)
}

// run runs c until done is closed (or c stops), then stops it.
func run(t *testing.T, c *kafkabus.Consumer, done <-chan struct{}) {
	t.Helper()
	ctx, stop := context.WithCancel(t.Context())
	errc := make(chan error, 1)
	go func() { errc <- c.Run(ctx) }()
	select {
	case <-done:
	case err := <-errc:
		stop()
		t.Fatalf("consumer stopped: %v", err)
	}
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// deadLetters reads the dead-letter topic's messages of group.
func deadLetters(t *testing.T, brokers []string, group string) []kafka.Message {
	t.Helper()
	last, err := lastOffset(t.Context(), brokers, events.TopicDeadLetter, 0)
	if err != nil {
		t.Fatal(err)
	}
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: events.TopicDeadLetter, Partition: 0, MinBytes: 1, MaxBytes: 1 << 20})
	defer r.Close()
	var out []kafka.Message
	for off := int64(0); off < last; off++ {
		m, err := r.ReadMessage(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range m.Headers {
			if h.Key == "dlq-group" && string(h.Value) == group {
				out = append(out, m)
			}
		}
	}
	return out
}

// TestPoisonInABatchIsDeadLetteredOnce runs the workers' chain on a batch
// holding an event its handlers call poison, a message that is not an
// event and a repeated event: each poison message reaches the dead-letter
// topic once, every other event is handled, the repeat is skipped, and
// Observe reports every message exactly once (the batch's failure and its
// second pass one by one are not counted twice).
func TestPoisonInABatchIsDeadLetteredOnce(t *testing.T) {
	const topic, group = "test.poison", "test-poison"
	brokers, pub := broker(t, topic)
	envs := testEvents(t, 20)
	if err := publishRetrying(t.Context(), pub, topic, envs[:12]...); err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishRaw(t.Context(), kafka.Message{Topic: topic, Key: []byte("u1"), Value: []byte("not an event")}); err != nil {
		t.Fatal(err)
	}
	if err := publishRetrying(t.Context(), pub, topic, append(envs[12:], envs[3])...); err != nil {
		t.Fatal(err)
	}
	const messages = 22
	const poisonID = "ev-07"
	poisonErr := events.PoisonError{Err: errors.New("payload does not decode")}

	var mu sync.Mutex
	handled := map[string]int{}
	batchesWithPoison := 0
	obs := &observed{got: map[string][]kafkabus.Outcome{}, ids: map[string]string{}}
	done := make(chan struct{})
	var once sync.Once
	c := &kafkabus.Consumer{
		Brokers: brokers, Group: group, Topic: topic, Log: slog.New(slog.DiscardHandler),
		CommitEvery: 10, CommitInterval: 50 * time.Millisecond,
		Handler: func(_ context.Context, e events.Envelope) error {
			if e.ID == poisonID {
				return poisonErr
			}
			mu.Lock()
			defer mu.Unlock()
			handled[e.ID]++
			return nil
		},
		Batch: func(_ context.Context, es []events.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			if slices.ContainsFunc(es, func(e events.Envelope) bool { return e.ID == poisonID }) {
				batchesWithPoison++
				return fmt.Errorf("unit u1: %w", poisonErr) // as app's batch handlers wrap it
			}
			for _, e := range es {
				handled[e.ID]++
			}
			return nil
		},
		// The whole topic in one fetch (a generous wait, not an assertion).
		BatchSize: messages, BatchWait: 10 * time.Second,
		Middleware: kafkabus.Worker(kafkabus.WorkerOptions{
			Group: group, Log: slog.New(slog.DiscardHandler), DeadLetter: pub,
			Retry: kafkabus.RetryPolicy{Initial: time.Millisecond, Max: 10 * time.Millisecond},
			Observe: func(m *kafkabus.Message, d time.Duration) {
				obs.fn(m, d)
				if obs.count() == messages {
					once.Do(func() { close(done) })
				}
			},
		}),
	}
	run(t, c, done)

	if batchesWithPoison == 0 {
		t.Fatal("the poison event never reached the batch handler: the test did not exercise the batch path")
	}
	for _, e := range envs {
		switch {
		case e.ID == poisonID && handled[e.ID] != 0:
			t.Errorf("%s handled although poison", e.ID)
		case e.ID != poisonID && handled[e.ID] == 0:
			t.Errorf("%s not handled", e.ID)
		}
	}
	outcomes := map[kafkabus.Outcome]int{}
	for k, got := range obs.got {
		if len(got) != 1 {
			t.Errorf("message %s (%s) observed %d times: %v", k, obs.ids[k], len(got), got)
		}
		outcomes[got[0]]++
	}
	if want := map[kafkabus.Outcome]int{kafkabus.Handled: 19, kafkabus.DeadLettered: 2, kafkabus.Duplicate: 1}; !maps.Equal(outcomes, want) {
		t.Errorf("outcomes %v, want %v", outcomes, want)
	}
	dl := deadLetters(t, brokers, group)
	var values []string
	for _, m := range dl {
		values = append(values, string(m.Value))
	}
	if len(dl) != 2 || !slices.Contains(values, "not an event") || !slices.ContainsFunc(values, func(v string) bool { return strings.Contains(v, `"id":"ev-07"`) }) {
		t.Fatalf("dead letters of the group: %q; want ev-07 and the message that is not an event, once each", values)
	}
}

// TestRetriesOnBothPaths: a batch whose handler fails once with a transient
// error is retried as a batch (not split); a lone event whose handler fails
// twice is retried until it succeeds. Each message is observed once, as
// handled.
func TestRetriesOnBothPaths(t *testing.T) {
	const batchTopic, oneTopic = "test.retry.batch", "test.retry.one"
	brokers, pub := broker(t, batchTopic, oneTopic)
	envs := testEvents(t, 10)
	for _, tp := range []string{batchTopic, oneTopic} {
		if err := publishRetrying(t.Context(), pub, tp, envs...); err != nil {
			t.Fatal(err)
		}
	}
	transient := errors.New("database unreachable")
	chain := func(group string, obs *observed, done chan struct{}, n int) []kafkabus.Middleware {
		var once sync.Once
		return kafkabus.Worker(kafkabus.WorkerOptions{
			Group: group, Log: slog.New(slog.DiscardHandler), DeadLetter: pub,
			Retry: kafkabus.RetryPolicy{Initial: time.Millisecond, Max: 10 * time.Millisecond},
			Observe: func(m *kafkabus.Message, d time.Duration) {
				obs.fn(m, d)
				if obs.count() == n {
					once.Do(func() { close(done) })
				}
			},
		})
	}

	// The batch path.
	var mu sync.Mutex
	batchCalls, singles := 0, 0
	handled := map[string]int{}
	obs := &observed{got: map[string][]kafkabus.Outcome{}, ids: map[string]string{}}
	done := make(chan struct{})
	run(t, &kafkabus.Consumer{
		Brokers: brokers, Group: "test-retry-batch", Topic: batchTopic, Log: slog.New(slog.DiscardHandler),
		CommitEvery: 10, CommitInterval: 50 * time.Millisecond,
		Handler: func(_ context.Context, e events.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			singles++
			handled[e.ID]++
			return nil
		},
		Batch: func(_ context.Context, es []events.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			batchCalls++
			if batchCalls == 1 {
				return fmt.Errorf("append: %w", transient)
			}
			for _, e := range es {
				handled[e.ID]++
			}
			return nil
		},
		BatchSize: len(envs), BatchWait: 10 * time.Second,
		Middleware: chain("test-retry-batch", obs, done, len(envs)),
	}, done)
	if batchCalls != 2 || singles != 0 {
		t.Errorf("batch path: %d batch calls and %d single calls; want the failed batch retried as a batch (2, 0)", batchCalls, singles)
	}
	checkOnce(t, obs, handled, envs)

	// The one-event path.
	tries := 0
	handled = map[string]int{}
	obs = &observed{got: map[string][]kafkabus.Outcome{}, ids: map[string]string{}}
	done = make(chan struct{})
	run(t, &kafkabus.Consumer{
		Brokers: brokers, Group: "test-retry-one", Topic: oneTopic, Log: slog.New(slog.DiscardHandler),
		CommitEvery: 10, CommitInterval: 50 * time.Millisecond,
		Handler: func(_ context.Context, e events.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			if e.ID == "ev-04" {
				if tries++; tries < 3 {
					return transient
				}
			}
			handled[e.ID]++
			return nil
		},
		Middleware: chain("test-retry-one", obs, done, len(envs)),
	}, done)
	if tries != 3 {
		t.Errorf("one-event path: ev-04 tried %d times, want 3", tries)
	}
	checkOnce(t, obs, handled, envs)
	if dl := deadLetters(t, brokers, "test-retry-one"); len(dl) != 0 {
		t.Errorf("a transient error dead-lettered %d messages", len(dl))
	}
}

// checkOnce: every event handled and observed exactly once, as handled.
func checkOnce(t *testing.T, obs *observed, handled map[string]int, envs []events.Envelope) {
	t.Helper()
	for _, e := range envs {
		if handled[e.ID] != 1 {
			t.Errorf("%s handled %d times", e.ID, handled[e.ID])
		}
	}
	if len(obs.got) != len(envs) {
		t.Errorf("%d messages observed, want %d", len(obs.got), len(envs))
	}
	for k, got := range obs.got {
		if len(got) != 1 || got[0] != kafkabus.Handled {
			t.Errorf("message %s (%s) observed as %v, want once as handled", k, obs.ids[k], got)
		}
	}
}
