// Package verify checks the money invariants over the whole store and
// reports every violation: it is what proves, after tests, chaos runs or an
// incident, that no taka was lost, doubled or misdirected.
package verify

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"sort"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

// Records is what the check reads: every stored record of each kind, in no
// order (mongostore.Audit implements it over the database).
type Records interface {
	// DonationVersions calls fn with every stored version of every donation.
	DonationVersions(ctx context.Context, fn func(*donations.Donation) error) error
	// Receipts calls fn with every receipt; its ID is the donation's.
	Receipts(ctx context.Context, fn func(*receipts.Receipt) error) error
	LedgerEntries(ctx context.Context, fn func(*ledger.Transaction) error) error
	GrantAllocations(ctx context.Context, fn func(*ledger.GrantAllocation) error) error
	// ReportFacts calls fn with every report fact; ReportCheckpoints with
	// every report checkpoint and the key it is stored under.
	ReportFacts(ctx context.Context, fn func(*reports.Fact) error) error
	ReportCheckpoints(ctx context.Context, fn func(key string, c *reports.Checkpoint) error) error
	// ReportHeads calls fn with every unit's advisory report head and its
	// key (the unit).
	ReportHeads(ctx context.Context, fn func(key string, h *reports.Checkpoint) error) error
	// Checkpoints calls fn with every ledger checkpoint and the key it is
	// stored under ("<unit>/<seq, 10 digits>").
	Checkpoints(ctx context.Context, fn func(key string, c *ledger.Checkpoint) error) error
}

// Report is the outcome of a check.
type Report struct {
	Violations []string
	// Figures summarise what was checked.
	Donations, Paid, Receipts, Transactions int
	// Checkpoints of the ledger compared with its fold.
	Checkpoints int
	// ReportFacts and ReportCheckpoints of the report aggregates checked.
	ReportFacts, ReportCheckpoints int
}

// OK reports whether nothing was violated.
func (r *Report) OK() bool { return len(r.Violations) == 0 }

func (r *Report) bad(format string, args ...any) {
	r.Violations = append(r.Violations, fmt.Sprintf(format, args...))
}

// Settlement is what the payment provider says each merchant received and
// refunded. Units may have merchants of their own, and a donation records
// the merchant its payment was made with, so the ledger's bKash movements
// are summed per donation merchant and compared with that merchant's
// settlement. Run it when no payment is in flight.
type Settlement struct {
	// Platform is the platform's merchant (its bKash username): donations
	// that record no merchant (made before per-unit merchants) went to it.
	Platform string
	// Totals returns what merchant received and refunded.
	Totals func(ctx context.Context, merchant string) (completed, refunded money.Amount, err error)
	// PaymentRefunded, when set, returns what the provider has refunded of
	// one payment (asked only for gifts with refunds): each must equal the
	// refunds completed on the gift.
	PaymentRefunded func(ctx context.Context, paymentID string) (money.Amount, error)
}

