package harness

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// Merchant is the platform's bKash merchant at the sandbox (open mode: any
// credentials are accepted and the username names the merchant).
const Merchant = "kalyan-e2e"

// Options shape the system a suite starts.
type Options struct {
	// Workers is how many kalyan-worker replicas run (default 2).
	Workers int
	// Env is appended to every Kalyan process's settings: a later entry
	// overrides an earlier one, so a suite may change the defaults.
	Env []string
	// SandboxEnv is the bKash sandbox's extra environment
	// (BKASH_SANDBOX_FAULT_HOLD, BKASH_SANDBOX_PAYMENT_TTL, …).
	SandboxEnv []string
	// Operator adds a real kube-apiserver and etcd (envtest, from
	// KUBEBUILDER_ASSETS or hack/envtest-assets.sh) and kalyan-operator
	// registering HospitalUnits with the API.
	Operator bool
}

// System is every process of a suite, in start order.
type System struct {
	root, repo, bin, logs string
	opts                  Options

	pgPort, ferretPort, kafkaPort, kafkaCtl, sandboxPort, apiPort int
	workerPorts                                                   []int

	postgres, ferret, kafka, sandbox, api *Proc
	// Workers are the kalyan-worker replicas.
	Workers   []*Proc
	kalyanEnv []string

	// Kube is the operator's cluster when Options.Operator is set.
	Kube *Kube

	mu     sync.Mutex
	tokens map[string]string
}

// Main is a suite's TestMain: it starts the system, hands it to set, runs
// the tests, prints every process's log tail on failure and stops
// everything. State and logs are kept when anything failed.
func Main(m *testing.M, opts Options, set func(*System)) int {
	root, err := os.MkdirTemp("", "kalyan-system-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		return 1
	}
	// PostgreSQL runs as its own user when we are root: it must reach its dir.
	if err := os.Chmod(root, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "harness:", err)
		return 1
	}
	flag.Parse()
	s := &System{root: root, opts: opts, tokens: map[string]string{}}
	if s.opts.Workers <= 0 {
		s.opts.Workers = 2
	}
	// A hang until go test's -timeout would end in a panic that runs no
	// cleanup: print the processes' logs shortly before that. (The children
	// die with the test binary through their parent-death signal.)
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > time.Minute {
			watchdog := time.AfterFunc(d-30*time.Second, func() {
				fmt.Fprintln(os.Stderr, "harness: about to time out; logs of every process follow")
				s.PrintTails(os.Stderr)
				// envtest's etcd and kube-apiserver would outlive the panic.
				if s.Kube != nil {
					_ = s.Kube.stop()
				}
			})
			defer watchdog.Stop()
		}
	}
	// Interrupted (^C, a CI runner's SIGTERM): stop everything first.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	defer signal.Stop(sigs)
	done := make(chan struct{})
	defer close(done)
	go func() {
		var sig os.Signal
		select {
		case <-done:
			return
		case sig = <-sigs:
		}
		fmt.Fprintf(os.Stderr, "harness: %s: stopping every process (state and logs kept in %s)\n", sig, root)
		if err := s.stopAll(); err != nil {
			fmt.Fprintln(os.Stderr, "harness: stop:", err)
		}
		os.Exit(1)
	}()
	// Bounds a hang while installing and starting; the first run on a fresh
	// machine builds FerretDB and fetches Kafka.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()
	code := 0
	if err := s.start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "harness: start:", err)
		code = 1
	} else {
		fmt.Printf("harness: system up in %s (logs in %s)\n", time.Since(start).Round(time.Millisecond), s.logs)
		set(s)
		code = m.Run()
	}
	if code != 0 {
		s.PrintTails(os.Stderr)
	}
	if err := s.stopAll(); err != nil {
		fmt.Fprintln(os.Stderr, "harness: stop:", err)
		code = 1
	}
	if code == 0 {
		os.RemoveAll(root)
	} else {
		fmt.Fprintln(os.Stderr, "harness: state and logs kept in", root)
	}
	return code
}

func (s *System) procs() []*Proc {
	ps := []*Proc{s.postgres, s.ferret, s.kafka, s.sandbox, s.api}
	ps = append(ps, s.Workers...)
	if s.Kube != nil {
		ps = append(ps, s.Kube.Operator)
	}
	return ps
}

