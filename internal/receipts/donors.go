package receipts

import "time"

// DonorProfile is what a donor asked us to keep for their future gifts and
// receipts ("My gifts"): keyed by the donor reference of their number
// (never the number). Personal data that is not a financial record: the
// donor may have it erased.
type DonorProfile struct {
	Ref       string
	Name      string
	Email     string
	TIN       string
	UpdatedAt time.Time
}

// ErasureRequest records a donor's request to erase their non-financial
// personal data: what was erased at once and what is kept, for the
// operators' record.
type ErasureRequest struct {
	ID      string
	Ref     string
	At      time.Time
	Erased  []string
	Retains string
}
