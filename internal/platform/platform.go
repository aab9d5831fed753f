// Package platform wires adapters into the app for the two long-running
// processes, kalyan-api and kalyan-worker. The production mains and the
// embedded development stack both build on it, so they run the same code.
package platform

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/cenkalti/backoff/v5"
	"github.com/gofiber/fiber/v2"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/errgroup"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/bkash"
	"github.com/kalyan-platform/kalyan/internal/bkashgateway"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/console"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/donorweb"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/httpapi"
	"github.com/kalyan-platform/kalyan/internal/kafkabus"
	"github.com/kalyan-platform/kalyan/internal/metrics"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/oversight"
	"github.com/kalyan-platform/kalyan/internal/webkit"
	"github.com/kalyan-platform/kalyan/internal/zakat"
)

// Logger returns the JSON logger all processes use.
func Logger(level string) *slog.Logger {
	var l slog.Level
	_ = l.UnmarshalText([]byte(level))
	return slog.New(slog.NewJSONHandler(os.Stderr, &slog.HandlerOptions{Level: l}))
}

// Verifier builds the staff token verifier: the identity provider's JWKS in
// production, the local development key otherwise.
func Verifier(ctx context.Context, c config.Config) (*auth.Verifier, error) {
	if c.Auth.JWKSURL != "" {
		return auth.NewJWKSVerifier(ctx, c.Auth.JWKSURL, c.Auth.Issuer, c.Auth.Audience)
	}
	v, _, err := auth.LocalKeys(c.Auth.KeyFile, c.Auth.Issuer, c.Auth.Audience)
	return v, err
}

func ready(store *mongostore.Store, brokers []string) func(ctx context.Context) error {
	return func(ctx context.Context) error {
		if err := store.Ping(ctx); err != nil {
			return fmt.Errorf("mongodb: %w", err)
		}
		return kafkabus.Ping(ctx, brokers)
	}
}

// gateway builds the bKash payments adapter and the store of units' own
// merchant credentials it opens (sealed with the seal key). Storing new
// credentials through the returned Merchants drops this process's token for
// them at once.
func gateway(c config.Config, store *mongostore.Store, log *slog.Logger) (*bkashgateway.Gateway, *app.Merchants) {
	return NewGateway(c, store, log, time.Now, replicaName())
}

// NewGateway is gateway with the clock and this process's name among the
// fleet's token holders given: every process of the fleet shares one bKash
// token per merchant through the store (ADR 0008).
func NewGateway(c config.Config, store *mongostore.Store, log *slog.Logger, now func() time.Time, holder string) (*bkashgateway.Gateway, *app.Merchants) {
	merchant := bkash.Credentials{Username: c.BKash.Username, Password: c.BKash.Password, AppKey: c.BKash.AppKey, AppSecret: c.BKash.AppSecret}
	// One keep-alive pool for all merchants: http.DefaultTransport keeps only
	// two idle connections per host, so concurrent gifts would redial bKash.
	bkashHTTP := &http.Client{Transport: &http.Transport{
		Proxy: http.ProxyFromEnvironment, MaxIdleConns: 256, MaxIdleConnsPerHost: 128,
		IdleConnTimeout: 90 * time.Second, TLSHandshakeTimeout: 10 * time.Second, ForceAttemptHTTP2: true,
	}}
	seal := sealer(c, log)
	merchants := &app.Merchants{Store: store.Merchants(), Sealer: seal, Now: now}
	tokens := &bkashgateway.SharedTokens{
		Repo: store.BKashTokens(), Sealer: seal, Holder: holder,
		// A window longer than a renewal takes (two bKash calls of at most
		// the call timeout each would be 60 s; they take well under a
		// second): a holder that dies mid-renewal hands over a minute later,
		// while the old token still has five minutes to live.
		Lease: func(m string) bkashgateway.Lease {
			return store.Lease("bkash-token/"+m, holder, time.Minute, now)
		},
	}
	gw := bkashgateway.New(bkash.Config{BaseURL: c.BKash.BaseURL, Timeout: c.BKash.Timeout, Logger: log, HTTPClient: bkashHTTP, Now: now, Tokens: tokens},
		bkashgateway.Options{Platform: merchant, PlatformShortCode: c.BKash.ShortCode, Stored: merchants, Log: log, Now: now, RefundV1: c.BKash.RefundV1})
	merchants.Check, merchants.Changed = gw.Check, gw.Forget
	return gw, merchants
}

