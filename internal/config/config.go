// Package config loads settings from an optional YAML file and KALYAN_*
// environment variables (which win), and validates them at start-up so a
// misconfiguration stops the process with a message naming the setting.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"
	"gopkg.in/yaml.v3"
)

// Config is every setting of the api and worker processes.
type Config struct {
	// HTTPAddr is where the API listens.
	HTTPAddr string `yaml:"httpAddr" env:"HTTP_ADDR"`
	// WorkerAddr is where the worker serves /livez, /readyz and /metrics.
	WorkerAddr string `yaml:"workerAddr" env:"WORKER_ADDR"`
	// PublicURL is the API's address as donors' browsers and bKash reach it
	// (callback URLs, donation links, receipt QR codes).
	PublicURL string `yaml:"publicURL" env:"PUBLIC_URL"`
	// DataDir holds the embedded default's state and development keys.
	DataDir  string `yaml:"dataDir" env:"DATA_DIR"`
	LogLevel string `yaml:"logLevel" env:"LOG_LEVEL"`

	MongoDB MongoDB `yaml:"mongodb" envPrefix:"MONGODB_"`
	Kafka   Kafka   `yaml:"kafka" envPrefix:"KAFKA_"`
	BKash   BKash   `yaml:"bkash" envPrefix:"BKASH_"`
	Auth    Auth    `yaml:"auth" envPrefix:"AUTH_"`

	HTTP HTTP `yaml:"http" envPrefix:"HTTP_"`

	// SealKey (standard base64 of 32 random bytes, or a key ring of several:
	// signing/ring.go) encrypts the units' receipt signing keys and merchant
	// credentials at rest and keys donor references and statement links.
	// The embedded default generates one in <DataDir>/seal.key.
	SealKey string `yaml:"sealKey" env:"SEAL_KEY"`
	// SealKeyFile names a file holding the ring instead (a mounted Secret),
	// re-read every SealKeyReload so a rotation needs no restart.
	SealKeyFile   string        `yaml:"sealKeyFile" env:"SEAL_KEY_FILE"`
	SealKeyReload time.Duration `yaml:"sealKeyReload" env:"SEAL_KEY_RELOAD"`
	Receipts      Receipts      `yaml:"receipts" envPrefix:"RECEIPTS_"`
	Notify        Notify        `yaml:"notify" envPrefix:"NOTIFY_"`

	Reconcile Reconcile `yaml:"reconcile" envPrefix:"RECONCILE_"`

	// Monitor measures aid for metrics and alerts (issue #18).
	Monitor Monitor `yaml:"monitor" envPrefix:"MONITOR_"`

	// Zakat are the zakat calculator's defaults (zakat.go).
	Zakat Zakat `yaml:"zakat" envPrefix:"ZAKAT_"`
}

// Reconcile settles payments whose donors closed the tab.
type Reconcile struct {
	// Interval between passes.
	Interval time.Duration `yaml:"interval" env:"INTERVAL"`
	// After is the age at which an initiated payment is queried at bKash.
	After time.Duration `yaml:"after" env:"AFTER"`
	// Expire is the age at which a payment bKash still calls initiated is
	// given up as failed (bKash's paymentID lives 24 h).
	Expire time.Duration `yaml:"expire" env:"EXPIRE"`
	// PerPass bounds the payments queried at bKash in one pass; unresolved
	// ones are asked again later and later (from Interval, doubling, to every 15 minutes).
	PerPass int `yaml:"perPass" env:"PER_PASS"`
	// RefundAfter is how long after it was sent a refund that got no
	// definite answer is first asked about with bKash's refund status (then
	// later and later); RefundGrace, how long after sending bKash must have no
	// record of it before it counts as never made and its hold is released.
	RefundAfter time.Duration `yaml:"refundAfter" env:"REFUND_AFTER"`
	RefundGrace time.Duration `yaml:"refundGrace" env:"REFUND_GRACE"`
}

// Monitor is the worker's aid monitor: the waitlist snapshot (also what
// reports show), money waiting per fund, idle zakat and stuck requests.
type Monitor struct {
	// Interval between passes (one replica measures: a lease).
	Interval time.Duration `yaml:"interval" env:"INTERVAL"`
	// IdleZakatAfter is the age past which zakat held in a fund is idle
	// (a lunar year, 354 days).
	IdleZakatAfter time.Duration `yaml:"idleZakatAfter" env:"IDLE_ZAKAT_AFTER"`
	// StuckAfter is how long a request may wait in one state before it
	// counts as stuck.
	StuckAfter time.Duration `yaml:"stuckAfter" env:"STUCK_AFTER"`
}

