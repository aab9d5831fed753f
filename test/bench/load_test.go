package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// loadPhase is how long each measured phase of BenchmarkIntakeLoad runs
// (KALYAN_BENCH_PHASE, e.g. 10s; default 5s).
func loadPhase(b *testing.B) time.Duration {
	d := 5 * time.Second
	if v := os.Getenv("KALYAN_BENCH_PHASE"); v != "" {
		var err error
		if d, err = time.ParseDuration(v); err != nil {
			b.Fatalf("KALYAN_BENCH_PHASE: %v", err)
		}
	}
	return d
}

// loadLevels are the numbers of concurrent clients BenchmarkIntakeLoad
// sweeps (KALYAN_BENCH_CLIENTS, e.g. "8" or "4,16,64"; default 1,4,8,16,32,64).
func loadLevels(b *testing.B) []int {
	v := os.Getenv("KALYAN_BENCH_CLIENTS")
	if v == "" {
		return []int{1, 4, 8, 16, 32, 64}
	}
	var levels []int
	for _, f := range strings.Split(v, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n < 1 {
			b.Fatalf("KALYAN_BENCH_CLIENTS: %q is not a positive number", f)
		}
		levels = append(levels, n)
	}
	return levels
}

// loadLevel is what one level of the sweep measured.
type loadLevel struct {
	clients           int
	raw               float64 // single-document inserts/s
	rawCPU            float64 // µs of process CPU per raw insert
	creates           *vegeta.Metrics
	procCPU, bkashCPU float64 // µs per create: this process, the sandbox process
}

