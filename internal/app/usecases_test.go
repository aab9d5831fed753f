package app_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/links"
	"github.com/kalyan-platform/kalyan/internal/memstore"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// Use cases on the in-memory adapter (memstore, held to the same
// conformance suite as the MongoDB adapter): fast, no servers.

type world struct {
	store     *memstore.Store
	now       time.Time
	units     *app.Units
	aid       *app.Aid
	donations *app.Donations
	credits   *app.LedgerCredits
	links     *app.Links
}

func newWorld(t *testing.T, codes ...string) *world {
	t.Helper()
	key, err := signing.ParseSealKey(signing.NewSealKey())
	if err != nil {
		t.Fatal(err)
	}
	seal, err := signing.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	s := memstore.New()
	w := &world{store: s, now: time.Date(2026, 8, 3, 9, 0, 0, 0, time.UTC)}
	clock := func() time.Time { return w.now }
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	w.units = &app.Units{Store: s.Units(), Now: clock, Slugs: s.Slugs()}
	w.aid = &app.Aid{Store: s.AidRequests(), Units: w.units, Ledger: s.Ledger(), Now: clock, Log: log, Snapshots: seal, Keys: s.IdempotencyKeys()}
	w.donations = &app.Donations{Units: w.units, Repo: s.Donations(), Receipts: s.Receipts(), Ledger: s.Ledger(), Now: clock, Log: log,
		Seal: seal, IDs: seal, Keys: s.IdempotencyKeys()}
	w.credits = &app.LedgerCredits{Ledger: s.Ledger()}
	w.links = &app.Links{Store: s.Links(), Units: w.units, Now: clock, Slugs: s.Slugs()}
	for _, code := range codes {
		u := &units.Unit{Code: code, Names: units.Names{EN: code, BN: code}, Level: units.District, Division: "Dhaka", District: "Dhaka",
			Policy: units.DefaultPolicy()}
		if created, err := w.units.Register(context.Background(), u); err != nil || !created {
			t.Fatalf("register %s: %v %v", code, created, err)
		}
	}
	return w
}

var (
	sw1 = aid.Actor{Sub: "sw-1", Role: "social_worker", Name: "Salma"}
	sw2 = aid.Actor{Sub: "sw-2", Role: "social_worker", Name: "Nasrin"}
)

// give records a cash gift at the counter and credits it to the ledger as
// the worker does on its paid event.
func (w *world) give(t *testing.T, unit, key, kind string, taka int64) *donations.Donation {
	t.Helper()
	var req donations.Request
	req.Amount, req.Kind, req.Anonymous = money.Taka(taka).String(), kind, true
	req.Donor.Phone = "01712345678"
	d, _, err := w.donations.CreateCash(context.Background(), unit, key, app.Collector{Subject: "sw-1"}, req)
	if err != nil {
		t.Fatalf("cash gift: %v", err)
	}
	for _, e := range d.Outbox {
		if err := w.credits.Handle(context.Background(), e); err != nil {
			t.Fatalf("credit %s: %v", e.ID, err)
		}
	}
	return d
}

func patientRequest(nid string, grant bool, diagnosis string) *aid.Request {
	return &aid.Request{
		Patient: aid.Patient{Name: "Karim Mia", Age: 40, Sex: "male", Guardian: "Rahim Mia", Mobile: "01812345678", NID: nid,
			District: "Dhaka", HospitalReg: "REG-7"},
		Diagnosis: diagnosis, Urgency: "high", GrantRequested: grant,
		Items:     []aid.Item{{Category: "medicine", Description: "deferasirox", Estimated: money.Taka(5_000)}},
		CaseStudy: aid.CaseStudy{HouseholdSize: 5, MonthlyIncome: money.Taka(6_000), Occupation: "day labourer", Narrative: "sole earner"},
	}
}

func TestCashGiftIsIdempotentAndPaid(t *testing.T) {
	w := newWorld(t, "dmch")
	ctx := context.Background()
	var req donations.Request
	req.Amount, req.Kind, req.Anonymous = "500.00", "zakat", true
	req.Donor.Phone = "01712345678"
	d, created, err := w.donations.CreateCash(ctx, "dmch", "key-1", app.Collector{Subject: "sw-1"}, req)
	if err != nil || !created {
		t.Fatalf("first gift: %v %v", created, err)
	}
	if d.Status != donations.Paid || d.Method != donations.Cash || len(d.Outbox) != 1 || d.Outbox[0].Type != events.DonationPaid {
		t.Fatalf("a cash gift is paid at once with its paid event: %+v", d)
	}
	// The same key again (a retried request): the same gift, not a second.
	again, created, err := w.donations.CreateCash(ctx, "dmch", "key-1", app.Collector{Subject: "sw-1"}, req)
	if err != nil || created || again.ID != d.ID {
		t.Fatalf("retry: %s created=%v %v, want %s", again.ID, created, err, d.ID)
	}
	// Another staff member's key with the same text is theirs.
	other, created, err := w.donations.CreateCash(ctx, "dmch", "key-1", app.Collector{Subject: "sw-2"}, req)
	if err != nil || !created || other.ID == d.ID {
		t.Fatalf("another collector's key: %v %v", created, err)
	}
	// The paid event credits the zakat fund once, however often delivered.
	for range 2 {
		if err := w.credits.Handle(ctx, d.Outbox[0]); err != nil {
			t.Fatal(err)
		}
	}
	bal, _ := w.store.Ledger().FundBalances(ctx, "dmch")
	if bal[ledger.FundZakat] != money.Taka(500) {
		t.Fatalf("zakat fund %s, want 500.00", bal[ledger.FundZakat])
	}
	v, err := w.donations.Get(ctx, d.ID)
	if err != nil || v.EffectiveStatus() != donations.Paid {
		t.Fatalf("view: %+v %v", v, err)
	}
	if _, _, err := w.donations.CreateCash(ctx, "nosuch", "key-2", app.Collector{Subject: "sw-1"}, req); !errors.Is(err, units.ErrNotFound) {
		t.Fatalf("gift to an unknown unit: %v", err)
	}
}

