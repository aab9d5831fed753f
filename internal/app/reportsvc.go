package app

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"
	"golang.org/x/sync/singleflight"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/geo"
	"github.com/kalyan-platform/kalyan/internal/ledger"
	"github.com/kalyan-platform/kalyan/internal/reports"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// ReportFactStore keeps the report aggregates (mongostore.ReportFacts):
// facts appended once per source, folded incrementally (ADR 0016).
type ReportFactStore interface {
	// Append stores the fact as its unit's next one; a source stored
	// before is a no-op.
	Append(ctx context.Context, f *reports.Fact) (applied bool, err error)
	// Tally is the fold of the unit's facts (shared: read only).
	Tally(ctx context.Context, unit string) (*reports.Tally, error)
	// Tallies is Tally for each of units, read together (a cold read
	// starts every unit from its stored head, all heads read at once).
	Tallies(ctx context.Context, units []string) ([]*reports.Tally, error)
	// Mark claims patient markers for source: first[i] is whether source
	// holds marker i (it was the patient's first help there).
	Mark(ctx context.Context, markers []string, source string, at time.Time) (first []bool, err error)
}

// WaitlistStore keeps snapshots of every unit's waitlist (the worker takes
// one every few minutes: a waitlist is a state, not a flow).
type WaitlistStore interface {
	// Latest is the newest snapshot taken before t (nil: none).
	Latest(ctx context.Context, before time.Time) (*WaitlistSnapshot, error)
	// Put stores a snapshot once per its ID (insert-only).
	Put(ctx context.Context, s *WaitlistSnapshot) error
}

// WaitlistSnapshot is every unit's waitlist at one time.
type WaitlistSnapshot struct {
	// ID names the snapshot's slot ("2026-12-02T10:15"): one per slot.
	ID    string                      `bson:"_id"`
	At    time.Time                   `bson:"at"`
	Units map[string]reports.Waitlist `bson:"units"`
	// Stuck counts, per unit and status, requests that have waited in
	// that status longer than the snapshot's StuckAfter.
	Stuck      map[string]map[string]int `bson:"stuck,omitempty"`
	StuckAfter time.Duration             `bson:"stuckAfter"`
}

// ReportRecorder turns the platform's events into report facts (consumer
// group kalyan-reports, on the donation and aid topics). Every fact is keyed
// by its event's ID, so redelivery adds nothing.
type ReportRecorder struct {
	Facts ReportFactStore
	Units UnitStore
	Aid   AidStore
}

// ReportEventTypes are the events report facts are made of.
var ReportEventTypes = []string{events.DonationPaid, donations.EventRefunded, aid.EventApproved, aid.EventDisbursed}

// Handle implements the worker handler signature.
func (h *ReportRecorder) Handle(ctx context.Context, e events.Envelope) error {
	_, err := h.Record(ctx, e)
	return err
}

// HandleBatch records a fetch's facts in order (kafkabus.BatchHandler): an
// error hands the events to Handle one by one, which retries and
// dead-letters.
func (h *ReportRecorder) HandleBatch(ctx context.Context, es []events.Envelope) error {
	for _, e := range es {
		if _, err := h.Record(ctx, e); err != nil {
			return err
		}
	}
	return nil
}

// Record stores e's fact and reports whether it was new.
func (h *ReportRecorder) Record(ctx context.Context, e events.Envelope) (bool, error) {
	f, err := h.factOf(ctx, e)
	if err != nil || f == nil {
		return false, err
	}
	applied, err := h.Facts.Append(ctx, f)
	if err != nil {
		return false, fmt.Errorf("report fact %s: %w", e.ID, err)
	}
	return applied, nil
}

// Backfill records the facts of evs (every event the store kept, oldest
// first) that are missing: the rebuild after a lost consumer offset, or
// when the reports start on a platform with history. Idempotent.
func (h *ReportRecorder) Backfill(ctx context.Context, evs []events.Envelope) (int, error) {
	n := 0
	for _, e := range evs {
		ok, err := h.Record(ctx, e)
		if err != nil {
			return n, err
		}
		if ok {
			n++
		}
	}
	return n, nil
}

