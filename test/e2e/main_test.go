//go:build e2e

package e2e

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sync/errgroup"
)

// merchant is the platform's bKash merchant at the sandbox (open mode: any
// credentials are accepted and the username names the merchant).
const merchant = "kalyan-e2e"

// sys is the running system under test.
var sys *system

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	root, err := os.MkdirTemp("", "kalyan-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	// PostgreSQL runs as its own user when we are root: it must reach its dir.
	if err := os.Chmod(root, 0o755); err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		return 1
	}
	flag.Parse()
	s := &system{root: root, tokens: map[string]string{}}
	// A hang until go test's -timeout would end in a panic that runs no
	// cleanup: print the processes' logs shortly before that. (The children
	// die with the test binary through their parent-death signal.)
	if f := flag.Lookup("test.timeout"); f != nil {
		if d, err := time.ParseDuration(f.Value.String()); err == nil && d > time.Minute {
			watchdog := time.AfterFunc(d-30*time.Second, func() {
				fmt.Fprintln(os.Stderr, "e2e: about to time out; logs of every process follow")
				s.printTails(os.Stderr)
			})
			defer watchdog.Stop()
		}
	}
	// Bounds a hang while installing and starting; the first run on a fresh
	// machine builds FerretDB and fetches Kafka.
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	start := time.Now()
	code := 0
	if err := s.start(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: start:", err)
		code = 1
	} else {
		fmt.Printf("e2e: system up in %s (logs in %s)\n", time.Since(start).Round(time.Millisecond), s.logs)
		sys = s
		code = m.Run()
	}
	if code != 0 {
		s.printTails(os.Stderr)
	}
	if err := s.stopAll(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: stop:", err)
		code = 1
	}
	if code == 0 {
		os.RemoveAll(root)
	} else {
		fmt.Fprintln(os.Stderr, "e2e: state and logs kept in", root)
	}
	return code
}

// system is every process of the suite, in start order.
type system struct {
	root, repo, bin, logs string

	pgPort, ferretPort, kafkaPort, sandboxPort, apiPort int
	workerPorts                                         [2]int

	postgres, ferret, kafka, sandbox, api *proc
	workers                               [2]*proc
	kalyanEnv                             []string

	mu     sync.Mutex
	tokens map[string]string
}

func (s *system) procs() []*proc {
	return []*proc{s.postgres, s.ferret, s.kafka, s.sandbox, s.api, s.workers[0], s.workers[1]}
}

