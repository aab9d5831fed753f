package devstack

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/kalyan-platform/kalyan/internal/app"
	"github.com/kalyan-platform/kalyan/internal/auth"
	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/mongostore"
	"github.com/kalyan-platform/kalyan/internal/platform"
	"github.com/kalyan-platform/kalyan/internal/units"
)

// Options for Start.
type Options struct {
	// Dir holds all state (FerretDB files, Kafka log, sandbox log, keys).
	Dir string
	// Config is the base configuration (default config.Defaults with
	// loopback port 0 everywhere). Parts pointing at real services (Mongo
	// URI, Kafka brokers, bKash base URL) switch the embedded part off.
	Config *config.Config
	// SandboxAddr is where the bKash sandbox listens (default 127.0.0.1:0).
	SandboxAddr string
	// KafkaPort fixes the embedded broker's port (0 = any).
	KafkaPort int
	// SandboxInMemory keeps the bKash sandbox's payments in memory (no
	// fsync per payment), so benchmarks measure Kalyan rather than the double.
	SandboxInMemory bool
	// NoSeed skips registering the demo units.
	NoSeed bool
	Logger *slog.Logger
}

// Stack is a running platform.
type Stack struct {
	Config  config.Config
	Store   *mongostore.Store
	API     *platform.API
	Sandbox *bkashsandbox.Server
	signer  *auth.Signer
	log     *slog.Logger

	ferret     *Ferret
	kafka      *Kafka
	sandboxSrv *http.Server

	apiAddr   string
	workerURL string

	mu        sync.Mutex
	apiCancel context.CancelFunc
	apiDone   chan error

	workerCancel context.CancelFunc
	workerDone   chan error
}

// Start brings the whole platform up and returns when the API accepts
// requests.
func Start(ctx context.Context, opts Options) (s *Stack, err error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := config.Defaults()
	if opts.Config != nil {
		c = *opts.Config
	} else {
		c.HTTPAddr, c.WorkerAddr, c.PublicURL = "127.0.0.1:0", "127.0.0.1:0", ""
		// Tests and benchmarks send thousands of requests from one address:
		// keep the limiter in the path but out of reach.
		c.HTTP.RateLimit = 1_000_000
	}
	if opts.Dir == "" {
		return nil, errors.New("devstack: Dir is required")
	}
	c.DataDir = opts.Dir
	if err := receiptDefaults(&c, opts.Dir); err != nil {
		return nil, err
	}
	if c.Auth.JWKSURL == "" && (c.Auth.KeyFile == "" || opts.Config == nil) {
		c.Auth.KeyFile = filepath.Join(opts.Dir, "auth", "signing-key.jwk")
	}
	s = &Stack{log: log}
	defer func() {
		if err != nil {
			s.Close(context.Background())
			s = nil
		}
	}()

	if c.MongoDB.URI == "" {
		if s.ferret, err = StartFerret(filepath.Join(opts.Dir, "ferretdb"), log); err != nil {
			return s, err
		}
		c.MongoDB.URI = s.ferret.URI()
	}
	if len(c.Kafka.Brokers) == 0 {
		if s.kafka, err = StartKafka(filepath.Join(opts.Dir, "kafka"), opts.KafkaPort); err != nil {
			return s, err
		}
		c.Kafka.Brokers = s.kafka.Brokers()
		c.Kafka.Partitions = 4
	}
	// Demo units get their own merchants only from the embedded sandbox,
	// which knows them; a real bKash would not.
	var ownMerchants map[string]app.MerchantCredentials
	if c.BKash.BaseURL == "" {
		addr := opts.SandboxAddr
		if addr == "" {
			addr = "127.0.0.1:0"
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			return s, fmt.Errorf("bkash sandbox: %w", err)
		}
		pub := "http://" + ln.Addr().String()
		sbDir := filepath.Join(opts.Dir, "bkash-sandbox")
		if opts.SandboxInMemory {
			sbDir = ""
		}
		// Open mode, so a unit registered with any credentials can take
		// gifts in development; the merchants it knows are checked.
		s.Sandbox, err = bkashsandbox.New(bkashsandbox.Config{DataDir: sbDir, PublicURL: pub, Logger: log})
		if err != nil {
			ln.Close()
			return s, err
		}
		for _, m := range SandboxMerchants() {
			if err := s.Sandbox.SetMerchant(m); err != nil {
				ln.Close()
				return s, err
			}
		}
		s.sandboxSrv = &http.Server{Handler: s.Sandbox.Handler(), ReadHeaderTimeout: 5 * time.Second}
		go func() { _ = s.sandboxSrv.Serve(ln) }()
		c.BKash.BaseURL = pub + "/v1.2.0-beta"
		p := PlatformMerchant()
		c.BKash.Username, c.BKash.Password, c.BKash.AppKey, c.BKash.AppSecret = p.Username, p.Password, p.AppKey, p.AppSecret
		c.BKash.ShortCode = p.ShortCode
		ownMerchants = DemoMerchants()
	}

	apiLn, err := net.Listen("tcp", c.HTTPAddr)
	if err != nil {
		return s, fmt.Errorf("api listen on %s: %w", c.HTTPAddr, err)
	}
	s.apiAddr = apiLn.Addr().String()
	if c.PublicURL == "" || strings.HasSuffix(c.PublicURL, ":0") {
		c.PublicURL = "http://" + s.apiAddr
	}
	workerLn, err := net.Listen("tcp", c.WorkerAddr)
	if err != nil {
		apiLn.Close()
		return s, fmt.Errorf("worker listen on %s: %w", c.WorkerAddr, err)
	}
	s.workerURL = "http://" + workerLn.Addr().String()
	if err := c.Validate(); err != nil {
		apiLn.Close()
		workerLn.Close()
		return s, err
	}
	s.Config = c

	if s.Store, err = mongostore.Connect(ctx, c.MongoDB.URI, c.MongoDB.Database); err != nil {
		apiLn.Close()
		workerLn.Close()
		return s, err
	}
	if s.ferret != nil {
		if err := IndexFerretIDs(ctx, filepath.Join(opts.Dir, "ferretdb"), s.Store.Database()); err != nil {
			apiLn.Close()
			workerLn.Close()
			return s, err
		}
	}
	verifier, signer, err := auth.LocalKeys(c.Auth.KeyFile, c.Auth.Issuer, c.Auth.Audience)
	if err == nil {
		err = platform.PrepareStore(ctx, s.Store, log)
	}
	if err != nil {
		apiLn.Close()
		workerLn.Close()
		return s, err
	}
	s.signer = signer
	s.API = platform.NewAPI(c, s.Store, verifier, log)
	if !opts.NoSeed {
		if err := errors.Join(Seed(ctx, s.API.Units, ownMerchants), EnsureDemoKeys(ctx, s.API.Keys)); err != nil {
			apiLn.Close()
			workerLn.Close()
			return s, err
		}
	}
	s.serveAPI(apiLn)

	wctx, cancel := context.WithCancel(context.Background())
	s.workerCancel, s.workerDone = cancel, make(chan error, 1)
	w := platform.NewWorker(c, s.Store, log)
	go func() { s.workerDone <- w.Run(wctx, workerLn) }()
	return s, nil
}

