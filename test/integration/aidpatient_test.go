package integration

import (
	"fmt"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// TestPatientRequestsBounded: a patient's earlier requests at any unit
// (the console's decision support) come from one capped find: at most the
// limit, newest first, each at its latest version even when block
// allocation left the version before it unflagged, and none of another
// patient's.
func TestPatientRequestsBounded(t *testing.T) {
	ctx := t.Context()
	store := stack.Store.AidRequests()
	run := fmt.Sprint(time.Now().UnixNano())
	mobile := "0171" + run[len(run)-7:]
	start := time.Now().Add(-48 * time.Hour).UTC().Truncate(time.Millisecond)
	var ids []string
	for i := range 25 {
		unit := "uhc-patient-a"
		if i%2 == 1 {
			unit = "uhc-patient-b"
		}
		q := &aid.Request{ID: fmt.Sprintf("aid_patient_%s_%02d", run, i), Unit: unit, Diagnosis: "general", Urgency: "normal", Status: aid.Assessed,
			Items:     []aid.Item{{Category: "medicine", Estimated: money.Taka(100), Approved: money.Taka(100)}},
			Patient:   aid.Patient{Name: "Bounded Patient", Mobile: mobile, District: "Dhaka", HospitalReg: "H-9"},
			CreatedAt: start.Add(time.Duration(i) * time.Minute), FiledBy: "sw-1"}
		if err := store.Create(ctx, q); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, q.ID)
	}
	// The newest request moves on by a block insert, which leaves its
	// first version without the "superseded" hint.
	newest, err := store.Get(ctx, ids[24])
	if err != nil {
		t.Fatal(err)
	}
	next := *newest
	next.Version, next.Status = 2, aid.Approved
	if refused, err := store.InsertNext(ctx, []*aid.Request{&next}); err != nil || len(refused) > 0 {
		t.Fatalf("insert next: %v %v", refused, err)
	}
	other := &aid.Request{ID: "aid_patient_other_" + run, Unit: "uhc-patient-a", Diagnosis: "general", Urgency: "normal", Status: aid.Submitted,
		Items:   []aid.Item{{Category: "medicine", Estimated: money.Taka(5)}},
		Patient: aid.Patient{Name: "Someone Else", Mobile: "0181" + run[len(run)-7:], District: "Dhaka", HospitalReg: "H-10"}, CreatedAt: time.Now()}
	if err := store.Create(ctx, other); err != nil {
		t.Fatal(err)
	}

	got, err := store.PatientRequests(ctx, "", "", mobile, 20)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 20 {
		t.Fatalf("%d requests, want the limit of 20", len(got))
	}
	for i, q := range got {
		if want := ids[24-i]; q.ID != want {
			t.Fatalf("request %d is %s, want %s (newest first)", i, q.ID, want)
		}
	}
	if got[0].Version != 2 || got[0].Status != aid.Approved {
		t.Fatalf("the newest request at v%d %s, want its latest version (v2 approved)", got[0].Version, got[0].Status)
	}
	if none, err := store.PatientRequests(ctx, "", "", "", 20); err != nil || len(none) != 0 {
		t.Fatalf("no keys: %d requests, %v", len(none), err)
	}
}