func (h *ReportRecorder) factOf(ctx context.Context, e events.Envelope) (*reports.Fact, error) {
	switch e.Type {
	case events.DonationPaid:
		p, err := donations.DecodePaid(e)
		if err != nil {
			return nil, events.PoisonError{Err: err}
		}
		f := reports.GiftFact(e.ID, e.Unit, string(p.Kind), p.Programme, string(p.Method), p.Amount, p.PaidAt)
		return &f, nil
	case donations.EventRefunded:
		p, err := donations.DecodeRefunded(e)
		if err != nil {
			return nil, events.PoisonError{Err: err}
		}
		f := reports.RefundFact(e.ID, e.Unit, string(p.Kind), p.Programme, string(p.Method), p.Amount, p.At)
		return &f, nil
	case aid.EventApproved:
		var p aid.ApprovedPayload
		if err := json.Unmarshal(e.Payload, &p); err != nil || p.Request == "" {
			return nil, events.PoisonError{Err: fmt.Errorf("decode %s: %v", e.ID, err)}
		}
		r, err := h.Aid.Get(ctx, p.Request)
		if err != nil {
			return nil, fmt.Errorf("report fact %s: %w", e.ID, err)
		}
		f := reports.ApprovedFact(e.ID, r, e.OccurredAt)
		return &f, nil
	case aid.EventDisbursed:
		return h.given(ctx, e)
	}
	return nil, nil
}

// given builds the fact of a confirmed part: what it gave, what each fund
// paid, and which of the patient's scopes it is the first help in.
func (h *ReportRecorder) given(ctx context.Context, e events.Envelope) (*reports.Fact, error) {
	var p aid.DisbursedPayload
	if err := json.Unmarshal(e.Payload, &p); err != nil || p.Request == "" {
		return nil, events.PoisonError{Err: fmt.Errorf("decode %s: %v", e.ID, err)}
	}
	n, err := strconv.Atoi(e.ID[strings.LastIndexByte(e.ID, '/')+1:])
	if err != nil {
		return nil, events.PoisonError{Err: fmt.Errorf("%s names no part", e.ID)}
	}
	r, err := h.Aid.Get(ctx, p.Request)
	if err != nil {
		return nil, fmt.Errorf("report fact %s: %w", e.ID, err)
	}
	if n < 1 || n > len(r.Parts) {
		return nil, fmt.Errorf("report fact %s: request %s has %d parts", e.ID, r.ID, len(r.Parts))
	}
	part := &r.Parts[n-1]
	g := reports.Given{Source: e.ID, Request: r, Part: part, Spent: p.Spent, Returns: p.Returns, At: e.OccurredAt}
	if part.Total() > 0 {
		u, err := h.Units.Get(ctx, r.Unit)
		if err != nil {
			return nil, fmt.Errorf("report fact %s: %w", e.ID, err)
		}
		scopes := reports.PatientScopes(r, geo.Code(u.District), geo.Code(u.Division), e.OccurredAt)
		markers := make([]string, len(scopes))
		for i, s := range scopes {
			markers[i] = s.Marker
		}
		first, err := h.Facts.Mark(ctx, markers, e.ID, e.OccurredAt)
		if err != nil {
			return nil, err
		}
		for i, s := range scopes {
			if first[i] {
				g.FirstIn = append(g.FirstIn, s)
			}
		}
	}
	f := reports.GivenFact(g, ledger.FundName)
	if len(f.Entries) == 0 {
		return nil, nil // a final part that gave nothing and returned nothing
	}
	return &f, nil
}

// Reports builds the oversight reports from the aggregates: each unit's
// report tally and ledger tally, and the waitlist snapshot.
type Reports struct {
	Facts     ReportFactStore
	Ledger    LedgerTallies
	Units     UnitStore
	Waitlists WaitlistStore
	Now       func() time.Time
	// TTL caches the unit list.
	TTL time.Duration
	// ReportTTL caches each built report per scope and period (0: none): a
	// report changes only as fast as its units' facts, so page views and
	// downloads within it cost nothing and one refresh reads the units.
	ReportTTL time.Duration

	mu      sync.Mutex
	units   []units.Unit
	unitsAt time.Time
	built   map[string]builtReport
	flight  singleflight.Group
}

