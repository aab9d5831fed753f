package bkash

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzPlainString: the decoder-free path reads every string it accepts
// exactly as encoding/json does.
func FuzzPlainString(f *testing.F) {
	for _, s := range []string{`"TR0011abc"`, `"https://sandbox/pay/1?x=1&y=2"`, `"a\"b"`, `"\u00e9"`, `""`, `" 500.00 "`, "\"tab\there\"", `"বিকাশ"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		got, ok := plainString(json.RawMessage(raw))
		if !ok {
			return
		}
		var want string
		if err := json.Unmarshal([]byte(raw), &want); err != nil {
			t.Fatalf("plainString accepted %q, which json rejects: %v", raw, err)
		}
		if got != want {
			t.Fatalf("plainString(%q) = %q, json says %q", raw, got, want)
		}
		if strings.TrimSpace(got) != scalar(json.RawMessage(raw)) {
			t.Fatalf("scalar(%q) differs", raw)
		}
	})
}
