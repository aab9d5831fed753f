package platform_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/kafkabus"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/platform"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/verify"
)

// TestReplicasRaceOnTheSameUnits runs the worker's consumer groups as three
// replicas at once over the same events, on embedded FerretDB and the
// in-process Kafka broker: the stack's own worker (fed by the outbox relay)
// and two more workers, each with its own caches, whose topics carry every
// event twice (a redelivery after a crash mid-batch). That is worse than a
// rebalance ever makes it. Every gift must be credited once, receipted once
// with gapless serials, every approved request allocated once, no fund may go
// negative, and the money verify must find nothing.
func TestReplicasRaceOnTheSameUnits(t *testing.T) {
	ctx := context.Background()
	dir, err := os.MkdirTemp("", "kalyan-replicas-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	stack, err := devstack.Start(ctx, devstack.Options{Dir: dir, SandboxInMemory: true})
	if err != nil {
		t.Fatal(err)
	}
	defer stack.Close(ctx)

	const perUnit, requests = 40, 20
	codes := []string{"race-a", "race-b"}
	var envs []events.Envelope
	var paidIDs []string
	for _, code := range codes {
		u := &units.Unit{Code: code, Names: units.Names{EN: "Race", BN: "রেস"}, Level: units.District, Division: "Dhaka", District: "Dhaka", Policy: units.DefaultPolicy()}
		if _, err := stack.API.Units.Register(ctx, u); err != nil {
			t.Fatal(err)
		}
		for i := 0; i < perUnit; i++ {
			var req donations.Request
			req.Amount, req.Currency, req.Kind = "100.00", "BDT", "general"
			req.Donor.Name, req.Donor.Phone = "Race Donor", "01712345678"
			d, err := donations.New(u, fmt.Sprintf("don_%s_%02d", code, i), donations.Cash, req, time.Now())
			if err != nil {
				t.Fatal(err)
			}
			if _, _, err := stack.Store.Donations().Create(ctx, d); err != nil {
				t.Fatal(err)
			}
			// Paid: the stack's relay publishes the event to its worker.
			paid, err := stack.Store.Donations().Update(ctx, d.ID, func(x *donations.Donation) error { return x.MarkPaid("", time.Now()) })
			if err != nil {
				t.Fatal(err)
			}
			envs = append(envs, paid.Outbox...)
			paidIDs = append(paidIDs, d.ID)
		}
		// Approved requests of 250.00 each: the unit's 4,000.00 covers 16 of
		// 20, so allocation races with the gifts and some wait.
		for i := 0; i < requests; i++ {
			q := &aid.Request{ID: fmt.Sprintf("aid_%s_%02d", code, i), Unit: code, Diagnosis: "general", Urgency: aid.Urgencies[i%4],
				Status: aid.Approved, Items: []aid.Item{{Category: "medicine", Estimated: money.Taka(250), Approved: money.Taka(250)}},
				Patient: aid.Patient{Name: "Race", Mobile: "01712345678"}, CreatedAt: time.Now(), FiledBy: "test"}
			if err := stack.Store.AidRequests().Create(ctx, q); err != nil {
				t.Fatal(err)
			}
			e, err := events.New(q.ID+"/approved", aid.EventApproved, code, time.Now(), aid.ApprovedPayload{Request: q.ID, Amount: money.Taka(250), Version: 1})
			if err != nil {
				t.Fatal(err)
			}
			envs = append(envs, e)
		}
	}

	// Two more replicas on topics of their own, each event there twice.
	topics := platform.Topics{Donations: "race.donations", Aid: "race.aid"}
	brokers := stack.Config.Kafka.Brokers
	for _, topic := range []string{topics.Donations, topics.Aid} {
		if err := kafkabus.EnsureTopics(ctx, brokers, 2, 1, topic); err != nil {
			t.Fatal(err)
		}
	}
	pub := kafkabus.NewPublisher(brokers)
	defer pub.Close()
	for round := 0; round < 2; round++ {
		for _, e := range envs {
			topic := topics.Donations
			if e.Type == aid.EventApproved {
				topic = topics.Aid
			}
			if err := publish(ctx, pub, topic, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	var handled atomic.Int64
	rctx, stop := context.WithCancel(ctx)
	var wg sync.WaitGroup
	for r := 0; r < 2; r++ {
		w := platform.NewWorker(stack.Config, stack.Store, slog.New(slog.DiscardHandler))
		for _, c := range w.Consumers(pub, topics) {
			if c.Group == "kalyan-notify" {
				continue
			}
			c.Group = fmt.Sprintf("%s-replica-%d", c.Group, r)
			// Count every copy once it is settled: handled, or skipped
			// as a repeat of an event earlier in the same fetch.
			c.Middleware = append([]kafkabus.Middleware{func(next kafkabus.Handler) kafkabus.Handler {
				return func(ctx context.Context, msgs []*kafkabus.Message) error {
					err := next(ctx, msgs)
					for _, m := range msgs {
						if m.Outcome == kafkabus.Handled || m.Outcome == kafkabus.Duplicate {
							handled.Add(1)
						}
					}
					return err
				}
			}}, c.Middleware...)
			wg.Add(1)
			go func() {
				defer wg.Done()
				_ = c.Run(rctx)
			}()
		}
	}
	// Each replica: allocation reads both topics, ledger and receipts the
	// donations topic; every event twice.
	gifts, approved := int64(len(paidIDs)), int64(len(codes)*requests)
	want := 2 * 2 * ((gifts + approved) + gifts + gifts)
	waitUntil(t, "replicas", func() bool { return handled.Load() >= want })
	stop()
	wg.Wait()
	// Stopping a replica may cut a handler between its ledger append and
	// its record of it. Kafka redelivers what a stopped
	// consumer did not commit; here a fresh replica takes every event of
	// the allocation topic once more, so the checks below hold the
	// platform's idempotent consumers to what it promises after a kill.
	redo := platform.NewWorker(stack.Config, stack.Store, slog.New(slog.DiscardHandler))
	for _, c := range redo.Consumers(pub, topics) {
		if !slices.Contains(c.Topics, topics.Aid) && c.Topic != topics.Aid {
			continue
		}
		for _, e := range envs {
			if e.Type != aid.EventApproved {
				continue
			}
			if err := c.Handler(ctx, e); err != nil {
				t.Fatalf("redelivered %s: %v", e.ID, err)
			}
		}
	}
	// The stack's own worker finishes its share.
	waitUntil(t, "stack worker", func() bool { return receiptsIssued(t, stack, codes) == len(paidIDs) && creditsDone(t, stack, paidIDs) })

	for _, code := range codes {
		txs := ledgerOf(t, stack, code)
		credited, allocated := map[string]int{}, map[string]money.Amount{}
		bal := map[string]money.Amount{}
		for i, tx := range txs {
			if tx.Seq != int64(i+1) {
				t.Fatalf("%s: ledger entry %d has seq %d", code, i+1, tx.Seq)
			}
			for _, l := range tx.Lines {
				bal[l.Account] += l.Credit - l.Debit
				if ledger.IsFund(l.Account) && bal[l.Account] < 0 {
					t.Fatalf("%s: %s negative after entry %d", code, l.Account, tx.Seq)
				}
			}
			switch tx.Cause {
			case ledger.CauseGift:
				credited[tx.Donation]++
			case ledger.CauseAllocation:
				allocated[tx.Request] += creditOf(tx, ledger.RequestAccount(tx.Request))
			}
		}
		for _, id := range paidIDs {
			if strings.HasPrefix(id, "don_"+code+"_") && credited[id] != 1 {
				t.Fatalf("%s credited %d times", id, credited[id])
			}
		}
		var total money.Amount
		for i := 0; i < requests; i++ {
			id := fmt.Sprintf("aid_%s_%02d", code, i)
			q, err := stack.Store.AidRequests().Get(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if q.AllocatedTotal() != allocated[id] {
				t.Fatalf("%s records %s allocated, the ledger moved %s", id, q.AllocatedTotal(), allocated[id])
			}
			if q.AllocatedTotal() > q.ApprovedTotal() {
				t.Fatalf("%s allocated %s of %s approved", id, q.AllocatedTotal(), q.ApprovedTotal())
			}
			total += allocated[id]
		}
		if total != money.Taka(100)*perUnit || bal[ledger.FundGeneral] != 0 {
			t.Fatalf("%s: %s allocated, %s left in the general fund; want all of it allocated", code, total, bal[ledger.FundGeneral])
		}
	}
	rep, err := verify.Run(ctx, stack.Store.Audit(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) > 0 {
		t.Fatalf("verify: %v", rep.Violations)
	}
}

func publish(ctx context.Context, pub *kafkabus.Publisher, topic string, e events.Envelope) error {
	// A new topic may take a moment to be known to every broker's metadata
	// (seen taking over 5 s in CI): retry for up to 30 s.
	var err error
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		if err = pub.Publish(ctx, topic, e); err == nil {
			return nil
		}
	}
	return err
}

func waitUntil(t *testing.T, what string, done func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for !done() {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not done after 5 minutes", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func receiptsIssued(t *testing.T, stack *devstack.Stack, codes []string) int {
	t.Helper()
	n := 0
	for _, code := range codes {
		last, err := stack.Store.Receipts().LastSeq(context.Background(), code, receipts.FiscalYear(time.Now()))
		if err != nil {
			t.Fatal(err)
		}
		n += int(last)
	}
	return n
}

func creditsDone(t *testing.T, stack *devstack.Stack, ids []string) bool {
	t.Helper()
	n, err := stack.Store.Database().Collection("ledger").CountDocuments(context.Background(), bson.D{{Key: "cause", Value: ledger.CauseGift}})
	if err != nil {
		t.Fatal(err)
	}
	return n == int64(len(ids))
}

func ledgerOf(t *testing.T, stack *devstack.Stack, unit string) []ledger.Transaction {
	t.Helper()
	var txs []ledger.Transaction
	if err := stack.Store.Audit().UnitLedger(context.Background(), unit, func(tx *ledger.Transaction) error {
		txs = append(txs, *tx)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	sort.Slice(txs, func(i, j int) bool { return txs[i].Seq < txs[j].Seq })
	return txs
}

func creditOf(tx ledger.Transaction, account string) money.Amount {
	var c money.Amount
	for _, l := range tx.Lines {
		if l.Account == account {
			c += l.Credit
		}
	}
	return c
}
