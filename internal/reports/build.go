package reports

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/kalyan-platform/kalyan/internal/aid"
	"github.com/kalyan-platform/kalyan/internal/money"
)

// Channel names how a gift was given, from its payment method.
func Channel(method string) string {
	switch method {
	case "cash":
		return ChannelCounter
	case "bkash_app":
		return ChannelApp
	}
	return ChannelLink
}

func giftKey(kind, programme, method string) string {
	return kind + "|" + programme + "|" + Channel(method)
}

// GiftFact is the fact of a paid gift (source: its donation.paid event).
func GiftFact(source, unit, kind, programme, method string, amount money.Amount, at time.Time) Fact {
	return Fact{Source: source, Unit: unit, At: at.UTC(), Entries: []Entry{{Metric: MetricGift, Key: giftKey(kind, programme, method), Amount: amount, Count: 1}}}
}

// RefundFact is the fact of a completed refund (source: its
// donation.refunded event).
func RefundFact(source, unit, kind, programme, method string, amount money.Amount, at time.Time) Fact {
	return Fact{Source: source, Unit: unit, At: at.UTC(), Entries: []Entry{{Metric: MetricRefund, Key: giftKey(kind, programme, method), Amount: amount, Count: 1}}}
}

// ApprovedFact is the fact of an approval (source: its aid.approved event):
// the approved total by disease and urgency, and the time since filing.
func ApprovedFact(source string, r *aid.Request, at time.Time) Fact {
	return Fact{Source: source, Unit: r.Unit, At: at.UTC(), Entries: []Entry{
		{Metric: MetricApproved, Key: r.Diagnosis + "|" + r.Urgency, Amount: r.ApprovedTotal(), Count: 1},
		{Metric: MetricFileToApprove, Amount: money.Amount(max(0, at.Sub(r.CreatedAt)/time.Second)), Count: 1},
	}}
}

// Given is one confirmed part of an aid request, with what each fund paid
// and got back (the aid.disbursed payload, the same figures the ledger
// moves).
type Given struct {
	Source  string
	Request *aid.Request
	Part    *aid.Part
	Spent   []aid.Allocation
	Returns []aid.Allocation
	At      time.Time
	// FirstIn are the patient scopes (PatientScopes) this part is the
	// patient's first help in, as the store's markers decided.
	FirstIn []PatientScope
}

// GivenFact is the fact of a confirmed part (source: its aid.disbursed
// event). Fund names are ledger fund names (ledger.FundName).
func GivenFact(g Given, fundName func(account string) string) Fact {
	r := g.Request
	f := Fact{Source: g.Source, Unit: r.Unit, At: g.At.UTC()}
	for _, d := range g.Part.Items {
		if d.Amount <= 0 || d.Item < 0 || d.Item >= len(r.Items) {
			continue
		}
		f.Entries = append(f.Entries, Entry{Metric: MetricGiven, Key: r.Diagnosis + "|" + r.Items[d.Item].Category + "|" + r.Urgency, Amount: d.Amount, Count: 1})
	}
	for _, s := range g.Spent {
		name := fundName(s.Fund)
		f.Entries = append(f.Entries, Entry{Metric: MetricSpent, Key: name, Amount: s.Amount, Count: 1})
		if IsZakatFund(name) {
			key := "ineligible"
			if r.ZakatEligible {
				key = "eligible"
			}
			f.Entries = append(f.Entries, Entry{Metric: MetricZakatSpent, Key: key, Amount: s.Amount, Count: 1})
		}
	}
	for _, s := range g.Returns {
		f.Entries = append(f.Entries, Entry{Metric: MetricReturned, Key: fundName(s.Fund), Amount: s.Amount, Count: 1})
	}
	if g.Part.Number == 1 && !r.ApprovedAt.IsZero() {
		f.Entries = append(f.Entries, Entry{Metric: MetricApproveToGive, Amount: money.Amount(max(0, g.At.Sub(r.ApprovedAt)/time.Second)), Count: 1})
	}
	for _, s := range g.FirstIn {
		if s.Period == "ever" {
			f.Entries = append(f.Entries, Entry{Metric: MetricNewPatients, Key: s.Level, Count: 1})
		} else {
			f.Entries = append(f.Entries, Entry{Metric: MetricPatients, Key: s.Level + "/" + s.Period, Count: 1})
		}
	}
	return f
}

// PatientScope is one scope and period a patient is counted once in.
type PatientScope struct {
	Level, Period string
	// Marker is the store key of the patient's first help in this scope and
	// period: a hash, so the marker collection holds no identity number.
	Marker string
}

// PatientScopes are the scopes a part given at at to a patient of a unit in
// district and division counts in: each level × month, fiscal year and
// ever.
func PatientScopes(r *aid.Request, district, division string, at time.Time) []PatientScope {
	id := r.Patient.IDKey
	if id == "" {
		id = "mobile:" + r.Patient.Mobile
	}
	codes := map[string]string{LevelUnit: r.Unit, LevelDistrict: district, LevelDivision: division, LevelNation: "bd"}
	var out []PatientScope
	for _, level := range Levels {
		for _, p := range [...][2]string{{"month", MonthOf(at)}, {"fy", FiscalYearOf(at)}, {"ever", ""}} {
			h := sha256.Sum256([]byte(level + "\x00" + codes[level] + "\x00" + p[0] + "\x00" + p[1] + "\x00" + id))
			out = append(out, PatientScope{Level: level, Period: p[0], Marker: hex.EncodeToString(h[:16])})
		}
	}
	return out
}
