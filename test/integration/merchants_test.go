package integration

import (
	"bytes"
	"context"
	"net/url"
	"strings"
	"testing"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/bkash"
	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	moneyverify "github.com/kalyan-platform/kalyan/internal/verify"
)

// merchantCreds are a unit's own bKash merchant as the admin API takes them.
func merchantCreds(user, password string) map[string]any {
	return map[string]any{"username": user, "password": password, "appKey": user + "-app-key", "appSecret": user + "-app-secret"}
}

// onboardMerchant makes bKash (the sandbox) know a merchant wallet.
func onboardMerchant(t *testing.T, user, password string) {
	t.Helper()
	if err := stack.Sandbox.SetMerchant(bkashsandbox.Credentials{Username: user, Password: password, AppKey: user + "-app-key", AppSecret: user + "-app-secret"}); err != nil {
		t.Fatal(err)
	}
}

// registerUnit PUTs a unit; bkash is left out when nil, sent as null when
// it is the string "null", and as the object otherwise.
func registerUnit(t *testing.T, code string, bkashField any) resp {
	t.Helper()
	body := unitBody("Unit "+code, "ইউনিট "+code)
	if bkashField != nil {
		if bkashField == "null" {
			body["bkash"] = nil
		} else {
			body["bkash"] = bkashField
		}
	}
	r := do(t, "PUT", "/api/v1/admin/units/"+code, body, token(t, "platform_admin", ""))
	if r.Status != 200 && r.Status != 201 {
		t.Fatalf("register %s: %d %s", code, r.Status, r.Body)
	}
	return r
}

// startGift creates a bKash gift and returns its ID and payer page URL.
func startGift(t *testing.T, unit, amount, key string) (string, string) {
	t.Helper()
	r := do(t, "POST", "/api/v1/units/"+unit+"/donations", gift(amount, "general"), map[string]string{"Idempotency-Key": key})
	if r.Status != 201 {
		t.Fatalf("create gift at %s: %d %s", unit, r.Status, r.Body)
	}
	d := r.JSON(t)
	return d["id"].(string), d["paymentURL"].(string)
}

// merchantOf reports the merchant the donation recorded and the merchant
// the sandbox holds its payment under.
func merchantOf(t *testing.T, id string) (recorded, atBKash string) {
	t.Helper()
	d, err := stack.Store.Donations().Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := stack.Sandbox.Payment(d.PaymentID)
	if !ok {
		t.Fatalf("sandbox has no payment %s", d.PaymentID)
	}
	return d.Merchant, p.Merchant
}

func wantMerchant(t *testing.T, id, want string) {
	t.Helper()
	if rec, got := merchantOf(t, id); rec != want || got != want {
		t.Fatalf("donation %s: recorded merchant %q, bKash holds it under %q; want %q", id, rec, got, want)
	}
}

func refund(t *testing.T, unit, id, amount, key string) {
	t.Helper()
	r := do(t, "POST", "/api/v1/donations/"+id+"/refunds", map[string]any{"amount": amount, "reason": "donor asked"},
		map[string]string{"Idempotency-Key": key, "Authorization": token(t, "unit_admin", unit)["Authorization"]})
	if r.Status != 201 || r.JSON(t)["refund"].(map[string]any)["status"] != "completed" {
		t.Fatalf("refund %s of %s: %d %s", amount, id, r.Status, r.Body)
	}
}

// bkashNet is what a unit's ledger says it holds through bKash: gifts in
// less refunds out.
func bkashNet(t *testing.T, unit string) money.Amount {
	t.Helper()
	bal, err := stack.Store.Ledger().Balances(t.Context(), unit)
	if err != nil {
		t.Fatal(err)
	}
	for _, b := range bal {
		if b.Account == ledger.ClearingBKash {
			return b.Net()
		}
	}
	return 0
}

