package app

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

// RecentLedger reads a unit's latest ledger entries of one cause, newest
// first, by an index (mongostore.Ledger.Recent).
type RecentLedger interface {
	Recent(ctx context.Context, unit, cause string, n int) ([]ledger.Transaction, error)
}

// AidReader reads one aid request.
type AidReader interface {
	Get(ctx context.Context, id string) (*aid.Request, error)
}

// AidReach shows the public that gifts reach patients (issue 19): a unit's
// recent confirmed disbursements, anonymised, and how many patients it
// helped this month and this fiscal year.
type AidReach struct {
	Ledger RecentLedger
	Aid    AidReader
	// Facts are the oversight report aggregates: the distinct patients
	// per unit and period are kept there as parts are given.
	Facts ReportFactStore
	Now   func() time.Time
}

// Given is one confirmed part of an aid request, with nothing that names
// or points to the patient.
type Given struct {
	At time.Time
	// Categories are the item types given (medicine, tests…), Disease the
	// request's disease group.
	Categories []string
	Disease    string
	Amount     money.Amount
	// Funds paid it (ledger fund names).
	Funds []string
}

// Recent returns the unit's last n confirmed parts that gave something:
// n ledger entries by the (unit, cause, seq) index and their n requests.
func (s *AidReach) Recent(ctx context.Context, unit string, n int) ([]Given, error) {
	txs, err := s.Ledger.Recent(ctx, unit, ledger.CauseDisbursement, n)
	if err != nil {
		return nil, err
	}
	out := make([]Given, 0, len(txs))
	for _, tx := range txs {
		part, err := strconv.Atoi(tx.ID[strings.LastIndexByte(tx.ID, '/')+1:])
		if err != nil || tx.Request == "" {
			continue // not a part's entry
		}
		r, err := s.Aid.Get(ctx, tx.Request)
		if err != nil {
			return nil, fmt.Errorf("recent aid of %s: %w", unit, err)
		}
		if part < 1 || part > len(r.Parts) || r.Parts[part-1].Total() <= 0 {
			continue // a final part that only returned money
		}
		out = append(out, given(r, &r.Parts[part-1]))
	}
	return out, nil
}

func given(r *aid.Request, p *aid.Part) Given {
	g := Given{At: p.ConfirmedAt, Disease: r.Diagnosis, Amount: p.Total()}
	seen := map[string]bool{}
	for _, d := range p.Items {
		if d.Amount > 0 && d.Item >= 0 && d.Item < len(r.Items) && !seen[r.Items[d.Item].Category] {
			seen[r.Items[d.Item].Category] = true
			g.Categories = append(g.Categories, r.Items[d.Item].Category)
		}
	}
	for _, a := range p.Spent {
		if f := ledger.FundName(a.Fund); !seen["fund:"+f] {
			seen["fund:"+f] = true
			g.Funds = append(g.Funds, f)
		}
	}
	return g
}

// Patients is how many distinct patients the unit helped this month and
// this fiscal year (Asia/Dhaka), from the report facts.
func (s *AidReach) Patients(ctx context.Context, unit string) (month, year int64, err error) {
	t, err := s.Facts.Tally(ctx, unit)
	if err != nil {
		return 0, 0, err
	}
	now := s.Now()
	m, err := reports.ParsePeriod(reports.MonthOf(now))
	if err != nil {
		return 0, 0, err
	}
	fy, err := reports.ParsePeriod(reports.FiscalYearOf(now))
	if err != nil {
		return 0, 0, err
	}
	unitKey := reports.LevelUnit + "/"
	return t.Count(m, reports.MetricPatients, unitKey+"month"), t.Count(fy, reports.MetricPatients, unitKey+"fy"), nil
}
