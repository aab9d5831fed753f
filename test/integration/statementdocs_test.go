package integration

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/receipts"
)

// Issue #23: a statement link is public to whoever holds it for a week, so
// GET /s/{token} must not redraw the PDF on every request.

// TestStatementLinkServesStoredBytes: the document is rendered once and
// the same bytes are served again (on main every request re-queried,
// re-verified and redrew it, with a new generation time).
func TestStatementLinkServesStoredBytes(t *testing.T) {
	const phone = "01819000077"
	id := cashGift(t, "dmch", "stmt-doc-1", donorGift("250.00", "zakat", "Rokeya Sultana", phone))
	waitReceipted(t, id)
	s := stackSealer(t)
	ref, _ := s.DonorRef(phone)
	tok, err := s.Link(time.Now().Add(time.Hour), ref, receipts.FiscalYear(time.Now()))
	if err != nil {
		t.Fatal(err)
	}
	first := do(t, "GET", "/s/"+tok, nil, nil)
	if first.Status != 200 || !bytes.HasPrefix(first.Body, []byte("%PDF")) {
		t.Fatalf("statement: %d %s", first.Status, first.Body)
	}
	time.Sleep(1100 * time.Millisecond) // a redrawn PDF would carry a later creation time
	var wg sync.WaitGroup
	for range 16 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			again := do(t, "GET", "/s/"+tok, nil, nil)
			if again.Status != 200 || !bytes.Equal(again.Body, first.Body) {
				t.Errorf("statement served again: %d, %d bytes, same as the first: %t", again.Status, len(again.Body), bytes.Equal(again.Body, first.Body))
			}
		}()
	}
	wg.Wait()
	problemOf(t, do(t, "GET", "/s/"+tok+"x", nil, nil), 404, "")
}

// TestStatementDocumentVersions drives the use case on the real store: a
// document is rebuilt after StatementFresh but rendered again only when
// what it says changed, concurrent requests share one build, and builds
// beyond the worker cap give up with ErrBusy instead of piling up.
func TestStatementDocumentVersions(t *testing.T) {
	const phone = "01819000078"
	ctx := context.Background()
	sealer := stackSealer(t)
	keys := &app.UnitKeys{Store: stack.Store.UnitKeys(), Sealer: sealer, Now: time.Now}
	rs := &app.ReceiptService{Repo: stack.Store.Receipts(), NoteRepo: stack.Store.ReceiptNotes(), Keys: keys, PublicURL: "http://kalyan.test"}
	st := &app.Statements{Receipts: stack.Store.Receipts(), Verifier: rs, Sealer: sealer, Now: time.Now, Log: slog.Default(),
		Refunded: rs.Refunded, Fresh: 50 * time.Millisecond, Workers: 1, Wait: 100 * time.Millisecond}
	ref, _ := sealer.DonorRef(phone)
	fy := receipts.FiscalYear(time.Now())
	tok, err := sealer.Link(time.Now().Add(time.Hour), ref, fy)
	if err != nil {
		t.Fatal(err)
	}
	var renders atomic.Int32
	var rows atomic.Int32
	render := func(s *app.Statement) ([]byte, error) {
		renders.Add(1)
		rows.Store(int32(len(s.Rows)))
		return []byte(s.Version()), nil
	}
	doc := func() *app.StatementDoc {
		t.Helper()
		d, err := st.DocumentFromLink(ctx, tok, render)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	waitReceipted(t, cashGift(t, "dmch", "stmt-ver-1", donorGift("100.00", "general", "Version Donor", phone)))
	v1 := doc()
	doc()
	time.Sleep(60 * time.Millisecond)
	if again := doc(); again.Version != v1.Version || renders.Load() != 1 {
		t.Fatalf("unchanged statement rendered %d times", renders.Load())
	}
	waitReceipted(t, cashGift(t, "dmch", "stmt-ver-2", donorGift("200.00", "general", "Version Donor", phone)))
	time.Sleep(60 * time.Millisecond)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if d, err := st.DocumentFromLink(ctx, tok, render); err != nil || d.Version == v1.Version {
				t.Errorf("after a new gift: %v", err)
			}
		}()
	}
	wg.Wait()
	if renders.Load() != 2 || rows.Load() != 2 {
		t.Fatalf("a new version: %d renders (want 2), %d rows", renders.Load(), rows.Load())
	}

	// One worker: while it is busy, another donor's statement waits, then
	// gives up.
	other, _ := sealer.DonorRef("01819000079")
	tok2, _ := sealer.Link(time.Now().Add(time.Hour), other, fy)
	time.Sleep(60 * time.Millisecond)
	block, started := make(chan struct{}), make(chan struct{})
	slow := func(s *app.Statement) ([]byte, error) { close(started); <-block; return []byte("x"), nil }
	// A new gift changes the version, so the next request renders (slowly).
	waitReceipted(t, cashGift(t, "dmch", "stmt-ver-3", donorGift("300.00", "general", "Version Donor", phone)))
	time.Sleep(60 * time.Millisecond)
	done := make(chan error, 1)
	go func() {
		_, err := st.DocumentFromLink(ctx, tok, slow)
		done <- err
	}()
	<-started
	if _, err := st.DocumentFromLink(ctx, tok2, render); !errors.Is(err, app.ErrBusy) {
		t.Fatalf("second build while the only worker is busy: %v, want ErrBusy", err)
	}
	close(block)
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// TestStatementRequestReadsOneMark: asking for a statement link is public
// and must not scan every receipt (it did: 116 ms of CPU per request with
// 2,000 receipts in the store). The receipt store marks each donor's year;
// marks missing for receipts issued before them are backfilled when a
// store connects.
func TestStatementRequestReadsOneMark(t *testing.T) {
	const phone = "01819000081"
	ctx := context.Background()
	waitReceipted(t, cashGift(t, "dmch", "stmt-mark-1", donorGift("100.00", "general", "Mark Donor", phone)))
	sealer := stackSealer(t)
	ref, _ := sealer.DonorRef(phone)
	other, _ := sealer.DonorRef("01819000082")
	fy := receipts.FiscalYear(time.Now())
	check := func(when string) {
		t.Helper()
		for r, want := range map[string]bool{ref: true, other: false} {
			if got, err := stack.Store.Receipts().HasGiven(ctx, r, fy); err != nil || got != want {
				t.Fatalf("%s: HasGiven = %t, %v; want %t", when, got, err, want)
			}
		}
	}
	check("after the receipt")
	if _, err := stack.Store.Database().Collection("donor_years").DeleteMany(ctx, bson.D{}); err != nil {
		t.Fatal(err)
	}
	if got, _ := stack.Store.Receipts().HasGiven(ctx, ref, fy); got {
		t.Fatal("marks not deleted")
	}
	s, err := mongostore.Connect(ctx, stack.Config.MongoDB.URI, stack.Config.MongoDB.Database)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	check("after the backfill")
}
