package donorweb

import (
	"context"
	"time"

	"github.com/kalyan-platform/kalyan/internal/i18n"
	"github.com/kalyan-platform/kalyan/internal/links"
)

// campaignView is a campaign's progress on its donate page: what was given
// through its link (paid gifts, links.Total) against its goal, the days
// left and how many gifts came.
type campaignView struct {
	// Raised is "৳x given of ৳goal" (or "৳x given" with no goal).
	Raised string
	// Max and Value drive the progress bar (whole taka, capped at the
	// goal); Max is 0 when the campaign set no goal.
	Max, Value int64
	Percent    string
	Gifts      string
	// DaysLeft is "" for a campaign without an end date.
	DaysLeft string
	// Summary is the one line a shared link's preview shows.
	Summary string
}

// campaign reads a campaign link's totals (one indexed read of its gifts'
// running sums, never a fold of the unit's gifts).
func (h *handlers) campaign(ctx context.Context, l i18n.Lang, t *donateTarget) (*campaignView, error) {
	totals, err := h.Links.Totals(ctx, []links.Link{*t.Link})
	if err != nil {
		return nil, err
	}
	return newCampaignView(l, t.Link, totals[t.Link.Slug], h.Links.Now()), nil
}

func newCampaignView(l i18n.Lang, lk *links.Link, tot links.Total, now time.Time) *campaignView {
	v := &campaignView{Gifts: l.F("campaign.gifts", l.Num(int64(tot.Gifts)))}
	v.Raised = l.F("campaign.raised", l.Money(tot.Amount))
	if lk.Goal > 0 {
		v.Raised = l.F("campaign.raised-of", l.Money(tot.Amount), l.Money(lk.Goal))
		v.Max, v.Value = int64(lk.Goal)/100, min(int64(tot.Amount), int64(lk.Goal))/100
		v.Percent = l.F("campaign.percent", l.Num(int64(tot.Amount)*100/int64(lk.Goal)))
	}
	if !lk.EndsAt.IsZero() {
		v.DaysLeft = daysLeft(l, lk.EndsAt, now)
	}
	v.Summary = v.Raised + " · " + v.Gifts
	if v.DaysLeft != "" {
		v.Summary += " · " + v.DaysLeft
	}
	return v
}

// daysLeft counts calendar days in Dhaka to the campaign's last day (the
// day before it ends at midnight, or the day it ends later on).
func daysLeft(l i18n.Lang, ends, now time.Time) string {
	dhaka := time.FixedZone("Asia/Dhaka", 6*60*60)
	last := ends.In(dhaka).Add(-time.Nanosecond)
	day := func(t time.Time) time.Time { return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, dhaka) }
	n := int64(day(last).Sub(day(now.In(dhaka))).Hours() / 24)
	if n <= 0 {
		return l.T("campaign.last-day")
	}
	return l.F("campaign.days-left", l.Num(n))
}