// TestUnitsOnTheirOwnMerchants: two units with merchants of their own and
// one on the platform's merchant take gifts and refunds; each merchant's
// settlement at bKash equals the ledger of the units on it, and verify
// agrees, naming the merchant when it does not.
func TestUnitsOnTheirOwnMerchants(t *testing.T) {
	onboardMerchant(t, "rks-jashore", "jashore-pw")
	onboardMerchant(t, "rks-khulna", "khulna-pw")
	put := registerUnit(t, "dh-jashore", merchantCreds("rks-jashore", "jashore-pw"))
	registerUnit(t, "dh-khulna", merchantCreds("rks-khulna", "khulna-pw"))
	registerUnit(t, "dh-bagerhat", nil)

	a := payGift(t, "dh-jashore", "300.00", "general", "", "own-merchant-a")
	b := payGift(t, "dh-khulna", "200.00", "general", "", "own-merchant-b")
	p := payGift(t, "dh-bagerhat", "150.00", "general", "", "own-merchant-p")
	wantMerchant(t, a, "rks-jashore")
	wantMerchant(t, b, "rks-khulna")
	wantMerchant(t, p, stack.Config.BKash.Username)
	// The seeded demo unit dmch has its own merchant too.
	d := payGift(t, "dmch", "50.00", "general", "", "own-merchant-dmch")
	wantMerchant(t, d, "rks-dmch")

	refund(t, "dh-jashore", a, "100.00", "own-merchant-a-refund")
	refund(t, "dh-bagerhat", p, "150.00", "own-merchant-p-refund")

	for _, c := range []struct {
		unit, merchant string
		paid, refunded money.Amount
	}{
		{"dh-jashore", "rks-jashore", money.Taka(300), money.Taka(100)},
		{"dh-khulna", "rks-khulna", money.Taka(200), 0},
	} {
		s := stack.Sandbox.Settlement(c.merchant)
		if s.CompletedTotal != c.paid || s.RefundedTotal != c.refunded {
			t.Fatalf("%s settled %s / %s, want %s / %s", c.merchant, s.CompletedTotal, s.RefundedTotal, c.paid, c.refunded)
		}
		eventually(t, "ledger of "+c.unit+" equals "+c.merchant+"'s settlement", func() bool {
			return bkashNet(t, c.unit) == s.NetTotal
		})
	}

	// verify compares every merchant's settlement with the ledger.
	settle := &moneyverify.Settlement{Platform: stack.Config.BKash.Username, Totals: func(_ context.Context, m string) (money.Amount, money.Amount, error) {
		s := stack.Sandbox.Settlement(m)
		return s.CompletedTotal, s.RefundedTotal, nil
	}}
	var rep *moneyverify.Report
	eventually(t, "verify clean", func() bool {
		var err error
		rep, err = moneyverify.Run(t.Context(), stack.Store.Audit(), settle)
		return err == nil && rep.OK()
	})
	// A merchant whose settlement differs is named, without its secrets.
	lying := &moneyverify.Settlement{Platform: settle.Platform, Totals: func(ctx context.Context, m string) (money.Amount, money.Amount, error) {
		c, r, err := settle.Totals(ctx, m)
		if m == "rks-khulna" {
			c += money.Taka(1)
		}
		return c, r, err
	}}
	rep, err := moneyverify.Run(t.Context(), stack.Store.Audit(), lying)
	if err != nil {
		t.Fatal(err)
	}
	if len(rep.Violations) != 1 || !strings.Contains(rep.Violations[0], "bKash merchant rks-khulna (units dh-khulna) settled 201.00 paid / 0.00 refunded, the ledger has 200.00 / 0.00") {
		t.Fatalf("violations %q", rep.Violations)
	}
	if strings.Contains(rep.Violations[0], "khulna-pw") {
		t.Fatal("verify printed a secret")
	}

	// The credentials never come back: not from the PUT, not from any GET,
	// and they rest sealed in the store.
	secrets := []string{"jashore-pw", "rks-jashore-app-key", "rks-jashore-app-secret"}
	bodies := map[string][]byte{"PUT answer": put.Body}
	for _, path := range []string{"/api/v1/units/dh-jashore", "/api/v1/units/dh-jashore/ledger", "/api/v1/ledger", "/api/v1/donations/" + a, "/u/dh-jashore", "/d/dh-jashore", "/api/v1/openapi.json"} {
		r := do(t, "GET", path, nil, nil)
		if r.Status != 200 {
			t.Fatalf("GET %s: %d", path, r.Status)
		}
		bodies[path] = r.Body
	}
	for _, coll := range []string{"units", "bkash_merchants", "donation_versions"} {
		cur, err := stack.Store.Database().Collection(coll).Find(t.Context(), bson.D{})
		if err != nil {
			t.Fatal(err)
		}
		var all []bson.Raw
		if err := cur.All(t.Context(), &all); err != nil {
			t.Fatal(err)
		}
		for _, r := range all {
			bodies["stored "+coll+" "+r.Lookup("_id").String()] = r
		}
	}
	for where, body := range bodies {
		for _, s := range secrets {
			if bytes.Contains(body, []byte(s)) {
				t.Fatalf("%s contains the secret %q", where, s)
			}
		}
	}
}

