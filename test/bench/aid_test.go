package bench

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
)

func aidService() *app.Aid {
	return &app.Aid{Store: stack.Store.AidRequests(), Units: &app.Units{Store: stack.Store.Units(), Now: time.Now, CacheTTL: time.Minute},
		Ledger: stack.Store.Ledger(), Now: time.Now}
}

// approvedRequests stores n approved requests of amount each at unit.
func approvedRequests(b *testing.B, unit string, n int, amount money.Amount, run string) []*aid.Request {
	b.Helper()
	ctx := context.Background()
	qs := make([]*aid.Request, n)
	for i := range qs {
		q := &aid.Request{ID: fmt.Sprintf("aid_bench_%s_%d", run, i), Unit: unit, Diagnosis: "general", Urgency: aid.Urgencies[i%4],
			Status: aid.Approved, Items: []aid.Item{{Category: "medicine", Estimated: amount, Approved: amount}},
			Patient: aid.Patient{Name: "Bench", Mobile: "01712345678"}, CreatedAt: time.Now(), FiledBy: "bench"}
		if err := stack.Store.AidRequests().Create(ctx, q); err != nil {
			b.Fatal(err)
		}
		qs[i] = q
	}
	return qs
}

func credit(b *testing.B, unit string, amount money.Amount, id string) {
	b.Helper()
	g := ledger.Gift(id, unit, id, "general", "", "bkash", amount, time.Now())
	if _, err := stack.Store.Ledger().Append(context.Background(), unit, ledger.Fixed(g)); err != nil {
		b.Fatal(err)
	}
}

func benchUnit(b *testing.B, code string) {
	b.Helper()
	u := &units.Unit{Code: code, Names: units.Names{EN: "Bench", BN: "বেঞ্চ"}, Level: units.District, Division: "Dhaka", District: "Dhaka", Policy: units.DefaultPolicy()}
	if _, err := (&app.Units{Store: stack.Store.Units(), Now: time.Now, Slugs: stack.Store.Slugs()}).Register(context.Background(), u); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkAllocation allocates approved requests (funds available) from 8
// goroutines, all in one unit, so every allocation contends for the unit's
// ledger sequence as real replicas would.
func BenchmarkAllocation(b *testing.B) {
	run := fmt.Sprint(time.Now().UnixNano())
	unit := "bench-alloc-" + run[len(run)-6:]
	benchUnit(b, unit)
	credit(b, unit, money.Taka(1_00_00_000), "bench-gift-"+run)
	qs := approvedRequests(b, unit, b.N, money.Taka(100), run)
	svc := aidService()
	var next atomic.Int64
	b.SetParallelism(workers)
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			id := qs[next.Add(1)-1].ID
			q, err := svc.Allocate(context.Background(), id)
			if err != nil {
				b.Fatal(err)
			}
			if q.Status != aid.Allocated {
				b.Fatalf("%s: %s", id, q.Status)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "allocations/s")
}

// BenchmarkWaitlistDrain: 1,000 requests wait; one large gift arrives; time
// until all are allocated.
func BenchmarkWaitlistDrain(b *testing.B) {
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		run := fmt.Sprint(time.Now().UnixNano())
		unit := "bench-drain-" + run[len(run)-6:]
		benchUnit(b, unit)
		qs := approvedRequests(b, unit, 1000, money.Taka(500), run)
		svc := aidService()
		credit(b, unit, money.Taka(5_00_000), "bench-big-gift-"+run)
		b.StartTimer()
		start := time.Now()
		n, err := svc.DrainWaitlist(context.Background(), unit)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(time.Since(start).Seconds(), "drain-s")
		if n != len(qs) {
			b.Fatalf("allocated %d of %d", n, len(qs))
		}
	}
}
