package mongostore_test

import (
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/reports"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// BenchmarkNationalFiscalYearReport builds the national report of fiscal
// year 2025-26 (issue #18: under a second) over the 538 onboarded units,
// each with a year of activity as report facts (KALYAN_BENCH_REPORT_FACTS a
// unit, default 1,250: ~1,000 gifts, refunds, approvals and aid given with
// patient counts), seeded in bulk with their checkpoints and heads as the
// appender stores them. cold: a process that has read nothing (the heads of
// all units at once, then the fact after each head); warm: a running API's refresh (one
// read a unit when nothing changed). docs/benchmarks.md has the figures.
//
//	go test -run '^$' -bench NationalFiscalYearReport -benchtime 5x ./internal/mongostore/
func BenchmarkNationalFiscalYearReport(b *testing.B) {
	s := ownDB(b)
	ctx := context.Background()
	perUnit := 1250
	if v, err := strconv.Atoi(os.Getenv("KALYAN_BENCH_REPORT_FACTS")); err == nil && v > 0 {
		perUnit = v
	}
	codes := onboardedUnits(b, s)
	fy, _ := reports.ParsePeriod("2025-26")
	start := time.Date(2025, 7, 1, 0, 0, 0, 0, time.UTC)
	rng := rand.New(rand.NewPCG(18, 538))
	var facts []reports.Fact
	var gifts int64
	kinds, programmes, methods := []string{"zakat", "sadaqah", "general"}, []string{"", "", "cancer", "kidney", "thalassaemia"}, []string{"bkash", "cash", "bkash_app"}
	for _, code := range codes {
		for i := range perUnit {
			at := start.Add(time.Duration(i) * (365 * 24 * time.Hour) / time.Duration(perUnit))
			src := fmt.Sprintf("%s/%d", code, i)
			switch n := rng.IntN(100); {
			case n < 80:
				facts = append(facts, reports.GiftFact(src, code, kinds[rng.IntN(3)], programmes[rng.IntN(5)], methods[rng.IntN(3)], money.Taka(int64(100+rng.IntN(5000))), at))
				gifts++
			case n < 84:
				facts = append(facts, reports.RefundFact(src, code, kinds[rng.IntN(3)], "", "bkash", money.Taka(int64(50+rng.IntN(500))), at))
			default:
				r := &aid.Request{ID: src, Unit: code, Diagnosis: aid.Diagnoses[rng.IntN(len(aid.Diagnoses))], Urgency: aid.Urgencies[rng.IntN(4)],
					ZakatEligible: rng.IntN(2) == 0, CreatedAt: at.Add(-72 * time.Hour), ApprovedAt: at.Add(-24 * time.Hour),
					Items:   []aid.Item{{Category: aid.ItemCategories[rng.IntN(10)], Approved: money.Taka(2000)}, {Category: aid.ItemCategories[rng.IntN(10)], Approved: money.Taka(1000)}},
					Patient: aid.Patient{IDKey: "nid13:" + strconv.Itoa(rng.IntN(1_000_000_000))}}
				if n < 92 {
					facts = append(facts, reports.ApprovedFact(src, r, at))
					continue
				}
				part := aid.Part{Number: 1, Items: []aid.Disbursement{{Item: 0, Amount: money.Taka(2000)}, {Item: 1, Amount: money.Taka(1000)}}}
				scopes := reports.PatientScopes(r, "dhaka", "dhaka", at)
				facts = append(facts, reports.GivenFact(reports.Given{Source: src, Request: r, Part: &part, At: at,
					Spent:   []aid.Allocation{{Fund: "fund:zakat", Amount: money.Taka(1500)}, {Fund: "fund:general", Amount: money.Taka(1500)}},
					FirstIn: scopes[:rng.IntN(len(scopes))]}, func(a string) string { return a[len("fund:"):] }))
			}
		}
	}
	t0 := time.Now()
	if err := mongostore.SeedReportFacts(ctx, s, facts); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d facts of %d units in %s", len(facts), len(codes), time.Since(t0).Round(time.Second))
	now := func() time.Time { return time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC) }
	svc := func() *app.Reports {
		return &app.Reports{Facts: s.ReportFacts(), Ledger: s.Ledger(), Units: s.Units(), Waitlists: s.Waitlists(), Now: now, TTL: time.Hour}
	}
	nation := reports.Scope{Level: reports.LevelNation}
	check := func(b *testing.B, r *reports.Report) {
		if r.Units != len(codes) || r.Gifts.Count != gifts || len(r.Children) != 8 {
			b.Fatalf("national report over %d units with %d gifts in %d divisions; seeded %d units, %d gifts", r.Units, r.Gifts.Count, len(r.Children), len(codes), gifts)
		}
	}
	b.Run("cold", func(b *testing.B) {
		for b.Loop() {
			r, err := svc().Report(ctx, nation, fy)
			if err != nil {
				b.Fatal(err)
			}
			check(b, r)
		}
	})
	b.Run("warm", func(b *testing.B) {
		warm := svc()
		if _, err := warm.Report(ctx, nation, fy); err != nil {
			b.Fatal(err)
		}
		for b.Loop() {
			r, err := warm.Report(ctx, nation, fy)
			if err != nil {
				b.Fatal(err)
			}
			check(b, r)
		}
	})
}

// onboardedUnits registers the 538 units of config/units/units.csv.
func onboardedUnits(b *testing.B, s *mongostore.Store) []string {
	f, err := os.Open("../../config/units/units.csv")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		b.Fatal(err)
	}
	var codes []string
	for _, r := range recs[1:] {
		u := &units.Unit{Code: r[0], Names: units.Names{EN: r[1], BN: r[2]}, Level: units.Level(r[3]), Division: r[4], District: r[5], Upazila: r[6],
			Policy: units.DefaultPolicy(), Status: units.Active, CreatedAt: time.Now()}
		if err := s.Units().Put(context.Background(), u); err != nil {
			b.Fatal(err)
		}
		codes = append(codes, u.Code)
	}
	return codes
}
