package onboard

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"unicode"
)

// Approval-rule columns of the dataset (optional; left out or empty, the platform's defaults apply).
const (
	colCheckers        = "checkers"    // ';'-separated identity-provider subjects
	colWindowDays      = "window_days" // days of what a patient received counting toward the threshold
	colCommitteeQuorum = "committee_quorum"
	colCommitteeSize   = "committee_size"
)

// Limits matching the HospitalUnit schema's policy.
const (
	maxCheckers   = 10
	maxSubject    = 255
	maxWindowDays = 366
	maxCommittee  = 25
)

func approvalColumns() []string {
	return []string{colCheckers, colWindowDays, colCommitteeQuorum, colCommitteeSize}
}

// Approvals are a unit's approval rules from its dataset row.
type Approvals struct {
	Checkers                                   []string
	WindowDays, CommitteeQuorum, CommitteeSize *int32
}

// parseApprovals reads and checks the approval-rule cells of a row.
func parseApprovals(get func(string) string) (Approvals, error) {
	var a Approvals
	if s := get(colCheckers); s != "" {
		for _, c := range strings.Split(s, ";") {
			c = strings.TrimSpace(c)
			switch {
			case c == "" || len(c) > maxSubject || strings.IndexFunc(c, unicode.IsSpace) >= 0:
				return a, fmt.Errorf("checker %q must be an identity-provider subject of 1-%d characters without spaces", c, maxSubject)
			case slices.Contains(a.Checkers, c):
				return a, fmt.Errorf("checker %q listed twice", c)
			}
			a.Checkers = append(a.Checkers, c)
		}
		if len(a.Checkers) > maxCheckers {
			return a, fmt.Errorf("more than %d checkers", maxCheckers)
		}
	}
	for _, f := range []struct {
		col string
		max int
		dst **int32
	}{{colWindowDays, maxWindowDays, &a.WindowDays}, {colCommitteeQuorum, maxCommittee, &a.CommitteeQuorum}, {colCommitteeSize, maxCommittee, &a.CommitteeSize}} {
		s := get(f.col)
		if s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > f.max {
			return a, fmt.Errorf("%s %q must be a whole number from 1 to %d", f.col, s, f.max)
		}
		v := int32(n)
		*f.dst = &v
	}
	if a.CommitteeQuorum != nil && a.CommitteeSize != nil && *a.CommitteeQuorum > *a.CommitteeSize {
		return a, fmt.Errorf("committee_quorum %d exceeds committee_size %d", *a.CommitteeQuorum, *a.CommitteeSize)
	}
	return a, nil
}

// approvalSpec is the policy members of a's rules for a server-side apply configuration.
func (a Approvals) approvalSpec(policy map[string]any) {
	if len(a.Checkers) > 0 {
		cs := make([]any, len(a.Checkers))
		for i, c := range a.Checkers {
			cs[i] = c
		}
		policy["checkers"] = cs
	}
	for k, v := range map[string]*int32{"windowDays": a.WindowDays, "committeeQuorum": a.CommitteeQuorum, "committeeSize": a.CommitteeSize} {
		if v != nil {
			policy[k] = int64(*v)
		}
	}
}
