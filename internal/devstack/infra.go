// Package devstack runs the whole platform in one process on embedded
// servers: FerretDB on SQLite, an in-process Kafka-protocol broker (kfake),
// the bKash sandbox, the API and the workers. It backs `make run` and the
// integration tests, and is never linked into the production binaries.
package devstack

import (
	"context"

	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/twmb/franz-go/pkg/kfake"
)

// Ferret is an embedded FerretDB serving the Mongo wire protocol from SQLite
// files in a directory.
type Ferret struct {
	db     *ferretdb.FerretDB
	cancel context.CancelFunc
	done   chan struct{}
}

// StartFerret serves dir's SQLite databases on a free loopback port.
func StartFerret(dir string, logger *slog.Logger) (*Ferret, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("ferretdb data dir: %w", err)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	// FerretDB logs every error reply (including the duplicate-key errors our
	// unique-index scheme relies on) at WARN: keep only its errors.
	fl := slog.New(logger.Handler()).With("component", "ferretdb")
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Logger:    slog.New(levelFilter{h: fl.Handler(), min: slog.LevelError}),
		Handler:   "sqlite",
		SQLiteURL: "file:" + abs + "/?_pragma=synchronous(NORMAL)",
	})
	if err != nil {
		return nil, fmt.Errorf("start ferretdb: %w", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	fe := &Ferret{db: f, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(fe.done)
		_ = f.Run(ctx)
	}()
	return fe, nil
}

// URI is the mongodb:// connection string.
func (f *Ferret) URI() string { return f.db.MongoDBURI() }

// Close stops the server and waits for its files to be closed.
func (f *Ferret) Close() {
	f.cancel()
	<-f.done
}

type levelFilter struct {
	h   slog.Handler
	min slog.Level
}

func (l levelFilter) Enabled(ctx context.Context, lv slog.Level) bool {
	return lv >= l.min && l.h.Enabled(ctx, lv)
}
func (l levelFilter) Handle(ctx context.Context, r slog.Record) error { return l.h.Handle(ctx, r) }
func (l levelFilter) WithAttrs(a []slog.Attr) slog.Handler {
	return levelFilter{h: l.h.WithAttrs(a), min: l.min}
}
func (l levelFilter) WithGroup(n string) slog.Handler {
	return levelFilter{h: l.h.WithGroup(n), min: l.min}
}

// Kafka is an in-process Kafka-protocol broker whose topics and committed
// offsets persist in a directory.
type Kafka struct {
	c    *kfake.Cluster
	once sync.Once
}

// StartKafka starts a single broker on port (0 = any free port).
func StartKafka(dir string, port int) (*Kafka, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("kafka data dir: %w", err)
	}
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.DataDir(dir), kfake.DefaultNumPartitions(4)}
	if port != 0 {
		opts = append(opts, kfake.Ports(port))
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		return nil, fmt.Errorf("start kafka: %w", err)
	}
	return &Kafka{c: c}, nil
}

// Brokers lists the broker addresses.
func (k *Kafka) Brokers() []string { return k.c.ListenAddrs() }

// Close stops the broker, flushing its data dir.
func (k *Kafka) Close() { k.once.Do(k.c.Close) }
