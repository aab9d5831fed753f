package notify

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"net"
	"net/smtp"
	"net/textproto"
	"strings"
	"time"

	"golang.org/x/net/idna"
)

// SMTP sends e-mail through an SMTP relay (net/smtp), upgrading to TLS with
// STARTTLS when the server offers it and authenticating with PLAIN when a
// username is set (net/smtp refuses PLAIN over an unencrypted link to
// anything but localhost).
type SMTP struct {
	Addr     string // host:port
	From     string
	Username string
	Password string
	Now      func() time.Time
}

// Send implements Notifier. Errors never include the address or the text.
func (s *SMTP) Send(ctx context.Context, m Message) error {
	host, _, err := net.SplitHostPort(s.Addr)
	if err != nil {
		return fmt.Errorf("smtp address: %w", err)
	}
	conn, err := (&net.Dialer{}).DialContext(ctx, "tcp", s.Addr)
	if err != nil {
		return fmt.Errorf("smtp: %w", err)
	}
	deadline, ok := ctx.Deadline()
	if !ok {
		deadline = time.Now().Add(60 * time.Second)
	}
	_ = conn.SetDeadline(deadline)
	c, err := smtp.NewClient(conn, host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("smtp: %w", err)
	}
	defer c.Close()
	if ok, _ := c.Extension("STARTTLS"); ok {
		if err := c.StartTLS(&tls.Config{ServerName: host, MinVersion: tls.VersionTLS12}); err != nil {
			return fmt.Errorf("smtp starttls: %w", err)
		}
	}
	if s.Username != "" {
		if err := c.Auth(smtp.PlainAuth("", s.Username, s.Password, host)); err != nil {
			return smtpErr("smtp auth", err)
		}
	}
	// An internationalised address goes out as it is where the server
	// offers SMTPUTF8 (RFC 6531; net/smtp then adds the SMTPUTF8 parameter
	// to MAIL FROM); else a non-ASCII domain is sent in its IDNA (punycode)
	// form, and a non-ASCII local part, which has no ASCII form, is refused.
	utf8OK, _ := c.Extension("SMTPUTF8")
	to, err := wireAddress(m.To, utf8OK)
	if err != nil {
		return err
	}
	from, err := wireAddress(s.From, utf8OK)
	if err != nil {
		return err
	}
	m.To = to
	if err := c.Mail(from); err != nil {
		return smtpErr("smtp MAIL FROM", err)
	}
	if err := c.Rcpt(m.To); err != nil {
		return smtpErr("smtp RCPT TO", err)
	}
	w, err := c.Data()
	if err != nil {
		return smtpErr("smtp DATA", err)
	}
	if _, err := w.Write(s.compose(m)); err != nil {
		return fmt.Errorf("smtp write: %w", err)
	}
	if err := w.Close(); err != nil {
		return smtpErr("smtp end of data", err)
	}
	if err := c.Quit(); err != nil {
		return smtpErr("smtp QUIT", err)
	}
	return nil
}

// ErrNeedsSMTPUTF8 refuses an address whose local part is not ASCII when
// the mail server does not offer SMTPUTF8: it cannot be sent unencoded, and
// it has no encoded form.
var ErrNeedsSMTPUTF8 = fmt.Errorf("the address has non-ASCII characters before the @ and the mail server does not offer SMTPUTF8: %w", ErrPermanent)

// wireAddress is addr as it can be sent: unchanged when it is ASCII or the
// server speaks SMTPUTF8; with its domain in IDNA form when only the domain
// is non-ASCII; refused otherwise.
func wireAddress(addr string, smtputf8 bool) (string, error) {
	if smtputf8 || isASCII(addr) {
		return addr, nil
	}
	at := strings.LastIndexByte(addr, '@')
	if at < 0 || !isASCII(addr[:at]) {
		return "", ErrNeedsSMTPUTF8
	}
	domain, err := idna.Lookup.ToASCII(addr[at+1:])
	if err != nil {
		return "", fmt.Errorf("the address's domain has no IDNA form: %w", ErrPermanent)
	}
	return addr[:at+1] + domain, nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}

// smtpErr makes 5xx replies permanent and keeps the reply text out (it
// may echo the address).
func smtpErr(step string, err error) error {
	var te *textproto.Error
	if errors.As(err, &te) {
		if te.Code >= 500 {
			return fmt.Errorf("%s: server answered %d: %w", step, te.Code, ErrPermanent)
		}
		return fmt.Errorf("%s: server answered %d", step, te.Code)
	}
	return fmt.Errorf("%s: %w", step, err)
}

func (s *SMTP) compose(m Message) []byte {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	var b strings.Builder
	hdr := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	hdr("From", s.From)
	hdr("To", m.To)
	hdr("Subject", mime.BEncoding.Encode("UTF-8", m.Subject))
	hdr("Date", now().Format(time.RFC1123Z))
	if m.Ref != "" {
		domain := s.From[strings.LastIndexByte(s.From, '@')+1:]
		hdr("Message-ID", "<"+strings.NewReplacer("/", ".", "#", ".").Replace(m.Ref)+"@"+domain+">")
	}
	hdr("MIME-Version", "1.0")
	hdr("Content-Type", `text/plain; charset="UTF-8"`)
	hdr("Content-Transfer-Encoding", "base64")
	b.WriteString("\r\n")
	enc := base64.StdEncoding.EncodeToString([]byte(m.Text))
	for len(enc) > 76 {
		b.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	b.WriteString(enc + "\r\n")
	return []byte(b.String())
}
