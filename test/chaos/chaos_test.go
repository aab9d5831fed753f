//go:build chaos

// Package chaos is the chaos run (`make chaos`): the real-parts system of
// test/harness takes CHAOS_DONATIONS gifts and CHAOS_AID aid requests while
// a driver SIGKILLs a random worker every CHAOS_KILL_EVERY, Kafka and
// FerretDB are each SIGKILLed and restarted once, and the bKash sandbox
// answers executes with timeouts and cancellations in windows. Afterwards
// the reconciler settles what the donors left open, and the run checks that
// nothing is stuck, no receipt is doubled, serials are gapless and
// `kalyan-worker verify` is clean. docs/chaos.md has the figures.
package chaos

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/test/harness"
)

var sys *harness.System

func TestMain(m *testing.M) {
	env := []string{}
	// How long a killed worker holds up its consumer groups (the workers'
	// KALYAN_KAFKA_SESSION_TIMEOUT; docs/chaos.md).
	if v := os.Getenv("CHAOS_SESSION_TIMEOUT"); v != "" {
		env = append(env, "KALYAN_KAFKA_SESSION_TIMEOUT="+v)
	}
	os.Exit(harness.Main(m, harness.Options{
		Workers: 2,
		Env: append([]string{
			"KALYAN_HTTP_RATE_LIMIT=0",
			"KALYAN_LOG_LEVEL=warn",
			// bKash's answer is given up on before the sandbox's timeout
			// fault releases it: a real "no answer".
			"KALYAN_BKASH_TIMEOUT=4s",
			// Short ages so the reconciler settles closed tabs and expires
			// abandoned payments within the run.
			"KALYAN_RECONCILE_INTERVAL=5s",
			"KALYAN_RECONCILE_AFTER=5s",
			"KALYAN_RECONCILE_EXPIRE=30s",
			// A refund bKash left unanswered is asked about soon, and one
			// it has no record of fails (its hold released) once no call
			// can be in flight: longer than the 4 s timeout and the 6 s
			// fault hold.
			"KALYAN_RECONCILE_REFUND_AFTER=3s",
			"KALYAN_RECONCILE_REFUND_GRACE=20s",
		}, env...),
		SandboxEnv: []string{"BKASH_SANDBOX_FAULT_HOLD=6s"},
	}, func(s *harness.System) { sys = s }))
}

// settings of one run, from CHAOS_* variables.
type settings struct {
	donations, aid, units, concurrency, aidConcurrency int
	// refundEvery: every refundEvery-th gift paid at the counter or on
	// bKash's page is refunded (0: no refunds); refunds.go says how.
	refundEvery, refundConcurrency int
	// rate paces the gifts (per second; 0: as fast as the clients go), so
	// the chaos meets a steady flow rather than a burst.
	rate                                       float64
	killEvery, faultEvery, faultWindow, settle time.Duration
	report                                     string
}

func load(t *testing.T) settings {
	s := settings{
		donations: envInt(t, "CHAOS_DONATIONS", 100_000), aid: envInt(t, "CHAOS_AID", 1_000),
		units: envInt(t, "CHAOS_UNITS", 8), concurrency: envInt(t, "CHAOS_CONCURRENCY", 32),
		aidConcurrency: envInt(t, "CHAOS_AID_CONCURRENCY", 4),
		refundEvery:    envInt(t, "CHAOS_REFUND_EVERY", 20), refundConcurrency: envInt(t, "CHAOS_REFUND_CONCURRENCY", 4),
		rate:        float64(envInt(t, "CHAOS_RATE", 50)),
		killEvery:   envDur(t, "CHAOS_KILL_EVERY", 5*time.Second),
		faultEvery:  envDur(t, "CHAOS_FAULT_EVERY", 20*time.Second),
		faultWindow: envDur(t, "CHAOS_FAULT_WINDOW", 2*time.Second),
		settle:      envDur(t, "CHAOS_SETTLE_TIMEOUT", 60*time.Minute),
		report:      os.Getenv("CHAOS_REPORT"),
	}
	if s.donations < 1 || s.units < 1 || s.concurrency < 1 || s.aid < 0 || s.refundEvery < 0 {
		t.Fatalf("bad CHAOS_* sizes: %+v", s)
	}
	return s
}

// outcomeOf spreads gifts over what donors do: most pay, some leave.
func outcomeOf(i int) harness.Outcome {
	switch r := i % 100; {
	case r < 60:
		return harness.Cash
	case r < 85:
		return harness.Pay
	case r < 90:
		return harness.ClosedTab
	case r < 95:
		return harness.Cancel
	case r < 97:
		return harness.Fail
	default:
		return harness.Abandon
	}
}

