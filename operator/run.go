package main

import (
	"context"
	"errors"
	"flag"
	"os"
	"os/signal"
	"syscall"

	"github.com/kalyan-platform/kalyan/operator/crds"
	"github.com/kalyan-platform/kalyan/operator/internal/manager"
	"github.com/kalyan-platform/kalyan/operator/internal/onboard"
)

// run dispatches: `kalyan-operator onboard …` onboards units, `kalyan-operator crds …` prints or applies
// the CRD; anything else runs the operator.
func run() error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	args := os.Args[1:]
	var err error
	switch {
	case len(args) > 0 && args[0] == "onboard":
		err = onboard.Command(ctx, args[1:], os.Stdout, os.Stderr)
	case len(args) > 0 && args[0] == "crds":
		err = crds.Command(ctx, args[1:], os.Stdout, os.Stderr)
	default:
		err = manager.Run(ctx, args, os.Stderr)
	}
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	return err
}
