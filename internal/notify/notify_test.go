package notify

import (
	"bufio"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

var msg = Message{Ref: "don_x/receipt/sms", Kind: "receipt-issued", To: "01712345678", Subject: "দানের রসিদ", Text: "আপনার রসিদ প্রস্তুত: https://k.example/r/don_x"}

func TestFileSink(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "notifications.log")
	sms, email := NewFile(path, func() time.Time { return time.Unix(0, 0) })
	var wg sync.WaitGroup
	for i := 0; i < 20; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			n := Notifier(sms)
			if i%2 == 1 {
				n = email
			}
			if err := n.Send(t.Context(), msg); err != nil {
				t.Error(err)
			}
		}()
	}
	wg.Wait()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) != 20 {
		t.Fatalf("%d lines", len(lines))
	}
	var l FileLine
	if err := json.Unmarshal([]byte(lines[0]), &l); err != nil || l.To != msg.To || l.Text != msg.Text || (l.Channel != SMS && l.Channel != Email) {
		t.Fatalf("line %s: %v", lines[0], err)
	}
	if fi, _ := os.Stat(path); fi.Mode().Perm() != 0o600 {
		t.Fatalf("mode %v", fi.Mode())
	}
}

func TestHTTPSMS(t *testing.T) {
	var status atomic.Int32
	status.Store(200)
	var got smsRequest
	var auth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth = r.Header.Get("Authorization")
		_ = json.NewDecoder(r.Body).Decode(&got)
		w.WriteHeader(int(status.Load()))
	}))
	defer srv.Close()
	s := &HTTPSMS{URL: srv.URL, Token: "tok", Sender: "KALYAN"}
	if err := s.Send(t.Context(), msg); err != nil {
		t.Fatal(err)
	}
	if got.To != "8801712345678" || got.Text != msg.Text || got.Sender != "KALYAN" || got.Reference != msg.Ref || auth != "Bearer tok" {
		t.Fatalf("gateway got %+v %q", got, auth)
	}
	status.Store(400)
	err := s.Send(t.Context(), msg)
	if !errors.Is(err, ErrPermanent) || strings.Contains(err.Error(), "1712345678") {
		t.Fatalf("400: %v", err)
	}
	status.Store(503)
	if err := s.Send(t.Context(), msg); err == nil || errors.Is(err, ErrPermanent) {
		t.Fatalf("503: %v", err)
	}

	// Retry: transient failures are retried up to the limit, permanent ones not.
	var calls atomic.Int32
	flaky := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if calls.Add(1) < 3 {
			w.WriteHeader(502)
		}
	}))
	defer flaky.Close()
	if err := Retry(t.Context(), &HTTPSMS{URL: flaky.URL}, msg, 5, time.Millisecond, 5*time.Millisecond); err != nil || calls.Load() != 3 {
		t.Fatalf("retry: %v after %d calls", err, calls.Load())
	}
	calls.Store(-100)
	status.Store(404)
	if err := Retry(t.Context(), s, msg, 5, time.Millisecond, 5*time.Millisecond); !errors.Is(err, ErrPermanent) {
		t.Fatalf("permanent: %v", err)
	}
}

// smtpServer is a minimal SMTP server (RFC 5321 happy path) that keeps
// what it receives.
func smtpServer(t *testing.T, rcptCode string) (addr string, mails chan string) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	mails = make(chan string, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				r := bufio.NewReader(c)
				say := func(s string) { io.WriteString(c, s+"\r\n") }
				say("220 test ESMTP")
				var data strings.Builder
				for {
					line, err := r.ReadString('\n')
					if err != nil {
						return
					}
					cmd := strings.ToUpper(strings.TrimSpace(line))
					switch {
					case strings.HasPrefix(cmd, "EHLO"), strings.HasPrefix(cmd, "HELO"):
						say("250 test")
					case strings.HasPrefix(cmd, "MAIL"):
						say("250 ok")
					case strings.HasPrefix(cmd, "RCPT"):
						say(rcptCode)
					case cmd == "DATA":
						say("354 go on")
						for {
							l, err := r.ReadString('\n')
							if err != nil {
								return
							}
							if l == ".\r\n" {
								break
							}
							data.WriteString(l)
						}
						mails <- data.String()
						say("250 queued")
					case cmd == "QUIT":
						say("221 bye")
						return
					default:
						say("502 unknown")
					}
				}
			}()
		}
	}()
	return ln.Addr().String(), mails
}

func TestSMTP(t *testing.T) {
	addr, mails := smtpServer(t, "250 ok")
	m := msg
	m.To = "donor@example.com"
	s := &SMTP{Addr: addr, From: "receipts@kalyan.example"}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	if err := s.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
	raw := <-mails
	head, body, _ := strings.Cut(raw, "\r\n\r\n")
	subj := ""
	for _, l := range strings.Split(head, "\r\n") {
		if v, ok := strings.CutPrefix(l, "Subject: "); ok {
			subj, _ = new(mime.WordDecoder).DecodeHeader(v)
		}
	}
	text, err := base64.StdEncoding.DecodeString(strings.ReplaceAll(body, "\r\n", ""))
	if err != nil || string(text) != m.Text || subj != m.Subject || !strings.Contains(head, "To: donor@example.com") {
		t.Fatalf("mail %q (subject %q): %v", raw, subj, err)
	}

	refusing, _ := smtpServer(t, "550 no such user")
	err = (&SMTP{Addr: refusing, From: "receipts@kalyan.example"}).Send(ctx, m)
	if !errors.Is(err, ErrPermanent) || strings.Contains(err.Error(), "donor@") {
		t.Fatalf("refused: %v", err)
	}
}