// API is the kalyan-api process.
type API struct {
	App       *fiber.App
	Donations *app.Donations
	Units     *app.Units
	// Keys manages the units' receipt signing keys.
	Keys *app.UnitKeys
	// AppGifts claims gifts made in the bKash app.
	AppGifts *app.AppGifts
}

// NewAPI wires the HTTP API.
func NewAPI(c config.Config, store *mongostore.Store, verifier *auth.Verifier, log *slog.Logger) *API {
	m := metrics.New()
	now := time.Now
	gw, merchants := gateway(c, store, log)
	slugs, keys := store.Slugs(), store.IdempotencyKeys()
	unitSvc := &app.Units{Store: store.Units(), Now: now, CacheTTL: 5 * time.Second, Merchants: merchants, PlatformMerchant: c.BKash.Username,
		Slugs: slugs}
	rp, statements, pdf := apiReceiptDeps(c, store, log)
	don := &app.Donations{
		Units: unitSvc, Repo: store.Donations(), Receipts: store.Receipts(), Payments: gw, Ledger: store.Ledger(),
		RefundGrace: c.Reconcile.RefundGrace,
		PublicURL:   strings.TrimRight(c.PublicURL, "/"), Now: now, Log: log,
		Observe: func(k donations.Kind, s donations.Status) { m.Donations.WithLabelValues(string(k), string(s)).Inc() },
		Seal:    rp.sealer, IDs: rp.sealer, Keys: keys,
		Profiles: store.DonorProfiles(), DonorRef: rp.sealer.DonorRef,
	}
	over := oversight.Deps{
		Reports: &app.Reports{Facts: store.ReportFacts(), Ledger: store.Ledger(), Units: store.Units(), Waitlists: store.Waitlists(), Now: now, TTL: 5 * time.Second,
			ReportTTL: 5 * time.Second},
		Cases: &app.Cases{Aid: store.AidRequests(), Audit: store.CaseOpenings(), Now: now},
		Units: store.Units(), Verifier: verifier, PDF: pdf, Sealer: rp.sealer, Log: log,
	}
	transparency := &app.Transparency{Ledger: store.Ledger(), Units: unitSvc, TTL: 2 * time.Second, Now: now}
	linkSvc := &app.Links{Store: store.Links(), Units: unitSvc, Now: now, Slugs: slugs}
	aidSvc := &app.Aid{Store: store.AidRequests(), Units: unitSvc, Ledger: store.Ledger(), Now: now, Log: log, Snapshots: rp.sealer, Keys: keys}
	cashBook := &app.CashBook{Store: store.CashBook(), Units: unitSvc, Now: now}
	appGifts := &app.AppGifts{Donations: don, Search: gw, Trx: store.Donations(), Limits: store.RateLimits(),
		Window: c.BKash.RefundWindow, PerIP: c.HTTP.ClaimsPerHour, NumberRef: rp.sealer.DonorRef}
	fa := webkit.New(webkit.Config{
		Verifier: verifier, Metrics: m, Log: log, PublicURL: strings.TrimRight(c.PublicURL, "/"),
		BodyLimit: c.HTTP.BodyLimit, ReadTimeout: c.HTTP.ReadTimeout, WriteTimeout: c.HTTP.WriteTimeout,
		RateLimit: c.HTTP.RateLimit, TrustedProxies: c.HTTP.TrustedProxies,
	},
		httpapi.Routes(httpapi.Deps{
			Receipts: rp.receipts, Keys: rp.keys, Statements: statements, PDF: pdf, Citation: c.Receipts.Citation,
			Units: unitSvc, Registry: &app.UnitRegistry{Units: unitSvc, Keys: rp.keys}, Donations: don, Transparency: transparency, Links: linkSvc, Aid: aidSvc, AppGifts: appGifts,
			Ready:     ready(store, c.Kafka.Brokers),
			GrantFund: &app.GrantFund{Units: unitSvc, Ledger: store.Ledger(), Allocations: store.GrantAllocations(), Keys: keys, Now: now},
			Transfers: &app.FundTransfers{Units: unitSvc, Ledger: store.Ledger(), Keys: keys, Now: now},
			CashBook:  cashBook,
		}),
		donorweb.Routes(donorweb.Deps{
			Units: unitSvc, Donations: don, Transparency: transparency, Links: linkSvc, AppGifts: appGifts,
			Receipts: rp.receipts, Statements: statements, PDF: pdf, Citation: c.Receipts.Citation,
			MyGifts: &app.MyGifts{Statements: statements, Profiles: store.DonorProfiles(), Erasures: store.ErasureRequests()},
			// Validate has checked the zakat settings; a zero value means defaults.
			Zakat: zakatSettings(c),
		}),
		console.Routes(console.Deps{Units: unitSvc, Aid: aidSvc, Donations: don, Receipts: rp.receipts, CashBook: cashBook,
			GiftSearch: &app.GiftSearch{Lookup: store.CashBook(), Donations: don}, Statements: statements, Links: linkSvc, PDF: pdf, Citation: c.Receipts.Citation}),
		func(a *fiber.App, _ *webkit.Kit) { oversight.Routes(a, over) },
	)
	return &API{App: fa, Donations: don, Units: unitSvc, Keys: rp.keys, AppGifts: appGifts}
}

