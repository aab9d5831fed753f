// Command bkash-sandbox runs Kalyan's bKash Tokenized Checkout sandbox on
// its own. Point the bkash client's BaseURL at <public-url>/v1.2.0-beta.
//
//	bkash-sandbox --addr 127.0.0.1:8090 --data-dir .kalyan/bkash-sandbox [--merchants-file merchants.json]
//
// Every flag can also be set through the environment variable named in its
// help text; flags win.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "bkash-sandbox:", err)
		os.Exit(1)
	}
}

func env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok && v != "" {
		return v
	}
	return def
}

func envDuration(name string, def time.Duration) (time.Duration, error) {
	v := env(name, "")
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}

func run(args []string) error {
	paymentTTL, err := envDuration("BKASH_SANDBOX_PAYMENT_TTL", 24*time.Hour)
	if err != nil {
		return err
	}
	faultHold, err := envDuration("BKASH_SANDBOX_FAULT_HOLD", 40*time.Second)
	if err != nil {
		return err
	}
	fs := flag.NewFlagSet("bkash-sandbox", flag.ContinueOnError)
	addr := fs.String("addr", env("BKASH_SANDBOX_ADDR", "127.0.0.1:8090"), "listen address (BKASH_SANDBOX_ADDR)")
	dataDir := fs.String("data-dir", env("BKASH_SANDBOX_DATA_DIR", ""), "directory for persistent state; empty keeps it in memory (BKASH_SANDBOX_DATA_DIR)")
	publicURL := fs.String("public-url", env("BKASH_SANDBOX_PUBLIC_URL", ""), "base URL payers' browsers use; empty: the host each create request was sent to (BKASH_SANDBOX_PUBLIC_URL)")
	fs.DurationVar(&paymentTTL, "payment-ttl", paymentTTL, "how long an unexecuted payment stays open (BKASH_SANDBOX_PAYMENT_TTL)")
	fs.DurationVar(&faultHold, "fault-hold", faultHold, "how long a timeout fault holds a request (BKASH_SANDBOX_FAULT_HOLD)")
	merchantsFile := fs.String("merchants-file", env("BKASH_SANDBOX_MERCHANTS_FILE", ""),
		`JSON list of merchants [{"username","password","appKey","appSecret","name"}]; empty: open mode, any credentials accepted (BKASH_SANDBOX_MERCHANTS_FILE)`)
	debug := fs.Bool("debug", env("BKASH_SANDBOX_DEBUG", "") != "", "log every request (BKASH_SANDBOX_DEBUG)")
	if err := fs.Parse(args); err != nil {
		return err
	}

	level := slog.LevelInfo
	if *debug {
		level = slog.LevelDebug
	}
	logger := slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: level}))

	merchants, err := readMerchants(*merchantsFile)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	srv, err := bkashsandbox.New(bkashsandbox.Config{
		DataDir:    *dataDir,
		PublicURL:  *publicURL,
		Logger:     logger,
		PaymentTTL: paymentTTL,
		FaultHold:  faultHold,
		Merchants:  merchants,
	})
	if err != nil {
		ln.Close()
		return err
	}
	hs := &http.Server{Handler: srv.Handler(), ReadHeaderTimeout: 10 * time.Second}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- hs.Serve(ln) }()
	logger.Info("bkash sandbox listening", "addr", ln.Addr().String(), "base_url", "http://"+ln.Addr().String()+"/v1.2.0-beta", "public_url", *publicURL, "data_dir", *dataDir)

	select {
	case err = <-served:
		srv.Close()
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	logger.Info("bkash sandbox shutting down")
	// Close first: it releases requests held by timeout faults, which
	// Shutdown would otherwise wait for.
	closeErr := srv.Close()
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := <-served; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("serve: %w", err)
	}
	return closeErr
}

// readMerchants reads the --merchants-file list ("" = none: open mode).
func readMerchants(path string) ([]bkashsandbox.Credentials, error) {
	if path == "" {
		return nil, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("merchants file: %w", err)
	}
	var list []struct {
		Username  string `json:"username"`
		Password  string `json:"password"`
		AppKey    string `json:"appKey"`
		AppSecret string `json:"appSecret"`
		Name      string `json:"name"`
	}
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("merchants file %s: %w", path, err)
	}
	out := make([]bkashsandbox.Credentials, len(list))
	for i, m := range list {
		out[i] = bkashsandbox.Credentials{Username: m.Username, Password: m.Password, AppKey: m.AppKey, AppSecret: m.AppSecret, Name: m.Name}
	}
	return out, nil
}
