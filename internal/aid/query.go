package aid

import "time"

// Filter selects requests in a listing (the aid store's List).
type Filter struct {
	Unit     string
	Status   string
	Limit    int
	Offset   int
	Patient  string // NID or mobile: duplicate-benefit look-ups across units
	Since    time.Time
	Awaiting bool // approved/waitlisted/partially allocated with something outstanding
	// BirthDate (YYYY-MM-DD): patients born that day (identity flags).
	BirthDate string
}

// Statuses keeps the requests of qs (latest versions) whose status the
// filter selects, reusing qs's array.
func (f Filter) Statuses(qs []Request) []Request {
	if f.Status == "" && !f.Awaiting {
		return qs
	}
	kept := qs[:0]
	for _, q := range qs {
		if (f.Status == "" || string(q.Status) == f.Status) &&
			(!f.Awaiting || q.Status == Approved || q.Status == Waitlisted || q.Status == PartiallyAllocated) {
			kept = append(kept, q)
		}
	}
	return kept
}

// Page returns the filter's page (Offset, Limit) of qs.
func (f Filter) Page(qs []Request) []Request {
	if f.Offset > 0 {
		if f.Offset >= len(qs) {
			return nil
		}
		qs = qs[f.Offset:]
	}
	if f.Limit > 0 && len(qs) > f.Limit {
		qs = qs[:f.Limit]
	}
	return qs
}

// VersionRef names one version of a request.
type VersionRef struct {
	ID      string
	Version int
}

// GrantClaim is who holds a patient's one-time grant claim (ADR 0010).
type GrantClaim struct {
	Key     string
	Unit    string
	Request string
	At      time.Time
}