type builtReport struct {
	r  *reports.Report
	at time.Time
}

// ErrUnknownScope is returned for a district, division or unit that does
// not exist.
var ErrUnknownScope = errors.New("no such district, division or unit")

// Scope resolves a level and code to a scope with its names.
func (s *Reports) Scope(ctx context.Context, level, code string) (reports.Scope, error) {
	atlas := geo.Bangladesh()
	switch level {
	case reports.LevelNation:
		return reports.Scope{Level: level, NameBN: "বাংলাদেশ", NameEN: "Bangladesh"}, nil
	case reports.LevelDivision:
		if p, ok := atlas.Division(code); ok {
			return reports.Scope{Level: level, Code: code, NameBN: p.BN, NameEN: p.EN}, nil
		}
	case reports.LevelDistrict:
		if p, ok := atlas.District(code); ok {
			return reports.Scope{Level: level, Code: code, NameBN: p.BN, NameEN: p.EN}, nil
		}
	case reports.LevelUnit:
		u, err := s.Units.Get(ctx, code)
		if errors.Is(err, units.ErrNotFound) {
			return reports.Scope{}, ErrUnknownScope
		}
		if err != nil {
			return reports.Scope{}, err
		}
		return reports.Scope{Level: level, Code: code, NameBN: u.Names.BN, NameEN: u.Names.EN}, nil
	}
	return reports.Scope{}, ErrUnknownScope
}

// Place is a unit's district and division codes.
func Place(u *units.Unit) (district, division string) {
	return geo.Code(u.District), geo.Code(u.Division)
}

// InScope lists the registered units a scope covers.
func (s *Reports) InScope(ctx context.Context, scope reports.Scope) ([]units.Unit, error) {
	all, err := s.allUnits(ctx)
	if err != nil {
		return nil, err
	}
	var out []units.Unit
	for _, u := range all {
		d, v := Place(&u)
		switch {
		case scope.Level == reports.LevelNation,
			scope.Level == reports.LevelDivision && v == scope.Code,
			scope.Level == reports.LevelDistrict && d == scope.Code,
			scope.Level == reports.LevelUnit && u.Code == scope.Code:
			out = append(out, u)
		}
	}
	return out, nil
}

func (s *Reports) allUnits(ctx context.Context) ([]units.Unit, error) {
	s.mu.Lock()
	us, at := s.units, s.unitsAt
	s.mu.Unlock()
	if us != nil && s.Now().Sub(at) < s.TTL {
		return us, nil
	}
	us, err := s.Units.List(ctx)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.units, s.unitsAt = us, s.Now()
	s.mu.Unlock()
	return us, nil
}

