package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// Metrics are the operator's own Prometheus metrics. A nil *Metrics records nothing.
type Metrics struct {
	reconcile   *prometheus.HistogramVec
	apiRequests *prometheus.CounterVec
	units       *unitsCollector
}

// NewMetrics registers the operator's metrics with reg (controller-runtime's metrics.Registry in the
// binary, which the manager serves on its metrics endpoint). Unit counts are computed at scrape time
// from reader, the manager's cache, so they are never stale and need no bookkeeping.
func NewMetrics(reg prometheus.Registerer, reader client.Reader) (*Metrics, error) {
	m := &Metrics{
		reconcile: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Namespace: "kalyan", Subsystem: "operator", Name: "reconcile_duration_seconds",
			Help:    "Time to reconcile one HospitalUnit, by result (success, requeue, error).",
			Buckets: prometheus.ExponentialBuckets(0.002, 2, 14), // 2 ms .. 16 s
		}, []string{"result"}),
		apiRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: "kalyan", Subsystem: "operator", Name: "api_requests_total",
			Help: "Calls to the Kalyan API's admin endpoints, by operation (register, archive) and outcome (ok, error).",
		}, []string{"operation", "outcome"}),
		units: &unitsCollector{
			reader: reader,
			desc: prometheus.NewDesc("kalyan_operator_units",
				"HospitalUnits by condition type (Provisioned, Registered, Ready) and status (True, False, Unknown).",
				[]string{"condition", "status"}, nil),
			errDesc: prometheus.NewDesc("kalyan_operator_units_scrape_errors",
				"1 if the last count of HospitalUnits failed.", nil, nil),
		},
	}
	for _, c := range []prometheus.Collector{m.reconcile, m.apiRequests, m.units} {
		if err := reg.Register(c); err != nil {
			return nil, fmt.Errorf("register operator metrics: %w", err)
		}
	}
	return m, nil
}

// Unregister removes the metrics from reg (for processes that build more than one manager, e.g. tests).
func (m *Metrics) Unregister(reg prometheus.Registerer) {
	if m == nil {
		return
	}
	reg.Unregister(m.reconcile)
	reg.Unregister(m.apiRequests)
	reg.Unregister(m.units)
}

func (m *Metrics) observeReconcile(d time.Duration, res reconcile.Result, err error) {
	if m == nil {
		return
	}
	result := "success"
	switch {
	case err != nil:
		result = "error"
	case res.RequeueAfter > 0:
		result = "requeue"
	}
	m.reconcile.WithLabelValues(result).Observe(d.Seconds())
}

func (m *Metrics) apiRequest(op, outcome string) {
	if m == nil {
		return
	}
	m.apiRequests.WithLabelValues(op, outcome).Inc()
}

type unitsCollector struct {
	reader  client.Reader
	desc    *prometheus.Desc
	errDesc *prometheus.Desc
}

func (c *unitsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.desc
	ch <- c.errDesc
}

func (c *unitsCollector) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	counts, err := c.count(ctx)
	failed := 0.0
	if err != nil {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(c.errDesc, prometheus.GaugeValue, failed)
	if err != nil {
		return
	}
	for _, t := range []string{kalyanv1alpha1.ConditionProvisioned, kalyanv1alpha1.ConditionRegistered, kalyanv1alpha1.ConditionReady} {
		for _, s := range []metav1.ConditionStatus{metav1.ConditionTrue, metav1.ConditionFalse, metav1.ConditionUnknown} {
			ch <- prometheus.MustNewConstMetric(c.desc, prometheus.GaugeValue, float64(counts[[2]string{t, string(s)}]), t, string(s))
		}
	}
}

func (c *unitsCollector) count(ctx context.Context) (map[[2]string]int, error) {
	if c.reader == nil {
		return nil, errors.New("no reader")
	}
	var list kalyanv1alpha1.HospitalUnitList
	if err := c.reader.List(ctx, &list); err != nil {
		return nil, fmt.Errorf("list hospital units: %w", err)
	}
	counts := map[[2]string]int{}
	for i := range list.Items {
		for _, t := range []string{kalyanv1alpha1.ConditionProvisioned, kalyanv1alpha1.ConditionRegistered, kalyanv1alpha1.ConditionReady} {
			status := string(metav1.ConditionUnknown)
			for _, cond := range list.Items[i].Status.Conditions {
				if cond.Type == t {
					status = string(cond.Status)
				}
			}
			counts[[2]string{t, status}]++
		}
	}
	return counts, nil
}
