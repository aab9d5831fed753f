package kafkabus_test

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/kafkabus"
)

// TestBatchConsumer runs a batch consumer on the in-process broker: a
// failing batch is handled again event by event, a message that is not an
// event is dead-lettered, every event is handled, and the offsets of
// everything handled are committed (a restarted consumer of the group
// starts after them).
func TestBatchConsumer(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kalyan-kafkabus-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	k, err := devstack.StartKafka(dir, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer k.Close()
	brokers := k.Brokers()
	const topic = "test.batches"
	for _, tp := range []string{topic, events.TopicDeadLetter} {
		if err := kafkabus.EnsureTopics(ctx, brokers, 2, 1, tp); err != nil {
			t.Fatal(err)
		}
	}
	pub := kafkabus.NewPublisher(brokers)
	defer pub.Close()
	const n = 60
	var envs []events.Envelope
	for i := 0; i < n; i++ {
		e, err := events.New(fmt.Sprintf("ev-%02d", i), "test.event", []string{"u1", "u2", "u3"}[i%3], time.Now(), map[string]int{"i": i})
		if err != nil {
			t.Fatal(err)
		}
		envs = append(envs, e)
	}
	if err := publishRetrying(ctx, pub, topic, envs[:n/2]...); err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishRaw(ctx, kafka.Message{Topic: topic, Key: []byte("u1"), Value: []byte("not an event")}); err != nil {
		t.Fatal(err)
	}
	if err := publishRetrying(ctx, pub, topic, envs[n/2:]...); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	handled := map[string]int{}
	order := map[string][]string{} // per unit, as handled
	batches, singles := 0, 0
	done := make(chan struct{})
	var once sync.Once
	note := func(e events.Envelope) {
		handled[e.ID]++
		order[e.Unit] = append(order[e.Unit], e.ID)
		if len(handled) == n {
			once.Do(func() { close(done) })
		}
	}
	c := &kafkabus.Consumer{
		Brokers: brokers, Group: "test-batches", Topic: topic, Log: slog.New(slog.DiscardHandler),
		CommitEvery: 10, CommitInterval: 50 * time.Millisecond,
		// One try at a batch: the failed batch goes straight to the
		// one-event path.
		Middleware: kafkabus.Worker(kafkabus.WorkerOptions{Group: "test-batches", Log: slog.New(slog.DiscardHandler), DeadLetter: pub,
			Retry: kafkabus.RetryPolicy{Initial: time.Millisecond, Max: 10 * time.Millisecond, BatchTries: 1}}),
		Handler: func(_ context.Context, e events.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			singles++
			note(e)
			return nil
		},
		Batch: func(_ context.Context, es []events.Envelope) error {
			mu.Lock()
			defer mu.Unlock()
			batches++
			if batches == 1 {
				return errors.New("first batch fails")
			}
			for _, e := range es {
				note(e)
			}
			return nil
		},
		BatchSize: 25, BatchWait: 20 * time.Millisecond,
	}
	runCtx, stop := context.WithCancel(ctx)
	errc := make(chan error, 1)
	go func() { errc <- c.Run(runCtx) }()
	select {
	case <-done:
	case err := <-errc:
		t.Fatalf("consumer stopped: %v", err)
	}
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	if singles == 0 {
		t.Fatal("the failed batch was not handled one by one")
	}
	for unit, ids := range order {
		// Each unit's events first handled in order (a failed batch's
		// events are handled again, in order, one by one).
		last, seen := -1, map[string]bool{}
		for _, id := range ids {
			if seen[id] {
				continue
			}
			seen[id] = true
			var i int
			if _, err := fmt.Sscanf(id, "ev-%d", &i); err != nil || i <= last {
				t.Fatalf("%s: %s first handled after ev-%02d", unit, id, last)
			}
			last = i
		}
	}
	mu.Unlock()

	// The poison message went to the dead letters.
	found := false
	for p := 0; p < 2 && !found; p++ {
		r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, Topic: events.TopicDeadLetter, Partition: p, MinBytes: 1, MaxBytes: 1 << 20})
		last, err := lastOffset(ctx, brokers, events.TopicDeadLetter, p)
		if err != nil {
			t.Fatal(err)
		}
		for off := int64(0); off < last; off++ {
			m, err := r.ReadMessage(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if string(m.Value) == "not an event" {
				found = true
			}
		}
		r.Close()
	}
	if !found {
		t.Fatal("the message that is not an event was not dead-lettered")
	}

	// A new consumer of the group starts after everything handled: the
	// first thing it sees is a message published now.
	sentinel, _ := events.New("sentinel", "test.event", "u1", time.Now(), nil)
	if err := publishRetrying(ctx, pub, topic, sentinel); err != nil {
		t.Fatal(err)
	}
	seen := make(chan string, n+1)
	c2 := &kafkabus.Consumer{Brokers: brokers, Group: "test-batches", Topic: topic, Log: slog.New(slog.DiscardHandler),
		CommitEvery: 10, CommitInterval: 50 * time.Millisecond,
		Handler: func(_ context.Context, e events.Envelope) error { seen <- e.ID; return nil },
		Batch: func(_ context.Context, es []events.Envelope) error {
			for _, e := range es {
				seen <- e.ID
			}
			return nil
		}}
	runCtx, stop = context.WithCancel(ctx)
	go func() { errc <- c2.Run(runCtx) }()
	if first := <-seen; first != "sentinel" {
		t.Fatalf("restarted consumer saw %s first: offsets of handled messages were not committed", first)
	}
	stop()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

func publishRetrying(ctx context.Context, pub *kafkabus.Publisher, topic string, envs ...events.Envelope) error {
	var err error
	for try := 0; try < 50; try++ { // a new topic may take a moment to be known
		if err = pub.Publish(ctx, topic, envs...); err == nil {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	return err
}

func lastOffset(ctx context.Context, brokers []string, topic string, partition int) (int64, error) {
	conn, err := kafka.DialLeader(ctx, "tcp", brokers[0], topic, partition)
	if err != nil {
		return 0, err
	}
	defer conn.Close()
	return conn.ReadLastOffset()
}
