package app

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/freetext"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/notify"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// "My gifts" (issue 19): a donor proves their mobile number with a one-time
// SMS code — the counter statement's mechanism (statementcodes.go): the
// code is sealed into a challenge the donor's browser sends back, tries
// and the one use are insert-guarded slots — and gets a short session,
// itself sealed (nothing is stored for it). With it they see every gift of
// theirs across units with its receipt and cancellation notes, download
// statements, keep a name, e-mail and TIN for future gifts, and ask for
// that kept data to be erased. Gifts, receipts and notes are financial
// records the law requires us to keep: they are never erased.

// DonorProfiles stores donor profiles.
type DonorProfiles interface {
	// Get returns nil, nil when the donor keeps none.
	Get(ctx context.Context, ref string) (*receipts.DonorProfile, error)
	Put(ctx context.Context, p receipts.DonorProfile) error
	Delete(ctx context.Context, ref string) error
}

// ErasureRequests keeps erasure requests.
type ErasureRequests interface {
	Record(ctx context.Context, r receipts.ErasureRequest) error
}

// My gifts rules.
const (
	// MySessionTTL is how long a "My gifts" session lasts.
	MySessionTTL = 20 * time.Minute
	// myYears is how many fiscal years back "My gifts" looks.
	myYears     = 10
	myCodeAAD   = "kalyan/my-code/v1"
	mySessionAD = "kalyan/my-session/v1"
)

// ErrMySession is a session that is missing, altered or expired.
var ErrMySession = errors.New("my gifts: no valid session")

// MyGifts is the donor's self-service.
type MyGifts struct {
	*Statements
	Profiles DonorProfiles
	Erasures ErasureRequests
}

type myChallenge struct {
	Ref  string `json:"r"`
	Exp  int64  `json:"e"`
	Code string `json:"c"`
}

// MySession is a signed-in donor.
type MySession struct {
	// Refs are every reference their receipts may carry (key rotation);
	// Refs[0] is under the active key and keys their profile.
	Refs         []string `json:"r"`
	MobileMasked string   `json:"m"`
	Exp          int64    `json:"e"`
}

// Until is when the session ends.
func (s *MySession) Until() time.Time { return time.Unix(s.Exp, 0) }

