package bench

import (
	"context"
	"fmt"
	"net/http"
	"os"
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

// BenchmarkIntakeLoad drives donation intake with vegeta over loopback and
// measures the raw store insert rate in the same run, interleaved so that
// both see the same machine:
//
//  1. raw single-document inserts, 8 goroutines (first half of the baseline);
//  2. intake at its peak: vegeta with 8 workers and no rate limit
//     (closed loop), every request a new gift with its own Idempotency-Key;
//  3. raw inserts again (second half of the baseline);
//  4. intake open loop at half the measured peak: p99 with queueing shown.
//
// Every request must answer 201. Run it alone and once:
// go test -run '^$' -bench IntakeLoad -benchtime 1x ./test/bench/
func BenchmarkIntakeLoad(b *testing.B) {
	phase := loadPhase(b)
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
	attack := func(name string, rate vegeta.Rate, d time.Duration) *vegeta.Metrics {
		atk := vegeta.NewAttacker(vegeta.Workers(workers), vegeta.MaxWorkers(loadMaxWorkers(rate)),
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

	attack("warm-up", closedLoop, time.Second)
	// Other work on the machine moves every figure: say how busy it was.
	if la, err := os.ReadFile("/proc/loadavg"); err == nil {
		b.Logf("load average before: %s", strings.TrimSpace(string(la)))
	}
	b.ResetTimer()
	rawCPU := processCPU()
	raw1, rawN1 := rawInserts(b, phase)
	rawCPU = processCPU() - rawCPU
	cpu0, sbx0 := processCPU(), sandboxCPU()
	peak := attack("peak", closedLoop, phase)
	cpu1, sbx1 := processCPU(), sandboxCPU()
	raw2, _ := rawInserts(b, phase)
	half := attack("half-peak", vegeta.Rate{Freq: max(1, int(peak.Throughput/2)), Per: time.Second}, phase)
	b.StopTimer()

	raw := (raw1 + raw2) / 2
	b.ReportMetric(raw, "raw-inserts/s")
	b.ReportMetric(peak.Throughput, "creates/s")
	b.ReportMetric(100*peak.Throughput/raw, "%-of-raw")
	b.ReportMetric(ms(peak.Latencies.P50), "p50-ms")
	b.ReportMetric(ms(peak.Latencies.P99), "p99-ms")
	b.ReportMetric(half.Rate, "half-rate/s")
	b.ReportMetric(ms(half.Latencies.P50), "p50-at-half-ms")
	b.ReportMetric(ms(half.Latencies.P99), "p99-at-half-ms")
	b.ReportMetric(float64(rawCPU.Microseconds())/float64(rawN1), "raw-cpu-µs/insert")
	if reqs := float64(peak.Requests); reqs > 0 {
		b.ReportMetric(float64((cpu1-cpu0).Microseconds())/reqs, "proc-cpu-µs/create")
		if sandbox != nil {
			b.ReportMetric(float64((sbx1-sbx0).Microseconds())/reqs, "bkash-cpu-µs/create")
		}
	}
	b.Logf("raw inserts/s %.0f then %.0f; peak %d requests, success %.1f%%; half-peak %d requests at %.0f/s, success %.1f%%",
		raw1, raw2, peak.Requests, 100*peak.Success, half.Requests, half.Rate, 100*half.Success)
}

// loadMaxWorkers: a closed loop is exactly the 8 workers; an open loop may
// add workers when requests queue, as a real crowd of donors would.
func loadMaxWorkers(r vegeta.Rate) uint64 {
	if r.Freq == 0 {
		return workers
	}
	return 1024
}

// rawInserts is the baseline: single-document inserts into the same store
// from 8 goroutines for d: inserts per second and how many.
func rawInserts(b *testing.B, d time.Duration) (float64, int64) {
	col := stack.Store.Database().Collection("bench_raw")
	var n atomic.Int64
	run := time.Now().UnixNano()
	start := time.Now()
	var wg sync.WaitGroup
	for range workers {
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