// PrepareStore readies the database for the API: unit codes and link slugs
// stored before the slug registry existed are claimed in it.
func PrepareStore(ctx context.Context, store *mongostore.Store, log *slog.Logger) error {
	both, err := store.BackfillSlugs(ctx, time.Now())
	if err != nil {
		return err
	}
	for _, s := range both {
		log.WarnContext(ctx, "a unit's code is also a link's slug (from before the slug registry): /d/ serves the link; disable it", "slug", s)
	}
	return nil
}

// Serve serves the API on ln until ctx ends, then drains in-flight requests.
func (a *API) Serve(ctx context.Context, ln net.Listener) error {
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		if err := a.App.Listener(ln); err != nil && !errors.Is(err, net.ErrClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		err := a.App.ShutdownWithTimeout(20 * time.Second)
		// A shutdown that lands before fasthttp has registered the listener
		// is a no-op, so close the listener too: Listener then returns.
		_ = ln.Close()
		return err
	})
	return g.Wait()
}

// Worker is the kalyan-worker process: the outbox relay and the consumers.
type Worker struct {
	cfg     config.Config
	store   *mongostore.Store
	log     *slog.Logger
	metrics *metrics.Metrics
}

// NewWorker wires the workers.
func NewWorker(c config.Config, store *mongostore.Store, log *slog.Logger) *Worker {
	return &Worker{cfg: c, store: store, log: log, metrics: metrics.New()}
}

