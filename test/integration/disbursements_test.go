package integration

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Issue 17, "Disbursements keep what staff enter" and "Disbursement in parts
// over time".

// allocatedRequest files, assesses and approves a request of the given
// estimates (approved in full) and waits for its allocation.
func allocatedRequest(t *testing.T, unit, mobile string, sw, sw2 map[string]string, estimates ...string) string {
	t.Helper()
	id := fileAid(t, unit, aidBody("general", "", mobile, estimates...), sw)
	mustStatus(t, "assess", post(t, "/api/v1/aid-requests/"+id+"/assess", map[string]any{"approved": estimates}, sw), 200)
	mustStatus(t, "approve", post(t, "/api/v1/aid-requests/"+id+"/approve", nil, sw2), 200)
	eventually(t, "allocated", func() bool { return aidStatus(t, id, sw)["status"] == "allocated" })
	return id
}

// jsonOf re-reads v (decoded JSON) as T.
func jsonOf[T any](t *testing.T, v any) T {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	var out T
	if err := json.Unmarshal(b, &out); err != nil {
		t.Fatal(err)
	}
	return out
}

type partOut struct {
	Part  int `json:"part"`
	Items []struct {
		Item                                                int
		Amount, Method, Reference, Recipient, RecipientName string
	} `json:"items"`
	Total, RecordedBy, ConfirmedBy string
	Final                          bool
	Returned                       []struct{ Fund, Amount string }
}

