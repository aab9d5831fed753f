// Package bench measures the platform against its own baselines in the same
// run: the raw store single-insert rate beside donation-create through the
// API (with the bKash sandbox in the path). Run with `make bench`.
//
// The bKash sandbox runs in a process of its own (this test binary started
// again), as bKash does in production: the API then pays for its HTTP calls
// to bKash but not for bKash's side of them. KALYAN_BENCH_SANDBOX=inproc runs
// it inside the benchmark process instead, as the integration tests do.
package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"sort"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/devstack"
)

var (
	stack *devstack.Stack
	// sandbox is the out-of-process bKash sandbox (nil when in process).
	sandbox *sandboxProcess
)

func TestMain(m *testing.M) {
	if os.Getenv(sandboxChildEnv) != "" {
		if err := serveSandboxChild(); err != nil {
			fmt.Fprintln(os.Stderr, "bench sandbox:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(runBenchmarks(m))
}

func runBenchmarks(m *testing.M) int {
	dir, err := os.MkdirTemp("", "kalyan-bench-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	cfg := config.Defaults()
	cfg.HTTPAddr, cfg.WorkerAddr = "127.0.0.1:0", "127.0.0.1:0"
	// Benchmarks send everything from one address: keep the limiter in the
	// path but out of reach.
	cfg.HTTP.RateLimit = 1_000_000
	// The reconciler (a worker, its own process in production) scans every
	// donation version each pass; at the default minute it would land on
	// random phases of a run as a burst of seconds of CPU.
	cfg.Reconcile.Interval = time.Hour
	opts := devstack.Options{Dir: dir, SandboxInMemory: true, Config: &cfg}
	if os.Getenv("KALYAN_BENCH_SANDBOX") != "inproc" {
		if sandbox, err = startSandboxProcess(); err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 1
		}
		defer sandbox.Stop()
		cfg.BKash.BaseURL = sandbox.URL + "/v1.2.0-beta"
		cfg.BKash.Username, cfg.BKash.Password, cfg.BKash.AppKey, cfg.BKash.AppSecret = "kalyan-bench", "sandbox-password", "sandbox-app-key", "sandbox-app-secret"
	}
	stack, err = devstack.Start(context.Background(), opts)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer stack.Close(context.Background())
	return m.Run()
}

const workers = 8

// BenchmarkRawInsert is the baseline: single-document inserts into the same
// store from 8 goroutines.
func BenchmarkRawInsert(b *testing.B) {
	col := stack.Store.Database().Collection("bench_raw")
	var n atomic.Int64
	b.SetParallelism(workers)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			if _, err := col.InsertOne(context.Background(), bson.M{"_id": fmt.Sprintf("raw-%d-%d", time.Now().UnixNano(), i), "unit": "dmch", "amount": 50000, "kind": "zakat"}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "inserts/s")
}

// BenchmarkDonationCreate posts new donations through the HTTP API: unit
// lookup, validation, idempotency check, bKash grant (cached) and create at
// the sandbox, and the store insert.
func BenchmarkDonationCreate(b *testing.B) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	url := stack.APIURL() + "/api/v1/units/dmch/donations"
	body := []byte(`{"amount":"500.00","currency":"BDT","kind":"zakat","donor":{"name":"Bench","phone":"01712345678"},"anonymous":false}`)
	var n atomic.Int64
	var mu sync.Mutex
	var lat []time.Duration
	run := time.Now().UnixNano()
	b.SetParallelism(workers)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var local []time.Duration
		for pb.Next() {
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("bench-%d-%d", run, n.Add(1)))
			start := time.Now()
			res, err := client.Do(req)
			if err != nil {
				b.Fatal(err)
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != 201 {
				b.Fatalf("status %d", res.StatusCode)
			}
			local = append(local, time.Since(start))
		}
		mu.Lock()
		lat = append(lat, local...)
		mu.Unlock()
	})
	peak := float64(b.N) / b.Elapsed().Seconds()
	b.StopTimer()
	b.ReportMetric(peak, "creates/s")
	b.ReportMetric(quantileMS(lat, 0.99), "p99-ms")
	b.ReportMetric(quantileMS(lat, 0.50), "p50-ms")
	// Then an open-loop load at half the peak rate for 3 s: requests start
	// on schedule whether or not earlier ones finished, so queueing shows.
	half := openLoop(b, client, url, body, peak/2, 3*time.Second, run)
	b.ReportMetric(quantileMS(half, 0.99), "p99-at-half-peak-ms")
}

func quantileMS(lat []time.Duration, q float64) float64 {
	if len(lat) == 0 {
		return 0
	}
	s := append([]time.Duration(nil), lat...)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return float64(s[int(float64(len(s)-1)*q)].Microseconds()) / 1000
}

func openLoop(b *testing.B, client *http.Client, url string, body []byte, rate float64, d time.Duration, run int64) []time.Duration {
	interval := time.Duration(float64(time.Second) / rate)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var lat []time.Duration
	sem := make(chan struct{}, 512) // bounds in-flight requests
	start := time.Now()
	for i := 0; time.Since(start) < d; i++ {
		next := start.Add(time.Duration(i) * interval)
		time.Sleep(time.Until(next))
		sem <- struct{}{}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			req, _ := http.NewRequest("POST", url, bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", fmt.Sprintf("half-%d-%d", run, i))
			t0 := time.Now()
			res, err := client.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			_, _ = io.Copy(io.Discard, res.Body)
			res.Body.Close()
			el := time.Since(t0)
			mu.Lock()
			lat = append(lat, el)
			mu.Unlock()
		}()
	}
	wg.Wait()
	return lat
}