func (s *System) start(ctx context.Context) error {
	var err error
	if s.repo, err = repoRoot(); err != nil {
		return err
	}
	s.bin, s.logs = filepath.Join(s.root, "bin"), filepath.Join(s.root, "logs")
	if err := os.MkdirAll(s.logs, 0o755); err != nil {
		return err
	}
	s.workerPorts = make([]int, s.opts.Workers)
	ports := []*int{&s.pgPort, &s.ferretPort, &s.kafkaPort, &s.kafkaCtl, &s.sandboxPort, &s.apiPort}
	for i := range s.workerPorts {
		ports = append(ports, &s.workerPorts[i])
	}
	for _, p := range ports {
		if *p, err = freePort(); err != nil {
			return err
		}
	}

	// Build the binaries while the services are installed (both cached
	// after the first run).
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { return s.build(gctx) })
	g.Go(func() error {
		_, err := script(gctx, s.repo, s.logPath("install"), "hack/kafka.sh", "fetch")
		return err
	})
	g.Go(func() error {
		_, err := script(gctx, s.repo, s.logPath("install"), "hack/ferretdb.sh", "install")
		return err
	})
	g.Go(func() error {
		_, err := script(gctx, s.repo, s.logPath("install"), "hack/postgres.sh", "install")
		return err
	})
	var assets string
	if s.opts.Operator {
		g.Go(func() error {
			assets = os.Getenv("KUBEBUILDER_ASSETS")
			if assets != "" {
				return nil
			}
			var err error
			assets, err = script(gctx, s.repo, s.logPath("install"), "hack/envtest-assets.sh")
			return err
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}

	// PostgreSQL and Kafka start in parallel; FerretDB needs PostgreSQL.
	s.postgres = &Proc{Name: "postgres", Log: s.logPath("postgres"), stopSignal: syscall.SIGINT,
		args: []string{filepath.Join(s.repo, "hack/postgres.sh"), "run", filepath.Join(s.root, "postgres"), strconv.Itoa(s.pgPort)}}
	s.kafka = &Proc{Name: "kafka", Log: s.logPath("kafka"),
		args: []string{filepath.Join(s.repo, "hack/kafka.sh"), "run", filepath.Join(s.root, "kafka"), strconv.Itoa(s.kafkaPort), strconv.Itoa(s.kafkaCtl)}}
	s.sandbox = &Proc{Name: "bkash-sandbox", Log: s.logPath("bkash-sandbox"),
		args: []string{filepath.Join(s.bin, "bkash-sandbox"), "--addr", s.addr(s.sandboxPort),
			"--data-dir", filepath.Join(s.root, "bkash-sandbox"), "--public-url", s.SandboxURL()},
		env: s.opts.SandboxEnv}
	for _, p := range []*Proc{s.postgres, s.kafka, s.sandbox} {
		if err := p.Start(); err != nil {
			return err
		}
	}
	if err := waitFor(ctx, s.postgres, "postgres port", portOpen(s.pgPort)); err != nil {
		return err
	}
	// The port opens before the server accepts queries; createdb retries.
	if err := retry(ctx, func() error {
		_, err := script(ctx, s.repo, s.logPath("postgres-createdb"), "hack/postgres.sh", "createdb", strconv.Itoa(s.pgPort), "ferretdb")
		return err
	}); err != nil {
		return err
	}
	s.ferret = &Proc{Name: "ferretdb", Log: s.logPath("ferretdb"),
		args: []string{filepath.Join(s.repo, "hack/ferretdb.sh"), "run", filepath.Join(s.root, "ferretdb"), strconv.Itoa(s.ferretPort),
			fmt.Sprintf("postgres://postgres@127.0.0.1:%d/ferretdb", s.pgPort)},
		// At warn it logs every error reply, expected ones included.
		env: []string{"FERRETDB_LOG_LEVEL=error"}}
	if err := s.ferret.Start(); err != nil {
		return err
	}
	if err := waitFor(ctx, s.ferret, "ferretdb port", portOpen(s.ferretPort)); err != nil {
		return err
	}
	if err := waitFor(ctx, s.kafka, "kafka port", portOpen(s.kafkaPort)); err != nil {
		return err
	}
	if err := waitFor(ctx, s.sandbox, "bkash sandbox", httpOK(s.SandboxURL()+"/sandbox/stats")); err != nil {
		return err
	}

	seal := make([]byte, 32)
	if _, err := rand.Read(seal); err != nil {
		return err
	}
	s.kalyanEnv = append([]string{
		"KALYAN_MONGODB_URI=" + s.MongoURI(),
		"KALYAN_MONGODB_DATABASE=" + Database,
		"KALYAN_KAFKA_BROKERS=" + s.addr(s.kafkaPort),
		"KALYAN_KAFKA_PARTITIONS=6",
		"KALYAN_BKASH_BASE_URL=" + s.SandboxURL() + "/v1.2.0-beta",
		"KALYAN_BKASH_USERNAME=" + Merchant,
		"KALYAN_BKASH_PASSWORD=e2e-password",
		"KALYAN_BKASH_APP_KEY=e2e-app-key",
		"KALYAN_BKASH_APP_SECRET=e2e-app-secret",
		"KALYAN_BKASH_TIMEOUT=10s",
		"KALYAN_AUTH_KEY_FILE=" + filepath.Join(s.root, "auth", "signing-key.jwk"),
		"KALYAN_SEAL_KEY=" + base64.StdEncoding.EncodeToString(seal),
		"KALYAN_HTTP_ADDR=" + s.addr(s.apiPort),
		"KALYAN_PUBLIC_URL=" + s.APIURL(),
		"KALYAN_LOG_LEVEL=info",
		// Reconcile closed tabs quickly so a test can watch it happen.
		"KALYAN_RECONCILE_INTERVAL=500ms",
		"KALYAN_RECONCILE_AFTER=3s",
		"KALYAN_RECONCILE_EXPIRE=1h",
	}, s.opts.Env...)
	// Creates the signing key the API then verifies with.
	if _, err := s.Token(ctx, "platform_admin", ""); err != nil {
		return err
	}
	s.api = &Proc{Name: "kalyan-api", Log: s.logPath("kalyan-api"), args: []string{filepath.Join(s.bin, "api")},
		env: append(s.envFor("api"), "KALYAN_WORKER_ADDR="+s.addr(0))}
	if err := s.api.Start(); err != nil {
		return err
	}
	s.Workers = make([]*Proc, s.opts.Workers)
	for i := range s.Workers {
		s.Workers[i] = &Proc{Name: fmt.Sprintf("kalyan-worker-%d", i+1), Log: s.logPath(fmt.Sprintf("kalyan-worker-%d", i+1)),
			args: []string{filepath.Join(s.bin, "worker")},
			env:  append(s.envFor(fmt.Sprintf("worker-%d", i+1)), "KALYAN_WORKER_ADDR="+s.addr(s.workerPorts[i]))}
		if err := s.Workers[i].Start(); err != nil {
			return err
		}
	}
	if err := waitFor(ctx, s.api, "kalyan-api /readyz", httpOK(s.APIURL()+"/readyz")); err != nil {
		return err
	}
	for i, w := range s.Workers {
		if err := waitFor(ctx, w, w.Name+" /readyz", httpOK(s.WorkerURL(i)+"/readyz")); err != nil {
			return err
		}
	}
	if s.opts.Operator {
		if err := s.startKube(ctx, assets); err != nil {
			return err
		}
	}
	return nil
}

// Database is the Kalyan database's name in FerretDB.
const Database = "kalyan"

// envFor is the shared configuration plus a data directory of the
// process's own (notifications file, nothing else in production mode).
func (s *System) envFor(name string) []string {
	return append(append([]string(nil), s.kalyanEnv...), "KALYAN_DATA_DIR="+filepath.Join(s.root, name))
}

func (s *System) build(ctx context.Context) error {
	pkgs := []string{"./api", "./worker", "./internal/bkashsandbox/cmd/bkash-sandbox"}
	if s.opts.Operator {
		pkgs = append(pkgs, "./operator")
	}
	cmd := exec.CommandContext(ctx, "go", append([]string{"build", "-o", s.bin + string(filepath.Separator)}, pkgs...)...)
	cmd.Dir = s.repo
	cmd.Env = append(baseEnv(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// RestartWorker starts worker i again after a kill and waits until it is
// ready. A worker that exits while starting (it cannot reach Kafka while
// the broker restarts) is started again a second later, as a supervisor
// (kubelet, systemd) would.
func (s *System) RestartWorker(ctx context.Context, i int) error {
	w := s.Workers[i]
	if w.Running() {
		return fmt.Errorf("%s is still running", w.Name)
	}
	for {
		if err := w.Start(); err != nil {
			return err
		}
		err := waitFor(ctx, w, w.Name+" /readyz", httpOK(s.WorkerURL(i)+"/readyz"))
		if err == nil || w.Running() {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(time.Second):
		}
	}
}

// RestartKafka SIGKILLs the broker and starts it again on the same log
// directory and ports, waiting until it listens.
func (s *System) RestartKafka(ctx context.Context) error {
	s.kafka.Kill()
	if err := s.kafka.Start(); err != nil {
		return err
	}
	return waitFor(ctx, s.kafka, "kafka port", portOpen(s.kafkaPort))
}

// RestartFerretDB SIGKILLs FerretDB and starts it again on the same port
// (its state lives in PostgreSQL, which keeps running).
func (s *System) RestartFerretDB(ctx context.Context) error {
	s.ferret.Kill()
	if err := s.ferret.Start(); err != nil {
		return err
	}
	return waitFor(ctx, s.ferret, "ferretdb port", portOpen(s.ferretPort))
}

// Alive reports the first process that should be running but is not.
func (s *System) Alive() error {
	for _, p := range s.procs() {
		if p == nil {
			continue
		}
		if err := p.Exited(); err != nil {
			return err
		}
	}
	return nil
}

// Token returns a staff token printed by `kalyan-api token`, signed with the
// key file the API verifies with.
func (s *System) Token(ctx context.Context, role, unit string) (string, error) {
	key := role + "/" + unit
	s.mu.Lock()
	defer s.mu.Unlock()
	if t, ok := s.tokens[key]; ok {
		return t, nil
	}
	args := []string{"token", "--role", role, "--sub", "e2e-" + role}
	if unit != "" {
		args = append(args, "--unit", unit)
	}
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "api"), args...)
	cmd.Env = append(baseEnv(), s.envFor("token")...)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("kalyan-api token: %w: %s", err, stderr.String())
	}
	t := strings.TrimSpace(string(out))
	s.tokens[key] = t
	return t, nil
}

// Verify runs `kalyan-worker verify` against the store and the sandbox's
// settlement and returns its output and exit code.
func (s *System) Verify(ctx context.Context) (string, int, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "worker"), "verify", "--sandbox-url", s.SandboxURL(), "--merchant", Merchant)
	cmd.Env = append(baseEnv(), s.envFor("verify")...)
	out, err := cmd.CombinedOutput()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return string(out), ee.ExitCode(), nil
	}
	if err != nil {
		return string(out), -1, err
	}
	return string(out), 0, nil
}

