package harness

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Outcome is what a donor (or cashier) does with a gift.
type Outcome string

// Outcomes a load driver can ask for.
const (
	// Cash is a gift taken at the counter by a social worker: paid at once.
	Cash Outcome = "cash"
	// Pay is a bKash gift paid on bKash's page, the donor coming back.
	Pay Outcome = "pay"
	// ClosedTab is paid at bKash but the donor never comes back: the
	// reconciler executes it.
	ClosedTab Outcome = "closed_tab"
	// Cancel is cancelled on bKash's page.
	Cancel Outcome = "cancel"
	// Fail is a payment that fails on bKash's page.
	Fail Outcome = "fail"
	// Abandon never opens bKash's page: the reconciler expires it.
	Abandon Outcome = "abandon"
)

// Gift is one gift a load driver gives.
type Gift struct {
	Unit, Key, Amount, Kind, Programme string
	Outcome                            Outcome
}

// Give gives g the way its donor or cashier would, retrying each step with
// the same idempotency key through outages (5xx, 429, connection errors)
// until ctx ends. It returns the donation's ID.
func (s *System) Give(ctx context.Context, g Gift) (string, error) {
	body := map[string]any{"amount": g.Amount, "currency": "BDT", "kind": g.Kind,
		"donor": map[string]any{"name": "Rahima Begum", "phone": "01712345678"}, "anonymous": false}
	if g.Programme != "" {
		body["programme"] = g.Programme
	}
	hdr := map[string]string{"Idempotency-Key": g.Key}
	path := "/api/v1/units/" + g.Unit + "/donations"
	if g.Outcome == Cash {
		tok, err := s.Token(ctx, "cashier", g.Unit)
		if err != nil {
			return "", err
		}
		hdr["Authorization"] = "Bearer " + tok
		path = "/api/v1/units/" + g.Unit + "/cash-donations"
	}
	r, err := s.Persist(ctx, "POST", path, body, hdr, 200, 201)
	if err != nil {
		return "", fmt.Errorf("gift %s: %w", g.Key, err)
	}
	var d struct {
		ID         string `json:"id"`
		PaymentURL string `json:"paymentURL"`
	}
	if err := json.Unmarshal(r.Body, &d); err != nil || d.ID == "" {
		return "", fmt.Errorf("gift %s: answer %s", g.Key, r.Body)
	}
	switch g.Outcome {
	case Cash, Abandon:
		return d.ID, nil
	}
	action := map[Outcome]string{Pay: "pay", ClosedTab: "pay", Cancel: "cancel", Fail: "fail"}[g.Outcome]
	if action == "" {
		return d.ID, fmt.Errorf("gift %s: unknown outcome %q", g.Key, g.Outcome)
	}
	page, err := s.Persist(ctx, "POST", d.PaymentURL, url.Values{"action": {action}}, nil, 303)
	if err != nil {
		return d.ID, fmt.Errorf("gift %s at bKash: %w", g.Key, err)
	}
	if g.Outcome == ClosedTab {
		return d.ID, nil
	}
	// The callback executes the payment; under execute faults it answers
	// after bKash does, and leaves the gift to the reconciler if bKash
	// never does.
	if _, err := s.Persist(ctx, "GET", page.Header.Get("Location"), nil, nil, 303); err != nil {
		return d.ID, fmt.Errorf("gift %s callback: %w", g.Key, err)
	}
	return d.ID, nil
}

// Persist sends a request until it gets one of the wanted statuses,
// retrying what a client retries (connection errors, 5xx, 429) with
// backoff until ctx ends. Any other answer is an error.
func (s *System) Persist(ctx context.Context, method, path string, body any, hdr map[string]string, want ...int) (Resp, error) {
	delay := 50 * time.Millisecond
	for {
		r, err := s.Send(ctx, method, path, body, hdr)
		if err == nil {
			for _, w := range want {
				if r.Status == w {
					return r, nil
				}
			}
			if r.Status < 500 && r.Status != 429 {
				return r, fmt.Errorf("%s %s: %d %.300s", method, path, r.Status, r.Body)
			}
			err = fmt.Errorf("%s %s: %d %.300s", method, path, r.Status, r.Body)
		}
		if ctx.Err() != nil {
			return r, fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		}
		select {
		case <-ctx.Done():
			return r, fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(delay):
		}
		delay = min(delay*2, 2*time.Second)
	}
}

