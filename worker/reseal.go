package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/platform"
)

// reseal puts everything the seal key protects under the ring's active key (app.Reseal), printing
// progress to stderr. It reports false when some record could not be opened with any key of the
// ring (they are listed; fix the ring and run it again: it resumes).
func reseal(args []string, stderr io.Writer) (bool, error) {
	cfg, err := config.Load()
	if err != nil {
		return false, err
	}
	fs := flag.NewFlagSet("reseal", flag.ContinueOnError)
	fs.SetOutput(stderr)
	uri := fs.String("mongodb-uri", cfg.MongoDB.URI, "MongoDB URI (default KALYAN_MONGODB_URI)")
	every := fs.Duration("progress", 2*time.Second, "how often to print progress")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kalyan-worker reseal [flags]\n\n"+
			"Re-seals the units' receipt signing keys and bKash merchant credentials under the seal key ring's\n"+
			"active key (KALYAN_SEAL_KEY or KALYAN_SEAL_KEY_FILE) and re-keys receipts' donor references.\n"+
			"Idempotent and resumable; safe while kalyan-api and kalyan-worker run (docs/runbooks/seal-key-rotation.md).")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	if *uri == "" {
		return false, errors.New("set KALYAN_MONGODB_URI or --mongodb-uri")
	}
	if cfg.SealKey == "" && cfg.SealKeyFile == "" {
		return false, errors.New("set KALYAN_SEAL_KEY or KALYAN_SEAL_KEY_FILE to the key ring")
	}
	if err := cfg.Validate(); err != nil {
		return false, fmt.Errorf("invalid configuration:\n%w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := mongostore.Connect(ctx, *uri, cfg.MongoDB.Database)
	if err != nil {
		return false, err
	}
	defer store.Close(context.Background())
	sealer := platform.Sealer(cfg, platform.Logger(cfg.LogLevel))
	fmt.Fprintf(stderr, "reseal: under seal key %s (ring %v)\n", sealer.ID(), sealer.KeyIDs())
	r := &app.Reseal{Store: store.Reseal(), Sealer: sealer, ProgressEvery: *every,
		Progress: func(p app.ResealProgress) {
			state := "…"
			if p.Done {
				state = "done"
			}
			from := ""
			if p.Resumed != "" {
				from = " (resumed after " + p.Resumed + ")"
			}
			fmt.Fprintf(stderr, "reseal %s%s: %d seen, %d re-sealed, %d already current, %d changed meanwhile, %d unopenable %s\n",
				p.Step, from, p.Seen, p.Changed, p.Current, p.Skipped, p.Failed, state)
		}}
	_, err = r.Run(ctx)
	if errors.Is(err, app.ErrResealIncomplete) {
		fmt.Fprintln(stderr, "reseal:", err)
		return false, nil
	}
	if err != nil {
		return false, err
	}
	fmt.Fprintf(stderr, "reseal: everything is under seal key %s; the ring's other keys may go once every replica has re-read it\n", sealer.ID())
	return true, nil
}
