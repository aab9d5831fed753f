// Command seed-volume writes a unit's ledger of N gifts (with the refunds,
// holds, allocations and disbursements that go with them) into a store
// through the store's own append path, for measuring reads against history:
//
//	KALYAN_MONGODB_URI=mongodb://… go run ./internal/ledgerseed/cmd/seed-volume --unit dmch --gifts 20000
//
// It writes money that never moved: point it only at a development or
// benchmark store. `make seed-volume` runs it.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"time"

	"github.com/kalyan-platform/kalyan/internal/ledgerseed"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "seed-volume:", err)
		os.Exit(1)
	}
}

func run() error {
	uri := flag.String("mongodb-uri", os.Getenv("KALYAN_MONGODB_URI"), "MongoDB URI (default KALYAN_MONGODB_URI)")
	database := flag.String("database", "kalyan", "database name")
	unit := flag.String("unit", "", "unit code whose ledger gets the entries")
	gifts := flag.Int("gifts", 20000, "gifts to write (other entries come with them)")
	seed := flag.Uint64("seed", 1, "random seed (a unit seeded twice with one seed gets each entry once)")
	months := flag.Int("months", 12, "months the gifts are spread over, ending now")
	flag.Parse()
	if *uri == "" || *unit == "" || *gifts <= 0 {
		flag.Usage()
		return fmt.Errorf("need --mongodb-uri, --unit and --gifts > 0")
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	store, err := mongostore.Connect(ctx, *uri, *database)
	if err != nil {
		return err
	}
	defer store.Close(context.Background())
	span := time.Duration(*months) * 30 * 24 * time.Hour
	// About 1.3 entries per gift (refunds, allocations, disbursements).
	step := span / time.Duration(*gifts*13/10)
	g := ledgerseed.New(*unit, *seed, time.Now().Add(-span), step)
	start := time.Now()
	n, err := g.Write(ctx, store.Ledger(), *gifts)
	if err != nil {
		return err
	}
	el := time.Since(start)
	fmt.Printf("seed-volume: %s: %d gifts, %d ledger entries in %s (%.0f entries/s)\n", *unit, *gifts, n, el.Round(time.Millisecond), float64(n)/el.Seconds())
	return nil
}
