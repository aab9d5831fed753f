package aid

import (
	"strings"
	"testing"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// A grant item is paid only by what the grant fund gave, and the grant
// fund's money pays nothing else; unspent money goes back where it came from.
func TestGrantItemsArePaidFromTheGrantFundOnly(t *testing.T) {
	req := func(allocs ...Allocation) *Request {
		return &Request{Status: Allocated, Items: []Item{
			{Category: "medicine", Estimated: 1000, Approved: 1000},
			{Category: "other", Estimated: GrantAmount, Approved: GrantAmount, Grant: true},
		}, Allocations: allocs}
	}
	a := Actor{Sub: "sw", Role: "social_worker"}
	donors := req(Allocation{Fund: "fund:general", Amount: 1000 + GrantAmount})
	err := donors.Disburse(a, []Disbursement{{Item: 1, Amount: GrantAmount, Method: "cash"}}, time.Now())
	if err == nil || !strings.Contains(err.Error(), "grant fund only") {
		t.Fatalf("donors' money paid the grant: %v", err)
	}
	grant := req(Allocation{Fund: "fund:general", Amount: 1000}, Allocation{Fund: grantFund, Amount: GrantAmount})
	err = grant.Disburse(a, []Disbursement{{Item: 0, Amount: 1000 + money.Taka(1), Method: "cash"}}, time.Now())
	if err == nil {
		t.Fatal("the grant's money paid another item")
	}
	grant = req(Allocation{Fund: "fund:general", Amount: 1000}, Allocation{Fund: grantFund, Amount: GrantAmount})
	if err := grant.Disburse(a, []Disbursement{{Item: 0, Amount: 400, Method: "cash"}, {Item: 1, Amount: GrantAmount - 100, Method: "cash"}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	spent, returns := grant.spendAndReturn([]Disbursement{{Item: 0, Amount: 400}, {Item: 1, Amount: GrantAmount - 100}}, true)
	if len(returns) != 2 || returns[0] != (Allocation{Fund: grantFund, Amount: 100}) || returns[1] != (Allocation{Fund: "fund:general", Amount: 600}) || len(spent) != 2 {
		t.Fatalf("spent %v, returns %v", spent, returns)
	}
}