// MongoDB settings. An empty URI means "start the embedded FerretDB" in the
// development entrypoint and is an error in the production binaries.
type MongoDB struct {
	URI      string `yaml:"uri" env:"URI"`
	Database string `yaml:"database" env:"DATABASE"`
}

// Kafka settings.
type Kafka struct {
	Brokers    []string `yaml:"brokers" env:"BROKERS" envSeparator:","`
	Partitions int      `yaml:"partitions" env:"PARTITIONS"`
	// ReplicationFactor for topics the platform creates.
	ReplicationFactor int `yaml:"replicationFactor" env:"REPLICATION_FACTOR"`
	// SessionTimeout is how long a consumer that died without leaving (a
	// SIGKILL, an OOM kill) holds up its groups' rebalance. kafka-go has only
	// eager rebalancing, so every group stops for it. It must lie within
	// the brokers' group.min/max.session.timeout.ms (6s..30m by default).
	SessionTimeout time.Duration `yaml:"sessionTimeout" env:"SESSION_TIMEOUT"`
}

// BKash holds the platform's default merchant (used by units registered
// without credentials of their own) and the API base URL.
type BKash struct {
	BaseURL   string        `yaml:"baseURL" env:"BASE_URL"`
	Username  string        `yaml:"username" env:"USERNAME"`
	Password  string        `yaml:"password" env:"PASSWORD"`
	AppKey    string        `yaml:"appKey" env:"APP_KEY"`
	AppSecret string        `yaml:"appSecret" env:"APP_SECRET"`
	Timeout   time.Duration `yaml:"timeout" env:"TIMEOUT"`
	// ShortCode is the platform merchant wallet's number (01XXXXXXXXX), as
	// bKash's search transaction names it (organizationShortCode). Without
	// it, gifts made to the platform's wallet in the bKash app cannot be
	// claimed.
	ShortCode string `yaml:"shortCode" env:"SHORT_CODE"`
	// RefundWindow is how long after completion a payment can be refunded
	// at bKash (15 days in bKash's WooCommerce plugin); a gift made in the
	// bKash app can be claimed for as long.
	RefundWindow time.Duration `yaml:"refundWindow" env:"REFUND_WINDOW"`
	// RefundV1 lists merchant usernames whose bKash account routes only the
	// v1 refund API (/tokenized/checkout/payment/refund). Others use v2 and
	// switch to v1 by themselves when bKash answers that v2 is not routed.
	RefundV1 []string `yaml:"refundV1" env:"REFUND_V1" envSeparator:","`
}

// Auth settings for staff bearer tokens.
type Auth struct {
	// JWKSURL is the identity provider's key set (production).
	JWKSURL string `yaml:"jwksURL" env:"JWKS_URL"`
	// KeyFile is a local Ed25519 JWK used when no JWKS URL is set
	// (embedded default); created on first use.
	KeyFile  string `yaml:"keyFile" env:"KEY_FILE"`
	Issuer   string `yaml:"issuer" env:"ISSUER"`
	Audience string `yaml:"audience" env:"AUDIENCE"`
}

// HTTP server limits.
type HTTP struct {
	// RateLimit is how many public writes (gifts, forms) one client IP may
	// make per minute; 0 disables.
	RateLimit int `yaml:"rateLimit" env:"RATE_LIMIT"`
	// ClaimsPerHour is how many gifts made in the bKash app one client IP
	// may claim per hour, fleet-wide (each number may claim 5).
	ClaimsPerHour int `yaml:"claimsPerHour" env:"CLAIMS_PER_HOUR"`
	// TrustedProxies are the load balancers (IP addresses or CIDR ranges)
	// whose X-Forwarded-For names the client and whose X-Forwarded-Proto
	// says the browser used TLS (empty: the TCP peer is the client, and
	// only the public URL's scheme says TLS).
	TrustedProxies []string      `yaml:"trustedProxies" env:"TRUSTED_PROXIES" envSeparator:","`
	BodyLimit      int           `yaml:"bodyLimit" env:"BODY_LIMIT"`
	ReadTimeout    time.Duration `yaml:"readTimeout" env:"READ_TIMEOUT"`
	WriteTimeout   time.Duration `yaml:"writeTimeout" env:"WRITE_TIMEOUT"`
}

