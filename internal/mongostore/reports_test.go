package mongostore_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/reports"
	"github.com/kalyan-platform/kalyan/internal/verify"
)

// Report facts are appended once per source by racing writers (two worker
// replicas, redeliveries), and the tally a fresh process reads — last
// checkpoint plus the facts after it — equals the fold of every fact.
func TestReportFactsRaceRedeliverAndCheckpoint(t *testing.T) {
	s := ownDB(t)
	ctx := context.Background()
	const n = 250
	at := time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
	fact := func(i int) reports.Fact {
		return reports.GiftFact(fmt.Sprintf("don%d/paid", i), "dmch", "zakat", "", "bkash", money.Amount(100*(i+1)), at.Add(time.Duration(i)*36*time.Hour))
	}
	writers := []*struct {
		r interface {
			Append(context.Context, *reports.Fact) (bool, error)
		}
	}{{s.ReportFacts()}, {s.ReportFacts()}}
	var wg sync.WaitGroup
	applied := make([]int, len(writers))
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Both writers get every event, in a different order.
			for k := range n {
				i := k
				if w == 1 {
					i = n - 1 - k
				}
				f := fact(i)
				ok, err := writers[w].r.Append(ctx, &f)
				if err != nil {
					t.Error(err)
					return
				}
				if ok {
					applied[w]++
				}
			}
		}()
	}
	wg.Wait()
	if applied[0]+applied[1] != n {
		t.Fatalf("applied %v, want %d in all", applied, n)
	}
	want := reports.NewTally("dmch")
	cur, err := s.Database().Collection("report_facts").Find(ctx, bson.D{})
	if err != nil {
		t.Fatal(err)
	}
	var facts []reports.Fact
	if err := cur.All(ctx, &facts); err != nil {
		t.Fatal(err)
	}
	if len(facts) != n {
		t.Fatalf("%d facts stored, want %d", len(facts), n)
	}
	bySeq := map[int64]*reports.Fact{}
	for i := range facts {
		bySeq[facts[i].Seq] = &facts[i]
	}
	for seq := int64(1); seq <= n; seq++ {
		if err := want.Add(bySeq[seq]); err != nil {
			t.Fatal(err)
		}
	}
	fresh := s.ReportFacts()
	got, err := fresh.Tally(ctx, "dmch")
	if err != nil {
		t.Fatal(err)
	}
	if !got.Equal(want) {
		t.Fatalf("tally differs from the fold of the facts")
	}
	if c, _ := s.Database().Collection("report_checkpoints").CountDocuments(ctx, bson.D{}); c != n/reports.CheckpointEvery {
		t.Errorf("%d checkpoints, want %d", c, n/reports.CheckpointEvery)
	}
	var total money.Amount
	for i := range n {
		total += money.Amount(100 * (i + 1))
	}
	fy, _ := reports.ParsePeriod("2025-26")
	r := reports.Build(reports.Scope{Level: reports.LevelUnit, Code: "dmch"}, fy, at, []reports.UnitInput{{Code: "dmch", Facts: got}})
	inFY := money.Amount(0)
	for i := range n {
		if fy.Contains(reports.MonthOf(at.Add(time.Duration(i) * 36 * time.Hour))) {
			inFY += money.Amount(100 * (i + 1))
		}
	}
	if r.Gifts.Amount != inFY || r.Zakat.Received != inFY || inFY == 0 || inFY == total {
		t.Errorf("FY gifts %s, zakat %s, want %s (of %s in all)", r.Gifts.Amount, r.Zakat.Received, inFY, total)
	}

	// A tampered checkpoint is replaced by the rebuild, and reported.
	if _, err := s.Database().Collection("report_checkpoints").UpdateOne(ctx, bson.D{{Key: "_id", Value: "dmch/0000000100"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "packed", Value: []byte{1, 0, 0}}}}}); err != nil {
		t.Fatal(err)
	}
	res, err := s.ReportFacts().RebuildCheckpoints(ctx, "dmch")
	if err != nil || res.Replaced != 1 || res.Checked != 1 || res.Entries != n {
		t.Fatalf("rebuild: %+v, %v", res, err)
	}
}