// TestDisbursementsKeepWhatStaffEnter: the method, reference and recipient
// of every item, who recorded and who confirmed the part, are in the API
// answer, its history and the console page (they were validated and then
// dropped).
func TestDisbursementsKeepWhatStaffEnter(t *testing.T) {
	const unit = "uhc-disb-keep"
	registerPolicyUnit(t, unit, map[string]any{"approvalThreshold": "10000.00"})
	sw := namedToken(t, "social_worker", unit, "dk-sw-1", "Rahima Begum")
	sw2 := namedToken(t, "social_worker", unit, "dk-sw-2", "Karim Uddin")
	payGift(t, unit, "5000.00", "general", "", "dk-fund-1")
	id := allocatedRequest(t, unit, "01811000101", sw, sw2, "1000.00", "500.00")

	// A vendor payment names its vendor.
	bad := map[string]any{"items": []map[string]any{{"item": 0, "amount": "700.00", "method": "vendor_payment", "reference": "INV-1"}}}
	problemOf(t, post(t, "/api/v1/aid-requests/"+id+"/disburse", bad, sw2), 422, "items[0].recipient")

	give := map[string]any{"items": []map[string]any{
		{"item": 0, "amount": "700.00", "method": "vendor_payment", "reference": "INV-2026-0042", "recipient": "vendor", "recipientName": "Lazz Pharma"},
		{"item": 1, "amount": "500.00", "method": "bkash", "reference": "BGH3K9XQ2P", "recipient": "attendant", "recipientName": "Abdul Karim"},
	}}
	mustStatus(t, "record", post(t, "/api/v1/aid-requests/"+id+"/disburse", give, sw2), 200)
	mustStatus(t, "confirm", post(t, "/api/v1/aid-requests/"+id+"/confirm-disbursement", nil, sw), 200)

	got := aidStatus(t, id, sw)
	if got["status"] != "disbursed" || got["disbursed"] != "1200.00" {
		t.Fatalf("after confirming: status %v, disbursed %v", got["status"], got["disbursed"])
	}
	parts := jsonOf[[]partOut](t, got["disbursements"])
	if len(parts) != 1 {
		t.Fatalf("disbursements %v, want the one confirmed part", got["disbursements"])
	}
	p := parts[0]
	if p.Part != 1 || !p.Final || p.Total != "1200.00" || p.RecordedBy != "Karim Uddin" || p.ConfirmedBy != "Rahima Begum" || len(p.Items) != 2 {
		t.Fatalf("part %+v", p)
	}
	if i := p.Items[0]; i.Method != "vendor_payment" || i.Reference != "INV-2026-0042" || i.Recipient != "vendor" || i.RecipientName != "Lazz Pharma" || i.Amount != "700.00" {
		t.Fatalf("first item %+v", i)
	}
	if i := p.Items[1]; i.Method != "bkash" || i.Reference != "BGH3K9XQ2P" || i.Recipient != "attendant" || i.RecipientName != "Abdul Karim" {
		t.Fatalf("second item %+v", i)
	}
	if len(p.Returned) != 1 || p.Returned[0].Fund != "fund:general" || p.Returned[0].Amount != "300.00" {
		t.Fatalf("returned %+v, want 300.00 back to the general fund", p.Returned)
	}
	// The history shows what was recorded and what was confirmed.
	h := do(t, "GET", "/api/v1/aid-requests/"+id+"/history", nil, sw).JSON(t)["history"].([]any)
	var seen []string
	for _, e := range h {
		m := e.(map[string]any)
		if d, ok := m["disbursement"]; ok && strings.Contains(mustJSON(t, d), "BGH3K9XQ2P") && strings.Contains(mustJSON(t, d), "Lazz Pharma") {
			seen = append(seen, m["action"].(string))
		}
	}
	if strings.Join(seen, ",") != "disbursement-recorded,disbursed" {
		t.Fatalf("history entries carrying the disbursement: %v", seen)
	}
	// The console's request page shows them, in Bengali.
	page := string(do(t, "GET", "/console/requests/"+id, nil, sw).Body)
	for _, want := range []string{"Lazz Pharma", "INV-2026-0042", "BGH3K9XQ2P", "Abdul Karim", "Karim Uddin", "বিক্রেতাকে পরিশোধ"} {
		if !strings.Contains(page, want) {
			t.Fatalf("console request page lacks %q", want)
		}
	}
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// disbursePart records a part (final or not) and has the second staff
// member confirm it; it returns the request's status after.
func disbursePart(t *testing.T, id string, items []map[string]any, final bool, recorder, checker map[string]string) string {
	t.Helper()
	if items == nil {
		items = []map[string]any{}
	}
	mustStatus(t, "record part", post(t, "/api/v1/aid-requests/"+id+"/disburse", map[string]any{"items": items, "final": final}, recorder), 200)
	r := post(t, "/api/v1/aid-requests/"+id+"/confirm-disbursement", nil, checker)
	mustStatus(t, "confirm part", r, 200)
	return r.JSON(t)["status"].(string)
}

func session(amount, ref string) []map[string]any {
	return []map[string]any{{"item": 0, "amount": amount, "method": "vendor_payment", "reference": ref, "recipient": "vendor", "recipientName": "Dialysis Centre"}}
}

// TestDisbursementInParts: a dialysis patient's request is given in parts,
// each recorded and confirmed; it stays open until everything is given, or
// until a final part releases the rest to the funds. The ledger moves each
// part from the request's account and verify stays clean.
func TestDisbursementInParts(t *testing.T) {
	const unit = "uhc-disb-parts"
	registerPolicyUnit(t, unit, map[string]any{"approvalThreshold": "10000.00"})
	sw := namedToken(t, "social_worker", unit, "dp-sw-1", "Rahima Begum")
	sw2 := namedToken(t, "social_worker", unit, "dp-sw-2", "Karim Uddin")
	payGift(t, unit, "9000.00", "general", "", "dp-fund-1")

	// moved is what part n's ledger entry took from the request's account
	// and where it went (zero until the entry is appended).
	moved := func(id string, n int) (out money.Amount, to map[string]money.Amount) {
		tx, err := stack.Store.Ledger().BySource(t.Context(), unit, fmt.Sprintf("%s/disbursed/%d", id, n))
		if err != nil {
			return 0, nil
		}
		to = map[string]money.Amount{}
		for _, l := range tx.Lines {
			if l.Account == ledger.RequestAccount(id) {
				out += l.Debit
			}
			to[l.Account] += l.Credit
		}
		return out, to
	}
	entry := func(what, id string, n int, amount money.Amount, account string) {
		t.Helper()
		eventually(t, what, func() bool {
			out, to := moved(id, n)
			return out == amount && to[account] == amount
		})
	}

	t.Run("two parts then close", func(t *testing.T) {
		id := allocatedRequest(t, unit, "01811000201", sw, sw2, "6000.00")
		if st := disbursePart(t, id, session("2000.00", "INV-S1"), false, sw2, sw); st != "allocated" {
			t.Fatalf("after the first part the request is %s, want it open (allocated)", st)
		}
		entry("first part in the ledger", id, 1, money.Taka(2000), ledger.DisbursedPrefix+"fund:general")
		// More than is left of the item is refused.
		problemOf(t, post(t, "/api/v1/aid-requests/"+id+"/disburse", map[string]any{"items": session("4000.01", "INV-X"), "final": false}, sw2), 422, "items[0].amount")
		if st := disbursePart(t, id, session("4000.00", "INV-S2"), false, sw, sw2); st != "disbursed" {
			t.Fatalf("everything given, yet the request is %s", st)
		}
		entry("second part in the ledger", id, 2, money.Taka(4000), ledger.DisbursedPrefix+"fund:general")
		got := aidStatus(t, id, sw)
		parts := jsonOf[[]partOut](t, got["disbursements"])
		if got["disbursed"] != "6000.00" || len(parts) != 2 || parts[0].Final || !parts[1].Final || parts[0].Items[0].Reference != "INV-S1" ||
			parts[1].RecordedBy != "Rahima Begum" || parts[1].ConfirmedBy != "Karim Uddin" {
			t.Fatalf("parts %+v", parts)
		}
		// Nothing more can be disbursed.
		problemOf(t, post(t, "/api/v1/aid-requests/"+id+"/disburse", map[string]any{"items": session("1.00", "INV-X")}, sw2), 409, "")
	})
	t.Run("a part then release of the remainder", func(t *testing.T) {
		id := allocatedRequest(t, unit, "01811000202", sw, sw2, "3000.00")
		if st := disbursePart(t, id, session("1000.00", "INV-R1"), false, sw2, sw); st != "allocated" {
			t.Fatalf("after a part the request is %s", st)
		}
		// A part that is not final must give something.
		problemOf(t, post(t, "/api/v1/aid-requests/"+id+"/disburse", map[string]any{"items": []any{}, "final": false}, sw2), 422, "items")
		if st := disbursePart(t, id, nil, true, sw2, sw); st != "disbursed" {
			t.Fatalf("after the release the request is %s", st)
		}
		entry("first part in the ledger", id, 1, money.Taka(1000), ledger.DisbursedPrefix+"fund:general")
		entry("remainder back in the fund", id, 2, money.Taka(2000), "fund:general")
		parts := jsonOf[[]partOut](t, aidStatus(t, id, sw)["disbursements"])
		if len(parts) != 2 || len(parts[1].Items) != 0 || len(parts[1].Returned) != 1 || parts[1].Returned[0].Amount != "2000.00" {
			t.Fatalf("parts %+v", parts)
		}
	})
	// 9,000 received; 6,000 + 1,000 given; 2,000 released back.
	eventually(t, "fund figures", func() bool {
		f := fund(t, unit, "general")
		return f["disbursed"] == "7000.00" && f["allocated"] == "7000.00" && f["balance"] == "2000.00"
	})
	if v := settlementViolations(t, unit); len(v) > 0 {
		t.Fatalf("verify: %v", v)
	}
}