func (s *Stack) serveAPI(ln net.Listener) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	s.mu.Lock()
	s.apiCancel, s.apiDone = cancel, done
	s.mu.Unlock()
	go func() { done <- s.API.Serve(ctx, ln) }()
}

// APIURL is the API's base URL.
func (s *Stack) APIURL() string { return "http://" + s.apiAddr }

// WorkerURL is the worker's operational base URL (/livez, /readyz, /metrics).
func (s *Stack) WorkerURL() string { return s.workerURL }

// Token issues a staff token the API accepts.
func (s *Stack) Token(role, unit, sub string) (string, error) {
	return s.signer.Token(sub, auth.Role(role), unit, 12*time.Hour)
}

// NamedToken issues a staff token carrying the staff member's name.
func (s *Stack) NamedToken(role, unit, sub, name string) (string, error) {
	return s.signer.NamedToken(sub, name, auth.Role(role), unit, 12*time.Hour)
}

// StopAPI takes the HTTP API down (the workers keep running).
func (s *Stack) StopAPI(ctx context.Context) error {
	s.mu.Lock()
	cancel, done := s.apiCancel, s.apiDone
	s.apiCancel = nil
	s.mu.Unlock()
	if cancel == nil {
		return nil
	}
	cancel()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return ctx.Err()
	}
}

// StartAPI brings the API back on the same address.
//
// Reached only by tests: the operator tests take the embedded API down and bring it back.
func (s *Stack) StartAPI() error {
	ln, err := net.Listen("tcp", s.apiAddr)
	if err != nil {
		return fmt.Errorf("api relisten: %w", err)
	}
	s.serveAPI(ln)
	return nil
}