// SendMyCode sends a one-time code to phone. It answers the same whether
// or not the number ever gave. client is the caller's address.
func (m *MyGifts) SendMyCode(ctx context.Context, phone, client string) (*CodeSent, error) {
	mobile, err := contact.NormalizeMobile(phone)
	if err != nil {
		return nil, validation.Errors{{Field: "phone", Message: err.Error()}}
	}
	ref, err := m.Sealer.DonorRef(mobile)
	if err != nil {
		return nil, err
	}
	clientRef, err := m.Sealer.DonorRef("client/" + client)
	if err != nil {
		return nil, err
	}
	now := m.Now()
	ok, err := m.Limiter.Allow(ctx, "my-code-client/"+clientRef, m.PerClientHour, time.Hour, now)
	if err == nil && ok {
		ok, err = m.Limiter.Allow(ctx, "my-code/"+ref, m.PerHour, time.Hour, now)
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
	plain, err := json.Marshal(myChallenge{Ref: ref, Exp: until.Unix(), Code: code})
	if err != nil {
		return nil, err
	}
	sealed, err := m.Sealer.Seal(plain, []byte(myCodeAAD))
	if err != nil {
		return nil, err
	}
	msg := notify.Message{
		Ref: "my-code/" + ref + "/" + strconv.FormatInt(now.UnixNano(), 36), Kind: "my-code", To: mobile,
		Text: fmt.Sprintf("কল্যাণ: \"আমার দান\" খুলতে কোড %s (%s পর্যন্ত)। এই কোড কাউকে বলবেন না। · Kalyan: your My gifts code is %s.",
			code, until.In(receipts.Dhaka()).Format("15:04"), code),
	}
	if err := notify.Retry(ctx, m.SMS, msg, 3, 200*time.Millisecond, time.Second); err != nil {
		m.Log.WarnContext(ctx, "my gifts code not sent", "err", err)
		return nil, ErrCodeNotSent
	}
	return &CodeSent{Challenge: base64.RawURLEncoding.EncodeToString(sealed), MobileMasked: contact.MaskMobile(mobile), Until: until}, nil
}

// SignIn checks the code against the challenge and opens a session: a
// sealed token for a cookie.
func (m *MyGifts) SignIn(ctx context.Context, phone, challenge, code string) (string, *MySession, error) {
	mobile, err := contact.NormalizeMobile(phone)
	if err != nil {
		return "", nil, validation.Errors{{Field: "phone", Message: err.Error()}}
	}
	if len(code) != codeDigits || !isDigits(code) {
		return "", nil, validation.Errors{{Field: "code", Message: fmt.Sprintf("must be the %d-digit code sent by SMS", codeDigits)}}
	}
	ref, err := m.Sealer.DonorRef(mobile)
	if err != nil {
		return "", nil, err
	}
	now := m.Now()
	var ch myChallenge
	if !m.open(challenge, myCodeAAD, &ch) || ch.Ref != ref || now.Unix() > ch.Exp {
		return "", nil, errChallenge()
	}
	sum := sha256.Sum256([]byte(challenge))
	id := hex.EncodeToString(sum[:16])
	exp := time.Unix(ch.Exp, 0)
	ok, err := m.Limiter.Take(ctx, "my-code-try/"+id, CodeTries, exp)
	if err != nil {
		return "", nil, err
	}
	if !ok {
		return "", nil, ErrCodeTries
	}
	if subtle.ConstantTimeCompare([]byte(code), []byte(ch.Code)) != 1 {
		return "", nil, validation.Errors{{Field: "code", Message: "is not the code sent by SMS"}}
	}
	if ok, err := m.Limiter.Take(ctx, "my-code-used/"+id, 1, exp); err != nil {
		return "", nil, err
	} else if !ok {
		return "", nil, errChallenge()
	}
	refs, err := m.Sealer.DonorRefs(mobile)
	if err != nil {
		return "", nil, err
	}
	s := &MySession{Refs: refs, MobileMasked: contact.MaskMobile(mobile), Exp: now.Add(MySessionTTL).Unix()}
	plain, err := json.Marshal(s)
	if err != nil {
		return "", nil, err
	}
	sealed, err := m.Sealer.Seal(plain, []byte(mySessionAD))
	if err != nil {
		return "", nil, err
	}
	return base64.RawURLEncoding.EncodeToString(sealed), s, nil
}

// Session opens a session token; ErrMySession if it is not valid now.
func (m *MyGifts) Session(token string) (*MySession, error) {
	var s MySession
	if token == "" || !m.open(token, mySessionAD, &s) || len(s.Refs) == 0 || m.Now().Unix() > s.Exp {
		return nil, ErrMySession
	}
	return &s, nil
}

func (m *MyGifts) open(token, aad string, out any) bool {
	if len(token) > 2048 {
		return false
	}
	sealed, err := base64.RawURLEncoding.DecodeString(token)
	if err != nil {
		return false
	}
	plain, err := m.Sealer.Open(sealed, []byte(aad))
	return err == nil && json.Unmarshal(plain, out) == nil
}

// MyGift is one of the donor's gifts: its receipt, refunds and notes.
type MyGift struct {
	StatementRow
	Method string
	// Notes are the refunds' cancellation notes, in order.
	Notes []receipts.Note
}

// MyYear is one fiscal year of gifts.
type MyYear struct {
	FiscalYear string
	Gifts      []MyGift
	Total      money.Amount
	Truncated  bool
}

// Gifts lists the donor's gifts, newest fiscal year first: each receipt
// that verifies, with its cancellation notes.
func (m *MyGifts) Gifts(ctx context.Context, s *MySession) ([]MyYear, error) {
	var out []MyYear
	for i := range myYears {
		fy := receipts.FiscalYear(m.Now().AddDate(-i, 0, 0))
		given, err := m.hasGiven(ctx, s.Refs, fy)
		if err != nil {
			return nil, err
		}
		if !given {
			continue
		}
		st, err := m.build(ctx, s.Refs, fy)
		if err != nil {
			return nil, err
		}
		y := MyYear{FiscalYear: fy, Truncated: st.Truncated}
		for _, r := range slices.Backward(st.Rows) {
			notes, err := m.Verifier.Notes(ctx, r.ReceiptID)
			if err != nil {
				return nil, err
			}
			y.Gifts = append(y.Gifts, MyGift{StatementRow: r, Notes: notes})
			y.Total += r.Amount - r.Refunded
		}
		if len(y.Gifts) > 0 {
			out = append(out, y)
		}
	}
	return out, nil
}

// MyStatement is the donor's statement of fy.
func (m *MyGifts) MyStatement(ctx context.Context, s *MySession, fy string) (*Statement, error) {
	if !ValidFiscalYear(fy) {
		return nil, validation.Errors{{Field: "fiscalYear", Message: "must be a July–June fiscal year like 2025-26"}}
	}
	st, err := m.build(ctx, s.Refs, fy)
	if err != nil {
		return nil, err
	}
	st.MobileMasked = s.MobileMasked
	return st, nil
}

// Profile is what the donor keeps for future gifts (nil: nothing).
func (m *MyGifts) Profile(ctx context.Context, s *MySession) (*receipts.DonorProfile, error) {
	return m.Profiles.Get(ctx, s.Refs[0])
}

// SaveProfile keeps a name, e-mail and TIN for the donor's future gifts:
// a gift given with this number and without them takes them (Donations).
// Each is checked as the gift form checks it.
func (m *MyGifts) SaveProfile(ctx context.Context, s *MySession, name, email, tin string) error {
	var v validation.Errors
	p := receipts.DonorProfile{Ref: s.Refs[0], UpdatedAt: m.Now().UTC()}
	p.Name = name
	freetext.Into(&v, "name", &p.Name, freetext.PersonName)
	if email = strings.TrimSpace(email); email != "" {
		e, err := contact.NormalizeEmail(email)
		v.AddErr("email", err)
		p.Email = e
	}
	if tin = strings.TrimSpace(tin); tin != "" {
		t, err := contact.NormalizeTIN(tin)
		v.AddErr("tin", err)
		p.TIN = t
	}
	if err := v.Err(); err != nil {
		return err
	}
	if p.Name == "" && p.Email == "" && p.TIN == "" {
		return m.Profiles.Delete(ctx, p.Ref)
	}
	return m.Profiles.Put(ctx, p)
}

// Erase deletes what the donor keeps with us beyond their financial
// records and records the request. Gifts, receipts, cancellation notes and
// the ledger stay, as the law requires (they are what a rebate and an
// audit rest on).
func (m *MyGifts) Erase(ctx context.Context, s *MySession) error {
	if err := m.Profiles.Delete(ctx, s.Refs[0]); err != nil {
		return err
	}
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return m.Erasures.Record(ctx, receipts.ErasureRequest{ID: "er_" + hex.EncodeToString(b), Ref: s.Refs[0], At: m.Now().UTC(),
		Erased:  []string{"profile: name, e-mail and TIN kept for future gifts"},
		Retains: "gifts, receipts, cancellation notes and ledger entries (financial records kept as the law requires)"})
}
