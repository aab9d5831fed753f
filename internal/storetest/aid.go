package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/money"
)

func request(id, unit, nid, mobile string, min int) *aid.Request {
	return &aid.Request{ID: id, Unit: unit,
		Patient: aid.Patient{Name: "Karim", Age: 40, Sex: "m", Guardian: "Rahim", Mobile: mobile, NID: nid, District: "dhaka",
			HospitalReg: "REG-" + id, BirthDate: "1986-01-02", IDKey: "id:" + nid},
		Diagnosis: "thalassaemia", Urgency: "urgent",
		Items:     []aid.Item{{Category: "medicine", Description: "deferasirox", Estimated: money.Taka(5_000)}},
		CaseStudy: aid.CaseStudy{HouseholdSize: 4, DocumentsChecked: []string{"nid"}},
		Status:    aid.Submitted, FiledBy: "sw-1", CreatedAt: at(min), UpdatedAt: at(min),
		Change: aid.Change{Action: "file", By: "sw-1", Role: "social_worker", At: at(min)}}
}

func aidCreate(t *testing.T, s Store) {
	ctx := context.Background()
	if _, err := s.Aid.Get(ctx, "aid_nosuch"); !errors.Is(err, aid.ErrNotFound) {
		t.Fatalf("unknown request: %v", err)
	}
	if _, err := s.Aid.History(ctx, "aid_nosuch"); !errors.Is(err, aid.ErrNotFound) {
		t.Fatalf("history of an unknown request: %v", err)
	}
	q := request("aid_c", "dmch", "1234567890", "01812345678", 0)
	if err := s.Aid.Create(ctx, q); err != nil || q.Version != 1 {
		t.Fatalf("create: v%d %v", q.Version, err)
	}
	if err := s.Aid.Create(ctx, request("aid_c", "rmch", "", "01900000000", 1)); !errors.Is(err, aid.ErrExists) {
		t.Fatalf("second request with an ID: %v", err)
	}
	assessed, err := s.Aid.Update(ctx, "aid_c", func(q *aid.Request) error {
		q.Status, q.AssessedBy, q.Items[0].Approved = aid.Assessed, "sw-1", money.Taka(4_000)
		return nil
	})
	if err != nil || assessed.Version != 2 {
		t.Fatalf("assess: %+v %v", assessed, err)
	}
	// From a version the caller holds: its change to that copy is not
	// stored, and the update applies to a copy.
	assessed.Items[0].Approved = money.Taka(1)
	approved, err := s.Aid.UpdateFrom(ctx, "aid_c", assessed, func(q *aid.Request) error {
		q.Status, q.ApprovedBy, q.ApprovedAt, q.Items[0].Approved = aid.Approved, "sw-2", at(5), money.Taka(4_000)
		return nil
	})
	if err != nil || approved.Version != 3 {
		t.Fatalf("approve from a read version: %+v %v", approved, err)
	}
	// From a stale version: the chain refuses it and fn runs on the latest.
	stale := request("aid_c", "dmch", "1234567890", "01812345678", 0)
	stale.Version = 1
	var saw int
	got, err := s.Aid.UpdateFrom(ctx, "aid_c", stale, func(q *aid.Request) error { saw = q.Version; return nil })
	if err != nil || saw != 3 || got.Version != 4 {
		t.Fatalf("update from a stale version: fn saw v%d, stored %+v %v", saw, got, err)
	}
	if _, err := s.Aid.Update(ctx, "aid_c", func(*aid.Request) error { return aid.ErrNoChange }); err != nil {
		t.Fatal(err)
	}
	hist, err := s.Aid.History(ctx, "aid_c")
	if err != nil || len(hist) != 4 {
		t.Fatalf("history: %d versions, %v", len(hist), err)
	}
	for i, v := range hist {
		if v.Version != i+1 {
			t.Fatalf("history[%d] is v%d", i, v.Version)
		}
	}
	if hist[0].Status != aid.Submitted || hist[1].Status != aid.Assessed || hist[2].Status != aid.Approved ||
		hist[2].Items[0].Approved != money.Taka(4_000) || !hist[2].ApprovedAt.Equal(at(5)) {
		t.Fatalf("history: %+v", hist)
	}
}

