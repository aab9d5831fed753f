package integration

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/receipts"
)

var codeRE = regexp.MustCompile(`\b(\d{6})\b`)

// askCode asks for a counter code for phone as hdr's staff member and
// returns the challenge and the code the donor's phone received.
func askCode(t *testing.T, hdr map[string]string, phone, fy string) (challenge, code string) {
	t.Helper()
	before := len(notifications(t))
	r := do(t, "POST", "/api/v1/staff/statements", map[string]any{"phone": phone, "fiscalYear": fy}, hdr)
	if r.Status != 202 {
		t.Fatalf("ask for a code: %d %s", r.Status, r.Body)
	}
	challenge, _ = r.JSON(t)["challenge"].(string)
	if challenge == "" {
		t.Fatalf("no challenge in %s", r.Body)
	}
	for _, l := range notifications(t)[before:] {
		if l.Kind == "statement-code" && l.To == phone {
			if m := codeRE.FindStringSubmatch(l.Text); m != nil {
				code = m[1]
			}
		}
	}
	if code == "" {
		t.Fatalf("no code was sent to %s", phone)
	}
	return challenge, code
}

// counterStatement prints phone's statement at the counter the way staff
// do: ask for a code, then send it with the challenge.
func counterStatement(t *testing.T, hdr map[string]string, phone, fy string) resp {
	t.Helper()
	challenge, code := askCode(t, hdr, phone, fy)
	return do(t, "POST", "/api/v1/staff/statements", map[string]any{"phone": phone, "fiscalYear": fy, "challenge": challenge, "code": code}, hdr)
}

func staffAs(t *testing.T, role, unit, sub string) map[string]string {
	t.Helper()
	tok, err := stack.Token(role, unit, sub)
	if err != nil {
		t.Fatal(err)
	}
	return map[string]string{"Authorization": "Bearer " + tok}
}

