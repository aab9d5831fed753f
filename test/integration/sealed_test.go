package integration

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/signing"
)

// Sealed snapshots (ADR 0005): events carry, sealed under the platform seal
// key, what their consumers would otherwise read. These tests deliver
// events to consumers of their own, built as the worker builds them, for
// gifts and requests the platform's relay never publishes.

func stackSealer(t *testing.T) *signing.Sealer {
	t.Helper()
	k, err := signing.ParseSealKey(stack.Config.SealKey)
	if err != nil {
		t.Fatal(err)
	}
	s, err := signing.NewSealer(k)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// quietPaidGift stores a paid cash gift without its outbox, so the
// platform's relay never publishes it, credits it in the ledger, and
// returns it with its donation.paid event (as MarkPaid built it: no
// snapshot).
func quietPaidGift(t *testing.T, unit, key, name, phone, tin string, anonymous bool) (*donations.Donation, events.Envelope) {
	t.Helper()
	ctx := context.Background()
	u, err := stack.Store.Units().Get(ctx, unit)
	if err != nil {
		t.Fatal(err)
	}
	var req donations.Request
	req.Amount, req.Currency, req.Kind = "250.00", "BDT", "general"
	req.Donor.Name, req.Donor.Phone, req.Donor.TIN, req.Anonymous = name, phone, tin, anonymous
	d, err := donations.New(u, donations.NewID(), donations.Cash, req, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := d.MarkPaid("CASH-"+key, time.Now()); err != nil {
		t.Fatal(err)
	}
	ev := d.Outbox[0]
	d.Outbox = nil
	if _, _, err := stack.Store.Donations().Create(ctx, d); err != nil {
		t.Fatal(err)
	}
	if err := (&app.LedgerCredits{Ledger: stack.Store.Ledger()}).Handle(ctx, ev); err != nil {
		t.Fatal(err)
	}
	return d, ev
}

// testIssuer is a receipt issuer as the worker builds it, opening snapshots
// with sealed (nil: reading every donor) and reading from repo.
func testIssuer(sealer *signing.Sealer, sealed app.Opener, repo donations.Repository) *app.ReceiptIssuer {
	return &app.ReceiptIssuer{Receipts: stack.Store.Receipts(), Units: stack.Store.Units(), Now: time.Now,
		Donations: repo, Keys: &app.UnitKeys{Store: stack.Store.UnitKeys(), Sealer: sealer, Now: time.Now}, DonorRef: sealer.DonorRef, Sealed: sealed}
}

// withPayload returns e with its payload re-encoded after set changed it.
func withPayload[P any](t *testing.T, e events.Envelope, set func(*P)) events.Envelope {
	t.Helper()
	var p P
	if err := json.Unmarshal(e.Payload, &p); err != nil {
		t.Fatal(err)
	}
	set(&p)
	b, err := json.Marshal(p)
	if err != nil {
		t.Fatal(err)
	}
	e.Payload = b
	return e
}

func withDonor(t *testing.T, e events.Envelope, blob []byte) events.Envelope {
	return withPayload(t, e, func(p *donations.PaidPayload) { p.DonorSealed = blob })
}

func sealDonor(t *testing.T, s app.Sealer, d *donations.Donation) []byte {
	t.Helper()
	b, err := app.SealDonor(s, d)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// signedContent is a receipt's signed content, checked valid by the API.
func signedContent(t *testing.T, id string) map[string]any {
	t.Helper()
	if v := verify(t, id); v["valid"] != true {
		t.Fatalf("receipt %s does not verify: %v", id, v)
	}
	var c map[string]any
	if err := json.Unmarshal([]byte(receiptDoc(t, id)["content"].(string)), &c); err != nil {
		t.Fatal(err)
	}
	return c
}

// donorPart is what of a receipt comes from the donor.
func donorPart(t *testing.T, id string) string {
	t.Helper()
	c := signedContent(t, id)
	return fmt.Sprintf("donor=%v mobile=%v tin=%v ref=%v", c["donor"], c["mobile"], c["tin"], receiptDoc(t, id)["donorRef"])
}

func TestReceiptsFromSealedDonorSnapshots(t *testing.T) {
	const unit = "rcpt-sealed"
	if r := do(t, "PUT", "/api/v1/admin/units/"+unit, unitBody("Jhenaidah Sadar Hospital", "ঝিনাইদহ সদর হাসপাতাল"), token(t, "platform_admin", "")); r.Status != 201 && r.Status != 200 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	sealer := stackSealer(t)
	issuer := func(sealed app.Opener, repo donations.Repository) *app.ReceiptIssuer {
		return testIssuer(sealer, sealed, repo)
	}
	const name, phone, tin = "Sealed Donor", "01711000123", "123456789012"

	// The read path (no snapshot) and the snapshot, in blocks and one by one.
	read, readEv := quietPaidGift(t, unit, "read", name, phone, tin, false)
	if err := issuer(nil, stack.Store.Donations()).Handle(ctx, readEv); err != nil {
		t.Fatal(err)
	}
	block, blockEv := quietPaidGift(t, unit, "block", name, phone, tin, false)
	if err := issuer(sealer, stack.Store.Donations()).HandleBatch(ctx, []events.Envelope{withDonor(t, blockEv, sealDonor(t, sealer, block))}); err != nil {
		t.Fatal(err)
	}
	// One by one, an issuer without a donation repository at all: the
	// snapshot is all it has.
	single, singleEv := quietPaidGift(t, unit, "single", name, phone, tin, false)
	if err := issuer(sealer, nil).Handle(ctx, withDonor(t, singleEv, sealDonor(t, sealer, single))); err != nil {
		t.Fatal(err)
	}
	want := donorPart(t, read.ID)
	if !strings.Contains(want, "donor="+name+" mobile="+contact.MaskMobile(read.Donor.Phone)+" ") || !strings.HasSuffix(want, " ref="+mustRef(t, sealer, read.Donor.Phone)) {
		t.Fatalf("read path receipt: %s", want)
	}
	for _, d := range []*donations.Donation{block, single} {
		if got := donorPart(t, d.ID); got != want {
			t.Fatalf("receipt of %s from the snapshot: %s, from the read: %s", d.ID, got, want)
		}
	}

	// The event stored and published carries ciphertext, never the donor.
	if sent := withDonor(t, blockEv, sealDonor(t, sealer, block)).Payload; bytes.Contains(sent, []byte(block.Donor.Phone[len(block.Donor.Phone)-8:])) ||
		bytes.Contains(sent, []byte(name)) {
		t.Fatal("paid event carries the donor in the clear")
	}

	// A snapshot that does not open for this gift falls back to the read:
	// another gift's blob (bound to its ID), a tampered one, one sealed
	// under another seal key.
	otherKey, err := signing.NewSealer(mustKey(t))
	if err != nil {
		t.Fatal(err)
	}
	other, _ := quietPaidGift(t, unit, "other", "Another Donor", "01811000456", "", false)
	foreign := sealDonor(t, sealer, other)
	cases := map[string]func(d *donations.Donation) []byte{
		"foreign": func(*donations.Donation) []byte { return foreign },
		"tampered": func(d *donations.Donation) []byte {
			b := sealDonor(t, sealer, d)
			b[len(b)-1] ^= 1
			return b
		},
		"other-key": func(d *donations.Donation) []byte { return sealDonor(t, otherKey, d) },
		"absent":    func(*donations.Donation) []byte { return nil },
	}
	for what, blob := range cases {
		for _, batch := range []bool{false, true} {
			d, ev := quietPaidGift(t, unit, fmt.Sprintf("%s-%t", what, batch), "Fallback Donor", "01911000789", "", true)
			ev = withDonor(t, ev, blob(d))
			h := issuer(sealer, stack.Store.Donations())
			if batch {
				err = h.HandleBatch(ctx, []events.Envelope{ev})
			} else {
				err = h.Handle(ctx, ev)
			}
			if err != nil {
				t.Fatalf("%s (batch %t): %v", what, batch, err)
			}
			c := signedContent(t, d.ID)
			if c["mobile"] != contact.MaskMobile(d.Donor.Phone) || c["donor"] == "Another Donor" || receiptDoc(t, d.ID)["donorRef"] != mustRef(t, sealer, d.Donor.Phone) {
				t.Fatalf("%s (batch %t): receipt %v", what, batch, c)
			}
		}
	}
	// The receipt the other gift gets is its own.
	if err := issuer(sealer, stack.Store.Donations()).HandleBatch(ctx, []events.Envelope{withDonor(t, mustPaidEvent(t, other), foreign)}); err != nil {
		t.Fatal(err)
	}
	if c := signedContent(t, other.ID); c["donor"] != "Another Donor" {
		t.Fatalf("other gift's receipt: %v", c)
	}
}

func mustKey(t *testing.T) []byte {
	t.Helper()
	k, err := signing.ParseSealKey(signing.NewSealKey())
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func mustRef(t *testing.T, s *signing.Sealer, phone string) string {
	t.Helper()
	ref, err := s.DonorRef(phone)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

// mustPaidEvent rebuilds d's donation.paid event (no snapshot).
func mustPaidEvent(t *testing.T, d *donations.Donation) events.Envelope {
	t.Helper()
	ev, err := events.New(donations.PaidEventID(d.ID), events.DonationPaid, d.Unit, d.PaidAt, donations.PaidPayload{
		Donation: d.ID, Amount: d.Amount, Kind: d.Kind, Programme: d.Programme, Method: d.Method, TrxID: d.TrxID, PaidAt: d.PaidAt})
	if err != nil {
		t.Fatal(err)
	}
	return ev
}

// approvedQuietly stores an approved request (version 1, no outbox: the
// platform's allocation worker never hears of it) and returns its
// aid.approved event without a snapshot.
func approvedQuietly(t *testing.T, unit, id, narrative string) (*aid.Request, events.Envelope) {
	t.Helper()
	amt := money.Taka(40)
	q := &aid.Request{ID: id, Unit: unit, Diagnosis: "general", Urgency: "normal", Status: aid.Approved,
		Items:     []aid.Item{{Category: "medicine", Estimated: amt, Approved: amt}},
		Patient:   aid.Patient{Name: "Sealed Patient", Mobile: "01712000111", District: "Dhaka", HospitalReg: "H-1"},
		CaseStudy: aid.CaseStudy{Narrative: narrative}, CreatedAt: time.Now(), FiledBy: "sealed-test", ApprovedBy: "sealed-test"}
	if err := stack.Store.AidRequests().Create(context.Background(), q); err != nil {
		t.Fatal(err)
	}
	ev, err := events.New(id+"/approved", aid.EventApproved, unit, time.Now(), aid.ApprovedPayload{Request: id, Amount: amt, Version: q.Version})
	if err != nil {
		t.Fatal(err)
	}
	return q, ev
}

func withSnapshot(t *testing.T, e events.Envelope, blob []byte) events.Envelope {
	return withPayload(t, e, func(p *aid.ApprovedPayload) { p.Sealed = blob })
}

func sealApproved(t *testing.T, s app.Sealer, q *aid.Request) []byte {
	t.Helper()
	b, err := app.SealApproved(s, q)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestAllocationFromSealedApprovedSnapshots(t *testing.T) {
	const unit = "aid-sealed"
	if r := do(t, "PUT", "/api/v1/admin/units/"+unit, unitBody("Chuadanga Sadar Hospital", "চুয়াডাঙ্গা সদর হাসপাতাল"), token(t, "platform_admin", "")); r.Status != 201 && r.Status != 200 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	sealer := stackSealer(t)
	_, funds := quietPaidGift(t, unit, "funds", "Fund Donor", "01711000321", "", false) // 250 taka in the general fund
	if err := testIssuer(sealer, sealer, stack.Store.Donations()).Handle(ctx, funds); err != nil {
		t.Fatal(err)
	}
	units := &app.Units{Store: stack.Store.Units(), Now: time.Now}
	worker := &app.AllocationWorker{
		Aid:     &app.Aid{Store: stack.Store.AidRequests(), Units: units, Ledger: stack.Store.Ledger(), Now: time.Now, Snapshots: sealer},
		Credits: &app.LedgerCredits{Ledger: stack.Store.Ledger()},
	}
	run := fmt.Sprint(time.Now().UnixNano())
	latest := func(id string) *aid.Request {
		t.Helper()
		q, err := stack.Store.AidRequests().Get(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return q
	}
	allocated := func(what string, q *aid.Request, version int) {
		t.Helper()
		if q.Status != aid.Allocated || q.Version != version || q.AllocatedTotal() != money.Taka(40) || len(q.Allocations) != 1 {
			t.Fatalf("%s: %s v%d allocated %s in %d allocations", what, q.Status, q.Version, q.AllocatedTotal(), len(q.Allocations))
		}
	}

	// From the snapshot: the new version is the snapshot's successor. The
	// snapshot here says a word more than the stored version, which shows
	// which one the block path built on (an authentic snapshot equals the
	// stored version: it is sealed in the same change).
	snapQ, snapEv := approvedQuietly(t, unit, "aid_sealed_snap_"+run, "stored")
	fromSnap := *snapQ
	fromSnap.CaseStudy.Narrative = "sealed"
	// An old event without a snapshot, and one with another request's
	// snapshot (bound to that request and version): both read.
	oldQ, oldEv := approvedQuietly(t, unit, "aid_sealed_old_"+run, "stored")
	forQ, forEv := approvedQuietly(t, unit, "aid_sealed_foreign_"+run, "stored")
	batch := []events.Envelope{
		withSnapshot(t, snapEv, sealApproved(t, sealer, &fromSnap)),
		oldEv,
		withSnapshot(t, forEv, sealApproved(t, sealer, &fromSnap)),
	}
	if err := worker.HandleBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for what, want := range map[*aid.Request]string{snapQ: "sealed", oldQ: "stored", forQ: "stored"} {
		q := latest(what.ID)
		allocated(what.ID, q, 2)
		if q.CaseStudy.Narrative != want {
			t.Fatalf("%s built on %q, want %q", what.ID, q.CaseStudy.Narrative, want)
		}
	}

	// A stale snapshot: the request was allocated after its approval (here
	// by the one-by-one path), so version 1 is no longer the latest. The
	// block path must notice and settle it without a second allocation.
	staleQ, staleEv := approvedQuietly(t, unit, "aid_sealed_stale_"+run, "stored")
	stale := withSnapshot(t, staleEv, sealApproved(t, sealer, staleQ))
	if _, err := worker.Aid.Allocate(ctx, staleQ.ID); err != nil {
		t.Fatal(err)
	}
	before, err := stack.Store.Ledger().FundBalances(ctx, unit)
	if err != nil {
		t.Fatal(err)
	}
	for range 2 { // and a redelivery
		if err := worker.HandleBatch(ctx, []events.Envelope{stale}); err != nil {
			t.Fatal(err)
		}
	}
	allocated("stale", latest(staleQ.ID), 2)
	after, err := stack.Store.Ledger().FundBalances(ctx, unit)
	if err != nil {
		t.Fatal(err)
	}
	if after["fund:general"] != before["fund:general"] {
		t.Fatalf("stale snapshot moved money again: general fund %s, was %s", after["fund:general"], before["fund:general"])
	}
	// Redelivering the snapshot events changes nothing either.
	if err := worker.HandleBatch(ctx, batch); err != nil {
		t.Fatal(err)
	}
	for _, q := range []*aid.Request{snapQ, oldQ, forQ} {
		allocated("redelivered "+q.ID, latest(q.ID), 2)
	}
	if end, _ := stack.Store.Ledger().FundBalances(ctx, unit); end["fund:general"] != after["fund:general"] || end["fund:general"] != money.Taka(250-4*40) {
		t.Fatalf("general fund %s after redelivery, want %s", end["fund:general"], money.Taka(250-4*40))
	}
}

// Marking a gift paid seals the donor into the event it stores, and
// approving a request seals the approved version: the one-document change
// carries state and sealed event together.
func TestServicesSealIntoTheirEvents(t *testing.T) {
	const unit = "rcpt-sealed-svc"
	if r := do(t, "PUT", "/api/v1/admin/units/"+unit, unitBody("Meherpur Sadar Hospital", "মেহেরপুর সদর হাসপাতাল"), token(t, "platform_admin", "")); r.Status != 201 && r.Status != 200 {
		t.Fatalf("register: %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	sealer := stackSealer(t)
	id := cashGift(t, unit, "svc-1", donorGift("300.00", "general", "Service Donor", "01711000555"))
	waitReceipted(t, id)
	d, err := stack.Store.Donations().Get(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if c := signedContent(t, id); c["donor"] != "Service Donor" || c["mobile"] != contact.MaskMobile(d.Donor.Phone) {
		t.Fatalf("receipt %v", c)
	}
	var p donations.PaidPayload
	for _, e := range d.Outbox {
		if e.Type == events.DonationPaid {
			if p, err = donations.DecodePaid(e); err != nil {
				t.Fatal(err)
			}
			if bytes.Contains(e.Payload, []byte("1711000555")) || bytes.Contains(e.Payload, []byte("Service Donor")) {
				t.Fatal("paid event carries the donor in the clear")
			}
		}
	}
	plain, err := sealer.Open(p.DonorSealed, []byte("kalyan/paid-donor/v1\x00"+id))
	if err != nil || !bytes.Contains(plain, []byte("Service Donor")) {
		t.Fatalf("stored paid event's snapshot: %v (%d bytes sealed)", err, len(p.DonorSealed))
	}

	// Approving through the service.
	q := &aid.Request{ID: "aid_sealed_svc_" + fmt.Sprint(time.Now().UnixNano()), Unit: unit, Diagnosis: "general", Urgency: "normal", Status: aid.Assessed,
		Items:     []aid.Item{{Category: "medicine", Estimated: money.Taka(10), Approved: money.Taka(10)}},
		Patient:   aid.Patient{Name: "Sealed Patient", Mobile: "01712000111", District: "Dhaka", HospitalReg: "H-2"},
		CreatedAt: time.Now(), FiledBy: "sw-1", AssessedBy: "sw-1"}
	if err := stack.Store.AidRequests().Create(ctx, q); err != nil {
		t.Fatal(err)
	}
	svc := &app.Aid{Store: stack.Store.AidRequests(), Units: &app.Units{Store: stack.Store.Units(), Now: time.Now}, Ledger: stack.Store.Ledger(), Now: time.Now, Snapshots: sealer}
	if _, err := svc.Approve(ctx, aid.Actor{Sub: "committee-1", Role: "committee"}, q.ID, aid.Resolution{}, "ok"); err != nil {
		t.Fatal(err)
	}
	hist, err := stack.Store.AidRequests().History(ctx, q.ID)
	if err != nil || len(hist) < 2 {
		t.Fatalf("history %d versions: %v", len(hist), err)
	}
	v2 := hist[1]
	var ap aid.ApprovedPayload
	if len(v2.Outbox) != 1 || json.Unmarshal(v2.Outbox[0].Payload, &ap) != nil || ap.Version != 2 {
		t.Fatalf("approved version's outbox %+v", v2.Outbox)
	}
	if bytes.Contains(v2.Outbox[0].Payload, []byte("Sealed Patient")) {
		t.Fatal("approved event carries the patient in the clear")
	}
	plain, err = sealer.Open(ap.Sealed, []byte("kalyan/aid-approved/v1\x00"+q.ID+"#2"))
	var snap aid.Request
	if err != nil || json.Unmarshal(plain, &snap) != nil {
		t.Fatalf("approved snapshot: %v", err)
	}
	if snap.Version != 2 || snap.Status != aid.Approved || snap.ApprovedBy != "committee-1" || snap.Outbox != nil || snap.Patient != v2.Patient {
		t.Fatalf("approved snapshot %+v, stored %+v", snap, v2)
	}
}