// TestMerchantRotation: a unit moves to another merchant, rotates that
// merchant's password, goes back to the platform's merchant; each gift is
// executed (also by the reconciler, for a closed tab) and refunded with the
// merchant that created it.
func TestMerchantRotation(t *testing.T) {
	onboardMerchant(t, "rks-satkhira-1", "s1-pw")
	onboardMerchant(t, "rks-satkhira-2", "s2-pw")
	registerUnit(t, "dh-satkhira", merchantCreds("rks-satkhira-1", "s1-pw"))
	old, oldURL := startGift(t, "dh-satkhira", "70.00", "rotation-old")
	wantMerchant(t, old, "rks-satkhira-1")

	// Another merchant: new gifts go to it at once (this API replica).
	registerUnit(t, "dh-satkhira", merchantCreds("rks-satkhira-2", "s2-pw"))
	second := payGift(t, "dh-satkhira", "90.00", "general", "", "rotation-second")
	wantMerchant(t, second, "rks-satkhira-2")

	// The donor of the first gift pays, then closes the tab: the reconciler
	// (the worker, which never saw the unit's old credentials) executes it
	// with the first merchant, and the refund goes through that merchant too.
	form(t, oldURL, url.Values{"action": {"pay"}})
	eventually(t, "reconciler executes the first merchant's payment", func() bool {
		return do(t, "GET", "/api/v1/donations/"+old, nil, nil).JSON(t)["status"] == "receipted"
	})
	wantMerchant(t, old, "rks-satkhira-1")
	refund(t, "dh-satkhira", old, "20.00", "rotation-old-refund")
	if s := stack.Sandbox.Settlement("rks-satkhira-1"); s.CompletedTotal != money.Taka(70) || s.RefundedTotal != money.Taka(20) {
		t.Fatalf("first merchant settled %+v", s)
	}

	// bKash reissues the second merchant's password: the old one no longer
	// grants. The PUT with the new password drops the token held for the
	// old one, so the next gift is made with a token granted anew.
	onboardMerchant(t, "rks-satkhira-2", "s2-pw-new")
	grants := stack.Sandbox.Stats().Grants
	registerUnit(t, "dh-satkhira", merchantCreds("rks-satkhira-2", "s2-pw-new"))
	third := payGift(t, "dh-satkhira", "30.00", "general", "", "rotation-third")
	wantMerchant(t, third, "rks-satkhira-2")
	if stack.Sandbox.Stats().Grants <= grants {
		t.Fatal("rotated credentials did not lead to a new token grant")
	}
	// A registration without bkash keeps the unit's merchant. (That an
	// unchanged re-registration keeps the token is checked in
	// internal/bkashgateway, where no reconciler grants alongside.)
	registerUnit(t, "dh-satkhira", nil)
	kept, _ := startGift(t, "dh-satkhira", "32.00", "rotation-kept")
	wantMerchant(t, kept, "rks-satkhira-2")

	// "bkash": null: back to the platform's merchant; the second merchant's
	// gifts can still be refunded through it.
	registerUnit(t, "dh-satkhira", "null")
	platform, _ := startGift(t, "dh-satkhira", "33.00", "rotation-platform")
	wantMerchant(t, platform, stack.Config.BKash.Username)
	refund(t, "dh-satkhira", second, "90.00", "rotation-second-refund")
	if s := stack.Sandbox.Settlement("rks-satkhira-2"); s.RefundedTotal != money.Taka(90) {
		t.Fatalf("second merchant settled %+v", s)
	}
}

