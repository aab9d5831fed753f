package bench

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"runtime/pprof"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/segmentio/kafka-go"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/kafkabus"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/platform"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// The consumer benchmarks run the worker's real consumer groups (as
// platform.Worker builds them: batches, retry, metrics) on topics of their
// own, fed from Kafka: real Apache Kafka when KALYAN_BENCH_KAFKA names a
// broker (`make bench` starts one with hack/kafka.sh), otherwise the
// in-process kfake broker of the stack. Each reports, from the same run and
// right after its timed part, the raw single-insert rate of the store and
// the raw kafka-go consume rate of the topic it read.

const (
	streamUnits = 4    // a stream spans several units, one partition each at most
	streamSize  = 4000 // events per measured stream
)

func benchKafka() (brokers []string, kind string) {
	if v := os.Getenv("KALYAN_BENCH_KAFKA"); v != "" {
		return strings.Split(v, ","), "apache-kafka"
	}
	return stack.Config.Kafka.Brokers, "kfake"
}

// benchWorker builds the worker's consumers on fresh topics and groups.
type benchWorker struct {
	brokers []string
	topics  platform.Topics
	pub     *kafkabus.Publisher
	groups  map[string]*kafkabus.Consumer
	handled map[string]*atomic.Int64 // events each group has handled
	// started is the clock at the first event any group began to handle:
	// joining the consumer group (seconds on a real broker) is start-up,
	// not throughput, and the raw consume rate leaves it out likewise.
	started atomic.Pointer[clock]
	run     string
}

func (bw *benchWorker) mark() {
	if bw.started.Load() == nil {
		c := startClock()
		bw.started.CompareAndSwap(nil, &c)
	}
}

func newBenchWorker(b *testing.B, run string) *benchWorker {
	b.Helper()
	brokers, _ := benchKafka()
	t := platform.Topics{Donations: "bench.donations." + run, Aid: "bench.aid." + run}
	// One call per topic: kafka-go reports one topic's "already exists"
	// for the whole request.
	for _, topic := range []string{t.Donations, t.Aid, events.TopicDeadLetter} {
		if err := kafkabus.EnsureTopics(context.Background(), brokers, streamUnits, 1, topic); err != nil {
			b.Fatal(err)
		}
	}
	cfg := stack.Config
	cfg.Kafka.Brokers = brokers
	w := platform.NewWorker(cfg, stack.Store, slog.New(slog.DiscardHandler))
	pub := kafkabus.NewPublisher(brokers)
	bw := &benchWorker{brokers: brokers, topics: t, pub: pub, groups: map[string]*kafkabus.Consumer{}, handled: map[string]*atomic.Int64{}, run: run}
	for _, c := range w.Consumers(pub, t) {
		name := c.Group
		c.Group = name + "-bench-" + run // never shares a group with the stack's own workers
		bw.groups[name] = c
		// Count handled events in process: polling the store for progress
		// would add reads to what is measured.
		n := &atomic.Int64{}
		bw.handled[name] = n
		h := c.Handler
		c.Handler = func(ctx context.Context, e events.Envelope) error {
			bw.mark()
			err := h(ctx, e)
			if err == nil {
				n.Add(1)
			}
			return err
		}
		if batch := c.Batch; batch != nil {
			trace := os.Getenv("KALYAN_BENCH_TRACE") != ""
			c.Batch = func(ctx context.Context, es []events.Envelope) error {
				bw.mark()
				start := time.Now()
				err := batch(ctx, es)
				if err == nil {
					n.Add(int64(len(es)))
				}
				if trace {
					fmt.Fprintf(os.Stderr, "%s batch %d events %s err=%v\n", name, len(es), time.Since(start).Round(time.Microsecond), err)
				}
				return err
			}
		}
	}
	return bw
}

// start runs the named groups until the returned stop is called.
func (bw *benchWorker) start(groups ...string) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, g := range groups {
		c := bw.groups[g]
		wg.Add(1)
		go func() {
			defer wg.Done()
			_ = c.Run(ctx)
		}()
	}
	return func() {
		cancel()
		wg.Wait()
		_ = bw.pub.Close()
	}
}

func (bw *benchWorker) publish(b *testing.B, topic string, envs []events.Envelope) {
	b.Helper()
	for lo := 0; lo < len(envs); lo += 500 {
		var err error
		// A new topic may take a moment to be known to every broker.
		for try := 0; try < 50; try++ {
			if err = bw.pub.Publish(context.Background(), topic, envs[lo:min(lo+500, len(envs))]...); err == nil {
				break
			}
			time.Sleep(100 * time.Millisecond)
		}
		if err != nil {
			b.Fatal(err)
		}
	}
}