// stopAll stops every process, the API first and the stores last, and
// reports any that would not stop or left processes behind.
func (s *System) stopAll() error {
	var errs []error
	stop := func(p *Proc, grace time.Duration) {
		if p != nil {
			errs = append(errs, p.Stop(grace))
		}
	}
	if s.Kube != nil {
		errs = append(errs, s.Kube.stop())
	}
	stop(s.api, 15*time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, w := range s.Workers {
		if w == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := w.Stop(15 * time.Second)
			mu.Lock()
			errs = append(errs, err)
			mu.Unlock()
		}()
	}
	wg.Wait()
	stop(s.sandbox, 15*time.Second)
	stop(s.kafka, 30*time.Second)
	stop(s.ferret, 10*time.Second)
	stop(s.postgres, 30*time.Second)
	return errors.Join(errs...)
}

// PrintTails writes the last lines of every process's log to w.
func (s *System) PrintTails(w *os.File) {
	for _, p := range s.procs() {
		if p == nil {
			continue
		}
		fmt.Fprintf(w, "\n----- last lines of %s (%s) -----\n%s\n", p.Name, p.Log, p.Tail(40))
	}
	if _, err := os.Stat(s.logPath("install")); err == nil {
		fmt.Fprintf(w, "\n----- last lines of install -----\n%s\n", tailFile(s.logPath("install"), 20))
	}
}

