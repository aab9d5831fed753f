// Package testenv starts a real kube-apiserver and etcd (controller-runtime envtest) with the
// HospitalUnit CRD installed, for the operator's tests. The binaries come from KUBEBUILDER_ASSETS,
// which hack/envtest-assets.sh builds from the Go module proxy:
//
//	KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./operator/...
package testenv

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"
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

// The operator's identity in config/rbac: the ServiceAccount the ClusterRoleBinding names.
const (
	OperatorNamespace      = "kalyan-system"
	OperatorServiceAccount = "kalyan-operator"
	// OperatorUser is the username the API server gives the operator's ServiceAccount.
	OperatorUser = "system:serviceaccount:" + OperatorNamespace + ":" + OperatorServiceAccount
)

// InstallOperatorRBAC installs what `kubectl apply -k config/default` installs for the operator's
// permissions: config/rbac (its ClusterRoles and bindings) and config/policy (the admission policy
// confining its writes to unit namespaces), and the kalyan-system namespace. It returns once the
// admission policy is in force.
func (e *Env) InstallOperatorRBAC(ctx context.Context) error {
	root, err := RepoRoot()
	if err != nil {
		return err
	}
	c, err := client.New(e.Config, client.Options{})
	if err != nil {
		return err
	}
	ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": OperatorNamespace}}}
	if err := c.Create(ctx, ns); err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("create namespace %s: %w", OperatorNamespace, err)
	}
	for _, dir := range []string{"rbac", "policy"} {
		objs, err := KustomizationObjects(filepath.Join(root, "config", dir))
		if err != nil {
			return err
		}
		for _, o := range objs {
			if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("kalyan-testenv"), client.ForceOwnership); err != nil {
				return fmt.Errorf("apply %s %s from config/%s: %w", o.GetKind(), o.GetName(), dir, err)
			}
		}
	}
	return e.waitForOperatorPolicy(ctx)
}

// waitForOperatorPolicy waits until the API server enforces config/policy: it compiles admission
// policies in the background, a moment after they are created.
func (e *Env) waitForOperatorPolicy(ctx context.Context) error {
	c, err := client.New(e.OperatorConfig(), client.Options{})
	if err != nil {
		return err
	}
	probe := func() error {
		rb := &unstructured.Unstructured{Object: map[string]any{
			"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "RoleBinding",
			"metadata": map[string]any{"name": "kalyan-policy-probe", "namespace": metav1.NamespaceDefault},
			"roleRef":  map[string]any{"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "kalyan-operator-unit"},
			"subjects": []any{map[string]any{"kind": "ServiceAccount", "name": OperatorServiceAccount, "namespace": OperatorNamespace}},
		}}
		return c.Create(ctx, rb, client.DryRunAll)
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		err := probe()
		if apierrors.IsForbidden(err) && strings.Contains(err.Error(), "kalyan-operator-scope") {
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the admission policy kalyan-operator-scope is not enforced (a RoleBinding in default: %v)", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// OperatorConfig is a REST config that acts as the operator's ServiceAccount (impersonation by the
// test's administrator), so that the API server applies exactly the operator's RBAC.
func (e *Env) OperatorConfig() *rest.Config {
	cfg := rest.CopyConfig(e.Config)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: OperatorUser}
	return cfg
}

// OperatorKubeConfig is a kubeconfig file's content that acts as the operator's ServiceAccount, for a
// kalyan-operator process (--kubeconfig).
func (e *Env) OperatorKubeConfig() ([]byte, error) {
	cfg, err := clientcmd.Load(e.env.KubeConfig)
	if err != nil {
		return nil, fmt.Errorf("parse envtest kubeconfig: %w", err)
	}
	for _, ai := range cfg.AuthInfos {
		ai.Impersonate = OperatorUser
	}
	return clientcmd.Write(*cfg)
}

// KustomizationObjects decodes the objects of the files a kustomization.yaml lists under resources
// (plain files only: the test installs what the kustomization would, without running kustomize).
func KustomizationObjects(dir string) ([]*unstructured.Unstructured, error) {
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		return nil, err
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		return nil, fmt.Errorf("%s/kustomization.yaml: %w", dir, err)
	}
	var out []*unstructured.Unstructured
	for _, res := range k.Resources {
		data, err := os.ReadFile(filepath.Join(dir, res))
		if err != nil {
			return nil, err
		}
		objs, err := DecodeYAML(data)
		if err != nil {
			return nil, fmt.Errorf("%s/%s: %w", dir, res, err)
		}
		out = append(out, objs...)
	}
	return out, nil
}

// DecodeYAML decodes every object of a multi-document YAML stream.
func DecodeYAML(data []byte) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var out []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return out, nil
		}
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, err
		}
		if len(m) == 0 {
			continue
		}
		out = append(out, &unstructured.Unstructured{Object: m})
	}
}
