package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/contact"
	"github.com/kalyan-platform/kalyan/internal/money"
	"github.com/kalyan-platform/kalyan/internal/notify"
	"github.com/kalyan-platform/kalyan/internal/receipts"
	"github.com/kalyan-platform/kalyan/internal/signing"
	"github.com/kalyan-platform/kalyan/internal/validation"
)

// DonorReceipts finds a donor's receipts of a fiscal year across units.
type DonorReceipts interface {
	// ByDonor returns at most limit receipts, earliest payment first.
	ByDonor(ctx context.Context, donorRef, fy string, limit int) ([]receipts.Receipt, error)
	// HasGiven reports cheaply whether the donor has a receipt in fy.
	HasGiven(ctx context.Context, donorRef, fy string) (bool, error)
}

// RateLimiter allows at most limit events per key and window (Allow), or
// per key until a given time (Take: no window boundary to reset it).
type RateLimiter interface {
	Allow(ctx context.Context, key string, limit int, window time.Duration, now time.Time) (bool, error)
	Take(ctx context.Context, key string, limit int, until time.Time) (bool, error)
}

// StatementAudit keeps a record of every statement printed at a counter.
type StatementAudit interface {
	Record(ctx context.Context, p receipts.StatementPrint) error
}

// Errors of statement requests.
var (
	// ErrRateLimited means too many statement requests for one number.
	ErrRateLimited = errors.New("too many requests for this number")
	// ErrClientRateLimited means too many statement requests from one client.
	ErrClientRateLimited = errors.New("too many statement requests from this client")
	// ErrCodeTries means too many wrong codes for one challenge.
	ErrCodeTries = errors.New("too many wrong codes: ask for a new code")
	// ErrCodeNotSent means the donor's code could not be sent.
	ErrCodeNotSent = errors.New("the code could not be sent to the donor's phone")
)

// Statements produces annual donor statements: one document per donor
// (mobile number) per fiscal year, across all units. Donors get a signed,
// expiring link by SMS, so nobody can read another person's statement by
// knowing their number; staff produce one at the counter.
type Statements struct {
	Receipts DonorReceipts
	Verifier *ReceiptService
	Sealer   *signing.Sealer
	SMS      notify.Notifier
	Limiter  RateLimiter
	// PublicURL is where the link points (<PublicURL>/s/<token>).
	PublicURL string
	Now       func() time.Time
	Log       *slog.Logger
	// LinkTTL is how long a link works; PerHour caps requests per number
	// (links and counter codes alike), PerClientHour per client address.
	LinkTTL       time.Duration
	PerHour       int
	PerClientHour int
	// Audit records counter prints.
	Audit StatementAudit
	// Refunded reports how much of a receipt refunds have taken back (the sum
	// of its cancellation notes): statements total only what remains.
	Refunded func(ctx context.Context, r *receipts.Receipt) (money.Amount, error)

	// Bounds of public statement documents (statementdocs.go); zero values
	// take the defaults there.
	Fresh      time.Duration
	Workers    int
	Wait       time.Duration
	MaxRows    int
	CacheBytes int
	docs       statementDocs
}

// Statement is a donor's year.
type Statement struct {
	DonorName    string // "" if every gift was anonymous
	MobileMasked string
	TIN          string
	FiscalYear   string
	GeneratedAt  time.Time
	Rows         []StatementRow
	// Truncated: the donor has more receipts in the year than a statement
	// lists (MaxRows); the earliest are listed.
	Truncated bool
}

// StatementRow is one verified receipt on a statement.
type StatementRow struct {
	// PaidAt dates the row: the gift's date for the rebate, which also
	// fixes the receipt's fiscal year. Rows are in payment order.
	PaidAt           time.Time
	IssuedAt         time.Time
	Serial           string
	UnitBN, UnitEN   string
	Kind, Programme  string
	Amount           money.Amount
	Refunded         money.Amount
	ReceiptID, KeyID string
}

var fyRE = regexp.MustCompile(`^(\d{4})-(\d{2})$`)

// ValidFiscalYear reports whether fy looks like "2025-26".
func ValidFiscalYear(fy string) bool {
	m := fyRE.FindStringSubmatch(fy)
	if m == nil {
		return false
	}
	start, _ := strconv.Atoi(m[1])
	end, _ := strconv.Atoi(m[2])
	return start >= 2000 && (start+1)%100 == end
}

func (s *Statements) input(phone, fy string) (string, error) {
	var v validation.Errors
	mobile, err := contact.NormalizeMobile(phone)
	v.AddErr("phone", err)
	if !ValidFiscalYear(fy) {
		v.Add("fiscalYear", "must be a July–June fiscal year like 2025-26")
	}
	return mobile, v.Err()
}