// aidConcurrentUpdates: committee members each add their approval at once;
// none is lost.
func aidConcurrentUpdates(t *testing.T, s Store) {
	ctx := context.Background()
	const members = 10
	if err := s.Aid.Create(ctx, request("aid_cc", "dmch", "", "01812345678", 0)); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := range members {
		wg.Go(func() {
			_, err := s.Aid.Update(ctx, "aid_cc", func(q *aid.Request) error {
				q.Committee = append(q.Committee, aid.CommitteeApproval{By: fmt.Sprintf("cm-%d", i), Role: "committee", At: at(1)})
				return nil
			})
			if err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	got, err := s.Aid.Get(ctx, "aid_cc")
	if err != nil || len(got.Committee) != members || got.Version != 1+members {
		t.Fatalf("after %d concurrent approvals: %d stored, v%d, %v", members, len(got.Committee), got.Version, err)
	}
}

func ids(qs []aid.Request) []string {
	out := make([]string, len(qs))
	for i, q := range qs {
		out[i] = q.ID
	}
	return out
}

func aidList(t *testing.T, s Store) {
	ctx := context.Background()
	for _, q := range []*aid.Request{
		request("aid_1", "dmch", "1111111111", "01711111111", 1),
		request("aid_2", "dmch", "2222222222", "01722222222", 2),
		request("aid_3", "rmch", "1111111111", "01733333333", 3),
		request("aid_4", "dmch", "", "01711111111", 4),
	} {
		if err := s.Aid.Create(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	set := func(id string, st aid.Status) {
		if _, err := s.Aid.Update(ctx, id, func(q *aid.Request) error { q.Status = st; return nil }); err != nil {
			t.Fatal(err)
		}
	}
	set("aid_1", aid.Approved)
	set("aid_2", aid.Approved)
	set("aid_2", aid.Allocated) // an older version in "approved" must not count
	set("aid_4", aid.Waitlisted)
	for _, c := range []struct {
		f    aid.Filter
		want []string
	}{
		{aid.Filter{}, []string{"aid_4", "aid_3", "aid_2", "aid_1"}},
		{aid.Filter{Unit: "dmch"}, []string{"aid_4", "aid_2", "aid_1"}},
		{aid.Filter{Unit: "dmch", Status: string(aid.Approved)}, []string{"aid_1"}},
		{aid.Filter{Unit: "dmch", Awaiting: true}, []string{"aid_4", "aid_1"}},
		{aid.Filter{Patient: "1111111111"}, []string{"aid_3", "aid_1"}},
		{aid.Filter{Patient: "01711111111"}, []string{"aid_4", "aid_1"}},
		{aid.Filter{Patient: "id:2222222222"}, []string{"aid_2"}},
		{aid.Filter{BirthDate: "1986-01-02", Unit: "rmch"}, []string{"aid_3"}},
		{aid.Filter{Since: at(3)}, []string{"aid_4", "aid_3"}},
		{aid.Filter{Unit: "dmch", Offset: 1, Limit: 1}, []string{"aid_2"}},
		{aid.Filter{Unit: "dmch", Offset: 3}, nil},
	} {
		got, err := s.Aid.List(ctx, c.f)
		if err != nil || !slices.Equal(ids(got), c.want) {
			t.Errorf("list %+v: %v %v, want %v", c.f, ids(got), err, c.want)
		}
		for _, q := range got {
			if latest, _ := s.Aid.Get(ctx, q.ID); latest.Version != q.Version {
				t.Errorf("list %+v gave %s v%d, latest is v%d", c.f, q.ID, q.Version, latest.Version)
			}
		}
	}
}

func aidApprovedSince(t *testing.T, s Store) {
	ctx := context.Background()
	approve := func(q *aid.Request, min int) {
		if err := s.Aid.Create(ctx, q); err != nil {
			t.Fatal(err)
		}
		for _, fn := range []func(*aid.Request){
			func(q *aid.Request) { q.Status, q.ApprovedAt = aid.Approved, at(min) },
			func(q *aid.Request) { q.Status = aid.Allocated }, // later versions keep approvedAt
		} {
			if _, err := s.Aid.Update(ctx, q.ID, func(q *aid.Request) error { fn(q); return nil }); err != nil {
				t.Fatal(err)
			}
		}
	}
	approve(request("aid_a", "dmch", "5555555555", "01755555555", 0), 10)
	approve(request("aid_b", "rmch", "", "01755555555", 1), 20)
	approve(request("aid_old", "dmch", "5555555555", "01700000000", 2), 1)
	if err := s.Aid.Create(ctx, request("aid_unapproved", "dmch", "5555555555", "01755555555", 3)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		idKey, nid, mobile string
		want               []string
	}{
		{"id:5555555555", "", "", []string{"aid_a"}},
		{"", "5555555555", "", []string{"aid_a"}},
		{"", "", "01755555555", []string{"aid_a", "aid_b"}},
		{"id:5555555555", "", "01755555555", []string{"aid_a", "aid_b"}},
		{"", "", "", nil},
	} {
		got, err := s.Aid.ApprovedSince(ctx, c.idKey, c.nid, c.mobile, at(5))
		g := ids(got)
		slices.Sort(g)
		if err != nil || !slices.Equal(g, c.want) {
			t.Errorf("approved since for %q/%q/%q: %v %v, want %v", c.idKey, c.nid, c.mobile, g, err, c.want)
		}
		for _, q := range got {
			if q.Version != 3 || q.Status != aid.Allocated {
				t.Errorf("approved since gave %s v%d (%s), want the latest version", q.ID, q.Version, q.Status)
			}
		}
	}
}

func aidWindow(t *testing.T, s Store) {
	ctx := context.Background()
	e := func(key string, seq int, req string) aid.WindowEntry {
		return aid.WindowEntry{Key: key, Seq: seq, Request: req, Unit: "dmch", Amount: money.Taka(9_000), At: at(seq)}
	}
	if err := s.Aid.TakeWindow(ctx, []aid.WindowEntry{e("id:1", 1, "aid_1"), e("m:017", 1, "aid_1")}); err != nil {
		t.Fatal(err)
	}
	// A racing approval that read the same chains: its first slot is free,
	// its second is taken; the one before stays (an approval in flight).
	err := s.Aid.TakeWindow(ctx, []aid.WindowEntry{e("id:2", 1, "aid_2"), e("m:017", 1, "aid_2"), e("id:3", 1, "aid_2")})
	if !errors.Is(err, aid.ErrWindowMoved) {
		t.Fatalf("taken slot: %v", err)
	}
	got, err := s.Aid.WindowEntries(ctx, []string{"m:017", "id:2", "id:3"})
	if err != nil || len(got) != 2 {
		t.Fatalf("entries: %+v %v", got, err)
	}
	for _, w := range got {
		if (w.Key == "m:017" && w.Request != "aid_1") || (w.Key == "id:2" && w.Request != "aid_2") || w.Key == "id:3" || !w.At.Equal(at(1)) {
			t.Fatalf("entries: %+v", got)
		}
	}
	if got, err := s.Aid.WindowEntries(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("no keys: %+v %v", got, err)
	}
}

func aidGrants(t *testing.T, s Store) {
	ctx := context.Background()
	c, ok, err := s.Aid.ClaimGrant(ctx, "id:9", "dmch", "aid_1", at(0))
	if err != nil || !ok || c.Request != "aid_1" || c.Unit != "dmch" {
		t.Fatalf("first claim: %+v %v %v", c, ok, err)
	}
	if c, ok, err := s.Aid.ClaimGrant(ctx, "id:9", "rmch", "aid_2", at(1)); err != nil || ok || c.Request != "aid_1" || !c.At.Equal(at(0)) {
		t.Fatalf("claim held by another request: %+v %v %v", c, ok, err)
	}
	if _, ok, err := s.Aid.ClaimGrant(ctx, "id:9", "dmch", "aid_1", at(2)); err != nil || !ok {
		t.Fatalf("claim again by its holder: %v %v", ok, err)
	}
	// Only the holder gives it back.
	if err := s.Aid.ReleaseGrant(ctx, "id:9", "aid_2"); err != nil {
		t.Fatal(err)
	}
	if c, _, _ := s.Aid.ClaimGrant(ctx, "id:9", "rmch", "aid_2", at(3)); c.Request != "aid_1" {
		t.Fatalf("released by another request: held by %s", c.Request)
	}
	if err := s.Aid.ReleaseGrant(ctx, "id:9", "aid_1"); err != nil {
		t.Fatal(err)
	}
	if _, ok, err := s.Aid.ClaimGrant(ctx, "id:9", "rmch", "aid_2", at(4)); err != nil || !ok {
		t.Fatalf("claim after release: %v %v", ok, err)
	}
	// Received: once per identity, and the claim is never given back.
	if rec, err := s.Aid.GrantReceived(ctx, "id:9"); err != nil || rec != nil {
		t.Fatalf("received before disbursement: %+v %v", rec, err)
	}
	if err := s.Aid.ReceiveGrant(ctx, "id:9", "rmch", "aid_2", at(5)); err != nil {
		t.Fatal(err)
	}
	if err := s.Aid.ReceiveGrant(ctx, "id:9", "rmch", "aid_2", at(6)); err != nil {
		t.Fatalf("receive again by the same request: %v", err)
	}
	if err := s.Aid.ReceiveGrant(ctx, "id:9", "dmch", "aid_3", at(6)); err == nil {
		t.Fatal("a second request received the grant of one identity")
	}
	if err := s.Aid.ReleaseGrant(ctx, "id:9", "aid_2"); err != nil {
		t.Fatal(err)
	}
	if c, ok, _ := s.Aid.ClaimGrant(ctx, "id:9", "dmch", "aid_3", at(7)); ok || c.Request != "aid_2" {
		t.Fatalf("claim of a received grant: %+v %v", c, ok)
	}
	if rec, err := s.Aid.GrantReceived(ctx, "id:9"); err != nil || rec == nil || rec.Request != "aid_2" || !rec.At.Equal(at(5)) {
		t.Fatalf("received: %+v %v", rec, err)
	}
}
