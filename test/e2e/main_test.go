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
		Env:      []string{"KALYAN_HTTP_RATE_LIMIT=0"},
		Operator: true,
	}, func(s *harness.System) { sys = s }))
}
