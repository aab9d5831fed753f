// Command kalyan-worker runs the outbox relay, the payment reconciler and the
// Kafka consumers that credit the ledger and issue receipts.
// `kalyan-worker verify` checks the money invariants of the whole store;
// `kalyan-worker reseal` re-seals it under the seal key ring's newest key;
// `kalyan-worker rebuild-aggregates` rebuilds the ledger checkpoints.
package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"

	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/platform"
)

func main() {
	if len(os.Args) > 1 && (os.Args[1] == "verify" || os.Args[1] == "reseal" || os.Args[1] == "rebuild-aggregates") {
		check := verifyStore
		switch os.Args[1] {
		case "reseal":
			check = func(args []string) (bool, error) { return reseal(args, os.Stderr) }
		case "rebuild-aggregates":
			check = func(args []string) (bool, error) { return rebuildAggregates(args, os.Stdout, os.Stderr) }
		}
		ok, err := check(os.Args[2:])
		if err != nil {
			fmt.Fprintf(os.Stderr, "kalyan-worker %s: %v\n", os.Args[1], err)
			os.Exit(2)
		}
		if !ok {
			os.Exit(1)
		}
		return
	}
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kalyan-worker:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if err := cfg.ValidateExternal(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := platform.Logger(cfg.LogLevel)
	store, err := mongostore.Connect(ctx, cfg.MongoDB.URI, cfg.MongoDB.Database)
	if err != nil {
		return err
	}
	defer store.Close(context.Background())
	ln, err := net.Listen("tcp", cfg.WorkerAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("kalyan-worker started", "opsAddr", ln.Addr().String())
	return platform.NewWorker(cfg, store, log).Run(ctx, ln)
}