// Drive runs fn(i) for i in [0, n) on concurrency goroutines and returns
// the errors (at most 20 kept, the count of all in the message). done,
// when not nil, counts finished calls for progress reports.
func Drive(ctx context.Context, n, concurrency int, done *atomic.Int64, fn func(ctx context.Context, i int) error) error {
	var next atomic.Int64
	var mu sync.Mutex
	var errs []error
	failed := 0
	var wg sync.WaitGroup
	for range max(concurrency, 1) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || ctx.Err() != nil {
					return
				}
				err := fn(ctx, i)
				if done != nil {
					done.Add(1)
				}
				if err != nil {
					mu.Lock()
					failed++
					if len(errs) < 20 {
						errs = append(errs, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	if failed > 0 {
		return fmt.Errorf("%d of %d failed: %w", failed, n, errors.Join(errs...))
	}
	return ctx.Err()
}

// KillWorkers SIGKILLs a random worker every interval and starts it again
// (waiting until it is ready), until ctx ends; every worker runs when it
// returns. It returns how many kills it made.
func (s *System) KillWorkers(ctx context.Context, every time.Duration, pick func(n int) int, logf func(string, ...any)) (int, error) {
	kills := 0
	for {
		select {
		case <-ctx.Done():
			return kills, nil
		case <-time.After(every):
		}
		i := pick(len(s.Workers))
		s.Workers[i].Kill()
		kills++
		// Come back even when ctx ended meanwhile: the suite goes on with
		// every replica.
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Minute)
		err := s.RestartWorker(rctx, i)
		cancel()
		if err != nil {
			return kills, fmt.Errorf("restart %s: %w", s.Workers[i].Name, err)
		}
		if logf != nil {
			logf("chaos: SIGKILLed and restarted %s (kill %d)", s.Workers[i].Name, kills)
		}
	}
}

// SetFaults sets the sandbox's global fault switches, e.g.
// {"execute":"timeout"}; an empty map turns them all off.
func (s *System) SetFaults(ctx context.Context, faults map[string]string) error {
	if faults == nil {
		faults = map[string]string{}
	}
	_, err := s.Persist(ctx, "PUT", s.SandboxURL()+"/sandbox/faults", faults, nil, 200)
	return err
}

// RegisterUnit registers a unit with default policy as a platform
// administrator (created or updated).
func (s *System) RegisterUnit(ctx context.Context, code, name string) error {
	tok, err := s.Token(ctx, "platform_admin", "")
	if err != nil {
		return err
	}
	reg := map[string]any{"names": map[string]any{"en": name, "bn": name}, "level": "district",
		"division": "Dhaka", "district": "Dhaka"}
	_, err = s.Persist(ctx, "PUT", "/api/v1/admin/units/"+code, reg, map[string]string{"Authorization": "Bearer " + tok}, 200, 201)
	return err
}

// AidPlan is one aid request a load driver files and takes through
// assessment and approval.
type AidPlan struct {
	Unit, Key string
	// Amount is the assessed need; above the unit's threshold
	// (Tk 10,000 by default) a committee member approves.
	Amount        string
	Large         bool
	ZakatEligible bool
	Mobile        string
}

// FileAid files, assesses and approves an aid request as a social worker
// and (for large ones) a committee member, retrying through outages. It
// returns the request's ID. Allocation is the workers' job.
func (s *System) FileAid(ctx context.Context, p AidPlan) (string, error) {
	sw, err := s.staff(ctx, "social_worker", p.Unit)
	if err != nil {
		return "", err
	}
	sw["Idempotency-Key"] = p.Key
	body := map[string]any{
		"patient": map[string]any{"name": "Jahanara Begum", "age": 52, "sex": "female", "guardian": "Abdul Kader",
			"mobile": p.Mobile, "district": "Dhaka", "hospitalReg": "REG-" + p.Key, "ward": "7"},
		"diagnosis": "general", "urgency": "normal",
		"items": []map[string]any{{"category": "medicine", "description": "medicines", "estimated": p.Amount}},
		"caseStudy": map[string]any{"householdSize": 5, "monthlyIncome": "6000.00", "occupation": "day labourer",
			"assets": "none", "narrative": "cannot afford treatment", "documentsChecked": []string{"hospital-card"}},
	}
	r, err := s.Persist(ctx, "POST", "/api/v1/units/"+p.Unit+"/aid-requests", body, sw, 200, 201)
	if err != nil {
		return "", fmt.Errorf("file aid %s: %w", p.Key, err)
	}
	var q struct {
		ID     string `json:"id"`
		Status string `json:"status"`
	}
	if err := json.Unmarshal(r.Body, &q); err != nil || q.ID == "" {
		return "", fmt.Errorf("file aid %s: answer %s", p.Key, r.Body)
	}
	delete(sw, "Idempotency-Key")
	// A retried transition may find it already done (409 after a lost
	// answer): the request's status then tells.
	if err := s.aidStep(ctx, q.ID, "assess", map[string]any{"approved": []string{p.Amount}, "zakatEligible": p.ZakatEligible,
		"note": "home visit done"}, sw, "submitted"); err != nil {
		return q.ID, err
	}
	// Four-eyes at every amount: a committee member, never the filer,
	// approves; above the threshold with the meeting's resolution.
	approver, err := s.staff(ctx, "committee", p.Unit)
	if err != nil {
		return q.ID, err
	}
	body = map[string]any{"note": "approved"}
	if p.Large {
		body["resolution"] = map[string]any{"number": "RKS-LOAD-1", "date": time.Now().UTC().Format("2006-01-02")}
	}
	return q.ID, s.aidStep(ctx, q.ID, "approve", body, approver, "submitted", "assessed")
}

func (s *System) aidStep(ctx context.Context, id, step string, body any, hdr map[string]string, before ...string) error {
	r, err := s.Persist(ctx, "POST", "/api/v1/aid-requests/"+id+"/"+step, body, hdr, 200)
	if err == nil {
		return nil
	}
	if r.Status != 409 {
		return fmt.Errorf("%s aid %s: %w", step, id, err)
	}
	st, serr := s.AidStatus(ctx, id, hdr)
	if serr != nil {
		return serr
	}
	for _, b := range before {
		if st == b {
			return fmt.Errorf("%s aid %s: %w", step, id, err)
		}
	}
	return nil
}

// AidStatus reads an aid request's status with hdr's staff token.
func (s *System) AidStatus(ctx context.Context, id string, hdr map[string]string) (string, error) {
	r, err := s.Persist(ctx, "GET", "/api/v1/aid-requests/"+id, nil, hdr, 200)
	if err != nil {
		return "", err
	}
	var q struct {
		Status string `json:"status"`
	}
	if err := json.Unmarshal(r.Body, &q); err != nil {
		return "", fmt.Errorf("aid %s: %w", id, err)
	}
	return q.Status, nil
}

// Disburse records that a fully allocated request's single item was given
// in kind, and has a second staff member confirm it.
func (s *System) Disburse(ctx context.Context, unit, id, amount string) error {
	sw, err := s.staff(ctx, "social_worker", unit)
	if err != nil {
		return err
	}
	body := map[string]any{"items": []map[string]any{{"item": 0, "amount": amount, "method": "in_kind", "reference": "STORE-" + id}}}
	if err := s.aidStep(ctx, id, "disburse", body, sw, "approved", "allocated", "partially_allocated", "waitlisted"); err != nil {
		return err
	}
	// A second staff member confirms what the first recorded.
	checker, err := s.staff(ctx, "unit_admin", unit)
	if err != nil {
		return err
	}
	return s.aidStep(ctx, id, "confirm-disbursement", nil, checker, "approved", "allocated", "partially_allocated", "waitlisted", "disbursement_recorded")
}

func (s *System) staff(ctx context.Context, role, unit string) (map[string]string, error) {
	tok, err := s.Token(ctx, role, unit)
	if err != nil {
		return nil, err
	}
	return map[string]string{"Authorization": "Bearer " + tok}, nil
}

// Ready reports whether kalyan-api's /readyz answers 200.
func (s *System) Ready() bool { return httpOK(s.APIURL() + "/readyz")() }

// Units returns n unit codes with prefix: prefix-1 … prefix-n.
func Units(prefix string, n int) []string {
	out := make([]string, n)
	for i := range out {
		out[i] = fmt.Sprintf("%s-%d", strings.TrimSuffix(prefix, "-"), i+1)
	}
	return out
}

// Pace waits until call i of a flow paced at rate calls per second from
// start is due (at once when rate ≤ 0), or ctx ends.
func Pace(ctx context.Context, start time.Time, i int, rate float64) error {
	if rate <= 0 {
		return ctx.Err()
	}
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-time.After(time.Until(start.Add(time.Duration(float64(i) / rate * float64(time.Second))))):
		return nil
	}
}
