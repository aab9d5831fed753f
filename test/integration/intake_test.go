package integration

import (
	"fmt"
	"sync"
	"testing"
)

// TestConcurrentCreatesShareBatches sends new gifts, same-key replays and
// same-key gifts with another body all at once, so the store writes them in
// shared batches: each key yields one 201; a replay gets 200 with the stored
// donation, another body a 422 problem.
func TestConcurrentCreatesShareBatches(t *testing.T) {
	type sent struct {
		key    string
		amount string
		r      resp
	}
	var calls []*sent
	for i := range 10 {
		calls = append(calls, &sent{key: fmt.Sprintf("conc-new-%d", i), amount: "100.00"})
	}
	for i := range 6 {
		for range 3 {
			calls = append(calls, &sent{key: fmt.Sprintf("conc-same-%d", i), amount: "200.00"})
		}
	}
	for i := range 3 {
		calls = append(calls, &sent{key: fmt.Sprintf("conc-other-%d", i), amount: "300.00"},
			&sent{key: fmt.Sprintf("conc-other-%d", i), amount: "301.00"})
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	for _, c := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			c.r = do(t, "POST", "/api/v1/units/dmch/donations", gift(c.amount, "sadaqah"), map[string]string{"Idempotency-Key": c.key})
		}()
	}
	close(start)
	wg.Wait()

	type outcome struct {
		created, replayed, refused int
		ids, urls                  map[string]bool
	}
	byKey := map[string]*outcome{}
	for _, c := range calls {
		o := byKey[c.key]
		if o == nil {
			o = &outcome{ids: map[string]bool{}, urls: map[string]bool{}}
			byKey[c.key] = o
		}
		switch c.r.Status {
		case 201:
			o.created++
		case 200:
			if c.r.Header.Get("Idempotent-Replayed") != "true" {
				t.Errorf("%s: 200 without Idempotent-Replayed", c.key)
			}
			o.replayed++
		case 422:
			problemOf(t, c.r, 422, "Idempotency-Key")
			o.refused++
			continue
		default:
			t.Fatalf("%s: %d %s", c.key, c.r.Status, c.r.Body)
		}
		d := c.r.JSON(t)
		o.ids[d["id"].(string)] = true
		o.urls[d["paymentURL"].(string)] = true
	}
	for key, o := range byKey {
		want := outcome{created: 1}
		switch key[:len("conc-xxxx")] {
		case "conc-same":
			want.replayed = 2
		case "conc-othe":
			want.refused = 1
		}
		if o.created != want.created || o.replayed != want.replayed || o.refused != want.refused {
			t.Errorf("%s: %d created, %d replayed, %d refused; want %d, %d, %d", key,
				o.created, o.replayed, o.refused, want.created, want.replayed, want.refused)
		}
		if len(o.ids) != 1 || len(o.urls) != 1 {
			t.Errorf("%s: answers name %d donations and %d payment pages, want one of each", key, len(o.ids), len(o.urls))
		}
	}
}
