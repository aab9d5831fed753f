package harness

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

// Proc is one service running as its own OS process in its own process
// group, with stdout and stderr appended to a log file.
type Proc struct {
	Name string
	// Log is the file stdout and stderr are appended to.
	Log  string
	args []string
	env  []string
	// stopSignal asks for a graceful stop (SIGTERM unless set; PostgreSQL
	// wants SIGINT, its "fast" shutdown).
	stopSignal syscall.Signal

	cmd  *exec.Cmd
	done chan struct{}
	err  error
}

// Start launches the process. The parent-death signal kills it should the
// test binary itself die (a timeout panic), so nothing outlives the suite.
func (p *Proc) Start() error {
	f, err := os.OpenFile(p.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return fmt.Errorf("%s log: %w", p.Name, err)
	}
	fmt.Fprintf(f, "=== %s start: %s\n", time.Now().Format(time.RFC3339Nano), strings.Join(p.args, " "))
	cmd := exec.Command(p.args[0], p.args[1:]...)
	cmd.Env = append(baseEnv(), p.env...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		f.Close()
		return fmt.Errorf("start %s: %w", p.Name, err)
	}
	p.cmd, p.done, p.err = cmd, make(chan struct{}), nil
	go func() {
		p.err = cmd.Wait()
		f.Close()
		close(p.done)
	}()
	return nil
}

// baseEnv is the test's environment without KALYAN_* settings, so a
// developer's own configuration cannot leak into the processes.
func baseEnv() []string {
	var out []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "KALYAN_") {
			out = append(out, kv)
		}
	}
	return out
}

func (p *Proc) Running() bool {
	if p.cmd == nil {
		return false
	}
	select {
	case <-p.done:
		return false
	default:
		return true
	}
}

// Exited describes how a process that should be running ended.
func (p *Proc) Exited() error {
	if p.Running() {
		return nil
	}
	return fmt.Errorf("%s exited: %v (log %s)", p.Name, p.err, p.Log)
}

// Kill SIGKILLs the whole process group and waits for the leader.
func (p *Proc) Kill() {
	if !p.Running() {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
	<-p.done
}

// Stop asks the group to stop, SIGKILLs it after grace, and reports any
// member still alive afterwards (an orphan).
func (p *Proc) Stop(grace time.Duration) error {
	if p.cmd == nil {
		return nil
	}
	pgid := p.cmd.Process.Pid
	if p.Running() {
		sig := p.stopSignal
		if sig == 0 {
			sig = syscall.SIGTERM
		}
		_ = syscall.Kill(-pgid, sig)
		select {
		case <-p.done:
		case <-time.After(grace):
			_ = syscall.Kill(-pgid, syscall.SIGKILL)
			<-p.done
		}
	}
	// Children of the leader (PostgreSQL's backends) may linger briefly
	// after it is gone; give them a moment, then make sure.
	for range 50 {
		if len(groupMembers(pgid)) == 0 {
			return nil
		}
		time.Sleep(100 * time.Millisecond)
	}
	left := groupMembers(pgid)
	_ = syscall.Kill(-pgid, syscall.SIGKILL)
	return fmt.Errorf("%s: processes %v of group %d were still alive after stop", p.Name, left, pgid)
}

// groupMembers lists the live (non-zombie) processes of group pgid.
func groupMembers(pgid int) []int {
	entries, err := os.ReadDir("/proc")
	if err != nil {
		return nil
	}
	var out []int
	for _, e := range entries {
		pid, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		b, err := os.ReadFile(filepath.Join("/proc", e.Name(), "stat"))
		if err != nil {
			continue
		}
		// pid (comm) state ppid pgrp …; comm may contain spaces and parentheses.
		i := bytes.LastIndexByte(b, ')')
		if i < 0 {
			continue
		}
		f := strings.Fields(string(b[i+1:]))
		if len(f) < 3 || f[0] == "Z" || f[0] == "X" {
			continue
		}
		if g, _ := strconv.Atoi(f[2]); g == pgid {
			out = append(out, pid)
		}
	}
	return out
}

// Tail returns the last n lines of the process's log.
func (p *Proc) Tail(n int) string {
	return tailFile(p.Log, n)
}

func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return err.Error()
	}
	defer f.Close()
	var lines []string
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	for sc.Scan() {
		lines = append(lines, sc.Text())
		if len(lines) > n {
			lines = lines[1:]
		}
	}
	return strings.Join(lines, "\n")
}

// freePort finds an unused loopback port below the kernel's ephemeral range.
// A port the kernel hands out for ":0" is in that range, where every
// outgoing connection on the machine also takes its local port: between
// the probe and the service's own bind, one of them may take it ("address
// already in use"). Below the range only another listener can.
func freePort() (int, error) {
	handedOut.Lock()
	defer handedOut.Unlock()
	lo, hi := 20000, ephemeralLow()
	if hi-lo < 1000 {
		lo = 1024
	}
	for attempt := 0; attempt < 200; attempt++ {
		port := lo + rand.IntN(hi-lo)
		if handedOut.ports[port] {
			continue
		}
		ln, err := net.Listen("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		if err != nil {
			continue
		}
		ln.Close()
		handedOut.ports[port] = true
		return port, nil
	}
	return 0, fmt.Errorf("no unused port in [%d, %d) after 200 tries", lo, hi)
}

// ephemeralLow is the first port of the kernel's ephemeral range.
func ephemeralLow() int {
	b, err := os.ReadFile("/proc/sys/net/ipv4/ip_local_port_range")
	if err != nil {
		return 32768
	}
	f := strings.Fields(string(b))
	if len(f) == 0 {
		return 32768
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 1024 {
		return 32768
	}
	return n
}

// handedOut is the set of ports freePort gave out in this test process.
var handedOut = struct {
	sync.Mutex
	ports map[int]bool
}{ports: map[int]bool{}}

// waitFor polls ok until it holds, the process dies or ctx ends (a
// deadline that only bounds a hang).
func waitFor(ctx context.Context, p *Proc, what string, ok func() bool) error {
	for !ok() {
		if err := p.Exited(); err != nil {
			return fmt.Errorf("waiting for %s: %w", what, err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("waiting for %s: %w", what, ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	return nil
}

func portOpen(port int) func() bool {
	return func() bool {
		c, err := net.DialTimeout("tcp", net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), time.Second)
		if err != nil {
			return false
		}
		c.Close()
		return true
	}
}

func httpOK(url string) func() bool {
	c := &http.Client{Timeout: 3 * time.Second}
	return func() bool {
		res, err := c.Get(url)
		if err != nil {
			return false
		}
		res.Body.Close()
		return res.StatusCode == http.StatusOK
	}
}

// script runs one of the hack/ scripts to completion and returns the last
// line it printed (the scripts print a path or an address there).
func script(ctx context.Context, root, logPath string, args ...string) (string, error) {
	f, err := os.OpenFile(logPath, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Dir = root
	cmd.Env = baseEnv()
	cmd.Stdout, cmd.Stderr = &out, f
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	err = cmd.Run()
	f.Write(out.Bytes())
	if err != nil {
		return "", fmt.Errorf("%s: %w (log %s)", strings.Join(args, " "), err, logPath)
	}
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	last := strings.TrimSpace(lines[len(lines)-1])
	if last == "" {
		return "", errors.New(strings.Join(args, " ") + ": printed nothing")
	}
	return last, nil
}
