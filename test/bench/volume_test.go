package bench

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/ledgerseed"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// BenchmarkPublicLedgerVolume measures the public figures against history
// (issue #21, ADR 0012): units with an empty ledger, 20,000 and 100,000
// gifts (KALYAN_BENCH_VOLUME, comma-separated), seeded once per run through
// the store's own append path (ledgerseed: gifts of every kind, refunds,
// holds, allocations, disbursements over a year), then per unit:
//
//   - unit-miss: the unit page's figures (UnitFunds + 12 months) with the
//     cache off, in a process that has read the unit before (what every
//     cache expiry of a running API costs);
//   - unit-cold: the same from a process that never read it (the last
//     checkpoint and the entries after it: a new replica's first view);
//   - unit-page: GET /u/{code} through the API (HTML, its 2 s cache on);
//   - full-fold (KALYAN_BENCH_FULLFOLD=1): the fold of the unit's whole
//     ledger, which every miss cost before ADR 0012 — the baseline;
//
// and national-miss / national-cold: the national ledger's figures over every
// registered unit. Reported: p50-ms, p99-ms. Seeding time is logged.
//
//	go test -run '^$' -bench PublicLedgerVolume -benchtime 200x -timeout 60m ./test/bench/
func BenchmarkPublicLedgerVolume(b *testing.B) {
	ctx := context.Background()
	sizes := volumeFixture(b)
	us := &app.Units{Store: stack.Store.Units(), Now: time.Now}
	warm := &app.Transparency{Ledger: stack.Store.Ledger(), Units: us, Now: time.Now}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
	timed := func(b *testing.B, op func(b *testing.B)) {
		ds := make([]time.Duration, 0, b.N)
		op(b) // the first call outside the figures: it warms what "miss" means
		b.ResetTimer()
		for range b.N {
			t0 := time.Now()
			op(b)
			ds = append(ds, time.Since(t0))
		}
		b.StopTimer()
		b.ReportMetric(ms(quantile(ds, 0.5)), "p50-ms")
		b.ReportMetric(ms(quantile(ds, 0.99)), "p99-ms")
	}
	figures := func(b *testing.B, t *app.Transparency, u *units.Unit) {
		if _, err := t.UnitFunds(ctx, u); err != nil {
			b.Fatal(err)
		}
		if _, _, err := t.Monthly(ctx, u.Code, 12); err != nil {
			b.Fatal(err)
		}
	}
	for _, n := range sizes {
		code := volumeUnit(n)
		u, err := stack.Store.Units().Get(ctx, code)
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("unit-miss/gifts=%d", n), func(b *testing.B) {
			timed(b, func(b *testing.B) { figures(b, warm, u) })
		})
		b.Run(fmt.Sprintf("unit-cold/gifts=%d", n), func(b *testing.B) {
			timed(b, func(b *testing.B) {
				figures(b, &app.Transparency{Ledger: stack.Store.Ledger(), Units: us, Now: time.Now}, u)
			})
		})
		b.Run(fmt.Sprintf("unit-page/gifts=%d", n), func(b *testing.B) {
			timed(b, func(b *testing.B) {
				res, err := client.Get(stack.APIURL() + "/u/" + code)
				if err != nil {
					b.Fatal(err)
				}
				_, _ = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode != 200 {
					b.Fatalf("GET /u/%s: %d", code, res.StatusCode)
				}
			})
		})
		if os.Getenv("KALYAN_BENCH_FULLFOLD") != "" {
			b.Run(fmt.Sprintf("full-fold/gifts=%d", n), func(b *testing.B) {
				timed(b, func(b *testing.B) {
					if _, err := stack.Store.Ledger().Fold(ctx, code); err != nil {
						b.Fatal(err)
					}
				})
			})
		}
	}
	b.Run("national-miss", func(b *testing.B) {
		timed(b, func(b *testing.B) {
			if _, _, err := warm.National(ctx); err != nil {
				b.Fatal(err)
			}
		})
	})
	b.Run("national-cold", func(b *testing.B) {
		timed(b, func(b *testing.B) {
			if _, _, err := (&app.Transparency{Ledger: stack.Store.Ledger(), Units: us, Now: time.Now}).National(ctx); err != nil {
				b.Fatal(err)
			}
		})
	})
}

func volumeUnit(gifts int) string { return "vol-" + strconv.Itoa(gifts) }

var (
	volumeOnce  sync.Once
	volumeSizes []int
)

// volumeFixture registers one unit per size and writes its ledger, once per
// run, logging how long each took.
func volumeFixture(b *testing.B) []int {
	volumeOnce.Do(func() {
		spec := os.Getenv("KALYAN_BENCH_VOLUME")
		if spec == "" {
			spec = "0,20000,100000"
		}
		for _, f := range strings.Split(spec, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n < 0 {
				b.Fatalf("KALYAN_BENCH_VOLUME: %q", spec)
			}
			benchUnit(b, volumeUnit(n))
			if n == 0 {
				volumeSizes = append(volumeSizes, n)
				continue
			}
			span := 365 * 24 * time.Hour
			g := ledgerseed.New(volumeUnit(n), uint64(n), time.Now().Add(-span), span/time.Duration(n*13/10))
			t0 := time.Now()
			entries, err := g.Write(context.Background(), stack.Store.Ledger(), n)
			if err != nil {
				b.Fatal(err)
			}
			el := time.Since(t0)
			b.Logf("seeded %s: %d gifts, %d ledger entries in %s (%.0f entries/s)", volumeUnit(n), n, entries, el.Round(time.Millisecond), float64(entries)/el.Seconds())
			volumeSizes = append(volumeSizes, n)
		}
	})
	return volumeSizes
}
