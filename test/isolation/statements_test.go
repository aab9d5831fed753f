package isolation

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"testing"

	"github.com/kalyan-platform/kalyan/internal/notify"
)

// lastCode is the last counter code the donor's phone received.
func lastCode(t *testing.T, phone string) string {
	t.Helper()
	b, err := os.ReadFile(stack.Config.Notify.File)
	if err != nil {
		t.Fatal(err)
	}
	code := ""
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var l notify.FileLine
		if json.Unmarshal(sc.Bytes(), &l) == nil && l.Kind == "statement-code" && l.To == phone {
			if m := regexp.MustCompile(`\b(\d{6})\b`).FindStringSubmatch(l.Text); m != nil {
				code = m[1]
			}
		}
	}
	if code == "" {
		t.Fatalf("no code sent to %s", phone)
	}
	return code
}

// TestCounterStatementNeedsTheDonor: the staff statement route serves
// every unit's donors by design, so what keeps unit A's staff from unit B's
// donors is the donor's one-time code. Without it A's staff get nothing of
// the donor; a challenge B's staff asked for is useless to A's staff even
// with the right code; and A's own challenge opens only with the code from
// the donor's phone.
func TestCounterStatementNeedsTheDonor(t *testing.T) {
	fx := setupFixturesOnce(t)
	b := fx.b
	path := "/api/v1/staff/statements"
	ask := func(as string) string {
		r := call(t, request{method: "POST", path: path, body: map[string]any{"phone": b.donorPhone, "fiscalYear": b.fiscalYear}}, as)
		if r.Status != 202 {
			t.Fatalf("ask for a code: %d %s", r.Status, r.Body)
		}
		ch, _ := r.JSON(t)["challenge"].(string)
		return ch
	}
	printWith := func(as, challenge, code string) resp {
		return call(t, request{method: "POST", path: path, body: map[string]any{"phone": b.donorPhone, "fiscalYear": b.fiscalYear,
			"challenge": challenge, "code": code}}, as)
	}
	asA, asB := bearer(t, "social_worker", unitA), bearer(t, "social_worker", unitB)

	bChallenge := ask(asB)
	code := lastCode(t, b.donorPhone)
	p := problemBody(t, printWith(asA, bChallenge, code), 422)
	noForeignData(t, "B's challenge used by A's staff", p, b)

	aChallenge := ask(asA)
	for _, guess := range []string{"000000", "123456"} {
		if guess == lastCode(t, b.donorPhone) {
			continue
		}
		p := problemBody(t, printWith(asA, aChallenge, guess), 422)
		noForeignData(t, "a guessed code", p, b)
	}
	// The platform admin is no exception.
	problemBody(t, printWith(bearer(t, "platform_admin", ""), aChallenge, lastCode(t, b.donorPhone)), 422)
	if r := printWith(asA, aChallenge, lastCode(t, b.donorPhone)); r.Status != 200 || string(r.Body[:5]) != "%PDF-" {
		t.Fatalf("A's staff with the donor's code: %d %.200s", r.Status, r.Body)
	}
}