// benchUnits registers n fresh units.
func benchUnits(b *testing.B, prefix string, n int) []string {
	b.Helper()
	codes := make([]string, n)
	for i := range codes {
		codes[i] = fmt.Sprintf("%s-%d", prefix, i)
		benchUnit(b, codes[i])
	}
	return codes
}

var unitCache sync.Map

func stackUnit(b *testing.B, code string) *units.Unit {
	b.Helper()
	if u, ok := unitCache.Load(code); ok {
		return u.(*units.Unit)
	}
	u, err := stack.Store.Units().Get(context.Background(), code)
	if err != nil {
		b.Fatal(err)
	}
	unitCache.Store(code, u)
	return u
}

// snapshotModes are the two ways a consumer learns what it needs beyond the
// event's plain fields: "read" (events without sealed snapshots, as before
// ADR 0005: one point read per event) and "sealed" (the snapshot in the
// event, opened with the seal key).
var snapshotModes = []string{"read", "sealed"}

// benchSealer is the stack's seal key holder (the worker's is built from
// the same configuration).
func benchSealer(b *testing.B) *signing.Sealer {
	b.Helper()
	k, err := signing.ParseSealKey(stack.Config.SealKey)
	if err != nil {
		b.Fatal(err)
	}
	s, err := signing.NewSealer(k)
	if err != nil {
		b.Fatal(err)
	}
	return s
}

// paidGifts stores n initiated donations spread over units (what the
// receipt worker reads the donor from without a snapshot) and returns their
// donation.paid events, as the relay publishes them; sealed, they carry the
// donor snapshot.
func paidGifts(b *testing.B, unitCodes []string, n int, run string, sealed bool) []events.Envelope {
	b.Helper()
	type version struct {
		DocID               string `bson:"_id"`
		*donations.Donation `bson:",inline"`
		Published           bool `bson:"published"`
	}
	now := time.Now()
	docs := make([]any, 0, n)
	envs := make([]events.Envelope, 0, n)
	sealer := benchSealer(b)
	var req donations.Request
	req.Amount, req.Currency, req.Kind = "500.00", "BDT", "general"
	req.Donor.Name, req.Donor.Phone = "Bench Donor", "01712345678"
	for i := 0; i < n; i++ {
		u := stackUnit(b, unitCodes[i%len(unitCodes)])
		d, err := donations.New(u, fmt.Sprintf("don_bench_%s_%d", run, i), donations.BKash, req, now)
		if err != nil {
			b.Fatal(err)
		}
		d.Version = 1
		docs = append(docs, version{DocID: d.ID + "#1", Donation: d, Published: true})
		p := donations.PaidPayload{Donation: d.ID, Amount: d.Amount, Kind: d.Kind, Method: d.Method, TrxID: fmt.Sprintf("TRX%s%d", run, i), PaidAt: now}
		if sealed {
			if p.DonorSealed, err = app.SealDonor(sealer, d); err != nil {
				b.Fatal(err)
			}
		}
		e, err := events.New(donations.PaidEventID(d.ID), events.DonationPaid, d.Unit, now, p)
		if err != nil {
			b.Fatal(err)
		}
		envs = append(envs, e)
	}
	col := stack.Store.Database().Collection("donation_versions")
	for lo := 0; lo < len(docs); lo += 500 {
		if _, err := col.InsertMany(context.Background(), docs[lo:min(lo+500, len(docs))]); err != nil {
			b.Fatal(err)
		}
	}
	return envs
}

// measure runs the groups over the stream (streamSize events each) and
// returns the rates from the first batch on; the benchmark's timer runs
// only meanwhile.
func (bw *benchWorker) measure(b *testing.B, profile string, groups ...string) (wall, cpu float64) {
	b.Helper()
	b.StartTimer()
	endProfile := profileTimed(b, profile)
	stop := bw.start(groups...)
	bw.waitHandled(b, streamSize, groups...)
	wall, cpu = bw.started.Load().rates(streamSize)
	endProfile()
	b.StopTimer()
	stop()
	return wall, cpu
}

// waitHandled waits until each group has handled n events.
func (bw *benchWorker) waitHandled(b *testing.B, n int64, groups ...string) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for _, g := range groups {
		for bw.handled[g].Load() < n {
			if time.Now().After(deadline) {
				b.Fatalf("%s: %d of %d events after 10 minutes", g, bw.handled[g].Load(), n)
			}
			time.Sleep(2 * time.Millisecond)
		}
	}
}

