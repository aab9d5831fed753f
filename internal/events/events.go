// Package events defines the envelope every Kafka message carries and the
// event types the platform publishes.
package events

import (
	"encoding/json"
	"time"
)

// Topics are versioned and shared by all units; messages are keyed by unit
// code so one unit's events stay ordered on one partition.
const (
	TopicDonations  = "kalyan.donations.v1"
	TopicDeadLetter = "kalyan.deadletter.v1"
)

// Event types.
const (
	DonationPaid = "donation.paid"
)

// SchemaVersion of the envelope and payloads defined here.
const SchemaVersion = 1

// Envelope wraps every event. ID is unique and deterministic for a state
// change (e.g. "<donation id>/paid") so a change applied twice is recognised.
type Envelope struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	Unit       string          `json:"unit"`
	OccurredAt time.Time       `json:"occurredAt"`
	Version    int             `json:"version"`
	Payload    json.RawMessage `json:"payload"`
}

// New builds an envelope around payload.
func New(id, typ, unit string, at time.Time, payload any) (Envelope, error) {
	b, err := json.Marshal(payload)
	if err != nil {
		return Envelope{}, err
	}
	return Envelope{ID: id, Type: typ, Unit: unit, OccurredAt: at.UTC(), Version: SchemaVersion, Payload: b}, nil
}
