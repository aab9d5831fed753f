// Package kafkabus moves events between the outbox and the workers over
// Kafka with kafka-go: topic set-up, a durable publisher, the outbox relay and
// consumers whose one-event and batch paths run one watermill-style
// middleware chain (observe, dedup, one-by-one fallback, dead-letter, retry
// with backoff), committing explicitly after processing.
package kafkabus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/kalyan-platform/kalyan/internal/events"
)

// EnsureTopics creates topics that do not exist yet.
func EnsureTopics(ctx context.Context, brokers []string, partitions, replication int, topics ...string) error {
	var d kafka.Dialer
	conn, err := d.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		return fmt.Errorf("dial kafka: %w", err)
	}
	defer conn.Close()
	ctrl, err := conn.Controller()
	if err != nil {
		return fmt.Errorf("find kafka controller: %w", err)
	}
	cc, err := d.DialContext(ctx, "tcp", net.JoinHostPort(ctrl.Host, strconv.Itoa(ctrl.Port)))
	if err != nil {
		return fmt.Errorf("dial kafka controller: %w", err)
	}
	defer cc.Close()
	cfgs := make([]kafka.TopicConfig, len(topics))
	for i, t := range topics {
		cfgs[i] = kafka.TopicConfig{Topic: t, NumPartitions: partitions, ReplicationFactor: replication}
	}
	if err := cc.CreateTopics(cfgs...); err != nil && !errors.Is(err, kafka.TopicAlreadyExists) {
		return fmt.Errorf("create topics: %w", err)
	}
	return nil
}

// Ping checks that a broker answers (for readiness).
func Ping(ctx context.Context, brokers []string) error {
	var d kafka.Dialer
	conn, err := d.DialContext(ctx, "tcp", brokers[0])
	if err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	defer conn.Close()
	if _, err := conn.Brokers(); err != nil {
		return fmt.Errorf("kafka: %w", err)
	}
	return nil
}

// Publisher writes envelopes keyed by unit code.
type Publisher struct{ w *kafka.Writer }

// NewPublisher returns a writer that waits for all in-sync replicas and
// flushes within milliseconds (kafka-go's defaults are acks=none and a 1 s
// batch delay).
func NewPublisher(brokers []string) *Publisher {
	return &Publisher{w: &kafka.Writer{
		Addr:                   kafka.TCP(brokers...),
		Balancer:               &kafka.Hash{},
		RequiredAcks:           kafka.RequireAll,
		BatchTimeout:           2 * time.Millisecond,
		BatchSize:              500,
		AllowAutoTopicCreation: false,
		WriteTimeout:           10 * time.Second,
	}}
}

// Publish writes the envelopes to topic (synchronously; all or error).
func (p *Publisher) Publish(ctx context.Context, topic string, envs ...events.Envelope) error {
	msgs := make([]kafka.Message, len(envs))
	for i, e := range envs {
		b, err := json.Marshal(e)
		if err != nil {
			return fmt.Errorf("encode event %s: %w", e.ID, err)
		}
		msgs[i] = kafka.Message{Topic: topic, Key: []byte(e.Unit), Value: b, Headers: []kafka.Header{
			{Key: "event-id", Value: []byte(e.ID)}, {Key: "event-type", Value: []byte(e.Type)},
		}}
	}
	if err := p.w.WriteMessages(ctx, msgs...); err != nil {
		return fmt.Errorf("publish %d events: %w", len(msgs), err)
	}
	return nil
}

// PublishRaw forwards a message as it is (dead-lettering).
func (p *Publisher) PublishRaw(ctx context.Context, m kafka.Message) error {
	return p.w.WriteMessages(ctx, m)
}

// Close flushes and closes the writer.
func (p *Publisher) Close() error { return p.w.Close() }
