package bench

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"

	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
)

// sandboxChildEnv makes this test binary serve the bKash sandbox instead of
// running benchmarks.
const sandboxChildEnv = "KALYAN_BENCH_SANDBOX_CHILD"

// serveSandboxChild serves an in-memory sandbox on a free loopback port,
// prints its URL, and serves until its standard input closes (the parent
// stopped or died), so it never outlives the benchmark.
func serveSandboxChild() error {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	url := "http://" + ln.Addr().String()
	sb, err := bkashsandbox.New(bkashsandbox.Config{PublicURL: url})
	if err != nil {
		return err
	}
	defer sb.Close()
	srv := &http.Server{Handler: sb.Handler(), ReadHeaderTimeout: 5 * time.Second}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	fmt.Println(url)
	_, _ = io.Copy(io.Discard, os.Stdin)
	_ = srv.Close()
	if err := <-done; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// sandboxProcess is the sandbox running in a child process.
type sandboxProcess struct {
	URL   string
	cmd   *exec.Cmd
	stdin io.Closer
}

func startSandboxProcess() (*sandboxProcess, error) {
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), sandboxChildEnv+"=1")
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start sandbox process: %w", err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		_ = stdin.Close()
		_ = cmd.Wait()
		return nil, fmt.Errorf("sandbox process gave no address: %w", err)
	}
	return &sandboxProcess{URL: strings.TrimSpace(line), cmd: cmd, stdin: stdin}, nil
}

// Stop closes the child's input and waits for it to exit.
func (p *sandboxProcess) Stop() {
	_ = p.stdin.Close()
	_ = p.cmd.Wait()
}

// CPU is the CPU time the child has used so far (Linux /proc, 100 Hz ticks).
func (p *sandboxProcess) CPU() time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", p.cmd.Process.Pid))
	if err != nil {
		return 0
	}
	// Fields after the parenthesised command name; utime and stime are the
	// 14th and 15th fields of the whole line.
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
	if len(f) < 13 {
		return 0
	}
	ut, _ := strconv.ParseInt(f[11], 10, 64)
	st, _ := strconv.ParseInt(f[12], 10, 64)
	return time.Duration(ut+st) * 10 * time.Millisecond
}