func (s *system) start(ctx context.Context) error {
	var err error
	if s.repo, err = filepath.Abs("../.."); err != nil {
		return err
	}
	if _, err := os.Stat(filepath.Join(s.repo, "go.mod")); err != nil {
		return fmt.Errorf("repository root not found from %s: %w", s.repo, err)
	}
	s.bin, s.logs = filepath.Join(s.root, "bin"), filepath.Join(s.root, "logs")
	if err := os.MkdirAll(s.logs, 0o755); err != nil {
		return err
	}
	for _, p := range []*int{&s.pgPort, &s.ferretPort, &s.kafkaPort, &s.sandboxPort, &s.apiPort, &s.workerPorts[0], &s.workerPorts[1]} {
		if *p, err = freePort(); err != nil {
			return err
		}
	}
	kafkaCtl, err := freePort()
	if err != nil {
		return err
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
	if err := g.Wait(); err != nil {
		return err
	}

	// PostgreSQL and Kafka start in parallel; FerretDB needs PostgreSQL.
	s.postgres = &proc{name: "postgres", log: s.logPath("postgres"), stopSignal: syscall.SIGINT,
		args: []string{filepath.Join(s.repo, "hack/postgres.sh"), "run", filepath.Join(s.root, "postgres"), strconv.Itoa(s.pgPort)}}
	s.kafka = &proc{name: "kafka", log: s.logPath("kafka"),
		args: []string{filepath.Join(s.repo, "hack/kafka.sh"), "run", filepath.Join(s.root, "kafka"), strconv.Itoa(s.kafkaPort), strconv.Itoa(kafkaCtl)}}
	s.sandbox = &proc{name: "bkash-sandbox", log: s.logPath("bkash-sandbox"),
		args: []string{filepath.Join(s.bin, "bkash-sandbox"), "--addr", s.addr(s.sandboxPort),
			"--data-dir", filepath.Join(s.root, "bkash-sandbox"), "--public-url", s.sandboxURL()}}
	for _, p := range []*proc{s.postgres, s.kafka, s.sandbox} {
		if err := p.start(); err != nil {
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
	s.ferret = &proc{name: "ferretdb", log: s.logPath("ferretdb"),
		args: []string{filepath.Join(s.repo, "hack/ferretdb.sh"), "run", filepath.Join(s.root, "ferretdb"), strconv.Itoa(s.ferretPort),
			fmt.Sprintf("postgres://postgres@127.0.0.1:%d/ferretdb", s.pgPort)},
		// At warn it logs every error reply, expected ones included.
		env: []string{"FERRETDB_LOG_LEVEL=error"}}
	if err := s.ferret.start(); err != nil {
		return err
	}
	if err := waitFor(ctx, s.ferret, "ferretdb port", portOpen(s.ferretPort)); err != nil {
		return err
	}
	if err := waitFor(ctx, s.kafka, "kafka port", portOpen(s.kafkaPort)); err != nil {
		return err
	}
	if err := waitFor(ctx, s.sandbox, "bkash sandbox", httpOK(s.sandboxURL()+"/sandbox/stats")); err != nil {
		return err
	}

	seal := make([]byte, 32)
	if _, err := rand.Read(seal); err != nil {
		return err
	}
	s.kalyanEnv = []string{
		"KALYAN_MONGODB_URI=" + s.mongoURI(),
		"KALYAN_MONGODB_DATABASE=kalyan",
		"KALYAN_KAFKA_BROKERS=" + s.addr(s.kafkaPort),
		"KALYAN_KAFKA_PARTITIONS=6",
		"KALYAN_BKASH_BASE_URL=" + s.sandboxURL() + "/v1.2.0-beta",
		"KALYAN_BKASH_USERNAME=" + merchant,
		"KALYAN_BKASH_PASSWORD=e2e-password",
		"KALYAN_BKASH_APP_KEY=e2e-app-key",
		"KALYAN_BKASH_APP_SECRET=e2e-app-secret",
		"KALYAN_BKASH_TIMEOUT=10s",
		"KALYAN_AUTH_KEY_FILE=" + filepath.Join(s.root, "auth", "signing-key.jwk"),
		"KALYAN_SEAL_KEY=" + base64.StdEncoding.EncodeToString(seal),
		"KALYAN_HTTP_ADDR=" + s.addr(s.apiPort),
		"KALYAN_PUBLIC_URL=" + s.apiURL(),
		"KALYAN_LOG_LEVEL=info",
		// Reconcile closed tabs quickly so a test can watch it happen.
		"KALYAN_RECONCILE_INTERVAL=500ms",
		"KALYAN_RECONCILE_AFTER=3s",
		"KALYAN_RECONCILE_EXPIRE=1h",
	}
	// Creates the signing key the API then verifies with.
	if _, err := s.token(ctx, "platform_admin", ""); err != nil {
		return err
	}
	s.api = &proc{name: "kalyan-api", log: s.logPath("kalyan-api"), args: []string{filepath.Join(s.bin, "api")},
		env: append(s.envFor("api"), "KALYAN_WORKER_ADDR="+s.addr(0))}
	if err := s.api.start(); err != nil {
		return err
	}
	for i := range s.workers {
		s.workers[i] = &proc{name: fmt.Sprintf("kalyan-worker-%d", i+1), log: s.logPath(fmt.Sprintf("kalyan-worker-%d", i+1)),
			args: []string{filepath.Join(s.bin, "worker")},
			env:  append(s.envFor(fmt.Sprintf("worker-%d", i+1)), "KALYAN_WORKER_ADDR="+s.addr(s.workerPorts[i]))}
		if err := s.workers[i].start(); err != nil {
			return err
		}
	}
	if err := waitFor(ctx, s.api, "kalyan-api /readyz", httpOK(s.apiURL()+"/readyz")); err != nil {
		return err
	}
	for i, w := range s.workers {
		if err := waitFor(ctx, w, w.name+" /readyz", httpOK(s.workerURL(i)+"/readyz")); err != nil {
			return err
		}
	}
	return nil
}

// envFor is the shared configuration plus a data directory of the
// process's own (notifications file, nothing else in production mode).
func (s *system) envFor(name string) []string {
	return append(append([]string(nil), s.kalyanEnv...), "KALYAN_DATA_DIR="+filepath.Join(s.root, name))
}

func (s *system) build(ctx context.Context) error {
	cmd := exec.CommandContext(ctx, "go", "build", "-o", s.bin+string(filepath.Separator),
		"./api", "./worker", "./internal/bkashsandbox/cmd/bkash-sandbox")
	cmd.Dir = s.repo
	cmd.Env = append(baseEnv(), "CGO_ENABLED=0")
	out, err := cmd.CombinedOutput()
	if err != nil {
		return fmt.Errorf("go build: %w\n%s", err, out)
	}
	return nil
}

// restartWorker starts worker i again after a kill.
func (s *system) restartWorker(ctx context.Context, i int) error {
	w := s.workers[i]
	if w.running() {
		return fmt.Errorf("%s is still running", w.name)
	}
	if err := w.start(); err != nil {
		return err
	}
	return waitFor(ctx, w, w.name+" /readyz", httpOK(s.workerURL(i)+"/readyz"))
}

// token returns a staff token printed by `kalyan-api token`, signed with the
// key file the API verifies with.
func (s *system) token(ctx context.Context, role, unit string) (string, error) {
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

// verify runs `kalyan-worker verify` against the store and the sandbox's
// settlement and returns its output and exit code.
func (s *system) verify(ctx context.Context) (string, int, error) {
	cmd := exec.CommandContext(ctx, filepath.Join(s.bin, "worker"), "verify", "--sandbox-url", s.sandboxURL(), "--merchant", merchant)
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
func (s *system) stopAll() error {
	var errs []error
	stop := func(p *proc, grace time.Duration) {
		if p != nil {
			errs = append(errs, p.stop(grace))
		}
	}
	stop(s.api, 15*time.Second)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for _, w := range s.workers {
		if w == nil {
			continue
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := w.stop(15 * time.Second)
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

func (s *system) printTails(w *os.File) {
	for _, p := range s.procs() {
		if p == nil {
			continue
		}
		fmt.Fprintf(w, "\n----- last lines of %s (%s) -----\n%s\n", p.name, p.log, p.tail(40))
	}
	if _, err := os.Stat(s.logPath("install")); err == nil {
		fmt.Fprintf(w, "\n----- last lines of install -----\n%s\n", tailFile(s.logPath("install"), 20))
	}
}

func (s *system) logPath(name string) string { return filepath.Join(s.logs, name+".log") }
func (s *system) addr(port int) string       { return "127.0.0.1:" + strconv.Itoa(port) }
func (s *system) apiURL() string             { return "http://" + s.addr(s.apiPort) }
func (s *system) sandboxURL() string         { return "http://" + s.addr(s.sandboxPort) }
func (s *system) workerURL(i int) string     { return "http://" + s.addr(s.workerPorts[i]) }
func (s *system) mongoURI() string           { return fmt.Sprintf("mongodb://127.0.0.1:%d/", s.ferretPort) }

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
