package aid

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// Parts are spent from the earliest allocations; the final part returns
// what is left, last taken first back; every part is its own aid.disbursed
// event, and together they move exactly what was allocated.
func TestPartsSpendInOrderAndReleaseTheRest(t *testing.T) {
	r := &Request{ID: "aid_p", Unit: "u", Status: Allocated, Items: []Item{{Category: "medicine", Estimated: 1000, Approved: 1000}},
		Allocations: []Allocation{{Fund: "fund:zakat", Amount: 600}, {Fund: "fund:general", Amount: 400}}}
	rec, chk := Actor{Sub: "a", Role: RoleSocialWorker, Name: "A"}, Actor{Sub: "b", Role: RoleSocialWorker, Name: "B"}
	part := func(amount int64, final bool) {
		t.Helper()
		var ds []Disbursement
		if amount > 0 {
			ds = []Disbursement{{Item: 0, Amount: money.Amount(amount), Method: "in_kind", Reference: "S-1"}}
		}
		if err := r.DisbursePart(rec, ds, final, time.Now()); err != nil {
			t.Fatal(err)
		}
		if err := r.ConfirmDisbursement(chk, Rules{}, time.Now()); err != nil {
			t.Fatal(err)
		}
	}
	part(500, false)
	if r.Status != Allocated || len(r.Parts) != 1 || r.Parts[0].Spent[0] != (Allocation{Fund: "fund:zakat", Amount: 500}) {
		t.Fatalf("after a part: %s %+v", r.Status, r.Parts)
	}
	if err := r.DisbursePart(rec, []Disbursement{{Item: 0, Amount: 501, Method: "cash"}}, false, time.Now()); err == nil {
		t.Fatal("a part gave more than is left of the item")
	}
	part(200, false)
	if got := r.Parts[1].Spent; len(got) != 2 || got[0] != (Allocation{Fund: "fund:zakat", Amount: 100}) || got[1] != (Allocation{Fund: "fund:general", Amount: 100}) {
		t.Fatalf("second part spent %+v", got)
	}
	part(0, true)
	if r.Status != Disbursed || len(r.Parts[2].Returned) != 1 || r.Parts[2].Returned[0] != (Allocation{Fund: "fund:general", Amount: 300}) {
		t.Fatalf("release: %s %+v", r.Status, r.Parts[2])
	}
	ids := map[string]bool{}
	var moved money.Amount
	for _, e := range r.Outbox {
		var p DisbursedPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil || e.Type != EventDisbursed {
			t.Fatalf("event %s: %v", e.Type, err)
		}
		ids[e.ID] = true
		moved += p.Allocated
	}
	if len(ids) != 3 || moved != r.AllocatedTotal() {
		t.Fatalf("events %v moved %s of %s", ids, moved, r.AllocatedTotal())
	}
}