func TestAidFileAssessApproveAllocateDisburse(t *testing.T) {
	w := newWorld(t, "dmch")
	ctx := context.Background()
	w.give(t, "dmch", "g1", "zakat", 3_000)
	w.give(t, "dmch", "g2", "general", 10_000)

	q := patientRequest("1234567890", false, "thalassaemia")
	dups, created, err := w.aid.File(ctx, sw1, "dmch", "file-1", q)
	if err != nil || !created || len(dups) != 0 || q.Status != aid.Submitted {
		t.Fatalf("file: %v %v %+v", created, err, q)
	}
	// A retried filing with the same key and body gets the stored request.
	retry := patientRequest("1234567890", false, "thalassaemia")
	if _, created, err := w.aid.File(ctx, sw1, "dmch", "file-1", retry); err != nil || created || retry.ID != q.ID {
		t.Fatalf("retried filing: %s %v %v, want %s", retry.ID, created, err, q.ID)
	}
	if _, err := w.aid.Assess(ctx, sw1, q.ID, []money.Amount{money.Taka(5_000)}, true, "verified"); err != nil {
		t.Fatalf("assess: %v", err)
	}
	// Four eyes: whoever filed or assessed never approves.
	if _, err := w.aid.Approve(ctx, sw1, q.ID, aid.Resolution{}, ""); !errors.Is(err, aid.ErrSameAsMaker) {
		t.Fatalf("approval by the maker: %v", err)
	}
	approved, err := w.aid.Approve(ctx, sw2, q.ID, aid.Resolution{}, "ok")
	if err != nil || approved.Status != aid.Approved || approved.ApprovedBy != "sw-2" || len(approved.Outbox) != 1 {
		t.Fatalf("approve: %+v %v", approved, err)
	}
	// Allocation: zakat first for a zakat-eligible patient, then general.
	got, err := w.aid.Allocate(ctx, q.ID)
	if err != nil || got.Status != aid.Allocated || got.AllocatedTotal() != money.Taka(5_000) {
		t.Fatalf("allocate: %+v %v", got, err)
	}
	bal, _ := w.store.Ledger().FundBalances(ctx, "dmch")
	if bal[ledger.FundZakat] != 0 || bal[ledger.FundGeneral] != money.Taka(8_000) {
		t.Fatalf("funds after allocation: %v", bal)
	}
	// Allocating again moves nothing.
	if again, err := w.aid.Allocate(ctx, q.ID); err != nil || again.AllocatedTotal() != money.Taka(5_000) {
		t.Fatalf("allocate again: %+v %v", again, err)
	}
	if bal2, _ := w.store.Ledger().FundBalances(ctx, "dmch"); bal2[ledger.FundGeneral] != money.Taka(8_000) {
		t.Fatalf("funds after a second allocation: %v", bal2)
	}
	// Disbursement: recorded by one, confirmed by another.
	ds := []aid.Disbursement{{Item: 0, Amount: money.Taka(5_000), Method: "in_kind", Reference: "STORE-1", Recipient: "patient"}}
	if rec, err := w.aid.DisbursePart(ctx, sw1, q.ID, ds, true); err != nil || rec.Status != aid.DisbursementRecorded {
		t.Fatalf("record disbursement: %+v %v", rec, err)
	}
	if _, err := w.aid.ConfirmDisbursement(ctx, sw1, q.ID); !errors.Is(err, aid.ErrSameAsRecorder) {
		t.Fatalf("confirmation by the recorder: %v", err)
	}
	done, err := w.aid.ConfirmDisbursement(ctx, sw2, q.ID)
	if err != nil || done.Status != aid.Disbursed || done.DisbursedTotal() != money.Taka(5_000) {
		t.Fatalf("confirm: %+v %v", done, err)
	}
	hist, err := w.store.AidRequests().History(ctx, q.ID)
	if err != nil || len(hist) < 6 {
		t.Fatalf("history: %d versions %v", len(hist), err)
	}
}