// Wait returns when the API or the workers stop with an error.
func (s *Stack) Wait(ctx context.Context) error {
	s.mu.Lock()
	apiDone := s.apiDone
	s.mu.Unlock()
	select {
	case <-ctx.Done():
		return nil
	case err := <-apiDone:
		return fmt.Errorf("api stopped: %w", err)
	case err := <-s.workerDone:
		return fmt.Errorf("workers stopped: %w", err)
	}
}

// Close stops everything, API first, stores last.
func (s *Stack) Close(ctx context.Context) error {
	var errs []error
	if s.API != nil {
		errs = append(errs, s.StopAPI(ctx))
	}
	if s.workerCancel != nil {
		s.workerCancel()
		errs = append(errs, <-s.workerDone)
	}
	if s.sandboxSrv != nil {
		errs = append(errs, s.sandboxSrv.Shutdown(ctx))
	}
	if s.Sandbox != nil {
		errs = append(errs, s.Sandbox.Close())
	}
	if s.Store != nil {
		errs = append(errs, s.Store.Close(ctx))
	}
	if s.kafka != nil {
		s.kafka.Close()
	}
	if s.ferret != nil {
		s.ferret.Close()
	}
	return errors.Join(errs...)
}

// Registrar is the part of app.Units that seeding needs.
type Registrar interface {
	RegisterWith(ctx context.Context, u *units.Unit, mc app.MerchantChange) (bool, error)
	Servable(ctx context.Context, code string) (*units.Unit, error)
}

// PlatformMerchant is the platform's default merchant at the embedded
// sandbox.
func PlatformMerchant() bkashsandbox.Credentials {
	return bkashsandbox.Credentials{Username: "kalyan-dev", Password: "sandbox-password", AppKey: "sandbox-app-key", AppSecret: "sandbox-app-secret", Name: "Kalyan",
		ShortCode: "01700000001"}
}

// DemoMerchants are the demo units' own merchants at the embedded sandbox:
// dmch has its own wallet; the others use the platform's.
func DemoMerchants() map[string]app.MerchantCredentials {
	return map[string]app.MerchantCredentials{
		"dmch": {Username: "rks-dmch", Password: "sandbox-dmch-password", AppKey: "sandbox-dmch-app-key", AppSecret: "sandbox-dmch-app-secret", ShortCode: "01700000002"},
	}
}

// SandboxMerchants are the merchants the embedded sandbox knows: the
// platform's and the demo units' own.
func SandboxMerchants() []bkashsandbox.Credentials {
	out := []bkashsandbox.Credentials{PlatformMerchant()}
	for code, m := range DemoMerchants() {
		out = append(out, bkashsandbox.Credentials{Username: m.Username, Password: m.Password, AppKey: m.AppKey, AppSecret: m.AppSecret,
			Name: strings.ToUpper(code) + " Rogi Kalyan Samiti", ShortCode: m.ShortCode})
	}
	return out
}

// DemoUnits are registered by the embedded default: a medical college
// hospital, a district hospital and an upazila health complex.
func DemoUnits() []units.Unit {
	mk := func(code, en, bn string, lvl units.Level, div, dist, upz string) units.Unit {
		return units.Unit{Code: code, Names: units.Names{EN: en, BN: bn}, Level: lvl, Division: div, District: dist, Upazila: upz, Policy: units.DefaultPolicy()}
	}
	return []units.Unit{
		mk("dmch", "Dhaka Medical College Hospital", "ঢাকা মেডিকেল কলেজ হাসপাতাল", units.MedicalCollege, "Dhaka", "Dhaka", ""),
		mk("dh-cumilla", "Cumilla General Hospital", "কুমিল্লা জেনারেল হাসপাতাল", units.District, "Chattagram", "Cumilla", ""),
		mk("uhc-debidwar", "Debidwar Upazila Health Complex", "দেবিদ্বার উপজেলা স্বাস্থ্য কমপ্লেক্স", units.Upazila, "Chattagram", "Cumilla", "Debidwar"),
	}
}

// Seed registers the demo units that are not registered yet, with their
// own merchants from own (by unit code; the rest use the platform's).
func Seed(ctx context.Context, r Registrar, own map[string]app.MerchantCredentials) error {
	for _, u := range DemoUnits() {
		_, err := r.Servable(ctx, u.Code)
		if err == nil || errors.Is(err, units.ErrArchived) {
			continue
		}
		if !errors.Is(err, units.ErrNotFound) {
			return err
		}
		var mc app.MerchantChange
		if m, ok := own[u.Code]; ok {
			mc.Set = &m
		}
		if _, err := r.RegisterWith(ctx, &u, mc); err != nil {
			return fmt.Errorf("seed %s: %w", u.Code, err)
		}
	}
	return nil
}