var kinds = []string{"general", "general", "sadaqah", "zakat"}

func TestChaos(t *testing.T) {
	cfg := load(t)
	ctx := t.Context()
	units := harness.Units("chaos", cfg.units)
	for _, u := range units {
		if err := sys.RegisterUnit(ctx, u, "Chaos unit "+u); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("chaos: %d gifts (%g/s) and %d aid requests over %d units, %d+%d clients, a worker killed every %s",
		cfg.donations, cfg.rate, cfg.aid, cfg.units, cfg.concurrency, cfg.aidConcurrency, cfg.killEvery)

	start := time.Now()
	chaosCtx, stopChaos := context.WithCancel(ctx)
	var wg sync.WaitGroup
	var kills int
	var killErr error
	wg.Add(1)
	go func() {
		defer wg.Done()
		kills, killErr = sys.KillWorkers(chaosCtx, cfg.killEvery, rand.IntN, nil)
	}()
	var windows atomic.Int64
	wg.Add(1)
	go func() {
		defer wg.Done()
		faultWindows(chaosCtx, cfg, &windows)
	}()
	var given atomic.Int64
	infra := &infraLog{}
	wg.Add(1)
	go func() {
		defer wg.Done()
		infra.run(chaosCtx, t, &given, int64(cfg.donations))
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		watchProgress(chaosCtx, t, units, &given, start)
	}()
	stop := sync.OnceFunc(func() { stopChaos(); wg.Wait() })
	defer stop()

	// Donors and cashiers, and social workers filing aid at the same time.
	var aidIDs []string
	var aidErr error
	aidDone := make(chan struct{})
	go func() {
		defer close(aidDone)
		aidIDs, aidErr = fileAid(ctx, cfg, units, start)
	}()
	// Unit admins refund some of the gifts meanwhile.
	plans := make(chan refundPlan, cfg.donations/max(cfg.refundEvery, 1)+1)
	refunds := newRefundStats()
	refundsDone := make(chan struct{})
	go func() {
		defer close(refundsDone)
		refunder(ctx, cfg, plans, refunds)
	}()
	giftErr := harness.Drive(ctx, cfg.donations, cfg.concurrency, &given, func(ctx context.Context, i int) error {
		if err := harness.Pace(ctx, start, i, cfg.rate); err != nil {
			return err
		}
		g := harness.Gift{Unit: units[i%len(units)], Key: fmt.Sprintf("chaos-%d", i),
			Amount: fmt.Sprintf("%d.00", 100+(i*37)%4900), Kind: kinds[i%len(kinds)], Outcome: outcomeOf(i)}
		id, err := sys.Give(ctx, g)
		if err == nil && cfg.refundEvery > 0 && i%cfg.refundEvery == 1 && (g.Outcome == harness.Cash || g.Outcome == harness.Pay) {
			plans <- refundPlan{i: i, seq: i / cfg.refundEvery, id: id, unit: g.Unit, amount: g.Amount, outcome: g.Outcome}
		}
		return err
	})
	close(plans)
	<-aidDone
	<-refundsDone
	driven := time.Since(start)
	stop()
	if giftErr != nil {
		t.Error(giftErr)
	}
	if aidErr != nil {
		t.Error(aidErr)
	}
	if killErr != nil {
		t.Error(killErr)
	}
	for _, e := range refunds.errs {
		t.Error(e)
	}
	for _, e := range infra.errs {
		t.Error(e)
	}
	if err := sys.SetFaults(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if err := sys.Alive(); err != nil {
		t.Fatal(err)
	}
	t.Logf("chaos: load given in %s (%.1f gifts/s), %d worker kills, %d fault windows; settling",
		driven.Round(time.Second), float64(cfg.donations)/driven.Seconds(), kills, windows.Load())

	// The reconciler settles closed tabs and expires abandoned payments;
	// the deadline only bounds a hang.
	c := settle(t, cfg, units)
	settled := time.Since(start)

	// Staff hand over what was allocated for every third request.
	disbursed := disburse(t, cfg, aidIDs)
	var out string
	deadline := time.Now().Add(10 * time.Minute)
	for {
		var code int
		var err error
		out, code, err = sys.Verify(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if code == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("kalyan-worker verify: %s", out)
		}
		time.Sleep(2 * time.Second)
	}
	final, err := sys.Census(ctx, units)
	if err != nil {
		t.Fatal(err)
	}
	wall := time.Since(start)
	t.Logf("kalyan-worker verify: %s", strings.TrimSpace(out))

	if final.Total != cfg.donations {
		t.Errorf("%d donations stored, %d given", final.Total, cfg.donations)
	}
	if !final.Settled() {
		t.Errorf("not settled: %d still initiated (%v), %d paid without receipt, gifts with an open refund %v, %d completed refunds without a note",
			final.Donations["initiated"], final.NonFinal, final.PaidWithoutReceipt, final.OpenRefunds, final.NotesMissing)
	}
	if final.DuplicateReceipts != 0 {
		t.Errorf("%d gifts with more than one receipt", final.DuplicateReceipts)
	}
	for _, p := range final.SerialProblems {
		t.Error(p)
	}
	if final.Receipts != final.Donations["paid"] {
		t.Errorf("%d receipts for %d paid gifts", final.Receipts, final.Donations["paid"])
	}
	rep := report{cfg: cfg, census: final, settledCensus: c, driven: driven, settled: settled, wall: wall,
		kills: kills, windows: windows.Load(), infra: infra, disbursed: disbursed, verify: strings.TrimSpace(out), failed: t.Failed(),
		refunds: refunds}
	text := rep.String()
	t.Log("\n" + text)
	if cfg.report != "" {
		if err := os.WriteFile(cfg.report, []byte(text), 0o644); err != nil {
			t.Error(err)
		}
	}
}

// faultWindows flips the sandbox's global execute switch to a timeout or
// a cancellation for faultWindow every faultEvery, alternating.
func faultWindows(ctx context.Context, cfg settings, windows *atomic.Int64) {
	faults := []string{"timeout", "cancel"}
	for i := 0; ; i++ {
		select {
		case <-ctx.Done():
			return
		case <-time.After(cfg.faultEvery):
		}
		if sys.SetFaults(ctx, map[string]string{"execute": faults[i%2]}) != nil {
			return
		}
		windows.Add(1)
		select {
		case <-ctx.Done():
		case <-time.After(cfg.faultWindow):
		}
		// Off again even when the run ended meanwhile.
		_ = sys.SetFaults(context.WithoutCancel(ctx), nil)
	}
}

// infraLog restarts Kafka at 30 % of the gifts and FerretDB at 60 % and
// records how /readyz saw each outage.
type infraLog struct {
	lines []string
	errs  []error
}

func (l *infraLog) run(ctx context.Context, t *testing.T, given *atomic.Int64, total int64) {
	steps := []struct {
		name    string
		at      int64
		restart func(context.Context) error
	}{
		{"Kafka", total * 30 / 100, sys.RestartKafka},
		{"FerretDB", total * 60 / 100, sys.RestartFerretDB},
	}
	for _, st := range steps {
		for given.Load() < st.at {
			select {
			case <-ctx.Done():
				return
			case <-time.After(200 * time.Millisecond):
			}
		}
		// Watch /readyz from the kill until it is back.
		began := time.Now()
		watch, stopWatch := context.WithCancel(context.WithoutCancel(ctx))
		var unready atomic.Bool
		watched := make(chan struct{})
		go func() {
			defer close(watched)
			for watch.Err() == nil {
				if !sys.Ready() {
					unready.Store(true)
				}
				time.Sleep(100 * time.Millisecond)
			}
		}()
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		err := st.restart(rctx)
		up := time.Since(began)
		for err == nil && !unready.Load() && time.Since(began) < 5*time.Second {
			time.Sleep(100 * time.Millisecond) // give the probe a look at the outage
		}
		for err == nil && !sys.Ready() {
			if rctx.Err() != nil {
				err = fmt.Errorf("kalyan-api /readyz did not come back after the %s restart", st.name)
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		ready := time.Since(began)
		cancel()
		stopWatch()
		<-watched
		if err != nil {
			l.errs = append(l.errs, fmt.Errorf("restart %s: %w", st.name, err))
			continue
		}
		if !unready.Load() {
			l.errs = append(l.errs, fmt.Errorf("kalyan-api /readyz stayed ready while %s was down", st.name))
		}
		line := fmt.Sprintf("%s SIGKILLed at gift %d and restarted: listening again after %s, kalyan-api ready again after %s (/readyz went unready: %t)",
			st.name, given.Load(), up.Round(100*time.Millisecond), ready.Round(100*time.Millisecond), unready.Load())
		l.lines = append(l.lines, line)
		t.Log("chaos: " + line)
	}
}

// fileAid files, assesses and approves cfg.aid requests (every tenth above
// the approval threshold, so a committee member approves it), spread over
// the time the gifts take when they are paced.
func fileAid(ctx context.Context, cfg settings, units []string, start time.Time) ([]string, error) {
	ids := make([]string, cfg.aid)
	err := harness.Drive(ctx, cfg.aid, cfg.aidConcurrency, nil, func(ctx context.Context, i int) error {
		// As many per second as spreads them over the gifts' time.
		if err := harness.Pace(ctx, start, i, cfg.rate*float64(cfg.aid)/float64(cfg.donations)); err != nil {
			return err
		}
		p := harness.AidPlan{Unit: units[i%len(units)], Key: fmt.Sprintf("chaos-aid-%d", i),
			Amount: fmt.Sprintf("%d.00", 1000+(i*53)%8000), Mobile: fmt.Sprintf("019%08d", i)}
		if i%10 == 0 {
			p.Large, p.Amount = true, fmt.Sprintf("%d.00", 15_000+(i*71)%25_000)
		}
		id, err := sys.FileAid(ctx, p)
		ids[i] = id
		return err
	})
	return ids, err
}

// watchProgress logs, every minute of the load, how many gifts went in,
// how many receipts came out and the relay's backlog: where a pipeline that
// falls behind is losing time.
func watchProgress(ctx context.Context, t *testing.T, units []string, given *atomic.Int64, start time.Time) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(time.Minute):
		}
		p, err := sys.Progress(ctx, units)
		if err != nil {
			if ctx.Err() == nil {
				t.Logf("chaos: progress: %v", err)
			}
			continue
		}
		t.Logf("chaos: at %s: %d gifts given, %d receipts, outbox backlog %d, %d gifts open",
			time.Since(start).Round(time.Second), given.Load(), p.Receipts, p.Outbox, p.Open)
	}
}

// settle waits until every gift is final and every paid gift receipted. A
// census reads every gift, which at 100,000 gifts costs the store more than
// the pipeline it watches: between censuses it looks at cheap counts, and
// takes a census when they say the pipeline went quiet (or every 10 minutes,
// as those counts rest on hints).
func settle(t *testing.T, cfg settings, units []string) *harness.Census {
	deadline := time.Now().Add(cfg.settle)
	lastCensus := time.Time{}
	var last harness.Progress
	for {
		p, err := sys.Progress(t.Context(), units)
		if err != nil {
			t.Fatal(err)
		}
		quiet := p.Outbox == 0 && p.Open == 0 && p.Receipts == last.Receipts
		last = p
		if quiet || time.Since(lastCensus) > 10*time.Minute {
			lastCensus = time.Now()
			c, err := sys.Census(t.Context(), units)
			if err != nil {
				t.Fatal(err)
			}
			if c.Settled() {
				return c
			}
			t.Logf("chaos: settling: %s", c)
		} else {
			t.Logf("chaos: settling: %d receipts, outbox backlog %d, %d gifts open", p.Receipts, p.Outbox, p.Open)
		}
		if time.Now().After(deadline) {
			t.Fatalf("not settled after %s", cfg.settle)
		}
		time.Sleep(10 * time.Second)
	}
}

// disburse records in-kind disbursement of every third request that is
// fully allocated, and returns how many.
func disburse(t *testing.T, cfg settings, ids []string) int {
	var n atomic.Int64
	err := harness.Drive(t.Context(), len(ids), cfg.aidConcurrency, nil, func(ctx context.Context, i int) error {
		if i%3 != 0 || ids[i] == "" {
			return nil
		}
		unit := harness.Units("chaos", cfg.units)[i%cfg.units]
		tok, err := sys.Token(ctx, "social_worker", unit)
		if err != nil {
			return err
		}
		h := map[string]string{"Authorization": "Bearer " + tok}
		r, err := sys.Persist(ctx, "GET", "/api/v1/aid-requests/"+ids[i], nil, h, 200)
		if err != nil {
			return err
		}
		var q struct {
			Status    string `json:"status"`
			Allocated string `json:"allocated"`
		}
		if err := json.Unmarshal(r.Body, &q); err != nil || q.Status != "allocated" {
			return err
		}
		if err := sys.Disburse(ctx, unit, ids[i], q.Allocated); err != nil {
			return err
		}
		n.Add(1)
		return nil
	})
	if err != nil {
		t.Error(err)
	}
	return int(n.Load())
}

func envInt(t *testing.T, name string, def int) int {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(strings.ReplaceAll(v, "_", ""))
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return n
}

func envDur(t *testing.T, name string, def time.Duration) time.Duration {
	v := os.Getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil {
		t.Fatalf("%s=%q: %v", name, v, err)
	}
	return d
}
