package app

import (
	"slices"
	"testing"
	"time"
)

func TestReconcileBackoff(t *testing.T) {
	r := &Reconciler{Interval: time.Minute}
	for n, want := range map[int]time.Duration{1: time.Minute, 2: 2 * time.Minute, 3: 4 * time.Minute, 4: 8 * time.Minute, 5: 15 * time.Minute, 1000: 15 * time.Minute} {
		if got := r.backoff(n); got != want {
			t.Errorf("re-check %d after %v, want %v", n, got, want)
		}
	}
	// A pass interval longer than the ceiling is the floor and the ceiling.
	if got := (&Reconciler{Interval: time.Hour}).backoff(5); got != time.Hour {
		t.Errorf("with an hourly pass: %v", got)
	}
}

// TestRechecksOrder: a pass takes payments never asked about first, then
// those whose wait ended longest ago; payments waiting are left out, and
// those no longer open are forgotten.
func TestRechecksOrder(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	wait := func(n int) time.Duration { return time.Duration(n) * time.Minute }
	var c rechecks
	open := []string{"a", "b", "c", "d", "e"}
	if got := c.due(open, t0, 2); !slices.Equal(got, []string{"a", "b"}) {
		t.Fatalf("first pass %v", got)
	}
	c.record("a", t0, true, t0, wait)
	c.record("b", t0, true, t0.Add(10*time.Second), wait)
	// a and b wait a minute; c, d and e were never asked.
	if got := c.due(open, t0.Add(30*time.Second), 2); !slices.Equal(got, []string{"c", "d"}) {
		t.Fatalf("second pass %v", got)
	}
	c.record("c", t0, true, t0.Add(30*time.Second), wait)
	c.record("d", t0, true, t0.Add(30*time.Second), wait)
	// At 1:15 a (due 1:00) and b (due 1:10) are due, c and d (1:30) are not;
	// e, never asked, goes first.
	if got := c.due(open, t0.Add(75*time.Second), 10); !slices.Equal(got, []string{"e", "a", "b"}) {
		t.Fatalf("third pass %v", got)
	}
	// b was settled elsewhere: it leaves the candidates and is forgotten.
	c.due([]string{"a", "c", "d", "e", "a"}, t0.Add(80*time.Second), 10)
	if _, ok := c.m["b"]; ok {
		t.Fatal("a payment no longer open is still remembered")
	}
	// A second unresolved answer doubles a's wait.
	c.record("a", t0, true, t0.Add(80*time.Second), wait)
	if got := c.m["a"].next; !got.Equal(t0.Add(80*time.Second + 2*time.Minute)) {
		t.Fatalf("a waits until %v", got)
	}
}

// TestRechecksUnanswered: payments whose last query got no answer are
// counted, overdue once older than the expiry age, and reported overdue once.
func TestRechecksUnanswered(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	wait := func(int) time.Duration { return time.Minute }
	var c rechecks
	c.record("old", t0.Add(-26*time.Hour), false, t0, wait)
	c.record("new", t0.Add(-time.Hour), false, t0, wait)
	c.record("pending", t0.Add(-30*time.Hour), true, t0, wait)
	if all, overdue := c.unanswered(t0, 25*time.Hour); all != 2 || overdue != 1 {
		t.Fatalf("unanswered %d, overdue %d; want 2 and 1", all, overdue)
	}
	if !c.firstOverdue("old") || c.firstOverdue("old") {
		t.Fatal("an overdue payment must be reported exactly once")
	}
	// bKash answers again: no longer unanswered, and reported afresh should
	// it go silent again.
	c.record("old", t0.Add(-26*time.Hour), true, t0.Add(time.Hour), wait)
	if all, overdue := c.unanswered(t0.Add(time.Hour), 25*time.Hour); all != 1 || overdue != 0 {
		t.Fatalf("after an answer: unanswered %d, overdue %d", all, overdue)
	}
	if !c.firstOverdue("old") {
		t.Fatal("a payment silent again after an answer is reported again")
	}
	c.forget("old")
	if c.firstOverdue("old") {
		t.Fatal("a forgotten payment is reported")
	}
}