// A patient marker is held by the first source that claims it; the same
// source asking again (a redelivery) still holds it, another does not.
func TestReportPatientMarkersFirstSourceWins(t *testing.T) {
	s := ownDB(t)
	ctx := context.Background()
	r := s.ReportFacts()
	at := time.Now()
	first, err := r.Mark(ctx, []string{"m1", "m2"}, "ev1", at)
	if err != nil || !first[0] || !first[1] {
		t.Fatalf("first claim: %v %v", first, err)
	}
	again, err := r.Mark(ctx, []string{"m1", "m2"}, "ev1", at)
	if err != nil || !again[0] || !again[1] {
		t.Fatalf("redelivered claim: %v %v", again, err)
	}
	other, err := r.Mark(ctx, []string{"m2", "m3"}, "ev2", at)
	if err != nil || other[0] || !other[1] {
		t.Fatalf("second source: %v %v", other, err)
	}
}

// verify reports a report fact that disagrees with the ledger and a report
// checkpoint that is not the fold of its facts.
func TestVerifyCatchesReportsThatDisagree(t *testing.T) {
	s := ownDB(t)
	ctx := context.Background()
	at := time.Date(2025, 9, 1, 6, 0, 0, 0, time.UTC)
	book := s.Ledger()
	facts := s.ReportFacts()
	for i := range reports.CheckpointEvery {
		src := fmt.Sprintf("don%d/paid", i)
		if _, err := book.Append(ctx, "dmch", ledger.Fixed(ledger.Gift(src, "dmch", fmt.Sprintf("don%d", i), "zakat", "", "bkash", money.Taka(100), at))); err != nil {
			t.Fatal(err)
		}
		amount := money.Taka(100)
		if i == 7 {
			amount = money.Taka(90) // the report counts a gift short
		}
		f := reports.GiftFact(src, "dmch", "zakat", "", "bkash", amount, at)
		if _, err := facts.Append(ctx, &f); err != nil {
			t.Fatal(err)
		}
	}
	vs, figures, err := verify.ReportsAgainstLedger(ctx, s.Audit())
	if err != nil {
		t.Fatal(err)
	}
	if len(vs) != 1 || !strings.Contains(vs[0], "the ledger has 10000.00 of gifts, the reports 9990.00") || len(figures) != 1 {
		t.Fatalf("violations %v, figures %+v", vs, figures)
	}
	// (The ledger's gifts have no donations here: verify says so too; only
	// what it says of the reports is looked at.)
	aboutReports := func(r *verify.Report) []string {
		var out []string
		for _, v := range r.Violations {
			if strings.Contains(v, "report") {
				out = append(out, v)
			}
		}
		return out
	}
	rep, err := verify.Run(ctx, s.Audit(), nil)
	if err != nil || rep.ReportFacts != reports.CheckpointEvery || rep.ReportCheckpoints != 1 || len(aboutReports(rep)) != 0 {
		t.Fatalf("verify before tampering: %v facts, %v checkpoints, %v, %v", rep.ReportFacts, rep.ReportCheckpoints, aboutReports(rep), err)
	}
	if _, err := s.Database().Collection("report_checkpoints").UpdateOne(ctx, bson.D{{Key: "_id", Value: "dmch/0000000100"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "packed", Value: []byte{1, 0, 0}}}}}); err != nil {
		t.Fatal(err)
	}
	rep, err = verify.Run(ctx, s.Audit(), nil)
	if vs := aboutReports(rep); err != nil || len(vs) != 1 || !strings.Contains(vs[0], "report checkpoint dmch/100 differs") {
		t.Fatalf("verify after tampering: %v, %v", vs, err)
	}
	// A head claiming facts that are not there is reported too: cold
	// readers start from it.
	if _, err := s.Database().Collection("report_heads").UpdateOne(ctx, bson.D{{Key: "_id", Value: "dmch"}},
		bson.D{{Key: "$set", Value: bson.D{{Key: "seq", Value: 150}}}}); err != nil {
		t.Fatal(err)
	}
	rep, err = verify.Run(ctx, s.Audit(), nil)
	if vs := aboutReports(rep); err != nil || len(vs) != 2 || !strings.Contains(vs[1], "report head dmch/150 is beyond the 100 report facts") {
		t.Fatalf("verify after tampering with the head: %v, %v", vs, err)
	}
}

