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
