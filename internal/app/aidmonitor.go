package app

import (
	"context"
	"log/slog"
	"time"

	"github.com/kalyan-platform/kalyan/internal/lease"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

// VerifyRun is the outcome of one scheduled `kalyan-worker verify --record`
// (the chart's CronJob), stored so the running worker can export it as a
// metric: a job that ends before Prometheus scrapes it has no metrics of its
// own.
type VerifyRun struct {
	ID         string    `bson:"_id"`
	At         time.Time `bson:"at"`
	OK         bool      `bson:"ok"`
	Violations int       `bson:"violations"`
}

// VerifyRuns stores verify outcomes (insert-only).
type VerifyRuns interface {
	Record(ctx context.Context, r VerifyRun) error
	// Latest returns the newest run and the newest successful one (nil:
	// none).
	Latest(ctx context.Context) (last, lastOK *VerifyRun, err error)
}

// AidFigures are what the aid monitor exports.
type AidFigures struct {
	Snapshot *WaitlistSnapshot
	// Available is money waiting in each fund (every unit's balance summed
	// per fund name).
	Available map[string]money.Amount
	// IdleZakat is each unit's zakat held longer than IdleAfter.
	IdleZakat      map[string]money.Amount
	Verify, VerOK  *VerifyRun
	UnitsMonitored int
}

// AidMonitor measures aid for Prometheus and alerts every Interval on one
// replica (Lease): the waitlist snapshot, money waiting per fund, idle
// zakat, stuck requests and the last verify run.
type AidMonitor struct {
	Watch     *WaitlistWatch
	Ledger    LedgerTallies
	Units     UnitStore
	Verify    VerifyRuns
	Lease     lease.Lease
	Interval  time.Duration
	IdleAfter time.Duration
	Log       *slog.Logger
	// Publish exports the figures (the worker sets its gauges).
	Publish func(AidFigures)
}

// Run measures until ctx ends.
func (m *AidMonitor) Run(ctx context.Context) error {
	t := time.NewTicker(m.Interval)
	defer t.Stop()
	for {
		if lease.Held(ctx, m.Lease, m.Log, "aid-monitor") {
			if f, err := m.Measure(ctx); err != nil {
				if ctx.Err() == nil {
					m.Log.WarnContext(ctx, "aid monitor pass failed", "err", err)
				}
			} else {
				m.Publish(f)
			}
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// Measure takes one pass.
func (m *AidMonitor) Measure(ctx context.Context) (AidFigures, error) {
	snap, err := m.Watch.Take(ctx, m.Interval)
	if err != nil {
		return AidFigures{}, err
	}
	f := AidFigures{Snapshot: snap, Available: map[string]money.Amount{}, IdleZakat: map[string]money.Amount{}}
	us, err := m.Units.List(ctx)
	if err != nil {
		return AidFigures{}, err
	}
	now := m.Watch.Now()
	for _, u := range us {
		t, err := m.Ledger.Tally(ctx, u.Code)
		if err != nil {
			return AidFigures{}, err
		}
		for name, ff := range t.Funds() {
			f.Available[name] += ff.Balance()
		}
		f.IdleZakat[u.Code] = reports.IdleZakat(t, now, m.IdleAfter)
	}
	f.UnitsMonitored = len(us)
	if m.Verify != nil {
		if f.Verify, f.VerOK, err = m.Verify.Latest(ctx); err != nil {
			return AidFigures{}, err
		}
	}
	return f, nil
}
