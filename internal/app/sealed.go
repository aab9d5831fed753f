package app

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/events"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// Sealed snapshots (ADR 0005): an event carries, encrypted under the
// platform seal key, what its consumer would otherwise read back from the
// store. The associated data names the record (and version) the snapshot
// belongs to, so a blob copied onto another event does not open. A snapshot
// that is absent (older events, no seal key) or does not open (another seal
// key, tampering) only costs the read it was meant to save.

// Sealer seals a snapshot under the platform seal key (signing.Sealer).
type Sealer interface {
	Seal(plain, ad []byte) ([]byte, error)
}

// Opener opens what a Sealer sealed (signing.Sealer).
type Opener interface {
	Open(sealed, ad []byte) ([]byte, error)
}

// SealOpener does both (signing.Sealer).
type SealOpener interface {
	Sealer
	Opener
}

// donorSnapshot is what a receipt needs of the donor: fixed when the
// donation is created, so the paid event's copy equals version 1's.
type donorSnapshot struct {
	Name      string `json:"name,omitempty"`
	Phone     string `json:"phone"`
	TIN       string `json:"tin,omitempty"`
	Anonymous bool   `json:"anonymous,omitempty"`
}

func donorOf(d *donations.Donation) donorSnapshot {
	return donorSnapshot{Name: d.Donor.Name, Phone: d.Donor.Phone, TIN: d.Donor.TIN, Anonymous: d.Anonymous}
}

// receiptDonor is the donor as a receipt's signed content shows it.
func (s donorSnapshot) receiptDonor() receipts.Donor {
	return receipts.Donor{Name: s.Name, Anonymous: s.Anonymous, MobileMasked: contact.MaskMobile(s.Phone), TIN: s.TIN}
}

func donorAD(donation string) []byte { return []byte("kalyan/paid-donor/v1\x00" + donation) }

func approvedAD(request string, version int) []byte {
	return []byte("kalyan/aid-approved/v1\x00" + request + "#" + strconv.Itoa(version))
}

// markPaid marks d paid with its donor snapshot sealed into the paid event,
// so the state and the event are still stored as one document.
func markPaid(seal Sealer, d *donations.Donation, trxID string, now time.Time) error {
	var sealed []byte
	if seal != nil {
		// Without a usable seal key the event goes without: receipts read.
		if b, err := SealDonor(seal, d); err == nil {
			sealed = b
		}
	}
	return d.MarkPaidSealed(trxID, now, sealed)
}

// SealDonor seals the donor snapshot of d that donation.paid carries.
func SealDonor(seal Sealer, d *donations.Donation) ([]byte, error) {
	plain, err := json.Marshal(donorOf(d))
	if err != nil {
		return nil, err
	}
	return seal.Seal(plain, donorAD(d.ID))
}

// SealApproved seals q (as stored at q.Version, without its outbox) as
// aid.approved carries it.
func SealApproved(seal Sealer, q *aid.Request) ([]byte, error) {
	plain, err := json.Marshal(cloneRequest(q))
	if err != nil {
		return nil, err
	}
	return seal.Seal(plain, approvedAD(q.ID, q.Version))
}

// approve approves q and seals the approved version (the next one) into
// aid.approved.
func approve(seal Sealer, q *aid.Request, approveFn func(*aid.Request) error) error {
	if err := approveFn(q); err != nil {
		return err
	}
	if seal == nil {
		return nil
	}
	snap := *q
	snap.Version = q.Version + 1 // what the store saves this change as
	return rewritePayload(q.Outbox, q.ID+"/approved", func(p *aid.ApprovedPayload) bool {
		if p.Version != snap.Version {
			return false
		}
		b, err := SealApproved(seal, &snap)
		p.Sealed = b
		return err == nil
	})
}

// rewritePayload re-encodes the payload of the outbox event with id after
// set has changed it (set returning false leaves it as it was).
func rewritePayload[P any](outbox []events.Envelope, id string, set func(*P) bool) error {
	for i := range outbox {
		if outbox[i].ID != id {
			continue
		}
		var p P
		if err := json.Unmarshal(outbox[i].Payload, &p); err != nil {
			return err
		}
		if !set(&p) {
			return nil
		}
		b, err := json.Marshal(p)
		if err != nil {
			return err
		}
		outbox[i].Payload = b
	}
	return nil
}

// openDonor opens a paid event's donor snapshot; false if there is none or
// it does not open for this donation.
func openDonor(open Opener, p donations.PaidPayload) (donorSnapshot, bool) {
	var s donorSnapshot
	if open == nil || len(p.DonorSealed) == 0 {
		return s, false
	}
	plain, err := open.Open(p.DonorSealed, donorAD(p.Donation))
	if err != nil || json.Unmarshal(plain, &s) != nil || s.Phone == "" {
		return s, false
	}
	return s, true
}

// openApproved opens an aid.approved event's snapshot of the approved
// version; nil if there is none or it does not open for that version.
func openApproved(open Opener, unit string, p aid.ApprovedPayload) *aid.Request {
	if open == nil || len(p.Sealed) == 0 || p.Version <= 0 {
		return nil
	}
	plain, err := open.Open(p.Sealed, approvedAD(p.Request, p.Version))
	if err != nil {
		return nil
	}
	var q aid.Request
	if json.Unmarshal(plain, &q) != nil || q.ID != p.Request || q.Version != p.Version || q.Unit != unit {
		return nil
	}
	return &q
}
