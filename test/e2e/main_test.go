//go:build e2e

package e2e

import (
	"os"
	"testing"

	"github.com/kalyan-platform/kalyan/test/harness"
)

// merchant is the platform's bKash merchant at the sandbox.
const merchant = harness.Merchant

// sys is the running system under test.
var sys *harness.System

func TestMain(m *testing.M) {
	os.Exit(harness.Main(m, harness.Options{
		Workers: 2,
		// Thousands of gifts come from this one client address in
		// TestReceiptsUnderWorkerKills; the limiter has its own tests.
		Env: []string{"KALYAN_HTTP_RATE_LIMIT=0",
			// Each reconciler pass scans every donation for pending refunds
			// (a filter FerretDB cannot push down to PostgreSQL): at
			// 10,000 gifts a pass costs seconds of FerretDB, so look every
			// 5 s rather than 500 ms (production: every minute).
			"KALYAN_RECONCILE_INTERVAL=5s"},
		Operator: true,
	}, func(s *harness.System) { sys = s }))
}
