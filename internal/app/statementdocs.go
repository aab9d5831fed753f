package app

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"
)

// Bounds of public statement documents (issue #23): a statement link is
// public to whoever holds it for a week, so what one request can cost is
// bounded. Each (donor, year) is rebuilt at most once per Statements.Fresh
// (the receipts listed, verified, with their refunds) and rendered only
// when what it says changed; every other request is served the stored
// bytes. At most Statements.Workers builds run at once; more wait, and give
// up with ErrBusy after Statements.Wait.
const (
	DefaultStatementFresh   = time.Minute
	DefaultStatementWorkers = 2
	DefaultStatementWait    = 10 * time.Second
	// DefaultStatementRows bounds the rows of one statement; a donor with
	// more receipts in a year is told so on the document.
	DefaultStatementRows = 1000
	// DefaultStatementCacheBytes bounds the stored documents (LRU).
	DefaultStatementCacheBytes = 32 << 20
)

// ErrBusy means too many statements are being built right now.
var ErrBusy = errors.New("too many statements are being prepared; try again shortly")

// StatementDoc is a rendered statement and the version it renders.
type StatementDoc struct {
	PDF        []byte
	FiscalYear string
	// Version fingerprints what the document says (rows, refunds, donor
	// details), not when it was made.
	Version string
}

// RenderStatement turns a statement into its document (the PDF adapter).
type RenderStatement func(*Statement) ([]byte, error)

// statementDocs holds the documents of recent statement links.
type statementDocs struct {
	once    sync.Once
	flight  singleflight.Group
	workers chan struct{}
	cache   docCache
}

func (s *Statements) docsInit() {
	s.docs.once.Do(func() {
		n := s.Workers
		if n <= 0 {
			n = DefaultStatementWorkers
		}
		s.docs.workers = make(chan struct{}, n)
	})
}

// DocumentFromLink returns the statement document a link names: the stored
// bytes while they are fresh or still say the same, otherwise built and
// rendered once for all the requests that wait for it.
func (s *Statements) DocumentFromLink(ctx context.Context, token string, render RenderStatement) (*StatementDoc, error) {
	parts, err := s.Sealer.OpenLink(token, 2, s.Now())
	if err != nil {
		return nil, err
	}
	s.docsInit()
	key := parts[0] + "/" + parts[1]
	if e, ok := s.cached(key); ok && s.Now().Sub(e.checked) < s.fresh() {
		return e.doc, nil
	}
	v, err, _ := s.docs.flight.Do(key, func() (any, error) {
		// Others wait on this build: it does not end with the first
		// caller's request (the wait for a slot is bounded by s.Wait).
		ctx := context.WithoutCancel(ctx)
		e, ok := s.cached(key)
		if ok && s.Now().Sub(e.checked) < s.fresh() {
			return e.doc, nil // built by the flight that just ended
		}
		release, err := s.acquire(ctx)
		if err != nil {
			return nil, err
		}
		defer release()
		st, err := s.build(ctx, strings.Split(parts[0], refSep), parts[1])
		if err != nil {
			return nil, err
		}
		ver := st.Version()
		if ok && e.doc.Version == ver {
			s.store(key, e.doc)
			return e.doc, nil
		}
		pdf, err := render(st)
		if err != nil {
			return nil, err
		}
		doc := &StatementDoc{PDF: pdf, FiscalYear: st.FiscalYear, Version: ver}
		s.store(key, doc)
		return doc, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*StatementDoc), nil
}

func (s *Statements) fresh() time.Duration {
	if s.Fresh > 0 {
		return s.Fresh
	}
	return DefaultStatementFresh
}

// acquire takes one of the build slots, waiting at most StatementWait.
func (s *Statements) acquire(ctx context.Context) (func(), error) {
	wait := s.Wait
	if wait <= 0 {
		wait = DefaultStatementWait
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s.docs.workers <- struct{}{}:
		return func() { <-s.docs.workers }, nil
	case <-t.C:
		return nil, ErrBusy
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

func (s *Statements) cached(key string) (docEntry, bool) { return s.docs.cache.get(key) }

// store keeps doc for key as checked now.
func (s *Statements) store(key string, doc *StatementDoc) {
	limit := s.CacheBytes
	if limit <= 0 {
		limit = DefaultStatementCacheBytes
	}
	s.docs.cache.put(key, doc, s.Now(), limit)
}

// Version fingerprints what the statement says: two builds with the same
// version print the same document but for its generation date.
func (st *Statement) Version() string {
	h := sha256.New()
	fmt.Fprintf(h, "%q %q %q %q %t\n", st.DonorName, st.MobileMasked, st.TIN, st.FiscalYear, st.Truncated)
	for _, r := range st.Rows {
		fmt.Fprintf(h, "%q %d %d %q %q %q %q %q %d %d %q\n", r.ReceiptID, r.PaidAt.UnixMilli(), r.IssuedAt.UnixMilli(), r.Serial,
			r.UnitBN, r.UnitEN, r.Kind, r.Programme, r.Amount, r.Refunded, r.KeyID)
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
}
