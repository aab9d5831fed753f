//go:build chaos

package chaos

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/test/harness"
)

// Refunds in the chaos load (issue 13): every CHAOS_REFUND_EVERY-th gift
// that is paid at the counter or on bKash's page is refunded while the load,
// the worker kills and the outages go on, in one of five ways:
//
//	full      the whole gift;
//	partials  a third, then the rest under a second key (two notes);
//	same key  half, sent three times at once and once more after, with the
//	          same Idempotency-Key: one refund, whatever the answers;
//	faulted   the whole gift while bKash's refund for that payment is lost
//	          after bKash made it (timeout), refused with 503, answered late
//	          or left Pending — in turn (a counter gift: plain full refund);
//	racing    a counter gift of the same amount in a unit of its own, refunded
//	          whole while an aid request for that amount is filed and
//	          approved there: exactly one of them gets the money.
//
// Afterwards nothing may stay pending, every completed refund has one
// cancellation note, and `kalyan-worker verify` (holds, reversals, bKash's
// refunded total per payment) is clean.

// refundPlan is one gift to refund.
type refundPlan struct {
	// i is the gift's number, seq the plan's (which way, which fault).
	i, seq           int
	id, unit, amount string
	outcome          harness.Outcome
}

var refundWays = []string{"full", "partials", "same key", "faulted", "racing"}

var refundFaults = []string{"timeout", "unavailable", "late", "pending"}

// refundStats counts what the refund clients did and were answered.
type refundStats struct {
	mu        sync.Mutex
	ways      map[string]int
	answers   map[int]int
	faults    map[string]int
	notPaid   int
	raceAid   int
	raceLost  int
	errs      []error
	requested atomic.Int64
}

func newRefundStats() *refundStats {
	return &refundStats{ways: map[string]int{}, answers: map[int]int{}, faults: map[string]int{}}
}

func (s *refundStats) add(f func(s *refundStats)) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f(s)
}

func (s *refundStats) fail(err error) {
	s.add(func(s *refundStats) {
		if len(s.errs) < 20 {
			s.errs = append(s.errs, err)
		}
	})
}

// refunder takes plans until plans is closed and ctx ends.
func refunder(ctx context.Context, cfg settings, plans <-chan refundPlan, st *refundStats) {
	var wg sync.WaitGroup
	for range max(cfg.refundConcurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for p := range plans {
				if ctx.Err() != nil {
					continue // drain
				}
				if err := refundOne(ctx, p, st); err != nil && ctx.Err() == nil {
					st.fail(err)
				}
			}
		}()
	}
	wg.Wait()
}

