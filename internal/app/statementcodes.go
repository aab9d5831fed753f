package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math/big"
	"strconv"
	"time"

	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/notify"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// A statement printed at a counter carries the donor's full name and TIN
// from every unit they gave to, so it needs the donor there: the staff
// member asks for a one-time code, the donor's phone receives it by SMS,
// the donor reads it out. The code is sealed into a challenge the staff
// member's client sends back with it; the challenge binds the code to that
// staff member, number and fiscal year and expires, so nothing is stored
// until a code is tried. Tries and the one use are insert-guarded slots
// (RateLimiter.Take), so racing requests cannot share them.

// Counter code rules.
const (
	// CodeTTL is how long a counter code works.
	CodeTTL = 10 * time.Minute
	// CodeTries is how many codes may be tried against one challenge: a
	// guess succeeds with probability CodeTries / 10^6.
	CodeTries = 5
	// codesPerStaffHour bounds the SMS one staff member can cause.
	codesPerStaffHour = 30
	codeDigits        = 6
)

// CounterStaff is who asks for a statement at a counter.
type CounterStaff struct {
	Subject, Role, Unit string
}

// errChallenge is a challenge that is not valid for this request (another
// staff member's, number's or year's, altered, expired, or already used).
func errChallenge() error {
	return validation.Errors{{Field: "challenge", Message: "is not valid for this request: ask for a new code"}}
}

// CodeSent is what the staff member is told when a code went out.
type CodeSent struct {
	Challenge    string
	MobileMasked string
	Until        time.Time
}

// counterChallenge is the sealed content of a challenge.
type counterChallenge struct {
	Ref     string `json:"r"`
	FY      string `json:"f"`
	Subject string `json:"s"`
	Unit    string `json:"u"`
	Exp     int64  `json:"e"`
	Code    string `json:"c"`
}

const challengeAAD = "kalyan/statement-code/v1"

// SendCounterCode sends a one-time code to phone for by to print fy's
// statement. It answers the same whether or not the number gave: the staff
// member learns nothing until the donor reads out the code.
func (s *Statements) SendCounterCode(ctx context.Context, by CounterStaff, phone, fy string) (*CodeSent, error) {
	mobile, err := s.input(phone, fy)
	if err != nil {
		return nil, err
	}
	ref, err := s.Sealer.DonorRef(mobile)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	ok, err := s.Limiter.Allow(ctx, "statement-code-staff/"+by.Subject, codesPerStaffHour, time.Hour, now)
	if err != nil {
		return nil, err
	}
	if ok {
		ok, err = s.Limiter.Allow(ctx, "statement-code/"+ref, s.PerHour, time.Hour, now)
	}
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrRateLimited
	}
	code, err := newCode()
	if err != nil {
		return nil, err
	}
	until := now.Add(CodeTTL)
	plain, err := json.Marshal(counterChallenge{Ref: ref, FY: fy, Subject: by.Subject, Unit: by.Unit, Exp: until.Unix(), Code: code})
	if err != nil {
		return nil, err
	}
	sealed, err := s.Sealer.Seal(plain, []byte(challengeAAD))
	if err != nil {
		return nil, err
	}
	m := notify.Message{
		Ref: "statement-code/" + ref + "/" + strconv.FormatInt(now.UnixNano(), 36), Kind: "statement-code", To: mobile,
		Text: fmt.Sprintf("কল্যাণ: কাউন্টারে আপনার %s অর্থবছরের দানের বিবরণী ছাপাতে এই কোডটি কর্মীকে বলুন: %s (%s পর্যন্ত)। আপনি কাউন্টারে না থাকলে কাউকে এই কোড দেবেন না।",
			fy, code, until.In(receipts.Dhaka()).Format("15:04")),
	}
	if err := notify.Retry(ctx, s.SMS, m, 3, 200*time.Millisecond, time.Second); err != nil {
		s.Log.WarnContext(ctx, "statement code not sent", "fy", fy, "err", err)
		return nil, ErrCodeNotSent
	}
	return &CodeSent{Challenge: base64.RawURLEncoding.EncodeToString(sealed), MobileMasked: contact.MaskMobile(mobile), Until: until}, nil
}

// newCode draws a uniform decimal code.
func newCode() (string, error) {
	n, err := rand.Int(rand.Reader, big.NewInt(1_000_000))
	if err != nil {
		return "", err
	}
	return fmt.Sprintf("%0*d", codeDigits, n.Int64()), nil
}

// CounterStatement checks the code the donor read out against the
// challenge and, if it is right, builds the statement and records the
// print in the audit trail (no record, no statement).
func (s *Statements) CounterStatement(ctx context.Context, by CounterStaff, phone, fy, challenge, code string) (*Statement, error) {
	mobile, err := s.input(phone, fy)
	if err != nil {
		return nil, err
	}
	if len(code) != codeDigits || !isDigits(code) {
		return nil, validation.Errors{{Field: "code", Message: fmt.Sprintf("must be the %d-digit code sent to the donor's phone", codeDigits)}}
	}
	ref, err := s.Sealer.DonorRef(mobile)
	if err != nil {
		return nil, err
	}
	now := s.Now()
	ch, ok := s.openChallenge(challenge)
	if !ok || ch.Ref != ref || ch.FY != fy || ch.Subject != by.Subject || ch.Unit != by.Unit || now.Unix() > ch.Exp {
		return nil, errChallenge()
	}
	sum := sha256.Sum256([]byte(challenge))
	id := hex.EncodeToString(sum[:16])
	exp := time.Unix(ch.Exp, 0)
	ok, err = s.Limiter.Take(ctx, "statement-code-try/"+id, CodeTries, exp)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, ErrCodeTries
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(ch.Code)) != 1 {
		return nil, validation.Errors{{Field: "code", Message: "is not the code sent to the donor's phone"}}
	}
	if ok, err := s.Limiter.Take(ctx, "statement-code-used/"+id, 1, exp); err != nil {
		return nil, err
	} else if !ok {
		return nil, errChallenge()
	}
	// Receipts issued before a seal key rotation carry an older reference.
	refs, err := s.Sealer.DonorRefs(mobile)
	if err != nil {
		return nil, err
	}
	st, err := s.build(ctx, refs, fy)
	if err != nil {
		return nil, err
	}
	st.MobileMasked = contact.MaskMobile(mobile)
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	if err := s.Audit.Record(ctx, receipts.StatementPrint{ID: "sp_" + hex.EncodeToString(b), At: now.UTC(), Staff: by.Subject, Role: by.Role,
		Unit: by.Unit, MobileMasked: st.MobileMasked, FiscalYear: fy, Rows: len(st.Rows)}); err != nil {
		return nil, fmt.Errorf("audit statement print: %w", err)
	}
	return st, nil
}

func (s *Statements) openChallenge(challenge string) (counterChallenge, bool) {
	var ch counterChallenge
	sealed, err := base64.RawURLEncoding.DecodeString(challenge)
	if err != nil || len(challenge) > 1024 {
		return ch, false
	}
	plain, err := s.Sealer.Open(sealed, []byte(challengeAAD))
	if err != nil {
		return ch, false
	}
	return ch, json.Unmarshal(plain, &ch) == nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
