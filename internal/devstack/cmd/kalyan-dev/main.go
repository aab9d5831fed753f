// Command kalyan-dev runs the whole platform on embedded defaults (`make
// run`): FerretDB, an in-process Kafka broker, the bKash sandbox, the API
// and the workers, with state under .kalyan/ so a restart finds its data.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/platform"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "kalyan-dev:", err)
		os.Exit(1)
	}
}

func run() error {
	cfg, err := config.Load()
	if err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return fmt.Errorf("invalid configuration:\n%w", err)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	log := platform.Logger(cfg.LogLevel)
	sandboxAddr := os.Getenv("KALYAN_SANDBOX_ADDR")
	if sandboxAddr == "" {
		sandboxAddr = "127.0.0.1:8090"
	}
	st, err := devstack.Start(ctx, devstack.Options{Dir: cfg.DataDir, Config: &cfg, SandboxAddr: sandboxAddr, KafkaPort: 0, Logger: log})
	if err != nil {
		return err
	}
	admin, err := st.Token("platform_admin", "", "dev-admin")
	if err != nil {
		return err
	}
	// Two social workers: one files and assesses, the other approves and
	// confirms what the first records as given (four-eyes at every amount).
	sw, _ := st.NamedToken("social_worker", "dmch", "dev-social-worker", "Rahima Begum")
	sw2, _ := st.NamedToken("social_worker", "dmch", "dev-social-worker-2", "Karim Uddin")
	// The counter: a cashier takes cash and closes their day; the unit
	// admin refunds.
	cashier, _ := st.NamedToken("cashier", "dmch", "dev-cashier", "Selina Akter")
	ua, _ := st.NamedToken("unit_admin", "dmch", "dev-unit-admin", "Nasrin Sultana")
	api := st.APIURL()
	if cfg.PublicURL != "" {
		api = cfg.PublicURL
	}
	fmt.Printf(`
Kalyan is running on embedded defaults (data in %s).

  Donate (browser):      %s/d/dmch
  All demo units:        %s/
  Unit's public ledger:  %s/u/dmch
  Zakat calculator:      %s/zakat
  Staff console:         %s/console/login  (paste the social-worker token below)
  API description:       %s/api/v1/openapi.json
  API health/metrics:    %s/readyz  %s/metrics
  Worker health/metrics: %s/readyz  %s/metrics
  bKash sandbox:         %s

  Platform-admin token:  %s
  Social-worker token (dmch): %s
  Second social worker (dmch, approves and confirms): %s
  Cashier (dmch: cash at the counter, cash book): %s
  Unit admin (dmch: refunds, cash book): %s
  More tokens:           go run ./api token --role unit_admin --unit dmch --name "Your Name"

Press Ctrl-C to stop.
`, cfg.DataDir, api, api, api, api, api, api, api, api, st.WorkerURL(), st.WorkerURL(), st.Config.BKash.BaseURL, admin, sw, sw2, cashier, ua)
	err = st.Wait(ctx)
	fmt.Println("\nshutting down…")
	cctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if cerr := st.Close(cctx); cerr != nil {
		return cerr
	}
	return err
}
