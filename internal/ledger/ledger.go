// Package ledger is the double-entry, append-only book of every unit's money.
// A Transaction is immutable; balances are derived by summing its lines.
package ledger

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
)

// Account names. Funds are liabilities of the samiti towards patients;
// clearing accounts are where money arrives from.
const (
	FundZakat   = "fund:zakat"
	FundGeneral = "fund:general"
	// FundSadaqah holds sadaqah given for no programme: only patients,
	// never the Samiti's other costs, so apart from general.
	FundSadaqah = "fund:sadaqah"
	// FundGrant holds the Department's one-time grant money, allocated by
	// the government (ClearingGovernment): never a donor's gift, and it pays
	// only the grant.
	FundGrant = "fund:grant"
	// fund:programme:<name> for programme funds; see ProgrammeFund.
	ClearingBKash = "clearing:bkash"
	ClearingCash  = "clearing:cash"
)

// Cause of a transaction.
const (
	CauseGift         = "gift"
	CauseRefund       = "refund"
	CauseAllocation   = "allocation"
	CauseDisbursement = "disbursement"
	// CauseRefundHold reserves a refund's amount before bKash is asked;
	// CauseRefundRelease returns it to its fund when bKash refused.
	CauseRefundHold    = "refund_hold"
	CauseRefundRelease = "refund_release"
)

// HoldPrefix names where a refund's amount waits while bKash is asked:
// "held:<fund account>". Like a fund it may never go below zero, and what it
// holds is no longer the fund's to allocate.
const HoldPrefix = "held:"

// HoldAccount is the refund-pending account of fund.
func HoldAccount(fund string) string { return HoldPrefix + fund }

// IsHold reports whether account is a refund-pending account.
func IsHold(account string) bool { return strings.HasPrefix(account, HoldPrefix) }

// DisbursedPrefix names where aid leaves the samiti's books, given to the
// patient: "disbursed:<fund account>", so what each fund paid stays visible.
const DisbursedPrefix = "disbursed:"

// RequestAccount holds money allocated to one aid request until it is
// disbursed or returned.
func RequestAccount(id string) string { return "request:" + id }

// ProgrammeFund names the fund of a disease programme.
func ProgrammeFund(programme string) string { return "fund:programme:" + programme }

// ZakatProgrammeFund names the fund of zakat given for a programme: it
// funds only zakat-eligible patients of that programme.
func ZakatProgrammeFund(programme string) string { return "fund:zakat:programme:" + programme }

// FundName is the public name of a fund account (or of the hold or
// disbursed account of one): "zakat", "general", "sadaqah", "grant", the
// programme ("cancer") or zakat for a programme ("zakat:cancer").
func FundName(account string) string {
	a := strings.TrimPrefix(strings.TrimPrefix(account, HoldPrefix), DisbursedPrefix)
	a = strings.TrimPrefix(a, "fund:")
	if p, ok := strings.CutPrefix(a, "zakat:programme:"); ok {
		return "zakat:" + p
	}
	return strings.TrimPrefix(a, "programme:")
}

// IsFund reports whether account is one of a unit's funds.
func IsFund(account string) bool { return strings.HasPrefix(account, "fund:") }

// FundForGift decides where a gift lands: a gift's kind and programme are
// both restrictions (docs/adr/0011-restricted-funds.md). Zakat for a
// programme goes to that programme's zakat fund (only zakat-eligible patients
// of the programme), zakat without one to the zakat fund; sadaqah or a
// general gift for a programme to the programme's fund; sadaqah without one
// to the sadaqah fund (patients only); a general gift to the general fund.
func FundForGift(kind, programme string) string {
	switch {
	case kind == "zakat" && programme != "":
		return ZakatProgrammeFund(programme)
	case kind == "zakat":
		return FundZakat
	case programme != "":
		return ProgrammeFund(programme)
	case kind == "sadaqah":
		return FundSadaqah
	default:
		return FundGeneral
	}
}

// Line is one side of a movement on one account.
type Line struct {
	Account string       `json:"account"`
	Debit   money.Amount `json:"debit"`
	Credit  money.Amount `json:"credit"`
}

// Transaction is one balanced movement. Its ID is the ID of the event that
// caused it (stored as the unique "source"), so the same event can never
// move money twice. Seq is its place in the unit's ledger sequence and
// Balances every account's balance (credits − debits) after it.
type Transaction struct {
	ID       string
	Unit     string
	Seq      int64
	Cause    string
	Donation string
	Request  string
	Lines    []Line
	At       time.Time
	Balances map[string]money.Amount
}

// ErrInsufficient is returned when a movement would take a fund below zero.
var ErrInsufficient = errors.New("insufficient funds")

// ErrNotFound is returned when no ledger entry has the source looked up.
var ErrNotFound = errors.New("ledger entry not found")

