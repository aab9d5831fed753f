package app

import (
	"context"
	"errors"
	"regexp"
	"strconv"
	"strings"

	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/donations"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// GiftLookup finds a unit's gifts the ways a donor names them at the
// counter: the number on their receipt, their bKash TrxID, their mobile.
type GiftLookup interface {
	// ReceiptDonation is the gift receipt seq of unit's fiscal year fy.
	ReceiptDonation(ctx context.Context, unit, fy string, seq int64) (string, bool, error)
	// PaidWithTrxID is the gift paid with bKash transaction trxID.
	PaidWithTrxID(ctx context.Context, trxID string) (string, bool, error)
	// DonorGifts are at most limit of unit's gifts from mobile, newest first.
	DonorGifts(ctx context.Context, unit, mobile string, limit int) ([]string, error)
}

// MaxFoundGifts bounds one search's answer.
const MaxFoundGifts = 50

// GiftSearch finds gifts of one unit for staff (refunds at the counter).
type GiftSearch struct {
	Lookup    GiftLookup
	Donations *Donations
}

var (
	serialRE = regexp.MustCompile(`^([A-Za-z0-9-]+)/(\d{4}-\d{2})/(\d{1,9})$`)
	trxIDRE  = regexp.MustCompile(`^[A-Za-z0-9-]{4,32}$`)
)

// Find returns unit's gifts that q names: a receipt number
// ("DMCH/2026-27/000012"), a mobile number or a bKash TrxID. Gifts of other
// units are never found, whatever q says.
func (s *GiftSearch) Find(ctx context.Context, unit, q string) ([]View, error) {
	q = strings.TrimSpace(q)
	u, err := s.Donations.Units.Get(ctx, unit)
	if err != nil {
		return nil, err
	}
	var ids []string
	switch m := serialRE.FindStringSubmatch(q); {
	case q == "":
		return nil, validation.Errors{{Field: "q", Message: "is required: a receipt number, a bKash TrxID or a mobile number"}}
	case m != nil:
		seq, _ := strconv.ParseInt(m[3], 10, 64)
		if !strings.EqualFold(m[1], u.SerialPrefix()) {
			return nil, nil
		}
		id, ok, err := s.Lookup.ReceiptDonation(ctx, unit, m[2], seq)
		if err != nil {
			return nil, err
		}
		if ok {
			ids = append(ids, id)
		}
	default:
		if mobile, err := contact.NormalizeMobile(q); err == nil {
			if ids, err = s.Lookup.DonorGifts(ctx, unit, mobile, MaxFoundGifts); err != nil {
				return nil, err
			}
			break
		}
		if !trxIDRE.MatchString(q) {
			return nil, validation.Errors{{Field: "q", Message: "is not a receipt number, a bKash TrxID or a mobile number"}}
		}
		id, ok, err := s.Lookup.PaidWithTrxID(ctx, q)
		if err != nil {
			return nil, err
		}
		if ok {
			ids = append(ids, id)
		}
	}
	out := make([]View, 0, len(ids))
	for _, id := range ids {
		v, err := s.Donations.Get(ctx, id)
		if errors.Is(err, donations.ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		if v.Unit == unit {
			out = append(out, v)
		}
	}
	return out, nil
}