// Run runs the relay, the consumers and the operational endpoints on ln
// until ctx ends.
func (w *Worker) Run(ctx context.Context, ln net.Listener) error {
	brokers := w.cfg.Kafka.Brokers
	pub := kafkabus.NewPublisher(brokers)
	defer pub.Close()
	m := w.metrics
	replica := replicaName()
	relay := &kafkabus.Relay{
		Outbox: w.store.Donations(), Publisher: pub, Topic: events.TopicDonations,
		Interval: 50 * time.Millisecond, SweepEvery: 10 * time.Minute, Log: w.log,
		Published: func(n int) { m.RelayPublished.Add(float64(n)) },
		Lease:     w.store.Lease("outbox-relay", replica, 5*time.Second, time.Now),
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /livez", func(rw http.ResponseWriter, _ *http.Request) { _, _ = rw.Write([]byte("ok")) })
	mux.HandleFunc("GET /readyz", func(rw http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), 2*time.Second)
		defer cancel()
		if err := ready(w.store, brokers)(ctx); err != nil {
			rw.Header().Set("Content-Type", "application/problem+json")
			rw.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprintf(rw, `{"type":"https://kalyan.dev/problems/not-ready","title":"Not ready","status":503,"detail":%q}`, err.Error())
			return
		}
		_, _ = rw.Write([]byte("ready"))
	})
	mux.Handle("GET /metrics", promhttp.HandlerFor(m.Registry, promhttp.HandlerOpts{}))
	// Operational answers only (text, JSON): nothing to sniff, frame or run.
	hardened := http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		h := rw.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
		h.Set("Referrer-Policy", "no-referrer")
		mux.ServeHTTP(rw, r)
	})
	srv := &http.Server{Handler: hardened, ReadHeaderTimeout: 5 * time.Second}

	gw, _ := gateway(w.cfg, w.store, w.log)
	rc := w.cfg.Reconcile
	reconciler := &app.Reconciler{
		Donations: &app.Donations{
			Units: &app.Units{Store: w.store.Units(), Now: time.Now, CacheTTL: 5 * time.Second},
			Repo:  w.store.Donations(), Receipts: w.store.Receipts(), Payments: gw,
			Ledger: w.store.Ledger(), RefundGrace: rc.RefundGrace,
			Now: time.Now, Log: w.log,
			Observe: func(k donations.Kind, s donations.Status) { m.Donations.WithLabelValues(string(k), string(s)).Inc() },
			Seal:    sealer(w.cfg, w.log),
		},
		Stale: w.store.Donations(),
		// A window per pass: when the holder dies, another replica reconciles
		// from the next window on (a longer window left the reconciler idle
		// most of the time in the chaos run, with a worker killed every 5 s).
		Lease:    w.store.Lease("reconciler", replica, max(5*time.Second, rc.Interval), time.Now),
		Interval: rc.Interval, After: rc.After, Expire: rc.Expire, PerPass: rc.PerPass, RefundAfter: rc.RefundAfter,
		Unanswered: func(all, overdue int) {
			m.ReconcileUnanswered.Set(float64(all))
			m.ReconcileOverdue.Set(float64(overdue))
		},
	}

	g, ctx := errgroup.WithContext(ctx)
	// The operational endpoints first: while Kafka is unreachable at start
	// the worker waits for it, alive (/livez) and saying why it is not
	// ready (/readyz), rather than exiting into a crash-loop back-off that
	// outlasts the outage.
	g.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return err
		}
		return nil
	})
	g.Go(func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		return srv.Shutdown(sctx)
	})
	if err := w.ensureTopics(ctx); err != nil {
		return errors.Join(err, g.Wait())
	}
	if ctx.Err() != nil {
		return g.Wait() // stopped while starting
	}
	g.Go(func() error { return relay.Run(ctx) })
	g.Go(func() error {
		return reconciler.Run(ctx)
	})
	g.Go(func() error { return w.store.RateLimits().RunSweeper(ctx, 10*time.Minute, time.Now, w.log) })
	g.Go(func() error { return w.aidMonitor(replica).Run(ctx) })
	for _, c := range w.Consumers(pub, Topics{Donations: events.TopicDonations, Aid: aid.TopicAid}) {
		g.Go(func() error { return c.Run(ctx) })
	}
	return g.Wait()
}

