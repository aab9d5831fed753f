package integration

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
)

// Issue 14, splitting under concurrency: what a patient received in the
// window counts toward the threshold even when the requests are approved at
// the same moment, and whichever form of the NID they were filed under.

// approveNow posts an approval from a goroutine (no t.Fatal there).
func approveNow(path string, hdr map[string]string) (int, string, error) {
	r, err := api.Send(context.Background(), "POST", path, "{}", hdr)
	return r.Status, string(r.Body), err
}

// TestConcurrentSplitApprovals: eight Tk 9,000 requests for one patient
// (one NID, two mobiles) under a Tk 10,000 threshold, each approved by two
// social workers at once: at most one goes ahead without the committee;
// every other approval is refused as the committee's decision.
func TestConcurrentSplitApprovals(t *testing.T) {
	const unit = "uhc-split-race"
	const n = 8
	registerPolicyUnit(t, unit, map[string]any{"approvalThreshold": "10000.00"})
	sw := staffToken(t, "social_worker", unit, "sr-sw-1")
	approvers := []map[string]string{staffToken(t, "social_worker", unit, "sr-sw-2"), staffToken(t, "social_worker", unit, "sr-sw-3")}
	ids := make([]string, n)
	for i := range ids {
		ids[i] = fileAid(t, unit, aidBody("general", "4987654321", fmt.Sprintf("0181100009%d", i%2), "9000.00"), sw)
		mustStatus(t, "assess", post(t, "/api/v1/aid-requests/"+ids[i]+"/assess", map[string]any{"approved": []string{"9000.00"}}, sw), 200)
	}
	start := make(chan struct{})
	var wg sync.WaitGroup
	var mu sync.Mutex
	var unexpected []string
	for _, id := range ids {
		for _, hdr := range approvers {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				st, body, err := approveNow("/api/v1/aid-requests/"+id+"/approve", hdr)
				ok := err == nil && (st == 200 || st == 409 || (st == 403 && strings.Contains(body, "committee")))
				if !ok {
					mu.Lock()
					unexpected = append(unexpected, fmt.Sprintf("%s: %d %s %v", id, st, body, err))
					mu.Unlock()
				}
			}()
		}
	}
	close(start)
	wg.Wait()
	if len(unexpected) > 0 {
		t.Fatalf("unexpected answers:\n%s", strings.Join(unexpected, "\n"))
	}
	approved := 0
	for _, id := range ids {
		if st := aidStatus(t, id, sw)["status"]; st != "assessed" {
			approved++
		}
	}
	if approved > 1 {
		t.Fatalf("%d of %d Tk 9,000 requests for one patient were approved without the committee (threshold Tk 10,000)", approved, n)
	}
	if approved == 0 {
		t.Fatal("no request was approved: the first one is under the threshold")
	}
}

// TestWindowCountsEveryNIDForm: a request filed under the 17-digit form
// (birth year + the 13 digits) of a 13-digit NID is the same patient's
// (ADR 0010): what the first received counts toward the second's threshold,
// though the mobiles differ.
func TestWindowCountsEveryNIDForm(t *testing.T) {
	const unit = "uhc-window-nid"
	registerPolicyUnit(t, unit, map[string]any{"approvalThreshold": "10000.00"})
	sw, sw2 := staffToken(t, "social_worker", unit, "wn-sw-1"), staffToken(t, "social_worker", unit, "wn-sw-2")
	const nid13 = "2691234567890"
	first := fileAid(t, unit, aidBody("general", nid13, "01811000081", "9000.00"), sw)
	mustStatus(t, "assess 1", post(t, "/api/v1/aid-requests/"+first+"/assess", map[string]any{"approved": []string{"9000.00"}}, sw), 200)
	mustStatus(t, "approve 1", post(t, "/api/v1/aid-requests/"+first+"/approve", nil, sw2), 200)
	second := fileAid(t, unit, aidBody("general", "1984"+nid13, "01811000082", "9000.00"), sw)
	mustStatus(t, "assess 2", post(t, "/api/v1/aid-requests/"+second+"/assess", map[string]any{"approved": []string{"9000.00"}}, sw), 200)
	r := post(t, "/api/v1/aid-requests/"+second+"/approve", nil, sw2)
	problemOf(t, r, 403, "")
	if !strings.Contains(string(r.Body), "committee") {
		t.Fatalf("the 17-digit form's request refused for another reason: %s", r.Body)
	}
}
