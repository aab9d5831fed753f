// Package testenv starts a real kube-apiserver and etcd (controller-runtime envtest) with the
// HospitalUnit CRD installed, for the operator's tests. The binaries come from KUBEBUILDER_ASSETS,
// which hack/envtest-assets.sh builds from the Go module proxy:
//
//	KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./operator/...
package testenv

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime"

	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kalyan-platform/kalyan/internal/kubetest"
)

// ErrNoAssets means KUBEBUILDER_ASSETS is not set; tests skip with SkipReason.
var ErrNoAssets = errors.New("KUBEBUILDER_ASSETS is not set")

// SkipReason tells a developer how to run the envtest-based tests.
const SkipReason = "needs a real kube-apiserver: run KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./operator/..."

// Fuzzing reports whether this test binary runs a fuzz target (as the coordinator or one of its
// workers, each of which runs TestMain again): no API server is needed then. Call after flag.Parse.
func Fuzzing() bool {
	for _, name := range []string{"test.fuzz", "test.fuzzworker"} {
		if f := flag.Lookup(name); f != nil && f.Value.String() != "" && f.Value.String() != "false" {
			return true
		}
	}
	return false
}

// Env is a running API server.
type Env struct {
	env    *envtest.Environment
	Config *rest.Config
}

// Start starts etcd and kube-apiserver and installs the CRDs from config/crd/bases.
func Start() (*Env, error) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		return nil, ErrNoAssets
	}
	root, err := RepoRoot()
	if err != nil {
		return nil, err
	}
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(root, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		return nil, fmt.Errorf("start envtest: %w", err)
	}
	// Tests create hundreds of objects at once; leave rate limiting to the server.
	cfg.QPS, cfg.Burst = -1, 0
	return &Env{env: env, Config: cfg}, nil
}

// KubeConfig is a kubeconfig file's content for the API server, for commands that take --kubeconfig.
func (e *Env) KubeConfig() []byte { return e.env.KubeConfig }

// Stop stops the API server and etcd.
func (e *Env) Stop() error {
	if err := e.env.Stop(); err != nil {
		return fmt.Errorf("stop envtest: %w", err)
	}
	return nil
}

// RepoRoot is the repository root (found from this source file's location, so it works from any
// package's test directory).
func RepoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the repository root")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("repository root %s: %w", root, err)
	}
	return root, nil
}

// InstallOperatorRBAC installs the operator's RBAC and admission policy from config/ (kubetest).
func (e *Env) InstallOperatorRBAC(ctx context.Context) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	return kubetest.InstallOperatorRBAC(ctx, e.Config, root)
}

// OperatorConfig acts as the operator's ServiceAccount.
func (e *Env) OperatorConfig() *rest.Config { return kubetest.OperatorConfig(e.Config) }

// OperatorKubeConfig is a kubeconfig file's content acting as the operator's ServiceAccount.
func (e *Env) OperatorKubeConfig() ([]byte, error) {
	return kubetest.OperatorKubeConfig(e.env.KubeConfig)
}