func (s *System) logPath(name string) string { return filepath.Join(s.logs, name+".log") }
func (s *System) addr(port int) string       { return "127.0.0.1:" + strconv.Itoa(port) }

// Logs is the directory of every process's log.
func (s *System) Logs() string { return s.logs }

// APIURL is kalyan-api's base URL.
func (s *System) APIURL() string { return "http://" + s.addr(s.apiPort) }

// SandboxURL is the bKash sandbox's base URL.
func (s *System) SandboxURL() string { return "http://" + s.addr(s.sandboxPort) }

// WorkerURL is worker i's health and metrics address.
func (s *System) WorkerURL(i int) string { return "http://" + s.addr(s.workerPorts[i]) }

// MongoURI is FerretDB's MongoDB URI.
func (s *System) MongoURI() string { return fmt.Sprintf("mongodb://127.0.0.1:%d/", s.ferretPort) }

// repoRoot finds the module root from the working directory (a test runs
// in its package's directory somewhere below it).
func repoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("repository root (go.mod) not found above the working directory")
		}
		dir = parent
	}
}

// retry calls f until it succeeds or ctx ends, keeping the last error.
func retry(ctx context.Context, f func() error) error {
	for {
		err := f()
		if err == nil {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w (last error: %w)", ctx.Err(), err)
		case <-time.After(200 * time.Millisecond):
		}
	}
}