// TestStaffStatementNeedsTheDonor: a social worker at any unit's counter
// may print a donor's statement (it covers every unit they gave to), but
// only with the donor there: a one-time code goes to the donor's phone and
// must be read out. The code is bound to that staff member, number and
// year, works once, survives a handful of guesses, and each print is
// audited without the number in full.
func TestStaffStatementNeedsTheDonor(t *testing.T) {
	const phone, name, tin = "01819000071", "Nasima Akter", "123456789012"
	fy := receipts.FiscalYear(time.Now())
	id := cashGift(t, "dh-cumilla", "stmt-otp-1", donorGift("450.00", "zakat", name, phone))
	waitReceipted(t, id)
	serial := do(t, "GET", "/api/v1/receipts/"+id, nil, nil).JSON(t)["serial"].(string)
	path := "/api/v1/staff/statements"
	rahima := staffAs(t, "social_worker", "dmch", "rahima")

	// Asking sends a code and shows nothing of the donor.
	before := len(notifications(t))
	ask := do(t, "POST", path, map[string]any{"phone": phone, "fiscalYear": fy}, rahima)
	if ask.Status != 202 || ask.Header.Get("Content-Type") != "application/json" {
		t.Fatalf("ask: %d %s", ask.Status, ask.Body)
	}
	for _, secret := range []string{name, "Nasima", tin, phone, phone[1:], serial, "450"} {
		if strings.Contains(string(ask.Body), secret) {
			t.Errorf("asking for a code shows %q: %s", secret, ask.Body)
		}
	}
	challenge, _ := ask.JSON(t)["challenge"].(string)
	var code string
	for _, l := range notifications(t)[before:] {
		if l.Kind == "statement-code" && l.To == phone {
			code = codeRE.FindStringSubmatch(l.Text)[1]
		}
	}
	if challenge == "" || code == "" {
		t.Fatalf("challenge %q, code %q", challenge, code)
	}
	wrong := fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	with := func(over map[string]any) map[string]any {
		b := map[string]any{"phone": phone, "fiscalYear": fy, "challenge": challenge, "code": code}
		for k, v := range over {
			b[k] = v
		}
		return b
	}

	// Nothing but the right code, from the same staff member, for the same
	// number and year, prints it.
	problemOf(t, do(t, "POST", path, with(map[string]any{"code": wrong}), rahima), 422, "code")
	problemOf(t, do(t, "POST", path, with(map[string]any{"code": "12345"}), rahima), 422, "code")
	problemOf(t, do(t, "POST", path, with(nil), staffAs(t, "social_worker", "dmch", "karim")), 422, "challenge")
	problemOf(t, do(t, "POST", path, with(nil), staffAs(t, "social_worker", "dh-cumilla", "rahima")), 422, "challenge")
	problemOf(t, do(t, "POST", path, with(map[string]any{"phone": "01819000072"}), rahima), 422, "challenge")
	problemOf(t, do(t, "POST", path, with(map[string]any{"fiscalYear": "2020-21"}), rahima), 422, "challenge")
	problemOf(t, do(t, "POST", path, with(map[string]any{"challenge": challenge[:len(challenge)-4] + "AAAA"}), rahima), 422, "challenge")
	problemOf(t, do(t, "POST", path, with(nil), staffAs(t, "committee", "dmch", "rahima")), 403, "")

	pdf := do(t, "POST", path, with(nil), rahima)
	if pdf.Status != 200 || pdf.Header.Get("Content-Type") != "application/pdf" {
		t.Fatalf("statement: %d %s", pdf.Status, pdf.Body)
	}
	// A PDF is not run; a strict policy would only blank the browser's viewer.
	if pdf.Header.Get("X-Content-Type-Options") != "nosniff" || pdf.Header.Get("Referrer-Policy") != "same-origin" ||
		pdf.Header.Get("Content-Security-Policy") != "" || pdf.Header.Get("Cache-Control") != "no-store" {
		t.Errorf("statement PDF headers: %v", pdf.Header)
	}
	if text := pdfText(t, pdf.Body); !strings.Contains(text, serial) || !strings.Contains(text, name) {
		t.Fatalf("statement lacks the gift:\n%s", text)
	}
	// Once only.
	problemOf(t, do(t, "POST", path, with(nil), rahima), 422, "challenge")

	// Every print is audited: who, when, which number (masked), which year.
	var prints []bson.M
	cur, err := stack.Store.Database().Collection("statement_prints").Find(context.Background(), bson.M{"staff": "rahima"})
	if err != nil {
		t.Fatal(err)
	}
	if err := cur.All(context.Background(), &prints); err != nil {
		t.Fatal(err)
	}
	if len(prints) != 1 {
		t.Fatalf("audit records: %v", prints)
	}
	p := prints[0]
	if p["unit"] != "dmch" || p["role"] != "social_worker" || p["fiscalYear"] != fy || p["mobile"] != "018******71" {
		t.Errorf("audit record %v", p)
	}
	if at, ok := p["at"].(bson.DateTime); !ok || time.Since(at.Time()) > time.Minute {
		t.Errorf("audit time %v", p["at"])
	}
	if s := fmt.Sprint(p); strings.Contains(s, phone) || strings.Contains(s, phone[1:]) || strings.Contains(s, name) {
		t.Errorf("the audit record holds the donor's number or name: %s", s)
	}

	// Guessing: a handful of wrong codes spends the challenge.
	challenge, code = askCode(t, rahima, phone, fy)
	wrong = fmt.Sprintf("%06d", (atoi(code)+1)%1_000_000)
	var last resp
	for i := 0; i < 6; i++ {
		last = do(t, "POST", path, with(map[string]any{"code": wrong}), rahima)
		if last.Status == 429 {
			break
		}
	}
	problemOf(t, last, 429, "")
	problemOf(t, do(t, "POST", path, with(nil), rahima), 429, "")
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

// TestStatementRequestsAreLimitedPerClient: beside the per-number limit, a
// client asking about many numbers (to send SMS to strangers, or to probe)
// is stopped per client address. Behind our proxies, the address is the
// one our proxy saw, not what the client wrote into X-Forwarded-For.
func TestStatementRequestsAreLimitedPerClient(t *testing.T) {
	fy := receipts.FiscalYear(time.Now())
	limit := stack.Config.Receipts.StatementsPerIPPerHour
	if limit < 1 || limit > 100 {
		t.Fatalf("per-client limit %d", limit)
	}
	ask := func(i int, xff string) resp {
		return do(t, "POST", "/api/v1/statements", map[string]any{"phone": fmt.Sprintf("0181%07d", 3_000_000+i), "fiscalYear": fy},
			map[string]string{"X-Forwarded-For": xff})
	}
	for i := 0; i < limit; i++ {
		// A made-up address to the left of the real one changes nothing.
		if r := ask(i, fmt.Sprintf("198.18.%d.%d, 203.0.113.40", i/200, i%200)); r.Status != 202 {
			t.Fatalf("request %d: %d %s", i, r.Status, r.Body)
		}
	}
	r := ask(limit, "198.18.99.99, 203.0.113.40")
	problemOf(t, r, 429, "")
	if r.Header.Get("Retry-After") == "" {
		t.Error("no Retry-After")
	}
	if r := ask(limit+1, "203.0.113.41"); r.Status != 202 {
		t.Fatalf("another client is limited too: %d %s", r.Status, r.Body)
	}
}