// Apply checks t against the balances before it and fills in the balances
// after it. No fund may go below zero.
func (t *Transaction) Apply(before map[string]money.Amount) error {
	after := make(map[string]money.Amount, len(before)+len(t.Lines))
	for k, v := range before {
		after[k] = v
	}
	for _, l := range t.Lines {
		after[l.Account] += l.Credit - l.Debit
		if (IsFund(l.Account) || IsHold(l.Account)) && after[l.Account] < 0 {
			return fmt.Errorf("%w in %s", ErrInsufficient, l.Account)
		}
	}
	t.Balances = after
	return nil
}

// ErrUnbalanced is returned for transactions whose debits and credits differ.
var ErrUnbalanced = errors.New("transaction is not balanced")

// Validate checks double-entry invariants.
func (t *Transaction) Validate() error {
	if t.ID == "" || t.Unit == "" || len(t.Lines) < 2 {
		return errors.New("transaction needs an id, a unit and at least two lines")
	}
	var dr, cr money.Amount
	for _, l := range t.Lines {
		if l.Debit < 0 || l.Credit < 0 || (l.Debit == 0) == (l.Credit == 0) {
			return fmt.Errorf("line on %s must have exactly one positive side", l.Account)
		}
		dr += l.Debit
		cr += l.Credit
	}
	if dr != cr {
		return fmt.Errorf("%w: debits %s, credits %s", ErrUnbalanced, dr, cr)
	}
	return nil
}

// Gift builds the transaction crediting a paid gift to its fund.
func Gift(eventID, unit, donation, kind, programme, method string, amount money.Amount, at time.Time) Transaction {
	clearing := ClearingBKash
	if method == "cash" {
		clearing = ClearingCash
	}
	return Transaction{
		ID: eventID, Unit: unit, Cause: CauseGift, Donation: donation, At: at.UTC(),
		Lines: []Line{
			{Account: clearing, Debit: amount},
			{Account: FundForGift(kind, programme), Credit: amount},
		},
	}
}

// Refund builds the transaction reversing (part of) a gift: the same fund
// that was credited is debited, so a refund undoes exactly what the gift did.
func Refund(eventID, unit, donation, kind, programme, method string, amount money.Amount, at time.Time) Transaction {
	t := Gift(eventID, unit, donation, kind, programme, method, amount, at)
	t.Cause = CauseRefund
	for i := range t.Lines {
		t.Lines[i].Debit, t.Lines[i].Credit = t.Lines[i].Credit, t.Lines[i].Debit
	}
	return t
}

// RefundHold builds the transaction that reserves a refund before any money
// leaves: the amount moves from the gift's fund to its refund-pending account
// with the same overdraw check as an allocation, so a refund and an
// allocation of the same money cannot both win.
func RefundHold(id, unit, donation, fund string, amount money.Amount, at time.Time) Transaction {
	return Transaction{
		ID: id, Unit: unit, Cause: CauseRefundHold, Donation: donation, At: at.UTC(),
		Lines: []Line{{Account: fund, Debit: amount}, {Account: HoldAccount(fund), Credit: amount}},
	}
}

// RefundRelease builds the transaction that gives a refused refund's hold
// back to its fund.
func RefundRelease(id, unit, donation, fund string, amount money.Amount, at time.Time) Transaction {
	return Transaction{
		ID: id, Unit: unit, Cause: CauseRefundRelease, Donation: donation, At: at.UTC(),
		Lines: []Line{{Account: HoldAccount(fund), Debit: amount}, {Account: fund, Credit: amount}},
	}
}

// RefundFromHold builds the reversal of a completed refund whose amount was
// held: the hold is spent back to the clearing account the gift came from.
func RefundFromHold(eventID, unit, donation, fund, method string, amount money.Amount, at time.Time) Transaction {
	clearing := ClearingBKash
	if method == "cash" {
		clearing = ClearingCash
	}
	return Transaction{
		ID: eventID, Unit: unit, Cause: CauseRefund, Donation: donation, At: at.UTC(),
		Lines: []Line{{Account: HoldAccount(fund), Debit: amount}, {Account: clearing, Credit: amount}},
	}
}

// Balance of one account: credits minus debits for funds (what is available),
// debits minus credits for clearing accounts (what arrived).
type Balance struct {
	Account string
	Debits  money.Amount
	Credits money.Amount
}

// Net returns the account's balance in its natural direction.
func (b Balance) Net() money.Amount {
	if IsFund(b.Account) {
		return b.Credits - b.Debits
	}
	return b.Debits - b.Credits
}

// BalancesOf lists the balances of a snapshot (Transaction.Balances:
// credits − debits per account).
func BalancesOf(snapshot map[string]money.Amount) []Balance {
	out := make([]Balance, 0, len(snapshot))
	for acc, bal := range snapshot {
		b := Balance{Account: acc}
		if bal >= 0 {
			b.Credits = bal
		} else {
			b.Debits = -bal
		}
		out = append(out, b)
	}
	return out
}