// A unit's head is only a hint: a cold read that starts from a stale head
// (a lost update, a crashed writer), from none (facts from before heads)
// or from one that does not decode still gives the exact fold of every
// fact, and leaves the head current for the next cold reader.
func TestReportHeadStaleOrMissingStillExact(t *testing.T) {
	s := ownDB(t)
	ctx := context.Background()
	at := time.Date(2025, 7, 1, 10, 0, 0, 0, time.UTC)
	const n = 237
	w := s.ReportFacts()
	want := reports.NewTally("dmch")
	var at37 *reports.Tally
	for i := range n {
		f := reports.GiftFact(fmt.Sprintf("don%d/paid", i), "dmch", "sadaqah", "cancer", "cash", money.Amount(100*(i+1)), at.Add(time.Duration(i)*30*time.Hour))
		if _, err := w.Append(ctx, &f); err != nil {
			t.Fatal(err)
		}
		if err := want.Add(&f); err != nil {
			t.Fatal(err)
		}
		if want.Seq == 37 {
			at37 = want.Clone()
		}
	}
	heads := s.Database().Collection("report_heads")
	headSeq := func() int64 {
		var d struct {
			Seq int64 `bson:"seq"`
		}
		if err := heads.FindOne(ctx, bson.D{{Key: "_id", Value: "dmch"}}).Decode(&d); err != nil {
			t.Fatal(err)
		}
		return d.Seq
	}
	if got := headSeq(); got != n {
		t.Fatalf("the appender left head %d, want %d", got, n)
	}
	setHead := func(doc bson.D) {
		if _, err := heads.DeleteMany(ctx, bson.D{}); err != nil {
			t.Fatal(err)
		}
		if doc != nil {
			if _, err := heads.InsertOne(ctx, doc); err != nil {
				t.Fatal(err)
			}
		}
	}
	cp := at37.Checkpoint()
	for _, c := range []struct {
		name string
		head bson.D
	}{
		{"current", nil},
		{"stale", bson.D{{Key: "_id", Value: "dmch"}, {Key: "unit", Value: "dmch"}, {Key: "seq", Value: cp.Seq}, {Key: "packed", Value: cp.Packed}}},
		{"missing", nil},
		{"undecodable", bson.D{{Key: "_id", Value: "dmch"}, {Key: "unit", Value: "dmch"}, {Key: "seq", Value: cp.Seq}, {Key: "packed", Value: []byte{1, 0, 0}}}},
	} {
		if c.name != "current" {
			setHead(c.head)
		}
		got, err := s.ReportFacts().Tallies(ctx, []string{"dmch", "rmch"})
		if err != nil {
			t.Fatalf("%s head: %v", c.name, err)
		}
		if !got[0].Equal(want) || got[0].Seq != n || got[1].Seq != 0 {
			t.Fatalf("%s head: read a fold of %d facts that differs from the fold of all %d", c.name, got[0].Seq, n)
		}
		if h := headSeq(); h != n {
			t.Fatalf("%s head: left at %d after the read, want %d", c.name, h, n)
		}
	}
	// A fact appended after a process read the unit is seen by its next read.
	r := s.ReportFacts()
	if _, err := r.Tallies(ctx, []string{"dmch"}); err != nil {
		t.Fatal(err)
	}
	f := reports.GiftFact("late/paid", "dmch", "zakat", "", "bkash", money.Taka(7), at)
	if _, err := s.ReportFacts().Append(ctx, &f); err != nil {
		t.Fatal(err)
	}
	_ = want.Add(&f)
	got, err := r.Tallies(ctx, []string{"dmch"})
	if err != nil || !got[0].Equal(want) {
		t.Fatalf("after a later fact: %v, equal %v", err, err == nil && got[0].Equal(want))
	}
}
