package notify

import (
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	gosmtp "github.com/emersion/go-smtp"
)

// An SMTP server from github.com/emersion/go-smtp (a maintained server
// implementation), with or without SMTPUTF8 (RFC 6531), that keeps what it
// is given.
type mailbox struct {
	mu    sync.Mutex
	mails []received
}

type received struct {
	from, to string
	utf8     bool
	data     string
}

type session struct {
	box *mailbox
	cur received
}

func (b *mailbox) NewSession(*gosmtp.Conn) (gosmtp.Session, error) { return &session{box: b}, nil }

func (s *session) Reset()        { s.cur = received{} }
func (s *session) Logout() error { return nil }
func (s *session) Mail(from string, opts *gosmtp.MailOptions) error {
	s.cur.from, s.cur.utf8 = from, opts != nil && opts.UTF8
	return nil
}
func (s *session) Rcpt(to string, _ *gosmtp.RcptOptions) error { s.cur.to = to; return nil }
func (s *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = string(b)
	s.box.mu.Lock()
	s.box.mails = append(s.box.mails, s.cur)
	s.box.mu.Unlock()
	return nil
}

func (b *mailbox) all() []received {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]received(nil), b.mails...)
}

func goSMTPServer(t *testing.T, smtputf8 bool) (string, *mailbox) {
	t.Helper()
	box := &mailbox{}
	srv := gosmtp.NewServer(box)
	srv.Domain = "mx.example.test"
	srv.EnableSMTPUTF8 = smtputf8
	srv.ReadTimeout, srv.WriteTimeout = 10*time.Second, 10*time.Second
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return ln.Addr().String(), box
}

// TestSMTPUTF8 (issue #23): an internationalised address was sent
// unencoded in RCPT TO and To: whatever the server offered. Now it goes out
// with SMTPUTF8 where the server offers it; elsewhere a non-ASCII domain is
// sent in IDNA form and a non-ASCII local part is refused, permanently and
// saying why, before anything is sent.
func TestSMTPUTF8(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	m := Message{Ref: "don_x/receipt", Kind: "receipt-issued", Subject: "দানের রসিদ", Text: "ধন্যবাদ"}

	addr, box := goSMTPServer(t, true)
	m.To = "ü@exämple.com"
	if err := (&SMTP{Addr: addr, From: "receipts@kalyan.example"}).Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	got := box.all()
	if len(got) != 1 || got[0].to != "ü@exämple.com" || !got[0].utf8 || !strings.Contains(got[0].data, "To: ü@exämple.com\r\n") {
		t.Fatalf("with SMTPUTF8: %+v", got)
	}

	addr, box = goSMTPServer(t, false)
	err := (&SMTP{Addr: addr, From: "receipts@kalyan.example"}).Send(ctx, m)
	if !errors.Is(err, ErrPermanent) || !errors.Is(err, ErrNeedsSMTPUTF8) || !strings.Contains(err.Error(), "SMTPUTF8") || strings.Contains(err.Error(), "ü@") {
		t.Fatalf("without SMTPUTF8: %v", err)
	}
	if got := box.all(); len(got) != 0 {
		t.Fatalf("a refused address was sent: %+v", got)
	}
	m.To = "donor@exämple.com"
	if err := (&SMTP{Addr: addr, From: "receipts@kalyan.example"}).Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	got = box.all()
	if len(got) != 1 || got[0].to != "donor@xn--exmple-cua.com" || got[0].utf8 || !strings.Contains(got[0].data, "To: donor@xn--exmple-cua.com\r\n") {
		t.Fatalf("IDNA domain without SMTPUTF8: %+v", got)
	}
	m.To = "donor@example.com"
	if err := (&SMTP{Addr: addr, From: "receipts@kalyan.example"}).Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	if got := box.all(); len(got) != 2 || got[1].to != "donor@example.com" {
		t.Fatalf("ASCII address: %+v", got)
	}
}