// BenchmarkIntakeLoad drives donation intake with vegeta over loopback and
// measures the raw store single-insert rate in the same run. Each path's
// peak is the best it does over a sweep of client counts, because the two
// peak at different concurrencies: raw single inserts queue for SQLite's
// one writer and do best with a few clients, while creates, whose chain
// (API, bKash, store) is longer but whose inserts are group-committed, need
// more clients in flight to fill the pipe. Per level, interleaved so both see
// the same machine:
//
//  1. raw single-document InsertOne calls from that many goroutines;
//  2. intake closed loop: vegeta with that many workers and no rate limit,
//     every request a new gift with its own Idempotency-Key.
//
// Then intake open loop at half the peak create rate: p99 with queueing shown.
// The figures at 8 clients each are reported too, as before the sweep.
//
// Every request must answer 201. Run it alone and once:
// go test -run '^$' -bench IntakeLoad -benchtime 1x ./test/bench/
func BenchmarkIntakeLoad(b *testing.B) {
	phase := loadPhase(b)
	levels := loadLevels(b)
	url := stack.APIURL() + "/api/v1/units/dmch/donations"
	run := time.Now().UnixNano()
	var seq atomic.Int64
	body := []byte(`{"amount":"500.00","currency":"BDT","kind":"zakat","donor":{"name":"Bench","phone":"01712345678"},"anonymous":false}`)
	targeter := func(t *vegeta.Target) error {
		t.Method, t.URL, t.Body = http.MethodPost, url, body
		t.Header = http.Header{
			"Content-Type":    {"application/json"},
			"Idempotency-Key": {fmt.Sprintf("load-%d-%d", run, seq.Add(1))},
		}
		return nil
	}
	// A closed loop is exactly its clients; an open loop may add workers
	// when requests queue, as a real crowd of donors would.
	attack := func(name string, clients uint64, rate vegeta.Rate, d time.Duration) *vegeta.Metrics {
		maxWorkers := clients
		if rate.Freq > 0 {
			maxWorkers = 1024
		}
		atk := vegeta.NewAttacker(vegeta.Workers(clients), vegeta.MaxWorkers(maxWorkers),
			vegeta.Connections(256), vegeta.KeepAlive(true), vegeta.Timeout(30*time.Second))
		var m vegeta.Metrics
		for res := range atk.Attack(targeter, rate, d, name) {
			m.Add(res)
			if res.Code != http.StatusCreated {
				b.Errorf("%s: status %d %s %s", name, res.Code, res.Error, res.Body)
			}
		}
		m.Close()
		return &m
	}
	closedLoop := vegeta.Rate{Freq: 0}

	attack("warm-up", workers, closedLoop, time.Second)
	// Other work on the machine moves every figure: say how busy it was.
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		b.Logf("load average before: %s", strings.TrimSpace(string(la)))
	}
	b.ResetTimer()
	var results []loadLevel
	for _, c := range levels {
		l := loadLevel{clients: c}
		cpu := processCPU()
		var n int64
		l.raw, n = rawInserts(b, c, phase)
		l.rawCPU = float64((processCPU() - cpu).Microseconds()) / float64(n)
		cpu, sbx := processCPU(), sandboxCPU()
		l.creates = attack(fmt.Sprintf("peak-%d", c), uint64(c), closedLoop, phase)
		if reqs := float64(l.creates.Requests); reqs > 0 {
			l.procCPU = float64((processCPU() - cpu).Microseconds()) / reqs
			l.bkashCPU = float64((sandboxCPU() - sbx).Microseconds()) / reqs
		}
		results = append(results, l)
	}
	rawPeak, createPeak := results[0], results[0]
	for _, l := range results {
		if l.raw > rawPeak.raw {
			rawPeak = l
		}
		if l.creates.Throughput > createPeak.creates.Throughput {
			createPeak = l
		}
	}
	half := attack("half-peak", 1, vegeta.Rate{Freq: max(1, int(createPeak.creates.Throughput/2)), Per: time.Second}, phase)
	b.StopTimer()

	b.Logf("%7s %13s %10s %8s %13s %10s %8s", "clients", "raw-inserts/s", "creates/s", "%-of-raw", "p50/p99-ms", "µs/create", "µs/raw")
	for _, l := range results {
		b.Logf("%7d %13.0f %10.0f %8.1f %6.1f/%6.1f %5.0f+%4.0f %8.0f", l.clients, l.raw, l.creates.Throughput,
			100*l.creates.Throughput/l.raw, ms(l.creates.Latencies.P50), ms(l.creates.Latencies.P99), l.procCPU, l.bkashCPU, l.rawCPU)
		if l.clients == workers {
			b.ReportMetric(100*l.creates.Throughput/l.raw, "%-of-raw-at-8")
		}
	}
	b.ReportMetric(rawPeak.raw, "raw-inserts/s")
	b.ReportMetric(float64(rawPeak.clients), "raw-peak-clients")
	b.ReportMetric(createPeak.creates.Throughput, "creates/s")
	b.ReportMetric(float64(createPeak.clients), "create-peak-clients")
	b.ReportMetric(100*createPeak.creates.Throughput/rawPeak.raw, "%-of-raw")
	b.ReportMetric(ms(createPeak.creates.Latencies.P50), "p50-ms")
	b.ReportMetric(ms(createPeak.creates.Latencies.P99), "p99-ms")
	b.ReportMetric(half.Rate, "half-rate/s")
	b.ReportMetric(ms(half.Latencies.P50), "p50-at-half-ms")
	b.ReportMetric(ms(half.Latencies.P99), "p99-at-half-ms")
	b.ReportMetric(rawPeak.rawCPU, "raw-cpu-µs/insert")
	b.ReportMetric(createPeak.procCPU, "proc-cpu-µs/create")
	if sandbox != nil {
		b.ReportMetric(createPeak.bkashCPU, "bkash-cpu-µs/create")
	}
	b.Logf("half-peak: %d requests at %.0f/s, success %.1f%%", half.Requests, half.Rate, 100*half.Success)
}

// rawInserts is the baseline: single-document inserts into the same store
// from clients goroutines for d: inserts per second and how many.
func rawInserts(b *testing.B, clients int, d time.Duration) (float64, int64) {
	col := stack.Store.Database().Collection("bench_raw")
	var n atomic.Int64
	run := time.Now().UnixNano()
	start := time.Now()
	var wg sync.WaitGroup
	for range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < d {
				i := n.Add(1)
				if _, err := col.InsertOne(context.Background(), bson.M{"_id": fmt.Sprintf("rawload-%d-%d", run, i), "unit": "dmch", "amount": 50000, "kind": "zakat"}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return float64(n.Load()) / time.Since(start).Seconds(), n.Load()
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// processCPU is the CPU time this process (API, store, load generator) has
// used so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func sandboxCPU() time.Duration {
	if sandbox == nil {
		return 0
	}
	return sandbox.CPU()
}
