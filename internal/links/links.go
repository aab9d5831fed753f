// Package links holds donation links: shareable addresses (and QR codes) for
// a unit or one of its campaigns, with optional presets and an end date.
package links

import (
	"errors"
	"regexp"
	"slices"
	"time"

	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/units"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// Errors a donor may meet when opening a link.
var (
	ErrNotFound = errors.New("donation link not found")
	ErrExpired  = errors.New("donation link has ended")
	ErrDisabled = errors.New("donation link is disabled")
	ErrTaken    = errors.New("slug already taken")
)

// Link is one donation link.
type Link struct {
	Slug      string
	Unit      string
	TitleEN   string
	TitleBN   string
	Kind      string
	Programme string
	Amounts   []money.Amount
	// Goal is the campaign's target, shown beside what it has raised.
	Goal      money.Amount
	EndsAt    time.Time
	Disabled  bool
	CreatedBy string
	CreatedAt time.Time
}

var slugRE = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]{1,58}[a-z0-9])$`)

// Total is what was given through a link: paid gifts, refunds not taken off.
type Total struct {
	Gifts  int
	Amount money.Amount
}

// Usable tells a donor whether they can give through the link now.
func (l *Link) Usable(now time.Time) error {
	switch {
	case l.Disabled:
		return ErrDisabled
	case !l.EndsAt.IsZero() && !now.Before(l.EndsAt):
		return ErrExpired
	}
	return nil
}

// Default is the implicit link of a unit: its code, no presets.
func Default(u *units.Unit) *Link {
	return &Link{Slug: u.Code, Unit: u.Code, TitleEN: u.Names.EN, TitleBN: u.Names.BN}
}

// Validate checks a new link against its unit's policy.
func (l *Link) Validate(u *units.Unit, now time.Time) error {
	var v validation.Errors
	if !slugRE.MatchString(l.Slug) {
		v.Add("slug", "must be 3-60 lower-case letters, digits or dashes")
	}
	// Titles head the donation page and its QR poster: cleaned in place.
	okEN := freetext.Into(&v, "title.en", &l.TitleEN, freetext.Line)
	okBN := freetext.Into(&v, "title.bn", &l.TitleBN, freetext.Line)
	if okEN && okBN && l.TitleEN == "" && l.TitleBN == "" {
		v.Add("title", "give a title in Bengali or English")
	}
	switch l.Kind {
	case "", "zakat", "sadaqah", "general":
	default:
		v.Add("kind", "must be zakat, sadaqah or general")
	}
	if l.Programme != "" && !u.HasProgramme(l.Programme) {
		v.Add("programme", "is not a programme of this unit")
	}
	if len(l.Amounts) > 6 {
		v.Add("amounts", "at most 6 preset amounts")
	}
	for _, a := range l.Amounts {
		if a < u.Policy.MinDonation || a > u.Policy.MaxDonation {
			v.Add("amounts", "each preset must be within the unit's limits "+u.Policy.MinDonation.String()+"–"+u.Policy.MaxDonation.String())
			break
		}
	}
	if l.Goal < 0 {
		v.Add("goal", "must not be negative")
	}
	l.Amounts = slices.Compact(slices.Sorted(slices.Values(l.Amounts)))
	if !l.EndsAt.IsZero() && !l.EndsAt.After(now) {
		v.Add("endsAt", "must be in the future")
	}
	return v.Err()
}