// Run checks the stored records.
func Run(ctx context.Context, db Records, settle *Settlement) (*Report, error) {
	r := &Report{}
	// Latest version of every donation.
	latest := map[string]*donations.Donation{}
	if err := db.DonationVersions(ctx, func(v *donations.Donation) error {
		if cur, ok := latest[v.ID]; !ok || v.Version > cur.Version {
			latest[v.ID] = v
		}
		return nil
	}); err != nil {
		return nil, err
	}
	r.Donations = len(latest)

	// Receipts: one per paid gift, gapless serials per unit and fiscal year.
	byDonation := map[string][]*receipts.Receipt{}
	serials := map[string][]int64{}
	if err := db.Receipts(ctx, func(rc *receipts.Receipt) error {
		r.Receipts++
		byDonation[rc.ID] = append(byDonation[rc.ID], rc)
		serials[rc.Unit+" "+rc.FiscalYear] = append(serials[rc.Unit+" "+rc.FiscalYear], rc.Seq)
		return nil
	}); err != nil {
		return nil, err
	}
	for key, seqs := range serials {
		sort.Slice(seqs, func(i, j int) bool { return seqs[i] < seqs[j] })
		for i, s := range seqs {
			if s != int64(i+1) {
				r.bad("receipt serials of %s: expected %d, found %d (gap or duplicate)", key, i+1, s)
				break
			}
		}
	}
	for id, d := range latest {
		paid := d.Status == donations.Paid
		if paid {
			r.Paid++
		}
		rcs := byDonation[id]
		switch {
		case paid && len(rcs) == 0:
			r.bad("donation %s is paid but has no receipt", id)
		case len(rcs) > 1:
			r.bad("donation %s has %d receipts", id, len(rcs))
		case !paid && len(rcs) > 0:
			r.bad("donation %s is %s but has receipt %s", id, d.Status, rcs[0].Serial)
		case len(rcs) == 1 && rcs[0].Amount != d.Amount:
			r.bad("receipt %s says %s, donation %s is %s", rcs[0].Serial, rcs[0].Amount, id, d.Amount)
		}
		if d.Refunded() > d.Amount {
			r.bad("donation %s refunded %s of %s", id, d.Refunded(), d.Amount)
		}
	}
	// One bKash transaction is one gift: a TrxID claimed from the bKash app
	// must not also be a checkout gift, nor claimed twice.
	byTrx := map[string][]string{}
	for id, d := range latest {
		if d.Status == donations.Paid && d.TrxID != "" && (d.Method == donations.BKash || d.Method == donations.BKashApp) {
			byTrx[d.TrxID] = append(byTrx[d.TrxID], id)
		}
	}
	for trx, ids := range byTrx {
		if len(ids) > 1 {
			slices.Sort(ids)
			r.bad("bKash transaction %s is credited as %d gifts: %s", trx, len(ids), strings.Join(ids, ", "))
		}
	}
	for id := range byDonation {
		if latest[id] == nil {
			r.bad("receipt for unknown donation %s", id)
		}
	}

	// Ledger: balanced transactions, no negative fund, credits match gifts.
	type unitTotals struct {
		dr, cr            money.Amount
		funds             map[string]money.Amount
		bkashIn, bkashOut money.Amount
		creditedDonations map[string]money.Amount
		reversedDonations map[string]money.Amount
	}
	units := map[string]*unitTotals{}
	seqs := map[string][]int64{}
	// Ledger sources of refund holds, releases and reversals, and the
	// refund-pending balance per unit.
	sources := map[string]int{}
	held := map[string]money.Amount{}
	// bKash movements by the merchant of the donation they belong to.
	type merchantTotals struct {
		in, out money.Amount
		units   map[string]bool
	}
	merchants := map[string]*merchantTotals{}
	merchantOf := func(donation string) string {
		if d := latest[donation]; d != nil && d.Merchant != "" {
			return d.Merchant
		}
		if settle != nil {
			return settle.Platform
		}
		return ""
	}
	merchant := func(name string) *merchantTotals {
		m := merchants[name]
		if m == nil {
			m = &merchantTotals{units: map[string]bool{}}
			merchants[name] = m
		}
		return m
	}
	segs := map[string]map[int64]*ledger.Tally{}
	if err := db.LedgerEntries(ctx, func(t *ledger.Transaction) error {
		r.Transactions++
		segment(segs, t)
		seqs[t.Unit] = append(seqs[t.Unit], t.Seq)
		if t.Cause == ledger.CauseRefund || t.Cause == ledger.CauseRefundHold || t.Cause == ledger.CauseRefundRelease {
			sources[t.ID]++
		}
		if err := t.Validate(); err != nil {
			r.bad("ledger transaction %s: %v", t.ID, err)
		}
		u := units[t.Unit]
		if u == nil {
			u = &unitTotals{funds: map[string]money.Amount{}, creditedDonations: map[string]money.Amount{}, reversedDonations: map[string]money.Amount{}}
			units[t.Unit] = u
		}
		for _, l := range t.Lines {
			u.dr += l.Debit
			u.cr += l.Credit
			if ledger.IsFund(l.Account) || ledger.IsHold(l.Account) {
				u.funds[l.Account] += l.Credit - l.Debit
			}
			if ledger.IsHold(l.Account) {
				held[t.Unit] += l.Credit - l.Debit
			}
			if l.Account == ledger.ClearingBKash {
				u.bkashIn += l.Debit
				u.bkashOut += l.Credit
				m := merchant(merchantOf(t.Donation))
				m.in, m.out = m.in+l.Debit, m.out+l.Credit
				m.units[t.Unit] = true
			}
		}
		switch t.Cause {
		case ledger.CauseGift:
			for _, l := range t.Lines {
				u.creditedDonations[t.Donation] += l.Credit
			}
		case ledger.CauseRefund:
			for _, l := range t.Lines {
				u.reversedDonations[t.Donation] += l.Debit
			}
		}
		return nil
	}); err != nil {
		return nil, err
	}
	for unit, ss := range seqs {
		sort.Slice(ss, func(i, j int) bool { return ss[i] < ss[j] })
		for i, s := range ss {
			if s != int64(i+1) {
				r.bad("ledger sequence of %s: expected %d, found %d", unit, i+1, s)
				break
			}
		}
	}
	names := make([]string, 0, len(units))
	for n := range units {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, name := range names {
		u := units[name]
		if u.dr != u.cr {
			r.bad("unit %s: debits %s ≠ credits %s", name, u.dr, u.cr)
		}
		for acc, bal := range u.funds {
			if bal < 0 {
				r.bad("unit %s: fund %s is negative (%s)", name, strings.TrimPrefix(acc, "fund:"), bal)
			}
		}
		for id, amt := range u.creditedDonations {
			d := latest[id]
			if d == nil {
				r.bad("unit %s: ledger credits unknown donation %s", name, id)
				continue
			}
			if d.Status != donations.Paid || amt != d.Amount || d.Unit != name {
				r.bad("unit %s: ledger credits %s for donation %s (%s, %s at %s)", name, amt, id, d.Status, d.Amount, d.Unit)
			}
			if rev := u.reversedDonations[id]; rev != d.Refunded() {
				r.bad("unit %s: ledger reverses %s of donation %s, refunds completed %s", name, rev, id, d.Refunded())
			}
		}
	}
	if settle != nil {
		// Every merchant a bKash gift was made with, and the platform's,
		// even without ledger movements: money bKash holds that the ledger
		// never saw is a violation too.
		merchant(settle.Platform)
		for _, d := range latest {
			// Gifts made in the bKash app and claimed here reached the same
			// merchant wallet as checkout gifts: bKash's settlement has both.
			if d.Method == donations.BKash || d.Method == donations.BKashApp {
				merchant(merchantOf(d.ID)).units[d.Unit] = true
			}
		}
		for _, id := range slices.Sorted(maps.Keys(merchants)) {
			m := merchants[id]
			if id == "" {
				if m.in != 0 || m.out != 0 {
					r.bad("the ledger has %s / %s of bKash gifts that record no merchant, and no platform merchant was named", m.in, m.out)
				}
				continue
			}
			completed, refunded, err := settle.Totals(ctx, id)
			if err != nil {
				return nil, fmt.Errorf("bKash settlement of merchant %s: %w", id, err)
			}
			if completed != m.in || refunded != m.out {
				r.bad("bKash merchant %s (units %s) settled %s paid / %s refunded, the ledger has %s / %s",
					id, strings.Join(slices.Sorted(maps.Keys(m.units)), ", "), completed, refunded, m.in, m.out)
			}
		}
	}
	refunds(ctx, r, latest, sources, held, settle)
	if err := restrictedFunds(ctx, db, r); err != nil {
		return nil, err
	}
	if err := checkpoints(ctx, r, db, segs, seqs); err != nil {
		return nil, err
	}
	if err := reportCheckpoints(ctx, r, db); err != nil {
		return nil, err
	}
	for id, d := range latest {
		if d.Status == donations.Paid && units[d.Unit] != nil {
			if _, ok := units[d.Unit].creditedDonations[id]; !ok {
				r.bad("donation %s is paid but not credited in the ledger", id)
			}
		} else if d.Status == donations.Paid {
			r.bad("donation %s is paid but its unit %s has no ledger", id, d.Unit)
		}
	}
	sort.Strings(r.Violations)
	return r, nil
}

// refunds checks every refund against the ledger and bKash (docs/adr/0007):
// a pending refund has its hold and nothing else; a completed one exactly one
// reversal (and, if it was held, no release); a failed one no reversal, and
// its hold, if any, released; no hold belongs to no refund; each unit's
// refund-pending balance is its pending refunds; and bKash refunded of each
// payment what its completed refunds say.
func refunds(ctx context.Context, r *Report, latest map[string]*donations.Donation, sources map[string]int, held map[string]money.Amount, settle *Settlement) {
	owned := map[string]bool{}
	pending := map[string]money.Amount{}
	for _, id := range slices.Sorted(maps.Keys(latest)) {
		d := latest[id]
		for _, rf := range d.Refunds {
			hold, release, reversal := donations.HoldID(id, rf.ID), donations.ReleaseID(id, rf.ID), donations.RefundEventID(id, rf.ID)
			owned[hold], owned[release], owned[reversal] = true, true, true
			h, rel, rev := sources[hold], sources[release], sources[reversal]
			if h > 1 || rel > 1 || rev > 1 {
				r.bad("refund %s of %s: %d holds, %d releases, %d reversals in the ledger", rf.ID, id, h, rel, rev)
			}
			switch rf.Status {
			case donations.RefundPending:
				pending[d.Unit] += rf.Amount
				if h == 0 {
					r.bad("refund %s of %s is pending without a hold", rf.ID, id)
				}
				if rel+rev > 0 {
					r.bad("refund %s of %s is pending but the ledger released or reversed it", rf.ID, id)
				}
			case donations.RefundCompleted:
				if rev != 1 {
					r.bad("refund %s of %s is completed with %d ledger reversals", rf.ID, id, rev)
				}
				if rel > 0 {
					r.bad("refund %s of %s is completed but its hold was released", rf.ID, id)
				}
			case donations.RefundFailed:
				if rev > 0 {
					r.bad("refund %s of %s failed but the ledger reversed it", rf.ID, id)
				}
				if h > 0 && rel == 0 {
					r.bad("refund %s of %s failed but its hold outlives it", rf.ID, id)
				}
			case donations.RefundRequested:
				if rel+rev > 0 {
					r.bad("refund %s of %s was never sent but the ledger released or reversed it", rf.ID, id)
				}
				if h > 0 {
					// A crash between the hold and the send: the
					// reconciler resumes it.
					pending[d.Unit] += rf.Amount
				}
			}
		}
		if settle != nil && settle.PaymentRefunded != nil && len(d.Refunds) > 0 && d.Method == donations.BKash && d.PaymentID != "" {
			got, err := settle.PaymentRefunded(ctx, d.PaymentID)
			switch {
			case err != nil:
				r.bad("bKash refunds of %s: %v", id, err)
			case got != d.Refunded():
				r.bad("bKash refunded %s of payment %s (donation %s), its completed refunds say %s", got, d.PaymentID, id, d.Refunded())
			}
		}
	}
	for _, src := range slices.Sorted(maps.Keys(sources)) {
		if !owned[src] && strings.Contains(src, "/refund/") {
			r.bad("ledger refund entry %s belongs to no refund", src)
		}
	}
	for _, unit := range slices.Sorted(maps.Keys(held)) {
		if held[unit] != pending[unit] {
			r.bad("unit %s holds %s for refunds, its open refunds are %s", unit, held[unit], pending[unit])
		}
	}
}

// segment adds t to the tally of its checkpoint segment (entries
// (k-1)·N+1 … k·N form segment k, N = ledger.CheckpointEvery): the ledger is
// scanned in no order, and the segments are summed in order afterwards.
func segment(segs map[string]map[int64]*ledger.Tally, t *ledger.Transaction) {
	k := (t.Seq + ledger.CheckpointEvery - 1) / ledger.CheckpointEvery
	if segs[t.Unit] == nil {
		segs[t.Unit] = map[int64]*ledger.Tally{}
	}
	if segs[t.Unit][k] == nil {
		segs[t.Unit][k] = ledger.NewTally(t.Unit)
	}
	segs[t.Unit][k].AddAny(t)
}

// checkpoints checks every stored ledger checkpoint (ADR 0012) against the
// fold of its unit's entries up to it: the public figures are read from
// them, so a wrong one is a wrong figure on every page.
func checkpoints(ctx context.Context, r *Report, db Records, segs map[string]map[int64]*ledger.Tally, seqs map[string][]int64) error {
	stored := map[string][]ledger.Checkpoint{}
	if err := db.Checkpoints(ctx, func(key string, c *ledger.Checkpoint) error {
		r.Checkpoints++
		if key != fmt.Sprintf("%s/%010d", c.Unit, c.Seq) || c.Seq <= 0 || c.Seq%ledger.CheckpointEvery != 0 {
			r.bad("ledger checkpoint %s names %s/%d", key, c.Unit, c.Seq)
			return nil
		}
		stored[c.Unit] = append(stored[c.Unit], *c)
		return nil
	}); err != nil {
		return err
	}
	for _, unit := range slices.Sorted(maps.Keys(stored)) {
		cps := stored[unit]
		slices.SortFunc(cps, func(a, b ledger.Checkpoint) int { return cmp.Compare(a.Seq, b.Seq) })
		head := int64(len(seqs[unit]))
		sum := ledger.NewTally(unit)
		k := int64(0)
		for _, c := range cps {
			if c.Seq > head {
				r.bad("ledger checkpoint %s/%d is beyond the ledger's %d entries", unit, c.Seq, head)
				continue
			}
			for ; k < c.Seq/ledger.CheckpointEvery; k++ {
				if s := segs[unit][k+1]; s != nil {
					sum.Merge(s)
				}
			}
			sum.Seq = c.Seq
			if stored, err := c.Tally(); err != nil {
				r.bad("ledger checkpoint %s/%d is unreadable: %v (rebuild with kalyan-worker rebuild-aggregates)", unit, c.Seq, err)
			} else if !stored.Equal(sum) {
				r.bad("ledger checkpoint %s/%d differs from the fold of its entries (rebuild with kalyan-worker rebuild-aggregates)", unit, c.Seq)
			}
		}
	}
	return nil
}
