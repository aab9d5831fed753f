package donorweb

import (
	"strings"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// TestFundCardAddsUp: a fund card's signed lines add up to the balance it
// shows first (issue 19: the columns must visibly add up), with transfers
// and refunds still in progress among them when there are some.
func TestFundCardAddsUp(t *testing.T) {
	f := ledger.FundFigures{Fund: "zakat", Received: 10_000_00, Refunded: 500_00, Held: 200_00, Allocated: 3_000_00,
		Disbursed: 2_500_00, TransferredIn: 1_000_00, TransferredOut: 300_00}
	r := figuresRow(i18n.EN, "Zakat", f)
	var sum money.Amount
	for _, l := range r.Sum {
		for _, part := range strings.Split(l.Amount, " / ") {
			sign := money.Amount(1)
			if strings.HasPrefix(part, "−") {
				sign = -1
			}
			a, err := money.Parse(strings.NewReplacer("+", "", "−", "", "Tk ", "", ",", "").Replace(part))
			if err != nil {
				t.Fatalf("line %q: %v", l.Amount, err)
			}
			sum += sign * a
		}
	}
	if sum != f.Balance() || r.Balance != i18n.EN.Money(f.Balance()) {
		t.Fatalf("lines %+v add up to %s; the card shows %s, the balance is %s", r.Sum, sum, r.Balance, f.Balance())
	}
	if len(r.Sum) != 5 {
		t.Errorf("%d lines, want received, transferred, refunded, refund in progress, allocated", len(r.Sum))
	}
}

// TestRestrictedOrder: each restricted fund is its own card in the order a
// donor chooses them, zakat for a programme before it has moved money too;
// a dropped programme's fund and the grant still show after them.
func TestRestrictedOrder(t *testing.T) {
	got := restrictedOrder([]string{"cancer", "burn"}, []ledger.FundFigures{{Fund: "zakat"}, {Fund: "sadaqah"}, {Fund: "general"},
		{Fund: "grant"}, {Fund: "cancer", Received: 1}, {Fund: "burn"}, {Fund: "kidney", Received: 2}})
	var names []string
	for _, f := range got {
		names = append(names, f.Fund)
	}
	want := "zakat zakat:cancer zakat:burn cancer burn sadaqah general grant kidney"
	if strings.Join(names, " ") != want || got[3].Received != 1 || got[8].Received != 2 {
		t.Fatalf("order %v, want %s", names, want)
	}
}