// waitFor polls done (cheap _id look-ups) until it holds.
func waitFor(b *testing.B, what string, done func() (bool, error)) {
	b.Helper()
	deadline := time.Now().Add(10 * time.Minute)
	for {
		ok, err := done()
		if err != nil {
			b.Fatal(err)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%s: not done after 10 minutes", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func receiptsDone(unitCodes []string, n int, fy string) func() (bool, error) {
	repo := stack.Store.Receipts()
	return func() (bool, error) {
		total := int64(0)
		for _, u := range unitCodes {
			last, err := repo.LastSeq(context.Background(), u, fy)
			if err != nil {
				return false, err
			}
			total += last
		}
		return total >= int64(n), nil
	}
}

// fundsAt reports when every unit's general fund holds want (per unit).
func fundsAt(unitCodes []string, want func(unit string) money.Amount) func() (bool, error) {
	book := stack.Store.Ledger()
	return func() (bool, error) {
		for _, u := range unitCodes {
			bal, err := book.FundBalances(context.Background(), u)
			if err != nil {
				return false, err
			}
			if bal["fund:general"] != want(u) {
				return false, nil
			}
		}
		return true, nil
	}
}

// cpuTime is the CPU time this process (store, broker if in-process,
// consumers) has used: rates per CPU-second do not depend on what other
// programs on the machine are doing.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// clock measures a timed part in wall and CPU time.
type clock struct {
	wall time.Time
	cpu  time.Duration
}

func startClock() clock { return clock{wall: time.Now(), cpu: cpuTime()} }

// profileTimed writes a CPU profile of the timed part alone to
// $KALYAN_BENCH_PROFILE-<name>.prof when that variable is set.
func profileTimed(b *testing.B, name string) (stop func()) {
	b.Helper()
	prefix := os.Getenv("KALYAN_BENCH_PROFILE")
	if prefix == "" {
		return func() {}
	}
	f, err := os.Create(prefix + "-" + name + ".prof")
	if err != nil {
		b.Fatal(err)
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		b.Fatal(err)
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}

// rates returns n per wall-second and per CPU-second since the start.
func (c clock) rates(n int) (wall, cpu float64) {
	return float64(n) / time.Since(c.wall).Seconds(), float64(n) / (cpuTime() - c.cpu).Seconds()
}

// rawInsertRate is the store's single-insert rate from 8 goroutines over d,
// per wall-second and per CPU-second.
func rawInsertRate(b *testing.B, d time.Duration) (float64, float64) {
	b.Helper()
	col := stack.Store.Database().Collection("bench_raw")
	var n atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	clk := startClock()
	for g := 0; g < workers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Since(start) < d {
				i := n.Add(1)
				if _, err := col.InsertOne(context.Background(), bson.M{"_id": fmt.Sprintf("raw-%d-%d", start.UnixNano(), i), "unit": "dmch", "amount": 50000, "kind": "zakat"}); err != nil {
					b.Error(err)
					return
				}
			}
		}()
	}
	wg.Wait()
	return clk.rates(int(n.Load()))
}

// rawConsumeRate reads n messages of topic in a new consumer group with
// kafka-go, committing every 200 as the worker does, and nothing else.
func rawConsumeRate(b *testing.B, brokers []string, topic string, n int) float64 {
	b.Helper()
	r := kafka.NewReader(kafka.ReaderConfig{Brokers: brokers, GroupID: "bench-raw-" + topic, Topic: topic,
		MinBytes: 1, MaxBytes: 10 << 20, MaxWait: 250 * time.Millisecond, StartOffset: kafka.FirstOffset, QueueCapacity: 1000})
	defer r.Close()
	ctx := context.Background()
	// Join the group before the clock starts, as the worker's groups had.
	first, err := r.FetchMessage(ctx)
	if err != nil {
		b.Fatal(err)
	}
	batch := []kafka.Message{first}
	start := time.Now()
	for got := 1; got < n; got++ {
		m, err := r.FetchMessage(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if batch = append(batch, m); len(batch) == 200 {
			if err := r.CommitMessages(ctx, batch...); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := r.CommitMessages(ctx, batch...); err != nil {
		b.Fatal(err)
	}
	return float64(n-1) / time.Since(start).Seconds()
}

// baselines reports a timed part's rates beside the raw rates measured
// right after it: the store's single-insert rate and kafka-go's consume rate
// of the same topic. The ratios are per wall-second and per CPU-second of
// the process (the machine is shared, so the second is the steadier).
func baselines(b *testing.B, unit string, wall, cpu float64, brokers []string, topic string, n int) {
	b.Helper()
	rawWall, rawCPU := rawInsertRate(b, 2*time.Second)
	b.ReportMetric(wall, unit+"/s")
	b.ReportMetric(cpu, unit+"/cpu-s")
	b.ReportMetric(rawWall, "raw-inserts/s")
	b.ReportMetric(rawCPU, "raw-inserts/cpu-s")
	b.ReportMetric(rawConsumeRate(b, brokers, topic, n), "raw-consume-msgs/s")
	b.ReportMetric(100*wall/rawWall, "%-of-raw-insert")
	b.ReportMetric(100*cpu/rawCPU, "%-of-raw-insert-cpu")
}

// paidStream sets up (untimed) a worker, 4 fresh units and 4,000 of their
// donation.paid events waiting in its donations topic.
func paidStream(b *testing.B, prefix, mode string) (*benchWorker, []string, string) {
	b.Helper()
	b.StopTimer()
	run := fmt.Sprint(time.Now().UnixNano())
	bw := newBenchWorker(b, run)
	codes := benchUnits(b, prefix+run[len(run)-6:], streamUnits)
	bw.publish(b, bw.topics.Donations, paidGifts(b, codes, streamSize, run, mode == "sealed"))
	return bw, codes, receipts.FiscalYear(time.Now())
}

// BenchmarkReceiptWorker: 4,000 donation.paid events of 4 units wait in
// Kafka; the kalyan-receipts group (signed receipts, gapless serials) works
// them off. Clock: from the first batch (the group has joined) to the last
// receipt stored.
func BenchmarkReceiptWorker(b *testing.B) {
	brokers, kind := benchKafka()
	b.Logf("kafka: %s %v", kind, brokers)
	for _, mode := range snapshotModes {
		b.Run(mode, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				bw, codes, fy := paidStream(b, "bench-rcpt-", mode)
				wall, cpu := bw.measure(b, "receipts-"+mode, "kalyan-receipts")
				waitFor(b, "receipts", receiptsDone(codes, streamSize, fy))
				baselines(b, "receipts", wall, cpu, brokers, bw.topics.Donations, streamSize)
			}
		})
	}
}

// BenchmarkPipeline: 4,000 donation.paid events of 4 units wait in Kafka;
// the kalyan-ledger and kalyan-receipts groups run side by side. Clock: from
// the first batch until every gift is both credited and receipted.
func BenchmarkPipeline(b *testing.B) {
	brokers, kind := benchKafka()
	b.Logf("kafka: %s %v", kind, brokers)
	for _, mode := range snapshotModes {
		b.Run(mode, func(b *testing.B) {
			for i := 0; i < b.N; i++ {
				bw, codes, fy := paidStream(b, "bench-pipe-", mode)
				perUnit := money.Taka(500) * money.Amount(streamSize/streamUnits)
				wall, cpu := bw.measure(b, "pipeline-"+mode, "kalyan-ledger", "kalyan-receipts")
				waitFor(b, "receipts", receiptsDone(codes, streamSize, fy))
				waitFor(b, "ledger", fundsAt(codes, func(string) money.Amount { return perUnit }))
				baselines(b, "gifts", wall, cpu, brokers, bw.topics.Donations, streamSize)
			}
		})
	}
}

// BenchmarkAllocationStream: 4,000 aid.approved events of 4 units (funds
// available) wait in Kafka; the kalyan-allocation group works them off, as
// in production (one consumer per partition, a unit's events in order).
// Clock: from the first batch to the last allocation in the ledger.
func BenchmarkAllocationStream(b *testing.B) {
	brokers, kind := benchKafka()
	b.Logf("kafka: %s %v", kind, brokers)
	const amount = 100
	for _, mode := range snapshotModes {
		b.Run(mode, func(b *testing.B) { allocationStream(b, brokers, amount, mode == "sealed") })
	}
}

func allocationStream(b *testing.B, brokers []string, amount int64, sealed bool) {
	sealer := benchSealer(b)
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		run := fmt.Sprint(time.Now().UnixNano())
		bw := newBenchWorker(b, run)
		codes := benchUnits(b, "bench-allo-"+run[len(run)-6:], streamUnits)
		funds := money.Taka(1_00_00_000)
		for _, u := range codes {
			credit(b, u, funds, "bench-gift-"+u)
		}
		envs := make([]events.Envelope, 0, streamSize)
		perUnit := streamSize / streamUnits
		for k, u := range codes {
			for _, q := range approvedRequests(b, u, perUnit, money.Taka(amount), fmt.Sprintf("%s_%d", run, k)) {
				p := aid.ApprovedPayload{Request: q.ID, Amount: money.Taka(amount), Version: q.Version}
				if sealed {
					var err error
					if p.Sealed, err = app.SealApproved(sealer, q); err != nil {
						b.Fatal(err)
					}
				}
				e, err := events.New(q.ID+"/approved", aid.EventApproved, u, time.Now(), p)
				if err != nil {
					b.Fatal(err)
				}
				envs = append(envs, e)
			}
		}
		bw.publish(b, bw.topics.Aid, envs)
		left := funds - money.Taka(amount)*money.Amount(perUnit)
		wall, cpu := bw.measure(b, "allocation-"+map[bool]string{false: "read", true: "sealed"}[sealed], "kalyan-allocation")
		waitFor(b, "allocations", fundsAt(codes, func(string) money.Amount { return left }))
		baselines(b, "allocations", wall, cpu, brokers, bw.topics.Aid, streamSize)
	}
}
