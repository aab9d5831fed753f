package integration

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// TestCashDayCloseIsOneInsert: a staff member's day close at the counter is
// written once. Twelve closes of the same day sent at once with different
// figures (two admins' double clicks, a retry) leave exactly one: FerretDB
// would lose concurrent read-modify-write updates, so the close is an
// insert guarded by its unit, day and staff member. Bad input stores
// nothing; a cashier may close only their own day; social workers see no
// cash book.
func TestCashDayCloseIsOneInsert(t *testing.T) {
	const unit = "dh-cumilla"
	cashier := staffAs(t, "cashier", unit, "cb-cashier-1")
	for i, amount := range []string{"300.00", "450.50"} {
		hdr := staffAs(t, "cashier", unit, "cb-cashier-1")
		hdr["Idempotency-Key"] = fmt.Sprintf("cb-gift-%d", i)
		if r := do(t, "POST", "/api/v1/units/"+unit+"/cash-donations", gift(amount, "general"), hdr); r.Status != 201 {
			t.Fatalf("cash gift: %d %s", r.Status, r.Body)
		}
	}
	admin := staffAs(t, "unit_admin", unit, "cb-admin")
	path := "/api/v1/units/" + unit + "/cash-book"
	problemOf(t, do(t, "GET", path, nil, staffAs(t, "social_worker", unit, "cb-sw")), 403, "")
	problemOf(t, do(t, "GET", path+"?date=2999-01-01", nil, admin), 422, "date")

	closes := path + "/closes"
	body := func(handed string) map[string]any {
		return map[string]any{"staff": "cb-cashier-1", "handedOver": handed, "depositReference": "DBBL-" + handed}
	}
	problemOf(t, do(t, "POST", closes, body("seven hundred"), admin), 422, "handedOver")
	problemOf(t, do(t, "POST", closes, map[string]any{"staff": "cb-cashier-1", "handedOver": "750.50"}, admin), 422, "depositReference")
	problemOf(t, do(t, "POST", closes, map[string]any{"staff": "cb-nobody", "handedOver": "1.00", "depositReference": "X"}, admin), 422, "staff")
	problemOf(t, do(t, "POST", closes, map[string]any{"staff": "cb-cashier-2", "handedOver": "1.00", "depositReference": "X"}, cashier), 403, "")

	var wg sync.WaitGroup
	results := make([]resp, 12)
	for i := range results {
		wg.Go(func() { results[i] = do(t, "POST", closes, body(fmt.Sprintf("%d.00", 740+i)), admin) })
	}
	wg.Wait()
	won := -1
	for i, r := range results {
		switch r.Status {
		case 201:
			if won >= 0 {
				t.Fatalf("two closes of one day stored: #%d and #%d", won, i)
			}
			won = i
		case 409:
		default:
			t.Fatalf("close #%d: %d %s", i, r.Status, r.Body)
		}
	}
	if won < 0 {
		t.Fatal("no close stored")
	}
	stored := results[won].JSON(t)
	wantDiff := money.Amount(int64(740+won)*100 - 75050).String()
	if stored["expected"] != "750.50" || stored["gifts"] != float64(2) || stored["difference"] != wantDiff {
		t.Fatalf("stored close %v, want expected 750.50 over 2 gifts and a difference of %s", stored, wantDiff)
	}
	// The same close again is the stored one; the book shows it.
	if again := do(t, "POST", closes, body(fmt.Sprintf("%d.00", 740+won)), admin); again.Status != 200 {
		t.Fatalf("the winning close again: %d %s", again.Status, again.Body)
	}
	book := do(t, "GET", path+"?date="+time.Now().In(time.FixedZone("Asia/Dhaka", 6*3600)).Format(time.DateOnly), nil, cashier)
	if book.Status != 200 {
		t.Fatalf("cash book: %d %s", book.Status, book.Body)
	}
	var found bool
	for _, s := range book.JSON(t)["staff"].([]any) {
		s := s.(map[string]any)
		if s["staff"] != "cb-cashier-1" {
			continue
		}
		found = true
		cl, _ := s["close"].(map[string]any)
		if s["total"] != "750.50" || s["count"] != float64(2) || cl == nil || cl["handedOver"] != stored["handedOver"] {
			t.Fatalf("the book's day of cb-cashier-1: %v", s)
		}
	}
	if !found {
		t.Fatalf("cb-cashier-1 is not in the book: %s", book.Body)
	}
}