// Report returns scope's report over p, built at most ReportTTL ago; one
// build at a time per scope and period. The result is shared: read only.
func (s *Reports) Report(ctx context.Context, scope reports.Scope, p reports.Period) (*reports.Report, error) {
	if s.ReportTTL <= 0 {
		return s.build(ctx, scope, p)
	}
	key := scope.Level + "/" + scope.Code + "/" + p.Name
	s.mu.Lock()
	b, ok := s.built[key]
	s.mu.Unlock()
	if ok && s.Now().Sub(b.at) < s.ReportTTL {
		return b.r, nil
	}
	v, err, _ := s.flight.Do(key, func() (any, error) {
		at := s.Now()
		// Shared by every caller waiting on it: one leaving does not stop it.
		r, err := s.build(context.WithoutCancel(ctx), scope, p)
		if err != nil {
			return nil, err
		}
		s.mu.Lock()
		if s.built == nil {
			s.built = map[string]builtReport{}
		}
		for k, b := range s.built { // drop expired ones: the map stays as small as what is viewed
			if at.Sub(b.at) >= s.ReportTTL {
				delete(s.built, k)
			}
		}
		s.built[key] = builtReport{r: r, at: at}
		s.mu.Unlock()
		return r, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*reports.Report), nil
}

// build builds scope's report over p: every unit's tallies are read side
// by side (each costs its facts since its head, not its history).
func (s *Reports) build(ctx context.Context, scope reports.Scope, p reports.Period) (*reports.Report, error) {
	us, err := s.InScope(ctx, scope)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	var wl *WaitlistSnapshot
	if s.Waitlists != nil {
		before := now
		if end := p.End(); end.Before(now) {
			before = end // a past period: its waitlist as it ended
		}
		if wl, err = s.Waitlists.Latest(ctx, before); err != nil {
			return nil, err
		}
	}
	codes := make([]string, len(us))
	for i := range us {
		codes[i] = us[i].Code
	}
	facts, err := s.Facts.Tallies(ctx, codes)
	if err != nil {
		return nil, err
	}
	in := make([]reports.UnitInput, len(us))
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(8)
	for i, u := range us {
		g.Go(func() error {
			d, v := Place(&u)
			in[i] = reports.UnitInput{Code: u.Code, NameBN: u.Names.BN, NameEN: u.Names.EN, District: d, Division: v, Facts: facts[i]}
			var err error
			if s.Ledger != nil {
				if in[i].Ledger, err = s.Ledger.Tally(gctx, u.Code); err != nil {
					return err
				}
			}
			if wl != nil {
				in[i].Waitlist = wl.Units[u.Code]
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	r := reports.Build(scope, p, now, in)
	for i := range r.Children {
		c := &r.Children[i]
		if c.NameBN != "" {
			continue
		}
		if sc, err := s.Scope(ctx, c.Level, c.Code); err == nil {
			c.NameBN, c.NameEN = sc.NameBN, sc.NameEN
		}
	}
	return r, nil
}

// WaitlistWatch takes the waitlist snapshot: every unit's approved requests
// still waiting for money, and requests waiting in a state longer than
// StuckAfter.
type WaitlistWatch struct {
	Aid        AidStore
	Store      WaitlistStore
	StuckAfter time.Duration
	Now        func() time.Time
}

// stuckStates are the states a request waits in for a person.
var stuckStates = []aid.Status{aid.Submitted, aid.Assessed, aid.Approved, aid.Waitlisted, aid.PartiallyAllocated, aid.DisbursementRecorded}

// Take builds the snapshot (one scan of the open requests) and stores it in
// its slot (slot: the time truncated to every).
func (w *WaitlistWatch) Take(ctx context.Context, every time.Duration) (*WaitlistSnapshot, error) {
	now := w.Now().UTC()
	s := &WaitlistSnapshot{ID: now.Truncate(every).Format("2006-01-02T15:04"), At: now, Units: map[string]reports.Waitlist{},
		Stuck: map[string]map[string]int{}, StuckAfter: w.StuckAfter}
	// One scan of every request's latest version (the store has no index
	// on status): off the request path, every few minutes.
	rs, err := w.Aid.List(ctx, aid.Filter{})
	if err != nil {
		return nil, fmt.Errorf("waitlist snapshot: %w", err)
	}
	for i := range rs {
		r := &rs[i]
		if !slices.Contains(stuckStates, r.Status) {
			continue
		}
		if r.AwaitingFunds() {
			wl := s.Units[r.Unit]
			wl.Requests++
			wl.Needed += r.Outstanding()
			if wl.Oldest.IsZero() || r.ApprovedAt.Before(wl.Oldest) {
				wl.Oldest = r.ApprovedAt
			}
			s.Units[r.Unit] = wl
		}
		if now.Sub(r.UpdatedAt) > w.StuckAfter {
			if s.Stuck[r.Unit] == nil {
				s.Stuck[r.Unit] = map[string]int{}
			}
			s.Stuck[r.Unit][string(r.Status)]++
		}
	}
	if err := w.Store.Put(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}