// Repository is the append-only book.
type Repository interface {
	// Append stores the transaction build returns for the unit's current
	// balances as the unit's next entry. build may be called again if
	// another writer appended first; returning an error stops. A
	// transaction whose ID was already appended is a no-op (applied=false).
	Append(ctx context.Context, unit string, build func(balances map[string]money.Amount) (Transaction, error)) (applied bool, err error)
	Balances(ctx context.Context, unit string) ([]Balance, error)
}

// Fixed returns a build function for a transaction that does not depend on
// balances (gifts, refunds).
func Fixed(t Transaction) func(map[string]money.Amount) (Transaction, error) {
	return func(map[string]money.Amount) (Transaction, error) { return t, nil }
}

// FundFigures are a fund's public totals.
type FundFigures struct {
	Fund      string
	Received  money.Amount
	Allocated money.Amount
	Disbursed money.Amount
	Refunded  money.Amount
	// Held is what refunds still awaiting bKash's answer have reserved.
	Held    money.Amount
	Gifts   int
	Refunds int
	// TransferredIn and TransferredOut are what moved from and to other
	// units' same fund (an archived unit's money, ADR 0011).
	TransferredIn  money.Amount
	TransferredOut money.Amount
}

// Balance is what the fund still holds (and may allocate).
func (f FundFigures) Balance() money.Amount {
	return f.Received + f.TransferredIn - f.TransferredOut - f.Refunded - f.Held - f.Allocated
}

// Summary is the public fold of the ledger.
type Summary struct {
	// Funds holds per unit, per fund figures.
	Funds map[string]map[string]*FundFigures
	// Monthly holds per unit the gifts received per month ("2026-03",
	// Asia/Dhaka), for the public unit page's chart.
	Monthly map[string]map[string]money.Amount
}

// NewSummary returns an empty summary.
func NewSummary() *Summary {
	return &Summary{Funds: map[string]map[string]*FundFigures{}, Monthly: map[string]map[string]money.Amount{}}
}

var dhaka = time.FixedZone("Asia/Dhaka", 6*60*60)

// Add folds one transaction in.
func (s *Summary) Add(t *Transaction) {
	if t.Cause == CauseGift {
		m := s.Monthly[t.Unit]
		if m == nil {
			m = map[string]money.Amount{}
			s.Monthly[t.Unit] = m
		}
		for _, l := range t.Lines {
			if IsFund(l.Account) {
				m[t.At.In(dhaka).Format("2006-01")] += l.Credit
			}
		}
	}
	Summarise(s.Funds, t)
}

// Summarise folds transactions into per-unit, per-fund figures.
func Summarise(into map[string]map[string]*FundFigures, t *Transaction) {
	funds := into[t.Unit]
	if funds == nil {
		funds = map[string]*FundFigures{}
		into[t.Unit] = funds
	}
	for _, l := range t.Lines {
		class, name, ok := classify(l.Account)
		if !ok {
			continue
		}
		f := funds[name]
		if f == nil {
			f = &FundFigures{Fund: name}
			funds[name] = f
		}
		f.add(class, t.Cause, l.Debit, l.Credit, 1)
	}
}

// add counts lines lines of one class of a fund's accounts (their debits and
// credits summed) moved under cause: the one rule both the line fold
// (Summarise) and the tally's cells (Tally.Funds) apply.
func (f *FundFigures) add(class, cause string, debit, credit money.Amount, lines int) {
	switch class {
	case ClassDisbursed:
		f.Disbursed += credit
	case ClassHeld:
		// A held refund: reserved (hold), returned (release) or paid out
		// (refund); the fund's own line is not counted again.
		f.Held += credit - debit
		if cause == CauseRefund {
			f.Refunded += debit
			f.Refunds += lines
		}
	case ClassFund:
		switch cause {
		case CauseGift:
			f.Received += credit
			f.Gifts += lines
		case CauseRefund:
			// A reversal straight from the fund (refunds recorded before
			// holds existed).
			f.Refunded += debit
			f.Refunds += lines
		case CauseGovernmentAllocation:
			f.Received += credit
		case CauseTransferIn:
			f.TransferredIn += credit
		case CauseTransferOut:
			f.TransferredOut += debit
		case CauseAllocation:
			f.Allocated += debit
		case CauseDisbursement:
			// Unspent allocation coming back.
			f.Allocated -= credit
		}
	}
}

// Outcome is what became of one transaction of a block appended at once.
type Outcome struct {
	// Applied: this call appended it. False with a nil Err: its source was
	// appended before (a redelivery, or a racing replica).
	Applied bool
	// Tx is the appended transaction (when Applied).
	Tx *Transaction
	// Err is the build or validation error that kept it out (e.g.
	// ErrInsufficient); the others went ahead without it.
	Err error
}
