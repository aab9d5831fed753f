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

	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
)

// rebuildAggregates makes every ledger checkpoint (ADR 0012) equal to the
// fold of its unit's entries: missing ones are written, wrong ones replaced.
// It reports false when it replaced any: something wrote a wrong figure, and
// processes started before the rebuild may still fold from it (restart them).
func rebuildAggregates(args []string, stdout, stderr io.Writer) (bool, error) {
	cfg, err := config.Load()
	if err != nil {
		return false, err
	}
	fs := flag.NewFlagSet("rebuild-aggregates", flag.ContinueOnError)
	fs.SetOutput(stderr)
	uri := fs.String("mongodb-uri", cfg.MongoDB.URI, "MongoDB URI (default KALYAN_MONGODB_URI)")
	unit := fs.String("unit", "", "rebuild this unit only (default: every unit with a ledger)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kalyan-worker rebuild-aggregates [flags]\n\n"+
			"Folds each unit's whole ledger and makes its checkpoints (the public figures' aggregate) equal to\n"+
			"that fold. Idempotent; safe while kalyan-api and kalyan-worker run. Exits 1 if a checkpoint was wrong.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return false, err
	}
	if *uri == "" {
		return false, errors.New("set KALYAN_MONGODB_URI or --mongodb-uri")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	store, err := mongostore.Connect(ctx, *uri, cfg.MongoDB.Database)
	if err != nil {
		return false, err
	}
	defer store.Close(context.Background())
	return rebuild(ctx, store, *unit, stdout)
}

func rebuild(ctx context.Context, store *mongostore.Store, unit string, out io.Writer) (bool, error) {
	book := store.Ledger()
	units := []string{unit}
	if unit == "" {
		var err error
		if units, err = book.LedgerUnits(ctx); err != nil {
			return false, err
		}
	}
	replaced := 0
	for _, u := range units {
		res, err := book.RebuildCheckpoints(ctx, u)
		if err != nil {
			return false, fmt.Errorf("rebuild %s: %w", u, err)
		}
		replaced += res.Replaced
		fmt.Fprintf(out, "%s: %d entries, checkpoints %d kept, %d written, %d replaced\n", u, res.Entries, res.Checked, res.Written, res.Replaced)
	}
	return replaced == 0, nil
}