func refundOne(ctx context.Context, p refundPlan, st *refundStats) error {
	// A gift whose execute fell in a fault window may be paid only once
	// the reconciler asks, or turn out cancelled.
	wctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
	paid, err := sys.WaitPaid(wctx, p.id)
	cancel()
	if err != nil && !errors.Is(err, context.DeadlineExceeded) {
		return err
	}
	if !paid {
		st.add(func(s *refundStats) { s.notPaid++ })
		return nil
	}
	total, err := money.Parse(p.amount)
	if err != nil {
		return err
	}
	// Shifted every round of ways, so each way meets both counter and
	// bKash gifts (which are spread over the gifts' numbers in a fixed way).
	way := refundWays[(p.seq+p.seq/len(refundWays))%len(refundWays)]
	st.add(func(s *refundStats) { s.ways[way]++ })
	key := fmt.Sprintf("chaos-refund-%d", p.i)
	ask := func(amount money.Amount, key string) (harness.RefundAnswer, error) {
		st.requested.Add(1)
		a, err := sys.Refund(ctx, p.unit, p.id, amount.String(), key, "chaos: donor asked ("+way+")")
		st.add(func(s *refundStats) { s.answers[a.Code]++ })
		return a, err
	}
	// askUntilTaken repeats a refund refused only because another refund
	// of the gift is still open (409), with the same key.
	askUntilTaken := func(amount money.Amount, key string) (harness.RefundAnswer, error) {
		for {
			a, err := ask(amount, key)
			if err != nil || a.Code != 409 {
				return a, err
			}
			select {
			case <-ctx.Done():
				return a, ctx.Err()
			case <-time.After(2 * time.Second):
			}
		}
	}
	switch way {
	case "full":
		_, err = ask(total, key)
	case "partials":
		third := total / 3
		if _, err = ask(third, key+"-a"); err == nil {
			_, err = askUntilTaken(total-third, key+"-b")
		}
	case "same key":
		half := total / 2
		var wg sync.WaitGroup
		answers := make([]harness.RefundAnswer, 3)
		errs := make([]error, 3)
		for k := range answers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				answers[k], errs[k] = ask(half, key)
			}()
		}
		wg.Wait()
		if err = errors.Join(errs...); err != nil {
			break
		}
		again, aerr := ask(half, key)
		if aerr != nil {
			return aerr
		}
		ids := map[string]bool{}
		for _, a := range append(answers, again) {
			if a.ID != "" {
				ids[a.ID] = true
			}
		}
		if len(ids) > 1 {
			return fmt.Errorf("gift %s: one Idempotency-Key named %d refunds %v", p.id, len(ids), ids)
		}
	case "faulted":
		if p.outcome == harness.Pay {
			f := refundFaults[p.seq%len(refundFaults)]
			pid, perr := sys.PaymentID(ctx, p.id)
			if perr != nil {
				return perr
			}
			if err := sys.SetPaymentFaults(ctx, pid, map[string]string{"refund": f}); err != nil {
				return err
			}
			st.add(func(s *refundStats) { s.faults[f]++ })
		}
		// The admin, seeing 202 or a lost answer, tries again with the same
		// key: never a second refund at bKash.
		if _, err = ask(total, key); err == nil {
			_, err = ask(total, key)
		}
	case "racing":
		// In a unit of its own whose only money is this gift's, so the
		// refund and the allocation really compete for the same taka.
		race := fmt.Sprintf("chaos-race-%d", p.seq)
		if err := sys.RegisterUnit(ctx, race, "Chaos race "+race); err != nil {
			return err
		}
		gid, gerr := sys.Give(ctx, harness.Gift{Unit: race, Key: key + "-gift", Amount: p.amount, Kind: "general", Outcome: harness.Cash})
		if gerr != nil {
			return gerr
		}
		var wg sync.WaitGroup
		var aid string
		var aidErr error
		wg.Add(1)
		go func() {
			defer wg.Done()
			aid, aidErr = sys.FileAid(ctx, harness.AidPlan{Unit: race, Key: key + "-aid", Amount: p.amount,
				Mobile: fmt.Sprintf("018%08d", p.i)})
		}()
		// In turn: the refund sent while the request is filed, right after
		// it is approved (the allocation worker has a head start), and
		// once the workers allocated it (the refund must be refused
		// before bKash hears of it).
		switch (p.seq / len(refundWays)) % 3 {
		case 1:
			wg.Wait()
		case 2:
			wg.Wait()
			if aidErr == nil {
				aidErr = waitAllocated(ctx, race, aid)
			}
		}
		st.requested.Add(1)
		a, rerr := sys.Refund(ctx, race, gid, total.String(), key, "chaos: donor asked (racing)")
		wg.Wait()
		if err := errors.Join(rerr, aidErr); err != nil {
			return err
		}
		st.add(func(s *refundStats) {
			s.answers[a.Code]++
			s.raceAid++
			if a.Code == 422 {
				s.raceLost++ // allocated first: refused before bKash heard of it
			}
		})
	}
	return err
}

// waitAllocated waits until the workers took aid request id in unit through
// allocation (allocated, partly or waitlisted).
func waitAllocated(ctx context.Context, unit, id string) error {
	tok, err := sys.Token(ctx, "social_worker", unit)
	if err != nil {
		return err
	}
	hdr := map[string]string{"Authorization": "Bearer " + tok}
	for {
		st, err := sys.AidStatus(ctx, id, hdr)
		if err != nil {
			return err
		}
		if st != "approved" {
			return nil
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(250 * time.Millisecond):
		}
	}
}

// String is the refund part of the report.
func (s *refundStats) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	fmt.Fprintf(&b, "refund requests %d (", s.requested.Load())
	codes := make([]int, 0, len(s.answers))
	for c := range s.answers {
		codes = append(codes, c)
	}
	sort.Ints(codes)
	for i, c := range codes {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%d: %d", c, s.answers[c])
	}
	b.WriteString("); gifts refunded by way:")
	for _, w := range refundWays {
		fmt.Fprintf(&b, " %s %d,", w, s.ways[w])
	}
	b.WriteString(" bKash refund faults:")
	for _, f := range refundFaults {
		fmt.Fprintf(&b, " %s %d,", f, s.faults[f])
	}
	fmt.Fprintf(&b, " refunds racing an aid request for the same money %d (the allocation first, refund refused: %d); gifts never paid (not refunded) %d",
		s.raceAid, s.raceLost, s.notPaid)
	return b.String()
}
