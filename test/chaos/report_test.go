//go:build chaos

package chaos

import (
	"fmt"
	"os"
	"runtime"
	"sort"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/test/harness"
)

// report is a run's figures as Markdown, for docs/chaos.md.
type report struct {
	cfg                   settings
	census, settledCensus *harness.Census
	driven, settled, wall time.Duration
	kills, disbursed      int
	windows               int64
	infra                 *infraLog
	verify                string
	failed                bool
	refunds               *refundStats
}

func (r report) String() string {
	var b strings.Builder
	host, _ := os.Hostname()
	result := "passed"
	if r.failed {
		result = "FAILED (see the test's errors)"
	}
	fmt.Fprintf(&b, "Chaos run %s, %s: %s\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"), host, result)
	fmt.Fprintf(&b, "- machine: %d CPUs (%s/%s, %s)\n", runtime.NumCPU(), runtime.GOOS, runtime.GOARCH, runtime.Version())
	fmt.Fprintf(&b, "- load: %d gifts over %d units from %d concurrent clients, paced at %g/s (0: unpaced); %d aid requests from %d\n",
		r.cfg.donations, r.cfg.units, r.cfg.concurrency, r.cfg.rate, r.cfg.aid, r.cfg.aidConcurrency)
	fmt.Fprintf(&b, "- chaos: %d worker SIGKILLs (one every %s, each restarted), %d execute fault windows of %s (timeout/cancel alternating, every %s)\n",
		r.kills, r.cfg.killEvery, r.windows, r.cfg.faultWindow, r.cfg.faultEvery)
	if r.refunds != nil {
		fmt.Fprintf(&b, "- refunds (every %d-th counter or bKash-page gift, %d clients): %s\n", r.cfg.refundEvery, r.cfg.refundConcurrency, r.refunds)
	}
	for _, l := range r.infra.lines {
		fmt.Fprintf(&b, "- %s\n", l)
	}
	fmt.Fprintf(&b, "- wall time: load given in %s (%.1f gifts/s), all settled at %s, done (disbursed, verified) at %s; %.1f gifts/s end to end\n",
		r.driven.Round(time.Second), float64(r.cfg.donations)/r.driven.Seconds(), r.settled.Round(time.Second),
		r.wall.Round(time.Second), float64(r.cfg.donations)/r.settled.Seconds())
	c := r.census
	b.WriteString("\n| figure | count |\n| --- | ---: |\n")
	countRows(&b, "gifts", c.Donations)
	fmt.Fprintf(&b, "| gifts, all | %d |\n| gifts still initiated | %d |\n", c.Total, len(c.NonFinal))
	fmt.Fprintf(&b, "| receipts | %d |\n| gifts with more than one receipt | %d |\n| paid gifts without receipt | %d |\n| serial gaps or repeats | %d |\n",
		c.Receipts, c.DuplicateReceipts, c.PaidWithoutReceipt, len(c.SerialProblems))
	countRows(&b, "refunds", c.Refunds)
	fmt.Fprintf(&b, "| gifts with a refund still open | %d |\n| cancellation notes | %d |\n| completed refunds without a note | %d |\n",
		len(c.OpenRefunds), c.Notes, c.NotesMissing)
	countRows(&b, "aid requests", c.Aid)
	fmt.Fprintf(&b, "| aid requests, all | %d |\n| allocation steps that moved money | %d |\n| disbursed in this run | %d |\n",
		c.AidTotal, c.Allocations, r.disbursed)
	if r.settledCensus != nil {
		fmt.Fprintf(&b, "| aid requests waitlisted when the gifts had settled | %d |\n", r.settledCensus.Aid["waitlisted"])
	}
	fmt.Fprintf(&b, "\nkalyan-worker verify: %s\n", r.verify)
	return b.String()
}

// countRows writes one table row per key of counts, in key order.
func countRows(b *strings.Builder, what string, counts map[string]int) {
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(b, "| %s %s | %d |\n", what, k, counts[k])
	}
}
