// Command kalyan-api serves the JSON API, the donor pages and the public
// ledger. `kalyan-api token --role R [--unit CODE | --district CODE |
// --division CODE] [--sub NAME]` prints a
// staff token signed with the local development key; `kalyan-api probe URL…`
// checks that each URL answers 200 (the Helm chart's test, in an image with
// no shell or curl).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/platform"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "kalyan-api:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) > 0 && args[0] == "probe" {
		return probe(args[1:])
	}
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if len(args) > 0 && args[0] == "token" {
		return token(cfg, args[1:])
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
	if err := platform.PrepareStore(ctx, store, log); err != nil {
		return err
	}
	verifier, err := platform.Verifier(ctx, cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.HTTPAddr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("kalyan-api listening", "addr", ln.Addr().String(), "publicURL", cfg.PublicURL)
	return platform.NewAPI(cfg, store, verifier, log).Serve(ctx, ln)
}

func token(cfg config.Config, args []string) error {
	fs := flag.NewFlagSet("token", flag.ContinueOnError)
	role := fs.String("role", "", "social_worker, committee, unit_admin, cashier, platform_admin, district_officer, division_officer or department")
	unit := fs.String("unit", "", "unit code (required for unit staff)")
	district := fs.String("district", "", "a district officer's district code (e.g. cumilla)")
	division := fs.String("division", "", "a division officer's division code (e.g. chattagram)")
	sub := fs.String("sub", "", "subject (staff member's id); default: the role")
	name := fs.String("name", "", "staff member's name, shown in request histories (OIDC \"name\" claim)")
	ttl := fs.Duration("ttl", 12*time.Hour, "validity")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if cfg.Auth.JWKSURL != "" {
		return errors.New("KALYAN_AUTH_JWKS_URL is set: tokens come from the identity provider, not from here")
	}
	if *sub == "" {
		*sub = *role
	}
	_, signer, err := auth.LocalKeys(cfg.Auth.KeyFile, cfg.Auth.Issuer, cfg.Auth.Audience)
	if err != nil {
		return err
	}
	scope := *unit
	switch auth.Role(*role) {
	case auth.DistrictOfficer:
		scope = *district
	case auth.DivisionOfficer:
		scope = *division
	}
	t, err := signer.NamedToken(*sub, *name, auth.Role(*role), scope, *ttl)
	if err != nil {
		return err
	}
	fmt.Println(t)
	return nil
}