// Defaults returns the settings used where nothing else is given.
func Defaults() Config {
	return Config{
		HTTPAddr:   "127.0.0.1:8080",
		WorkerAddr: "127.0.0.1:8081",
		DataDir:    ".kalyan",
		LogLevel:   "info",
		MongoDB:    MongoDB{Database: "kalyan"},
		Kafka:      Kafka{Partitions: 12, ReplicationFactor: 1, SessionTimeout: 6 * time.Second},
		BKash:      BKash{Timeout: 30 * time.Second, RefundWindow: 15 * 24 * time.Hour},
		Auth:       Auth{Issuer: "kalyan", Audience: "kalyan-api"},
		HTTP:       HTTP{RateLimit: 60, ClaimsPerHour: 20, BodyLimit: 64 << 10, ReadTimeout: 10 * time.Second, WriteTimeout: 35 * time.Second},
		Receipts:   defaultReceipts(),
		// Well within the kubelet's own delay in updating a mounted Secret (about a minute).
		SealKeyReload: 10 * time.Second,
		Reconcile: Reconcile{Interval: time.Minute, After: 15 * time.Minute, Expire: 25 * time.Hour, PerPass: 500,
			RefundAfter: 30 * time.Second, RefundGrace: 2 * time.Minute},
		Zakat:   defaultZakat(),
		Monitor: Monitor{Interval: 5 * time.Minute, IdleZakatAfter: 354 * 24 * time.Hour, StuckAfter: 7 * 24 * time.Hour},
	}
}

// Load reads the YAML file named by KALYAN_CONFIG_FILE (if set), then the
// environment. It does not validate: the caller decides which parts it
// needs (Validate, ValidateProduction).
func Load() (Config, error) {
	c := Defaults()
	if path := os.Getenv("KALYAN_CONFIG_FILE"); path != "" {
		b, err := os.ReadFile(path)
		if err != nil {
			return c, fmt.Errorf("read config file: %w", err)
		}
		dec := yaml.NewDecoder(strings.NewReader(string(b)))
		dec.KnownFields(true)
		if err := dec.Decode(&c); err != nil {
			return c, fmt.Errorf("config file %s: %w", path, err)
		}
	}
	if err := env.ParseWithOptions(&c, env.Options{Prefix: "KALYAN_"}); err != nil {
		return c, fmt.Errorf("environment: %w", err)
	}
	for i, p := range c.HTTP.TrustedProxies {
		c.HTTP.TrustedProxies[i] = strings.TrimSpace(p)
	}
	if err := c.readSecretFiles(); err != nil {
		return c, err
	}
	if c.Auth.KeyFile == "" && c.DataDir != "" {
		c.Auth.KeyFile = c.DataDir + "/auth/signing-key.jwk"
	}
	if c.PublicURL == "" && c.HTTPAddr != "" {
		c.PublicURL = "http://" + c.HTTPAddr
	}
	return c, nil
}