func TestAidOneTimeGrantOncePerPatient(t *testing.T) {
	w := newWorld(t, "dmch", "rmch")
	ctx := context.Background()
	first := patientRequest("1234567890", true, "thalassaemia")
	if _, _, err := w.aid.File(ctx, sw1, "dmch", "", first); err != nil {
		t.Fatalf("first application: %v", err)
	}
	if n := len(first.Items); n != 2 || !first.Items[1].Grant || first.Items[1].Estimated != aid.GrantAmount {
		t.Fatalf("the grant's item: %+v", first.Items)
	}
	// A parallel application for the same person at another unit is refused.
	var pending app.ErrGrantPending
	second := patientRequest("1234567890", true, "thalassaemia")
	if _, _, err := w.aid.File(ctx, sw1, "rmch", "", second); !errors.As(err, &pending) || pending.Unit != "dmch" {
		t.Fatalf("parallel application: %v", err)
	}
	// Withdrawn, the claim goes back and the other unit may apply.
	if _, err := w.aid.Withdraw(ctx, sw1, first.ID, "filed at the wrong unit"); err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	third := patientRequest("1234567890", true, "thalassaemia")
	if _, _, err := w.aid.File(ctx, sw1, "rmch", "", third); err != nil {
		t.Fatalf("application after the withdrawal: %v", err)
	}
	// Not for every disease.
	if _, _, err := w.aid.File(ctx, sw1, "rmch", "", patientRequest("9876543210", true, "burn")); err == nil {
		t.Fatal("a grant for a disease outside the programme was filed")
	}
}

func TestLinksShareTheUnitsNamespace(t *testing.T) {
	w := newWorld(t, "dmch")
	ctx := context.Background()
	l := &links.Link{Slug: "eid-zakat", TitleEN: "Eid zakat", TitleBN: "ঈদের যাকাত", Kind: "zakat", CreatedBy: "ua-1"}
	if err := w.links.Create(ctx, "dmch", l); err != nil {
		t.Fatalf("create: %v", err)
	}
	if err := w.links.Create(ctx, "dmch", &links.Link{Slug: "eid-zakat", TitleEN: "x", TitleBN: "x", CreatedBy: "ua-1"}); !errors.Is(err, links.ErrTaken) {
		t.Fatalf("a taken slug: %v", err)
	}
	// A unit's code is its default link, never a campaign's.
	if err := w.links.Create(ctx, "dmch", &links.Link{Slug: "dmch", TitleEN: "x", TitleBN: "x", CreatedBy: "ua-1"}); !errors.Is(err, links.ErrTaken) {
		t.Fatalf("a unit's code as a slug: %v", err)
	}
	got, u, err := w.links.Resolve(ctx, "eid-zakat")
	if err != nil || got.Unit != "dmch" || u.Code != "dmch" {
		t.Fatalf("resolve: %+v %+v %v", got, u, err)
	}
	if def, _, err := w.links.Resolve(ctx, "dmch"); err != nil || def.Unit != "dmch" {
		t.Fatalf("a unit's default link: %+v %v", def, err)
	}
	if err := w.store.Links().SetDisabled(ctx, "eid-zakat", true); err != nil {
		t.Fatal(err)
	}
	if _, _, err := w.links.Resolve(ctx, "eid-zakat"); !errors.Is(err, links.ErrDisabled) {
		t.Fatalf("a disabled link: %v", err)
	}
	// And a link's slug is never a unit's code later.
	u2 := &units.Unit{Code: "eid-zakat", Names: units.Names{EN: "x", BN: "x"}, Level: units.District, Division: "Dhaka", District: "Dhaka",
		Policy: units.DefaultPolicy()}
	if _, err := w.units.Register(ctx, u2); err == nil {
		t.Fatal("a unit registered under a link's slug")
	}
}

func TestUnitsRegister(t *testing.T) {
	w := newWorld(t, "dmch")
	ctx := context.Background()
	u, err := w.units.Get(ctx, "dmch")
	if err != nil || u.Status != units.Active || !u.CreatedAt.Equal(w.now) {
		t.Fatalf("registered: %+v %v", u, err)
	}
	// Registering again updates it and keeps its creation time.
	w.now = w.now.Add(time.Hour)
	u.Names.EN = "Dhaka Medical College Hospital"
	if created, err := w.units.Register(ctx, u); err != nil || created {
		t.Fatalf("update: %v %v", created, err)
	}
	got, _ := w.units.Get(ctx, "dmch")
	if got.Names.EN != "Dhaka Medical College Hospital" || !got.CreatedAt.Equal(w.now.Add(-time.Hour)) {
		t.Fatalf("updated: %+v", got)
	}
	bad := &units.Unit{Code: "Bad Code"}
	if _, err := w.units.Register(ctx, bad); err == nil {
		t.Fatal("an invalid unit was registered")
	}
}