// TestCrossMerchantExecuteIsRefused: bKash (the sandbox) refuses to execute
// a payment with another merchant's token.
func TestCrossMerchantExecuteIsRefused(t *testing.T) {
	onboardMerchant(t, "rks-narail", "narail-pw")
	registerUnit(t, "dh-narail", merchantCreds("rks-narail", "narail-pw"))
	id, pageURL := startGift(t, "dh-narail", "40.00", "cross-merchant")
	d, err := stack.Store.Donations().Get(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	// The payer authorises, but the browser never comes back.
	form(t, pageURL, url.Values{"action": {"pay"}})
	c := stack.Config.BKash
	platform := bkash.New(bkash.Config{BaseURL: c.BaseURL}, bkash.Credentials{Username: c.Username, Password: c.Password, AppKey: c.AppKey, AppSecret: c.AppSecret})
	if _, err := platform.Execute(t.Context(), d.PaymentID); !bkash.IsInvalidPaymentID(err) {
		t.Fatalf("execute with the platform merchant's token: %v, want 2002", err)
	}
	if _, err := platform.Query(t.Context(), d.PaymentID); !bkash.IsInvalidPaymentID(err) {
		t.Fatalf("query with the platform merchant's token: %v, want 2002", err)
	}
	// Its own merchant (through the reconciler) still settles it.
	eventually(t, "reconciled with its own merchant", func() bool {
		return do(t, "GET", "/api/v1/donations/"+id, nil, nil).JSON(t)["status"] == "receipted"
	})
}

func TestMerchantRegistrationBadInput(t *testing.T) {
	admin := token(t, "platform_admin", "")
	put := func(b any) resp {
		body := unitBody("Unit dh-magura", "ইউনিট dh-magura")
		body["bkash"] = b
		return do(t, "PUT", "/api/v1/admin/units/dh-magura", body, admin)
	}
	problemOf(t, put(map[string]any{"username": "u", "password": "p", "appKey": "k"}), 422, "bkash")
	problemOf(t, put("rks-magura"), 400, "bkash")
	problemOf(t, put(map[string]any{"username": "u", "password": "p", "appKey": "k", "appSecret": "s", "pin": "1"}), 400, "bkash")
	problemOf(t, put(map[string]any{"username": strings.Repeat("u", 257), "password": "p", "appKey": "k", "appSecret": "s"}), 422, "bkash.username")
	problemOf(t, put(merchantCreds(stack.Config.BKash.Username, "x")), 422, "bkash.username")
	problemOf(t, put(merchantCreds("rks-magura", "pass word")), 422, "bkash.password")
	problemOf(t, put(merchantCreds("rks-মাগুরা", "p")), 422, "bkash.username")
	// bKash must accept the credentials before they are stored: a wrong app
	// key is refused (2001).
	onboardMerchant(t, "rks-magura", "right-pw")
	wrongKey := merchantCreds("rks-magura", "right-pw")
	wrongKey["appKey"] = "typo"
	problemOf(t, put(wrongKey), 422, "bkash")
	if r := put(merchantCreds("rks-magura", "right-pw")); r.Status != 201 {
		t.Fatalf("accepted credentials: %d %s", r.Status, r.Body)
	}
	// An answer about bad credentials never echoes them.
	if r := put(map[string]any{"username": "u", "password": "hunter2-secret", "appKey": "k"}); bytes.Contains(r.Body, []byte("hunter2")) {
		t.Fatalf("problem echoes the password: %s", r.Body)
	}
}

// TestRegistrationDuringBKashOutage: a grant answered 9999 is documented as
// "System Error" and as an unknown username, so registration never calls
// credentials wrong on it: it asks again, then answers 503 (bKash
// unavailable) and stores nothing. The sandbox answers a wrong password 9999
// too (bKash documents no other code for it), so that is a 503 as well.
func TestRegistrationDuringBKashOutage(t *testing.T) {
	admin := token(t, "platform_admin", "")
	put := func(code string, b any) resp {
		body := unitBody("Unit "+code, "ইউনিট "+code)
		body["bkash"] = b
		return do(t, "PUT", "/api/v1/admin/units/"+code, body, admin)
	}
	onboardMerchant(t, "rks-bhola", "pw")
	r := put("dh-bhola", merchantCreds("rks-bhola", "not-the-pw"))
	problemOf(t, r, 503, "")
	if !bytes.Contains(r.Body, []byte("bkash-unavailable")) || !bytes.Contains(r.Body, []byte("9999")) {
		t.Fatalf("problem does not say bKash was unavailable: %s", r.Body)
	}
	if bytes.Contains(r.Body, []byte("not-the-pw")) {
		t.Fatalf("problem echoes the password: %s", r.Body)
	}
	if g := len(stack.Sandbox.GrantTimes("rks-bhola")); g != 0 {
		t.Fatalf("%d tokens issued for refused credentials", g)
	}
	if r := do(t, "GET", "/api/v1/units/dh-bhola", nil, nil); r.Status != 404 {
		t.Fatalf("unit stored during the outage: %d %s", r.Status, r.Body)
	}
	// Those were rks-bhola's two grants of the hour: a third check is not
	// tried (bKash would block the merchant for an hour). 429, Retry-After.
	r = put("dh-bhola", merchantCreds("rks-bhola", "pw"))
	problemOf(t, r, 429, "")
	if r.Header.Get("Retry-After") == "" || !bytes.Contains(r.Body, []byte("bkash-grant-limit")) {
		t.Fatalf("third check within the hour: %v %s", r.Header, r.Body)
	}
}
