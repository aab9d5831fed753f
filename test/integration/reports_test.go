package integration

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/reports"
	moneyverify "github.com/kalyan-platform/kalyan/internal/verify"
)

// simClock is the year's clock the use cases run on.
type simClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *simClock) Now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *simClock) Set(t time.Time) { c.mu.Lock(); defer c.mu.Unlock(); c.t = t }

// expected are the figures the generated year must produce, kept by the
// test itself, independently of the ledger and the reports.
type expected struct {
	gifts    map[string]money.Amount // unit|channel
	giftN    map[string]int64
	refunds  map[string]money.Amount // unit
	given    map[string]money.Amount // unit
	patients map[string]map[string]bool
	approved map[string]int64
}

// TestReportsReconcileWithTheLedger generates a year of two units' activity
// (fiscal year 2025-26) through the real use cases on the running stack —
// bKash checkout gifts, counter gifts and gifts made in the bKash app of
// every kind, refunds, and aid requests left in every state — lets the
// workers credit the ledger and record the report facts, then builds the
// reports and checks every total: month by month and fund by fund against
// verify's fold of the ledger, and against what the test itself generated.
func TestReportsReconcileWithTheLedger(t *testing.T) {
	ctx := context.Background()
	run := fmt.Sprint(time.Now().UnixNano() % 1_000_000)
	clock := &simClock{t: time.Date(2025, 7, 3, 4, 0, 0, 0, time.UTC)}
	type unitSpec struct{ code, division, district, merchant, shortCode string }
	specs := []unitSpec{
		{"rpt-bandarban-" + run, "Chattagram", "Bandarban", "rpt-bb-" + run, "01810" + run[:min(6, len(run))]},
		{"rpt-panchagarh-" + run, "Rangpur", "Panchagarh", "rpt-pg-" + run, "01820" + run[:min(6, len(run))]},
	}
	for _, s := range specs {
		appMerchantAt(t, s.code, s.merchant, s.shortCode, s.division, s.district)
	}
	don := *stack.API.Donations
	don.Now = clock.Now
	ag := *stack.API.AppGifts
	ag.Donations = &don
	units := &app.Units{Store: stack.Store.Units(), Now: clock.Now}
	aids := &app.Aid{Store: stack.Store.AidRequests(), Units: units, Ledger: stack.Store.Ledger(), Now: clock.Now, Keys: stack.Store.IdempotencyKeys()}
	sw1 := aid.Actor{Sub: "rpt-sw1", Role: aid.RoleSocialWorker, Name: "Social Worker One"}
	sw2 := aid.Actor{Sub: "rpt-sw2", Role: aid.RoleSocialWorker, Name: "Social Worker Two"}

	want := expected{gifts: map[string]money.Amount{}, giftN: map[string]int64{}, refunds: map[string]money.Amount{}, given: map[string]money.Amount{},
		patients: map[string]map[string]bool{}, approved: map[string]int64{}}
	rng := rand.New(rand.NewPCG(18, 2025))
	var requests []string
	// The patients' NIDs and mobiles are this run's own: the approval rules
	// sum a patient's approvals across every unit of the shared stack, so a
	// NID another test approved would put these above the threshold.
	var nids, mobiles []string
	for i := range 5 {
		nids = append(nids, fmt.Sprintf("%d8%08s", i+1, run))
		mobiles = append(mobiles, fmt.Sprintf("0171%d%06s", i, run))
	}
	mobileOf := func(nid string) string { return mobiles[slices.Index(nids, nid)] }

	checkoutGift := func(unit, kind, programme string, amount money.Amount) string {
		t.Helper()
		req := donations.Request{Amount: amount.String(), Currency: "BDT", Kind: kind, Programme: programme}
		req.Donor.Name, req.Donor.Phone = "Report Donor", "01711"+fmt.Sprintf("%06d", rng.IntN(1_000_000))
		u, err := units.Servable(ctx, unit)
		if err != nil {
			t.Fatal(err)
		}
		d, _, err := don.Create(ctx, u, "rpt-"+run+"-"+fmt.Sprint(rng.Uint64()), req)
		if err != nil {
			t.Fatal(err)
		}
		page := form(t, d.PaymentURL, url.Values{"action": {"pay"}})
		if page.Status != 303 {
			t.Fatalf("sandbox pay: %d %s", page.Status, page.Body)
		}
		if _, err := don.Callback(ctx, d.ID, d.PaymentID, "success"); err != nil {
			t.Fatal(err)
		}
		return d.ID
	}
	addGift := func(unit, channel string, a money.Amount) {
		want.gifts[unit+"|"+channel] += a
		want.giftN[unit+"|"+channel]++
	}

	start := clock.Now()
	for month := range 12 {
		for ui, s := range specs {
			day := start.AddDate(0, month, 2*ui)
			clock.Set(day)
			// Gifts of every kind and channel.
			a := money.Taka(int64(500 + rng.IntN(2000)))
			zakatGift := checkoutGift(s.code, "zakat", "", a)
			addGift(s.code, reports.ChannelLink, a)
			// A refund every third month, right after the gift: part of it.
			// (The workers may allocate the money to a waiting patient
			// first: then the refund fails and moves nothing.)
			if month%3 == 2 {
				_, rf, err := don.Refund(ctx, zakatGift, "rpt-refund-"+zakatGift, money.Taka(100), "donor asked", "rpt-admin")
				if err != nil {
					t.Fatalf("refund %s: %v", zakatGift, err)
				}
				if rf.Status == donations.RefundCompleted {
					want.refunds[s.code] += money.Taka(100)
				}
			}
			b := money.Taka(int64(300 + rng.IntN(900)))
			checkoutGift(s.code, "sadaqah", "cancer", b)
			addGift(s.code, reports.ChannelLink, b)
			for _, g := range []struct{ kind, programme string }{{"general", ""}, {"zakat", "kidney"}, {"sadaqah", ""}} {
				c := money.Taka(int64(200 + rng.IntN(800)))
				req := donations.Request{Amount: c.String(), Currency: "BDT", Kind: g.kind, Programme: g.programme}
				req.Donor.Name, req.Donor.Phone = "Counter Donor", "01811"+fmt.Sprintf("%06d", rng.IntN(1_000_000))
				if _, _, err := don.CreateCash(ctx, s.code, "rpt-cash-"+run+"-"+fmt.Sprint(rng.Uint64()), app.Collector{Subject: "rpt-cashier", Name: "Report Cashier"}, req); err != nil {
					t.Fatal(err)
				}
				addGift(s.code, reports.ChannelCounter, c)
			}
			if month%2 == 0 {
				c := money.Taka(int64(100 + rng.IntN(400)))
				phone := "01911" + fmt.Sprintf("%06d", rng.IntN(1_000_000))
				trx, err := stack.Sandbox.RecordAppPayment(s.merchant, bkashsandbox.AppPayment{Amount: c, Payer: phone, At: clock.Now()})
				if err != nil {
					t.Fatal(err)
				}
				if _, _, err := ag.Claim(ctx, s.code, app.AppGiftRequest{TrxID: trx, Phone: phone, Kind: "sadaqah", Name: "App Donor", ClientIP: "10.0.0.1"}); err != nil {
					t.Fatal(err)
				}
				addGift(s.code, reports.ChannelApp, c)
			}
			// Aid: two requests a month, left in every state.
			for k := range 2 {
				clock.Set(day.Add(time.Duration(k+1) * time.Hour))
				nid := nids[rng.IntN(len(nids))]
				q := &aid.Request{Patient: aid.Patient{Name: "Patient " + nid[:3], Age: 40, Sex: "female", Guardian: "Guardian", Mobile: mobileOf(nid),
					NID: nid, District: s.district, HospitalReg: "REG-" + run},
					Diagnosis: []string{"cancer", "kidney", "thalassaemia", "general"}[rng.IntN(4)], Urgency: aid.Urgencies[rng.IntN(len(aid.Urgencies))],
					Items: []aid.Item{{Category: "medicine", Description: "drugs", Estimated: money.Taka(int64(300 + rng.IntN(700)))},
						{Category: "tests", Description: "lab", Estimated: money.Taka(int64(200 + rng.IntN(300)))}},
					CaseStudy: aid.CaseStudy{HouseholdSize: 4, MonthlyIncome: money.Taka(6000), Occupation: "labourer", Narrative: "poor family"}}
				if _, _, err := aids.File(ctx, sw1, s.code, "", q); err != nil {
					t.Fatal(err)
				}
				requests = append(requests, q.ID)
				state := (month*2 + k + ui) % 6
				if state == 0 {
					continue // submitted
				}
				clock.Set(clock.Now().Add(2 * time.Hour))
				if _, err := aids.Assess(ctx, sw1, q.ID, []money.Amount{q.Items[0].Estimated, q.Items[1].Estimated}, true, "assessed"); err != nil {
					t.Fatal(err)
				}
				if state == 1 {
					if _, err := aids.Reject(ctx, sw2, q.ID, "not eligible"); err != nil {
						t.Fatal(err)
					}
					continue
				}
				clock.Set(clock.Now().Add(24 * time.Hour))
				if _, err := aids.Approve(ctx, sw2, q.ID, aid.Resolution{}, "approved"); err != nil {
					t.Fatal(err)
				}
				want.approved[s.code]++
				if state == 2 {
					continue // approved: the worker allocates it
				}
				var r *aid.Request
				eventually(t, "allocation of "+q.ID, func() bool {
					var err error
					r, err = stack.Store.AidRequests().Get(ctx, q.ID)
					return err == nil && (r.Status == aid.Allocated || r.Status == aid.PartiallyAllocated || r.Status == aid.Waitlisted)
				})
				if r.Status != aid.Allocated {
					continue // waitlisted or partly allocated: money waits
				}
				clock.Set(clock.Now().Add(48 * time.Hour))
				first := r.Items[0].Approved
				final := state == 5
				if _, err := aids.DisbursePart(ctx, sw1, q.ID, []aid.Disbursement{{Item: 0, Amount: first, Method: "cash", Recipient: "patient"}}, final); err != nil {
					t.Fatal(err)
				}
				if state == 3 {
					continue // disbursement recorded, awaiting its confirmation
				}
				if _, err := aids.ConfirmDisbursement(ctx, sw2, q.ID); err != nil {
					t.Fatal(err)
				}
				want.given[s.code] += first
				if want.patients[s.code] == nil {
					want.patients[s.code] = map[string]bool{}
				}
				want.patients[s.code][nid] = true
			}
		}
	}

	// The workers catch up: every event is in the ledger and the reports.
	codes := []string{specs[0].code, specs[1].code}
	var figures []moneyverify.Figure
	eventually(t, "ledger and report facts caught up", func() bool {
		_, figures, _ = moneyverify.ReportsAgainstLedger(ctx, stack.Store.Audit())
		for _, f := range figures {
			if (f.Unit == codes[0] || f.Unit == codes[1]) && f.Ledger != f.Reports {
				return false
			}
		}
		return len(figures) > 0
	})
	var gifts, refunds, given money.Amount
	for _, f := range figures {
		if f.Unit != codes[0] && f.Unit != codes[1] {
			continue
		}
		switch f.What {
		case "gifts":
			gifts += f.Ledger
		case "refunds":
			refunds += f.Ledger
		case "aid given":
			given += f.Ledger
		}
	}

	// The reports, as the API builds them, at every level.
	svc := &app.Reports{Facts: stack.Store.ReportFacts(), Ledger: stack.Store.Ledger(), Units: stack.Store.Units(), Waitlists: stack.Store.Waitlists(),
		Now: func() time.Time { return time.Date(2026, 7, 1, 0, 0, 0, 0, time.UTC) }, TTL: time.Second}
	fy, _ := reports.ParsePeriod("2025-26")
	var sumGifts, sumRefunds, sumGiven money.Amount
	for _, s := range specs {
		scope, err := svc.Scope(ctx, reports.LevelUnit, s.code)
		if err != nil {
			t.Fatal(err)
		}
		r, err := svc.Report(ctx, scope, fy)
		if err != nil {
			t.Fatal(err)
		}
		sumGifts += r.Gifts.Amount
		sumRefunds += r.Refunds.Amount
		sumGiven += r.Given.Amount
		for _, ch := range []string{reports.ChannelLink, reports.ChannelCounter, reports.ChannelApp} {
			got := lineOf(r.GiftsBy["channel"], ch)
			if got.Amount != want.gifts[s.code+"|"+ch] || got.Count != want.giftN[s.code+"|"+ch] {
				t.Errorf("%s %s gifts: report %s in %d, generated %s in %d", s.code, ch, got.Amount, got.Count, want.gifts[s.code+"|"+ch], want.giftN[s.code+"|"+ch])
			}
		}
		if r.Refunds.Amount != want.refunds[s.code] || r.Given.Amount != want.given[s.code] || r.Approved.Count != want.approved[s.code] {
			t.Errorf("%s: refunds %s (want %s), given %s (want %s), approved %d (want %d)", s.code, r.Refunds.Amount, want.refunds[s.code],
				r.Given.Amount, want.given[s.code], r.Approved.Count, want.approved[s.code])
		}
		if r.Patients.Distinct != int64(len(want.patients[s.code])) || r.Patients.New != r.Patients.Distinct {
			t.Errorf("%s: %d distinct patients (%d new), generated %d", s.code, r.Patients.Distinct, r.Patients.New, len(want.patients[s.code]))
		}
		if r.Zakat.SpentIneligible != 0 {
			t.Errorf("%s: zakat spent on ineligible patients: %s", s.code, r.Zakat.SpentIneligible)
		}
		var monthly money.Amount
		for _, m := range r.Monthly {
			monthly += m.Gifts
		}
		if len(r.Monthly) != 12 || monthly != r.Gifts.Amount {
			t.Errorf("%s: %d months summing to %s, total %s", s.code, len(r.Monthly), monthly, r.Gifts.Amount)
		}
		// The district's report is this unit's (no other unit there).
		d, _ := svc.Scope(ctx, reports.LevelDistrict, strings.ToLower(s.district))
		dr, err := svc.Report(ctx, d, fy)
		if err != nil {
			t.Fatal(err)
		}
		if dr.Gifts != r.Gifts || dr.Given != r.Given || dr.Patients != r.Patients || len(dr.Children) != 1 || dr.Children[0].Code != s.code {
			t.Errorf("district %s: gifts %v given %v patients %v children %v; unit: %v %v %v", s.district, dr.Gifts, dr.Given, dr.Patients, dr.Children,
				r.Gifts, r.Given, r.Patients)
		}
	}
	if sumGifts != gifts || sumRefunds != refunds || sumGiven != given || gifts == 0 || refunds == 0 || given == 0 {
		t.Errorf("reports: gifts %s, refunds %s, given %s; the ledger's fold: %s, %s, %s", sumGifts, sumRefunds, sumGiven, gifts, refunds, given)
	}
	var wantGifts money.Amount
	for k, a := range want.gifts {
		if strings.HasPrefix(k, codes[0]+"|") || strings.HasPrefix(k, codes[1]+"|") {
			wantGifts += a
		}
	}
	if gifts != wantGifts {
		t.Errorf("the ledger has %s of gifts, the test gave %s", gifts, wantGifts)
	}
	if len(requests) != 48 {
		t.Errorf("%d requests filed", len(requests))
	}
}

// appMerchantAt onboards a merchant wallet at bKash (the sandbox) and
// registers unit in district and division on it.
func appMerchantAt(t *testing.T, unit, user, shortCode, division, district string) {
	t.Helper()
	if err := stack.Sandbox.SetMerchant(bkashsandbox.Credentials{Username: user, Password: user + "-pw", AppKey: user + "-app-key", AppSecret: user + "-app-secret", ShortCode: shortCode}); err != nil {
		t.Fatal(err)
	}
	creds := merchantCreds(user, user+"-pw")
	creds["shortCode"] = shortCode
	body := unitBody("Unit "+unit, "ইউনিট "+unit)
	body["division"], body["district"], body["bkash"] = division, district, creds
	if r := do(t, "PUT", "/api/v1/admin/units/"+unit, body, token(t, "platform_admin", "")); r.Status != 200 && r.Status != 201 {
		t.Fatalf("register %s: %d %s", unit, r.Status, r.Body)
	}
}

func lineOf(ls []reports.Line, key string) reports.Line {
	for _, l := range ls {
		if l.Key == key {
			return l
		}
	}
	return reports.Line{Key: key}
}
