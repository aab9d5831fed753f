package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"slices"
	"syscall"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/events"
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
			"that fold; records the report facts of every kept event that has none and makes the report\n"+
			"checkpoints equal to the fold of the facts. Idempotent; safe while kalyan-api and kalyan-worker run.\n"+
			"Exits 1 if a checkpoint was wrong.")
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
	okLedger, err := rebuildLedger(ctx, store, unit, out)
	if err != nil {
		return false, err
	}
	okReports, err := rebuildReports(ctx, store, unit, out)
	return okLedger && okReports, err
}

// rebuildReports records the report facts of every kept event that has none
// (idempotent: each fact is keyed by its event) and makes every report
// checkpoint equal to the fold of its unit's facts (ADR 0016).
func rebuildReports(ctx context.Context, store *mongostore.Store, unit string, out io.Writer) (bool, error) {
	evs, err := store.OutboxEvents(ctx, app.ReportEventTypes)
	if err != nil {
		return false, err
	}
	if unit != "" {
		evs = slices.DeleteFunc(evs, func(e events.Envelope) bool { return e.Unit != unit })
	}
	facts := store.ReportFacts()
	rec := &app.ReportRecorder{Facts: facts, Units: store.Units(), Aid: store.AidRequests()}
	added, err := rec.Backfill(ctx, evs)
	if err != nil {
		return false, fmt.Errorf("report facts: %w", err)
	}
	fmt.Fprintf(out, "report facts: %d events, %d facts recorded that were missing\n", len(evs), added)
	units := []string{unit}
	if unit == "" {
		if units, err = facts.ReportUnits(ctx); err != nil {
			return false, err
		}
	}
	replaced := 0
	for _, u := range units {
		res, err := facts.RebuildCheckpoints(ctx, u)
		if err != nil {
			return false, fmt.Errorf("rebuild report checkpoints of %s: %w", u, err)
		}
		replaced += res.Replaced
		fmt.Fprintf(out, "%s: %d report facts, checkpoints %d kept, %d written, %d replaced\n", u, res.Entries, res.Checked, res.Written, res.Replaced)
	}
	return replaced == 0, nil
}

func rebuildLedger(ctx context.Context, store *mongostore.Store, unit string, out io.Writer) (bool, error) {
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