// aidMonitor measures aid for the metrics and alerts on the replica holding
// its lease.
func (w *Worker) aidMonitor(replica string) *app.AidMonitor {
	mc := w.cfg.Monitor
	am := w.metrics.Aid
	return &app.AidMonitor{
		Watch:  &app.WaitlistWatch{Aid: w.store.AidRequests(), Store: w.store.Waitlists(), StuckAfter: mc.StuckAfter, Now: time.Now},
		Ledger: w.store.Ledger(), Units: w.store.Units(), Verify: w.store.VerifyRuns(),
		Lease:    w.store.Lease("aid-monitor", replica, max(10*time.Second, 2*mc.Interval), time.Now),
		Interval: mc.Interval, IdleAfter: mc.IdleZakatAfter, Log: w.log,
		Publish: func(f app.AidFigures) { publishAid(am, f) },
	}
}

// publishAid sets the aid gauges from one pass (per-unit series are
// replaced whole, so a unit whose waitlist emptied reads 0, not its past).
func publishAid(am *metrics.AidMetrics, f app.AidFigures) {
	taka := func(a money.Amount) float64 { return float64(a) / 100 }
	for _, g := range []*prometheus.GaugeVec{am.WaitlistRequests, am.WaitlistOldest, am.WaitlistNeeded, am.ZakatIdle, am.Stuck, am.FundAvailable} {
		g.Reset()
	}
	snap := f.Snapshot
	for unit, wl := range snap.Units {
		am.WaitlistRequests.WithLabelValues(unit).Set(float64(wl.Requests))
		am.WaitlistNeeded.WithLabelValues(unit).Set(taka(wl.Needed))
		if !wl.Oldest.IsZero() {
			am.WaitlistOldest.WithLabelValues(unit).Set(snap.At.Sub(wl.Oldest).Seconds())
		}
	}
	for unit, byStatus := range snap.Stuck {
		for status, n := range byStatus {
			am.Stuck.WithLabelValues(unit, status).Set(float64(n))
		}
	}
	for fund, a := range f.Available {
		am.FundAvailable.WithLabelValues(fund).Set(taka(a))
	}
	for unit, a := range f.IdleZakat {
		if a > 0 {
			am.ZakatIdle.WithLabelValues(unit).Set(taka(a))
		}
	}
	if f.Verify != nil {
		am.VerifyViolations.Set(float64(f.Verify.Violations))
		am.VerifyLastRun.Set(float64(f.Verify.At.Unix()))
	}
	if f.VerOK != nil {
		am.VerifyLastSuccess.Set(float64(f.VerOK.At.Unix()))
	}
	am.MonitorLastPass.Set(float64(snap.At.Unix()))
}

// ensureTopics creates the worker's topics, retrying with backoff while
// Kafka is unreachable, until ctx ends (then it returns nil: stopped).
func (w *Worker) ensureTopics(ctx context.Context) error {
	k := w.cfg.Kafka
	b := backoff.NewExponentialBackOff()
	b.InitialInterval, b.MaxInterval = 500*time.Millisecond, 15*time.Second
	_, err := backoff.Retry(ctx, func() (struct{}, error) {
		err := kafkabus.EnsureTopics(ctx, k.Brokers, k.Partitions, k.ReplicationFactor, events.TopicDonations, aid.TopicAid, events.TopicDeadLetter)
		if err != nil && ctx.Err() == nil {
			w.log.WarnContext(ctx, "kafka unreachable at start; waiting for it", "err", err)
		}
		return struct{}{}, err
	}, backoff.WithBackOff(b), backoff.WithMaxElapsedTime(0), backoff.WithMaxTries(0))
	if ctx.Err() != nil {
		return nil
	}
	return err
}

// Topics are the topics the worker's consumers read.
type Topics struct{ Donations, Aid string }

