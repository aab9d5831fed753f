package platform_test

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/platform"
)

// TestWorkerWaitsForKafkaAtStart: a worker started while Kafka is down
// stays up, alive and saying it is not ready, and goes to work once the
// broker answers, instead of exiting.
func TestWorkerWaitsForKafkaAtStart(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	ferret, err := devstack.StartFerret(dir, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	defer ferret.Close()
	store, err := mongostore.Connect(ctx, ferret.URI(), "startup")
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close(ctx)

	// A port with no broker behind it (yet).
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	kafkaPort := probe.Addr().(*net.TCPAddr).Port
	probe.Close()

	cfg := config.Defaults()
	cfg.Kafka.Brokers = []string{probe.Addr().String()}
	cfg.Kafka.Partitions = 2
	ops, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	base := "http://" + ops.Addr().String()
	wctx, stop := context.WithCancel(ctx)
	done := make(chan error, 1)
	go func() {
		done <- platform.NewWorker(cfg, store, slog.New(slog.NewTextHandler(io.Discard, nil))).Run(wctx, ops)
	}()
	defer func() {
		stop()
		<-done
	}()

	status := func(path string) int {
		res, err := http.Get(base + path)
		if err != nil {
			return 0
		}
		res.Body.Close()
		return res.StatusCode
	}
	waitFor := func(what string, within time.Duration, ok func() bool) {
		t.Helper()
		deadline := time.Now().Add(within)
		for !ok() {
			select {
			case err := <-done:
				t.Fatalf("worker exited while waiting for %s: %v", what, err)
			default:
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s: not within %s", what, within)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	waitFor("alive without Kafka", 10*time.Second, func() bool { return status("/livez") == http.StatusOK })
	if got := status("/readyz"); got != http.StatusServiceUnavailable {
		t.Fatalf("/readyz with Kafka down: %d, want 503", got)
	}
	time.Sleep(2 * time.Second) // several failed attempts at creating the topics
	select {
	case err := <-done:
		t.Fatalf("worker exited with Kafka down: %v", err)
	default:
	}

	broker, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.Ports(kafkaPort))
	if err != nil {
		t.Fatal(err)
	}
	defer broker.Close()
	waitFor("ready once Kafka answers", 30*time.Second, func() bool { return status("/readyz") == http.StatusOK })
	// And it went to work: its topics exist.
	waitFor("topics created", 30*time.Second, func() bool {
		conn, err := kafka.Dial("tcp", probe.Addr().String())
		if err != nil {
			return false
		}
		defer conn.Close()
		parts, err := conn.ReadPartitions(events.TopicDonations, aid.TopicAid, events.TopicDeadLetter)
		return err == nil && len(parts) == 3*cfg.Kafka.Partitions
	})
}
