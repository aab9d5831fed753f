// Package metrics defines the platform's Prometheus metrics on a registry
// of its own (never the global one), shared by the API and worker wiring.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"

	"github.com/kalyan-platform/kalyan/internal/buildinfo"
)

// Metrics of one process.
type Metrics struct {
	Registry *prometheus.Registry

	HTTPDuration   *prometheus.HistogramVec
	Donations      *prometheus.CounterVec
	EventsHandled  *prometheus.CounterVec
	EventDuration  *prometheus.HistogramVec
	ConsumerLag    *prometheus.GaugeVec
	RelayPublished prometheus.Counter
	// The reconciler's open payments that bKash gave no usable answer for,
	// and those of them past their expiry (they need a person).
	ReconcileUnanswered prometheus.Gauge
	ReconcileOverdue    prometheus.Gauge

	// Aid, measured by the worker's aid monitor (one replica: the lease
	// holder; the others export nothing for these).
	Aid *AidMetrics
}

// AidMetrics watch aid, not only payments (issue #18).
type AidMetrics struct {
	WaitlistRequests *prometheus.GaugeVec
	WaitlistOldest   *prometheus.GaugeVec
	WaitlistNeeded   *prometheus.GaugeVec
	FundAvailable    *prometheus.GaugeVec
	ZakatIdle        *prometheus.GaugeVec
	Stuck            *prometheus.GaugeVec
	// The scheduled verify: its last run's violations and when a run last
	// found none.
	VerifyViolations  prometheus.Gauge
	VerifyLastSuccess prometheus.Gauge
	VerifyLastRun     prometheus.Gauge
	MonitorLastPass   prometheus.Gauge
}

func (a *AidMetrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{a.WaitlistRequests, a.WaitlistOldest, a.WaitlistNeeded, a.FundAvailable, a.ZakatIdle, a.Stuck,
		a.VerifyViolations, a.VerifyLastSuccess, a.VerifyLastRun, a.MonitorLastPass}
}

// Describe implements prometheus.Collector: the aid metrics register as one.
func (a *AidMetrics) Describe(ch chan<- *prometheus.Desc) {
	for _, c := range a.collectors() {
		c.Describe(ch)
	}
}

// Collect implements prometheus.Collector.
func (a *AidMetrics) Collect(ch chan<- prometheus.Metric) {
	for _, c := range a.collectors() {
		c.Collect(ch)
	}
}

// New registers the metrics on a fresh registry.
func New() *Metrics {
	m := &Metrics{
		Registry: prometheus.NewRegistry(),
		HTTPDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kalyan_http_request_duration_seconds",
			Help:    "HTTP request latency by route template, method and status code.",
			Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"method", "route", "code"}),
		Donations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kalyan_donations_total",
			Help: "Donations reaching a status, by gift kind and status.",
		}, []string{"kind", "status"}),
		EventsHandled: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kalyan_events_handled_total",
			Help: "Kafka events handled by consumer group and result.",
		}, []string{"group", "result"}),
		EventDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kalyan_event_processing_seconds",
			Help:    "Time to process one Kafka event, including retries, by consumer group.",
			Buckets: prometheus.ExponentialBuckets(0.0005, 2, 16),
		}, []string{"group"}),
		ConsumerLag: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kalyan_kafka_consumer_lag",
			Help: "Messages behind the partition end, as last seen by the consumer group's reader.",
		}, []string{"group"}),
		RelayPublished: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kalyan_outbox_published_total",
			Help: "Events relayed from the outbox to Kafka.",
		}),
		ReconcileUnanswered: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kalyan_reconcile_unanswered_payments",
			Help: "Open payments whose last bKash query gave no usable answer (the replica holding the reconciler lease; 0 elsewhere).",
		}),
		ReconcileOverdue: prometheus.NewGauge(prometheus.GaugeOpts{
			Name: "kalyan_reconcile_overdue_payments",
			Help: "Unanswered open payments older than the expiry age: the money may have moved, so a person must check them.",
		}),
	}
	gauge := func(name, help string, labels ...string) *prometheus.GaugeVec {
		return prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: name, Help: help}, labels)
	}
	m.Aid = &AidMetrics{
		WaitlistRequests: gauge("kalyan_aid_waitlist_requests", "Approved aid requests still waiting for money, per unit.", "unit"),
		WaitlistOldest:   gauge("kalyan_aid_waitlist_oldest_seconds", "How long the unit's longest-waiting approved request has waited since approval.", "unit"),
		WaitlistNeeded:   gauge("kalyan_aid_waitlist_needed_taka", "Money the unit's waitlist still needs, in taka.", "unit"),
		FundAvailable:    gauge("kalyan_fund_available_taka", "Money waiting in each fund (all units), in taka: received less refunded, held and allocated.", "fund"),
		ZakatIdle:        gauge("kalyan_zakat_idle_taka", "Zakat the unit has held longer than the configured age (a lunar year), in taka.", "unit"),
		Stuck:            gauge("kalyan_aid_stuck_requests", "Aid requests waiting in one state longer than the configured age, per unit and state.", "unit", "status"),
		VerifyViolations: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kalyan_verify_violations",
			Help: "Money invariant violations found by the last scheduled verify."}),
		VerifyLastSuccess: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kalyan_verify_last_success_timestamp_seconds",
			Help: "When a scheduled verify last found no violation (Unix seconds; 0: never)."}),
		VerifyLastRun: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kalyan_verify_last_run_timestamp_seconds",
			Help: "When the scheduled verify last ran (Unix seconds; 0: never)."}),
		MonitorLastPass: prometheus.NewGauge(prometheus.GaugeOpts{Name: "kalyan_aid_monitor_last_pass_timestamp_seconds",
			Help: "When the aid monitor last measured (Unix seconds)."}),
	}
	m.Registry.MustRegister(m.Aid, m.HTTPDuration, m.Donations, m.EventsHandled, m.EventDuration, m.ConsumerLag, m.RelayPublished,
		m.ReconcileUnanswered, m.ReconcileOverdue,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildinfo.Collector())
	return m
}
