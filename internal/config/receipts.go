package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/signing"
)

// Receipts settings.
type Receipts struct {
	// Citation is the tax-rebate text printed on receipts and statements
	// ("\n" between the Bengali and English paragraphs); empty means the
	// built-in citation of the Income Tax Act 2023 and the NBR notification.
	Citation string `yaml:"citation" env:"CITATION"`
	// StatementLinkTTL is how long an annual statement link sent by SMS works.
	StatementLinkTTL time.Duration `yaml:"statementLinkTTL" env:"STATEMENT_LINK_TTL"`
	// StatementsPerHour caps statement requests per mobile number (SMS
	// links, and codes for a counter print).
	StatementsPerHour int `yaml:"statementsPerHour" env:"STATEMENTS_PER_HOUR"`
	// StatementsPerIPPerHour caps public statement requests per client
	// address (behind http.trustedProxies, the address they report).
	StatementsPerIPPerHour int `yaml:"statementsPerIPPerHour" env:"STATEMENTS_PER_IP_PER_HOUR"`
}

// Notify settings. Without an SMS gateway or SMTP relay, messages on that
// channel are appended to File (the embedded default's outbox).
type Notify struct {
	// File is the JSON-lines sink (default <DataDir>/notifications.log).
	File  string      `yaml:"file" env:"FILE"`
	SMS   NotifySMS   `yaml:"sms" envPrefix:"SMS_"`
	Email NotifyEmail `yaml:"email" envPrefix:"EMAIL_"`
}

// NotifySMS is a generic HTTP SMS gateway (see notify.HTTPSMS).
type NotifySMS struct {
	URL    string `yaml:"url" env:"URL"`
	Token  string `yaml:"token" env:"TOKEN"`
	Sender string `yaml:"sender" env:"SENDER"`
}

// NotifyEmail is an SMTP relay.
type NotifyEmail struct {
	SMTPAddr string `yaml:"smtpAddr" env:"SMTP_ADDR"`
	From     string `yaml:"from" env:"FROM"`
	Username string `yaml:"username" env:"USERNAME"`
	Password string `yaml:"password" env:"PASSWORD"`
}

func defaultReceipts() Receipts {
	return Receipts{StatementLinkTTL: 7 * 24 * time.Hour, StatementsPerHour: 3, StatementsPerIPPerHour: 20}
}

// validateReceipts checks the seal key, receipt and notification settings.
func (c Config) validateReceipts() error {
	var errs []error
	bad := func(setting, msg string) { errs = append(errs, fmt.Errorf("%s: %s", setting, msg)) }
	if c.SealKey != "" {
		if _, err := signing.ParseKeyRing(c.SealKey); err != nil {
			bad("KALYAN_SEAL_KEY", err.Error())
		}
	}
	if c.SealKeyFile != "" {
		if c.SealKey != "" {
			bad("KALYAN_SEAL_KEY_FILE", "set either KALYAN_SEAL_KEY or KALYAN_SEAL_KEY_FILE, not both")
		}
		if text, err := os.ReadFile(c.SealKeyFile); err != nil {
			bad("KALYAN_SEAL_KEY_FILE", err.Error())
		} else if _, err := signing.ParseKeyRing(string(text)); err != nil {
			bad("KALYAN_SEAL_KEY_FILE", c.SealKeyFile+": "+err.Error())
		}
		if c.SealKeyReload <= 0 {
			bad("KALYAN_SEAL_KEY_RELOAD", "must be a positive duration like 10s")
		}
	}
	if c.Receipts.StatementLinkTTL <= 0 {
		bad("KALYAN_RECEIPTS_STATEMENT_LINK_TTL", "must be a positive duration like 168h")
	}
	if c.Receipts.StatementsPerHour < 1 {
		bad("KALYAN_RECEIPTS_STATEMENTS_PER_HOUR", "must be at least 1")
	}
	if c.Receipts.StatementsPerIPPerHour < 1 {
		bad("KALYAN_RECEIPTS_STATEMENTS_PER_IP_PER_HOUR", "must be at least 1")
	}
	if c.Notify.SMS.URL != "" {
		if u, err := url.Parse(c.Notify.SMS.URL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("KALYAN_NOTIFY_SMS_URL", "must be an absolute http(s) URL")
		}
	}
	if c.Notify.Email.SMTPAddr != "" {
		if _, _, err := net.SplitHostPort(c.Notify.Email.SMTPAddr); err != nil {
			bad("KALYAN_NOTIFY_EMAIL_SMTP_ADDR", "must be host:port, e.g. smtp.example.org:587")
		}
		if !strings.Contains(c.Notify.Email.From, "@") {
			bad("KALYAN_NOTIFY_EMAIL_FROM", "must be the sender address when SMTP is configured")
		}
	}
	return errors.Join(errs...)
}

// errNoSealKey is ValidateExternal's complaint when production has no seal key.
var errNoSealKey = errors.New("KALYAN_SEAL_KEY or KALYAN_SEAL_KEY_FILE: required (32 random bytes in base64: openssl rand -base64 32, " +
	"or a ring of such keys); keep it in a Secret: without it the units' stored signing keys cannot be opened")