// Request sends a statement link to phone if it has gifts in fy. It says
// nothing about whether it had any, so the API cannot be used to learn who
// gave; only the number's owner receives the link. client is the caller's
// address: one client may ask about PerClientHour numbers an hour.
func (s *Statements) Request(ctx context.Context, phone, fy, client string) error {
	mobile, err := s.input(phone, fy)
	if err != nil {
		return err
	}
	refs, err := s.Sealer.DonorRefs(mobile)
	if err != nil {
		return err
	}
	ref := refs[0] // under the active seal key
	now := s.Now()
	// The client's budget first: a number's own budget is not spent by a
	// client that is turned away. The address is kept keyed, not in clear.
	clientRef, err := s.Sealer.DonorRef("client/" + client)
	if err != nil {
		return err
	}
	ok, err := s.Limiter.Allow(ctx, "statement-client/"+clientRef, s.PerClientHour, time.Hour, now)
	if err != nil {
		return err
	}
	if !ok {
		return ErrClientRateLimited
	}
	ok, err = s.Limiter.Allow(ctx, "statement/"+ref, s.PerHour, time.Hour, now)
	if err != nil {
		return err
	}
	if !ok {
		return ErrRateLimited
	}
	// A public request: one read by key per reference, never a scan of the receipts.
	given, err := s.hasGiven(ctx, refs, fy)
	if err != nil || !given {
		return err
	}
	// The link names the donor by every reference their receipts may carry (joinRefs).
	token, err := s.Sealer.Link(now.Add(s.LinkTTL), joinRefs(refs), fy)
	if err != nil {
		return err
	}
	link := s.PublicURL + "/s/" + token
	until := now.Add(s.LinkTTL).In(receipts.Dhaka())
	m := notify.Message{
		Ref: "statement/" + ref + "/" + fy + "/" + strconv.FormatInt(now.Unix(), 10), Kind: "statement-link", To: mobile,
		Text: fmt.Sprintf("কল্যাণ: %s অর্থবছরের আপনার দানের বার্ষিক বিবরণী: %s (%s পর্যন্ত খোলা যাবে)", fy, link, until.Format("02-01-2006")),
	}
	// A short bounded retry: the donor is waiting and can ask again.
	if err := notify.Retry(ctx, s.SMS, m, 3, 200*time.Millisecond, time.Second); err != nil {
		s.Log.WarnContext(ctx, "statement link not sent", "fy", fy, "err", err)
	}
	return nil
}

// build lists the donor's receipts whose signatures verify; a receipt that
// fails verification is left out (and logged), never printed as genuine.
func (s *Statements) build(ctx context.Context, refs []string, fy string) (*Statement, error) {
	maxRows := s.MaxRows
	if maxRows <= 0 {
		maxRows = DefaultStatementRows
	}
	rs, err := s.byDonor(ctx, refs, fy, maxRows+1)
	if err != nil {
		return nil, err
	}
	st := &Statement{FiscalYear: fy, GeneratedAt: s.Now().UTC()}
	if len(rs) > maxRows {
		rs, st.Truncated = rs[:maxRows], true
	}
	var latest, latestName, latestTIN time.Time
	for i := range rs {
		r := &rs[i]
		v, err := s.Verifier.Verify(ctx, r)
		if err != nil {
			return nil, err
		}
		if !v.Valid {
			s.Log.WarnContext(ctx, "receipt left off statement: fails verification", "receipt", r.ID, "reason", v.Reason)
			continue
		}
		c := v.Content
		row := StatementRow{PaidAt: r.PaidAt, IssuedAt: r.IssuedAt, Serial: r.Serial, UnitBN: c.UnitNameBN, UnitEN: c.UnitNameEN,
			Kind: r.Kind, Programme: r.Programme, Amount: r.Amount, ReceiptID: r.ID, KeyID: r.KeyID}
		if s.Refunded != nil {
			if row.Refunded, err = s.Refunded(ctx, r); err != nil {
				return nil, err
			}
		}
		st.Rows = append(st.Rows, row)
		// The most recent details describe the donor best.
		if r.IssuedAt.After(latest) {
			latest, st.MobileMasked = r.IssuedAt, c.Mobile
		}
		if !c.Anonymous() && r.IssuedAt.After(latestName) {
			latestName, st.DonorName = r.IssuedAt, c.Donor
		}
		if c.TIN != "" && r.IssuedAt.After(latestTIN) {
			latestTIN, st.TIN = r.IssuedAt, c.TIN
		}
	}
	slices.SortFunc(st.Rows, func(a, b StatementRow) int {
		if c := a.PaidAt.Compare(b.PaidAt); c != 0 {
			return c
		}
		return strings.Compare(a.Serial, b.Serial)
	})
	return st, nil
}

// A donor's receipts carry the donor reference under the seal key that was
// active when they were issued, until `kalyan-worker reseal` re-keys them:
// during a key rotation one donor has up to one reference per key of the
// ring. refSep joins them in a statement link (never in a reference: they
// are base64url).
const refSep = "~"

func joinRefs(refs []string) string { return strings.Join(refs, refSep) }

// byDonor returns at most limit of the donor's receipts of fy under any of
// refs, each once, earliest payment first.
func (s *Statements) byDonor(ctx context.Context, refs []string, fy string, limit int) ([]receipts.Receipt, error) {
	var out []receipts.Receipt
	seen := map[string]bool{}
	for _, ref := range refs {
		if ref == "" {
			continue
		}
		rs, err := s.Receipts.ByDonor(ctx, ref, fy, limit)
		if err != nil {
			return nil, err
		}
		for _, r := range rs {
			if !seen[r.ID] {
				seen[r.ID] = true
				out = append(out, r)
			}
		}
	}
	if len(refs) > 1 {
		slices.SortFunc(out, func(a, b receipts.Receipt) int {
			if c := a.PaidAt.Compare(b.PaidAt); c != 0 {
				return c
			}
			return strings.Compare(a.Serial, b.Serial)
		})
	}
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// hasGiven reports whether the donor has a receipt of fy under any of refs.
func (s *Statements) hasGiven(ctx context.Context, refs []string, fy string) (bool, error) {
	for _, ref := range refs {
		if ref == "" {
			continue
		}
		if given, err := s.Receipts.HasGiven(ctx, ref, fy); err != nil || given {
			return given, err
		}
	}
	return false, nil
}
