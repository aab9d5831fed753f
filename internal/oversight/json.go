package oversight

import (
	"time"

	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/reports"
)

type jsonTotal struct {
	Amount money.Amount `json:"amount"`
	Count  int64        `json:"count"`
}

type jsonLine struct {
	Key string `json:"key"`
	jsonTotal
}

type jsonReport struct {
	Level    string                           `json:"level"`
	Code     string                           `json:"code,omitempty"`
	Name     map[string]string                `json:"name"`
	Period   string                           `json:"period"`
	From     string                           `json:"from"`
	To       string                           `json:"to"`
	AsOf     time.Time                        `json:"asOf"`
	Units    int                              `json:"units"`
	Gifts    jsonTotal                        `json:"gifts"`
	Refunds  jsonTotal                        `json:"refunds"`
	Approved jsonTotal                        `json:"approved"`
	Given    jsonTotal                        `json:"given"`
	Returned money.Amount                     `json:"returned"`
	By       map[string]map[string][]jsonLine `json:"by"`
	Zakat    map[string]money.Amount          `json:"zakat"`
	Patients map[string]int64                 `json:"patients"`
	Waitlist map[string]any                   `json:"waitlist"`
	Timing   map[string]float64               `json:"averageDays"`
	Monthly  []map[string]any                 `json:"monthly"`
	Children []map[string]any                 `json:"children,omitempty"`
}

func total(t reports.Total) jsonTotal { return jsonTotal{t.Amount, t.Count} }

func jsonLines(ls []reports.Line) []jsonLine {
	out := make([]jsonLine, len(ls))
	for i, l := range ls {
		out[i] = jsonLine{l.Key, total(l.Total)}
	}
	return out
}

// toJSON is the report as the API answers it (amounts as "123.45").
func toJSON(r *reports.Report) jsonReport {
	j := jsonReport{Level: r.Scope.Level, Code: r.Scope.Code, Name: map[string]string{"bn": r.Scope.NameBN, "en": r.Scope.NameEN},
		Period: r.Period.Name, From: r.Period.From, To: r.Period.To, AsOf: r.AsOf, Units: r.Units,
		Gifts: total(r.Gifts), Refunds: total(r.Refunds), Approved: total(r.Approved), Given: total(r.Given), Returned: r.Returned,
		By: map[string]map[string][]jsonLine{"gifts": {}, "refunds": {}, "approved": {}, "given": {}, "spent": {"fund": jsonLines(r.SpentBy)}},
		Zakat: map[string]money.Amount{"received": r.Zakat.Received, "refunded": r.Zakat.Refunded, "spentEligible": r.Zakat.SpentEligible,
			"spentIneligible": r.Zakat.SpentIneligible, "idleOverLunarYear": r.Zakat.Idle},
		Patients: map[string]int64{"distinct": r.Patients.Distinct, "new": r.Patients.New, "repeat": r.Patients.Repeat},
		Waitlist: map[string]any{"requests": r.Waitlist.Requests, "needed": r.Waitlist.Needed, "oldestDays": r.Waitlist.OldestDays(r.AsOf)},
		Timing:   map[string]float64{"filingToApproval": r.FileToApprove.Days(), "approvalToGiven": r.ApproveToGive.Days()},
	}
	for name, by := range map[string]map[string][]reports.Line{"gifts": r.GiftsBy, "refunds": r.RefundsBy, "approved": r.ApprovedBy, "given": r.GivenBy} {
		for d, ls := range by {
			j.By[name][d] = jsonLines(ls)
		}
	}
	for _, m := range r.Monthly {
		j.Monthly = append(j.Monthly, map[string]any{"month": m.Month, "gifts": m.Gifts, "refunds": m.Refunds, "given": m.Given})
	}
	for _, c := range r.Children {
		j.Children = append(j.Children, map[string]any{"level": c.Level, "code": c.Code, "name": map[string]string{"bn": c.NameBN, "en": c.NameEN},
			"units": c.Units, "gifts": total(c.Gifts), "refunds": total(c.Refunds), "given": total(c.Given), "patients": c.Patients,
			"waitlist": c.Waitlist.Requests, "zakatIdle": c.ZakatIdle})
	}
	return j
}