// Consumers builds the worker's consumer groups as Run runs them (kalyan-
// allocation, kalyan-ledger, kalyan-receipts, kalyan-notify), reading topics
// t; benchmarks run them on topics of their own.
func (w *Worker) Consumers(pub *kafkabus.Publisher, t Topics) []*kafkabus.Consumer {
	m := w.metrics
	consumer := func(group string, h kafkabus.EventHandler, batch kafkabus.BatchHandler) *kafkabus.Consumer {
		// Create the series up front so dashboards and alerts see zeros, not gaps.
		m.ConsumerLag.WithLabelValues(group).Set(0)
		m.EventDuration.WithLabelValues(group)
		return &kafkabus.Consumer{
			Brokers: w.cfg.Kafka.Brokers, Group: group, Topic: t.Donations, Log: w.log,
			SessionTimeout: w.cfg.Kafka.SessionTimeout,
			CommitEvery:    200, CommitInterval: 200 * time.Millisecond,
			Lag:     func(g string, lag int64) { m.ConsumerLag.WithLabelValues(g).Set(float64(lag)) },
			Handler: h,
			// Batches of what is already fetched, written with a few
			// multi-document inserts (docs/benchmarks.md, issues #4, #5, #7).
			Batch: batch, BatchSize: 4 * mongostore.MaxInsertBatch, BatchWait: 5 * time.Millisecond,
			Middleware: kafkabus.Worker(kafkabus.WorkerOptions{
				Group: group, Log: w.log, DeadLetter: pub,
				Retry: kafkabus.RetryPolicy{Initial: 100 * time.Millisecond, Max: 10 * time.Second},
				// Once per message, whichever path settled it: "error" is a
				// message dead-lettered (or refused by the dead-letter topic).
				Observe: func(msg *kafkabus.Message, d time.Duration) {
					result := "ok"
					if msg.Outcome == kafkabus.DeadLettered || msg.Outcome == kafkabus.Failed {
						result = "error"
					}
					m.EventsHandled.WithLabelValues(group, result).Inc()
					m.EventDuration.WithLabelValues(group).Observe(d.Seconds())
				},
			}),
		}
	}
	// One ledger repository: its cache of each unit's last entry serves
	// every group of this process.
	book := w.store.Ledger()
	ledgerH := &app.LedgerCredits{Ledger: book}
	receiptH, notifyH := w.receiptHandlers()
	aidSvc := &app.Aid{Store: w.store.AidRequests(), Units: &app.Units{Store: w.store.Units(), Now: time.Now, CacheTTL: 5 * time.Second},
		Ledger: book, Now: time.Now, Log: w.log, Snapshots: sealer(w.cfg, w.log)}
	allocator := &app.AllocationWorker{Aid: aidSvc, Credits: ledgerH}
	allocation := consumer("kalyan-allocation", allocator.Handle, allocator.HandleBatch)
	allocation.Topics = []string{t.Donations, t.Aid}
	// Report aggregates (issue #18): one fact per event, on both topics.
	recorder := &app.ReportRecorder{Facts: w.store.ReportFacts(), Units: aidSvc.Units.Store, Aid: aidSvc.Store}
	reportsC := consumer("kalyan-reports", recorder.Handle, recorder.HandleBatch)
	reportsC.Topics = []string{t.Donations, t.Aid}
	return []*kafkabus.Consumer{
		allocation,
		reportsC,
		consumer("kalyan-ledger", ledgerH.Handle, ledgerH.HandleBatch),
		consumer("kalyan-receipts", receiptH.Handle, receiptH.HandleBatch),
		// Its own group: a slow SMS gateway delays notifications, never receipts.
		consumer("kalyan-notify", notifyH.Handle, nil),
	}
}

// zakatSettings are the calculator defaults; config.Validate rejects bad
// ones at start-up, so an error here only means "use the built-in defaults".
func zakatSettings(c config.Config) zakat.Settings {
	s, err := c.ZakatSettings()
	if err != nil {
		return zakat.DefaultSettings()
	}
	return s
}

// replicaName names this process among the worker replicas (leases): the
// pod's hostname plus a random suffix, so a restarted pod is a new holder
// and does not inherit a lease it cannot know it held.
func replicaName() string {
	host, _ := os.Hostname()
	var b [6]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%s-%x", host, b)
}
