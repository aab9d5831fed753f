package integration

import (
	"crypto/sha256"
	"encoding/base32"
	"encoding/hex"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"
)

// The derivations IDs had before: a function of the Idempotency-Key alone
// (and the unit), so anyone who knew or guessed a key knew the receipt URL.
func keyDerivedDonationID(unit, key string) string {
	sum := sha256.Sum256([]byte(unit + "\x00" + key))
	return "don_" + strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(sum[:15]))
}

func keyDerivedAidID(unit, key string) string {
	sum := sha256.Sum256([]byte(unit + "\x00" + key))
	return "aid_" + hex.EncodeToString(sum[:10])
}

func keyDerivedRefundID(key string) string {
	sum := sha256.Sum256([]byte(key))
	return "rf_" + hex.EncodeToString(sum[:10])
}

var (
	donationIDRE = regexp.MustCompile(`^don_[a-z2-7]{26}$`) // 128 random bits
	aidIDRE      = regexp.MustCompile(`^aid_[0-9a-f]{32}$`)
	refundIDRE   = regexp.MustCompile(`^rf_[0-9a-f]{32}$`)
)

// TestIDsAreNotDerivedFromIdempotencyKeys: donation (and so receipt), aid
// request and refund IDs are random, whatever Idempotency-Key the client
// chose; the key still makes retries safe (same key and body, same
// record), scoped to the route, the unit and, for staff, the caller.
func TestIDsAreNotDerivedFromIdempotencyKeys(t *testing.T) {
	key := fmt.Sprintf("order-%d", time.Now().UnixNano()%1000) // a small, guessable key
	gift := donorGift("250.00", "general", "Anwar Hossain", "01819000081")

	// Online gifts.
	r := do(t, "POST", "/api/v1/units/dmch/donations", gift, map[string]string{"Idempotency-Key": key})
	if r.Status != 201 {
		t.Fatalf("create: %d %s", r.Status, r.Body)
	}
	id := r.JSON(t)["id"].(string)
	if id == keyDerivedDonationID("dmch", key) || !donationIDRE.MatchString(id) {
		t.Fatalf("donation ID %s is not random", id)
	}
	again := do(t, "POST", "/api/v1/units/dmch/donations", gift, map[string]string{"Idempotency-Key": key})
	if again.Status != 200 || again.JSON(t)["id"] != id {
		t.Fatalf("replay: %d %s, want %s", again.Status, again.Body, id)
	}
	other := do(t, "POST", "/api/v1/units/dh-cumilla/donations", gift, map[string]string{"Idempotency-Key": key})
	if other.Status != 201 || other.JSON(t)["id"] == id {
		t.Fatalf("the same key at another unit: %d %s", other.Status, other.Body)
	}

	// Cash gifts: the key is the collecting staff member's.
	clerk := staffAs(t, "cashier", "dmch", "clerk-a")
	clerk["Idempotency-Key"] = key
	cash := do(t, "POST", "/api/v1/units/dmch/cash-donations", gift, clerk)
	if cash.Status != 201 {
		t.Fatalf("cash: %d %s", cash.Status, cash.Body)
	}
	cashID := cash.JSON(t)["id"].(string)
	if cashID == keyDerivedDonationID("dmch", "cash\x00"+key) || !donationIDRE.MatchString(cashID) || cashID == id {
		t.Fatalf("cash gift ID %s is not random", cashID)
	}
	if r := do(t, "POST", "/api/v1/units/dmch/cash-donations", gift, clerk); r.Status != 200 || r.JSON(t)["id"] != cashID {
		t.Fatalf("cash replay: %d %s", r.Status, r.Body)
	}
	// Another clerk with the same key and body records their own gift: one
	// staff member's key never hands another the first one's record.
	clerkB := staffAs(t, "cashier", "dmch", "clerk-b")
	clerkB["Idempotency-Key"] = key
	if r := do(t, "POST", "/api/v1/units/dmch/cash-donations", gift, clerkB); r.Status != 201 || r.JSON(t)["id"] == cashID {
		t.Fatalf("another clerk's key: %d %s", r.Status, r.Body)
	}
	waitReceipted(t, cashID)
	if rc := do(t, "GET", "/api/v1/receipts/"+cashID, nil, nil); rc.Status != 200 || rc.JSON(t)["id"] != cashID {
		t.Fatalf("receipt: %d %s", rc.Status, rc.Body)
	}

	// Refunds.
	admin := staffAs(t, "unit_admin", "dmch", "admin-a")
	admin["Idempotency-Key"] = key
	rf := do(t, "POST", "/api/v1/donations/"+cashID+"/refunds", map[string]any{"amount": "10.00", "reason": "ids check"}, admin)
	if rf.Status != 201 {
		t.Fatalf("refund: %d %s", rf.Status, rf.Body)
	}
	refund, _ := rf.JSON(t)["refund"].(map[string]any)
	rid, _ := refund["id"].(string)
	if rid == keyDerivedRefundID(key) || !refundIDRE.MatchString(rid) {
		t.Fatalf("refund ID %q is not random", rid)
	}
	rf2 := do(t, "POST", "/api/v1/donations/"+cashID+"/refunds", map[string]any{"amount": "10.00", "reason": "ids check"}, admin)
	if rf2.Status != 201 && rf2.Status != 200 {
		t.Fatalf("refund replay: %d %s", rf2.Status, rf2.Body)
	}
	if again, _ := rf2.JSON(t)["refund"].(map[string]any); again["id"] != rid {
		t.Fatalf("refund replay made %v, want %s", again["id"], rid)
	}
	problemOf(t, do(t, "POST", "/api/v1/donations/"+cashID+"/refunds", map[string]any{"amount": "11.00", "reason": "ids check"}, admin), 422, "Idempotency-Key")

	// Aid requests.
	sw := staffAs(t, "social_worker", "dmch", "sw-a")
	sw["Idempotency-Key"] = key
	body := aidBody("cancer", "", "01819000082", "1500.00")
	a := do(t, "POST", "/api/v1/units/dmch/aid-requests", body, sw)
	if a.Status != 201 {
		t.Fatalf("aid: %d %s", a.Status, a.Body)
	}
	aidID := a.JSON(t)["id"].(string)
	if aidID == keyDerivedAidID("dmch", key) || !aidIDRE.MatchString(aidID) {
		t.Fatalf("aid request ID %s is not random", aidID)
	}
	if r := do(t, "POST", "/api/v1/units/dmch/aid-requests", body, sw); r.Status != 200 || r.JSON(t)["id"] != aidID {
		t.Fatalf("aid replay: %d %s", r.Status, r.Body)
	}
}
