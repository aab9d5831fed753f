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
	m.Registry.MustRegister(m.HTTPDuration, m.Donations, m.EventsHandled, m.EventDuration, m.ConsumerLag, m.RelayPublished,
		m.ReconcileUnanswered, m.ReconcileOverdue,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), buildinfo.Collector())
	return m
}