// Validate checks the settings that do not depend on the deployment kind.
func (c Config) Validate() error {
	var errs []error
	bad := func(setting, msg string) { errs = append(errs, fmt.Errorf("%s: %s", setting, msg)) }
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		bad("KALYAN_HTTP_ADDR", "must be host:port, e.g. 127.0.0.1:8080")
	}
	if _, _, err := net.SplitHostPort(c.WorkerAddr); err != nil {
		bad("KALYAN_WORKER_ADDR", "must be host:port, e.g. 127.0.0.1:8081")
	}
	if u, err := url.Parse(c.PublicURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		bad("KALYAN_PUBLIC_URL", "must be an absolute http(s) URL")
	}
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		bad("KALYAN_LOG_LEVEL", "must be debug, info, warn or error")
	}
	if c.MongoDB.Database == "" {
		bad("KALYAN_MONGODB_DATABASE", "must not be empty")
	}
	if c.Kafka.Partitions < 1 || c.Kafka.Partitions > 1000 {
		bad("KALYAN_KAFKA_PARTITIONS", "must be between 1 and 1000")
	}
	if c.Kafka.ReplicationFactor < 1 {
		bad("KALYAN_KAFKA_REPLICATION_FACTOR", "must be at least 1")
	}
	if c.Kafka.SessionTimeout < time.Second || c.Kafka.SessionTimeout > 5*time.Minute {
		bad("KALYAN_KAFKA_SESSION_TIMEOUT", "must be between 1s and 5m (and within the brokers' group.min/max.session.timeout.ms)")
	}
	if c.BKash.Timeout <= 0 || c.BKash.Timeout > time.Minute {
		bad("KALYAN_BKASH_TIMEOUT", "must be between 0 and 1m (bKash recommends 30s)")
	}
	if c.BKash.RefundWindow <= 0 || c.BKash.RefundWindow > 365*24*time.Hour {
		bad("KALYAN_BKASH_REFUND_WINDOW", "must be between 0 and 8760h (bKash's plugin: 360h, 15 days)")
	}
	if s := c.BKash.ShortCode; s != "" && (len(s) != 11 || !strings.HasPrefix(s, "01") || strings.ContainsFunc(s, func(r rune) bool { return r < '0' || r > '9' })) {
		bad("KALYAN_BKASH_SHORT_CODE", "must be the merchant wallet number, 11 digits starting with 01")
	}
	if c.BKash.BaseURL != "" {
		if u, err := url.Parse(c.BKash.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad("KALYAN_BKASH_BASE_URL", "must be an absolute http(s) URL")
		}
	}
	if c.Auth.JWKSURL == "" && c.Auth.KeyFile == "" {
		bad("KALYAN_AUTH_JWKS_URL", "or KALYAN_AUTH_KEY_FILE must be set")
	}
	if c.HTTP.RateLimit < 0 {
		bad("KALYAN_HTTP_RATE_LIMIT", "must be 0 (off) or a number of requests per minute")
	}
	for _, p := range c.HTTP.TrustedProxies {
		if _, err := netip.ParsePrefix(p); err != nil {
			if _, err := netip.ParseAddr(p); err != nil {
				bad("KALYAN_HTTP_TRUSTED_PROXIES", fmt.Sprintf("%q is neither an IP address nor a CIDR range (e.g. 10.0.0.0/8)", p))
			}
		}
	}
	if c.HTTP.BodyLimit < 1024 || c.HTTP.BodyLimit > 10<<20 {
		bad("KALYAN_HTTP_BODY_LIMIT", "must be between 1024 and 10485760 bytes")
	}
	if c.HTTP.ReadTimeout <= 0 || c.HTTP.WriteTimeout <= 0 {
		bad("KALYAN_HTTP_READ_TIMEOUT/WRITE_TIMEOUT", "must be positive durations like 10s")
	}
	if err := c.validateReceipts(); err != nil {
		errs = append(errs, err)
	}
	if _, err := c.ZakatSettings(); err != nil {
		errs = append(errs, err)
	}
	if c.Reconcile.Interval <= 0 || c.Reconcile.After <= 0 || c.Reconcile.Expire < c.Reconcile.After {
		bad("KALYAN_RECONCILE_INTERVAL/AFTER/EXPIRE", "must be positive durations with EXPIRE ≥ AFTER")
	}
	if c.Reconcile.PerPass < 1 {
		bad("KALYAN_RECONCILE_PER_PASS", "must be at least 1")
	}
	if c.Reconcile.RefundAfter <= 0 || c.Reconcile.RefundGrace < c.Reconcile.RefundAfter {
		bad("KALYAN_RECONCILE_REFUND_AFTER/REFUND_GRACE", "must be positive durations with REFUND_GRACE ≥ REFUND_AFTER")
	}
	if c.Monitor.Interval < time.Second || c.Monitor.IdleZakatAfter <= 0 || c.Monitor.StuckAfter <= 0 {
		bad("KALYAN_MONITOR_INTERVAL/IDLE_ZAKAT_AFTER/STUCK_AFTER", "must be positive durations (INTERVAL at least 1s)")
	}
	return errors.Join(errs...)
}

// ValidateExternal additionally requires the external services the
// production binaries cannot start themselves.
func (c Config) ValidateExternal() error {
	var errs []error
	if c.MongoDB.URI == "" {
		errs = append(errs, errors.New("KALYAN_MONGODB_URI: required (e.g. mongodb://mongo:27017); `make run` starts an embedded one"))
	}
	if len(c.Kafka.Brokers) == 0 {
		errs = append(errs, errors.New("KALYAN_KAFKA_BROKERS: required (comma-separated host:port list)"))
	}
	if c.SealKey == "" && c.SealKeyFile == "" {
		errs = append(errs, errNoSealKey)
	}
	if c.BKash.BaseURL == "" || c.BKash.Username == "" || c.BKash.Password == "" || c.BKash.AppKey == "" || c.BKash.AppSecret == "" {
		errs = append(errs, errors.New("KALYAN_BKASH_BASE_URL, _USERNAME, _PASSWORD, _APP_KEY and _APP_SECRET: all required"))
	}
	return errors.Join(c.Validate(), errors.Join(errs...))
}
