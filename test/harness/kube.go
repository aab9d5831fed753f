package harness

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kalyan-platform/kalyan/internal/kubetest"
	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// Kube is a real kube-apiserver and etcd (started by controller-runtime's
// envtest from the assets hack/envtest-assets.sh builds) with the
// HospitalUnit CRD from config/crd/bases installed, and kalyan-operator
// reconciling against it and registering units with kalyan-api.
type Kube struct {
	env *envtest.Environment
	// Config reaches the API server as its administrator.
	Config *rest.Config
	// Client is an uncached client knowing the HospitalUnit type.
	Client client.Client
	// Operator is the kalyan-operator process.
	Operator *Proc
}

func (s *System) startKube(ctx context.Context, assets string) error {
	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join(s.repo, "config", "crd", "bases")},
		ErrorIfCRDPathMissing: true,
		BinaryAssetsDirectory: assets,
	}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("start kube-apiserver and etcd: %w", err)
	}
	k := &Kube{env: env, Config: cfg}
	s.Kube = k
	scheme := runtime.NewScheme()
	if err := clientgoscheme.AddToScheme(scheme); err != nil {
		return err
	}
	if err := kalyanv1alpha1.AddToScheme(scheme); err != nil {
		return err
	}
	if k.Client, err = client.New(cfg, client.Options{Scheme: scheme}); err != nil {
		return fmt.Errorf("kube client: %w", err)
	}
	dir := filepath.Join(s.root, "operator")
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	// The operator runs as its ServiceAccount with the least-privilege RBAC and admission policy of
	// config/ (as `kubectl apply -k config/default` installs them).
	if err := kubetest.InstallOperatorRBAC(ctx, cfg, s.repo); err != nil {
		return err
	}
	asOperator, err := kubetest.OperatorKubeConfig(env.KubeConfig)
	if err != nil {
		return err
	}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(kubeconfig, asOperator, 0o600); err != nil {
		return err
	}
	// The operator registers units with a platform administrator's token,
	// read from a file (rotatable in a cluster).
	tok, err := s.Token(ctx, "platform_admin", "")
	if err != nil {
		return err
	}
	tokenFile := filepath.Join(dir, "api-token")
	if err := os.WriteFile(tokenFile, []byte(tok+"\n"), 0o600); err != nil {
		return err
	}
	probe, err := freePort()
	if err != nil {
		return err
	}
	k.Operator = &Proc{Name: "kalyan-operator", Log: s.logPath("kalyan-operator"),
		args: []string{filepath.Join(s.bin, "operator"), "--kubeconfig", kubeconfig,
			"--api-url", s.APIURL(), "--api-token-file", tokenFile,
			"--metrics-bind-address", "0", "--health-probe-bind-address", s.addr(probe),
			// Retry a failed registration soon: the suite waits on it.
			"--api-backoff-base", "200ms", "--api-backoff-max", "5s",
			"--log-format", "text"}}
	if err := k.Operator.Start(); err != nil {
		return err
	}
	return waitFor(ctx, k.Operator, "kalyan-operator /readyz", httpOK("http://"+s.addr(probe)+"/readyz"))
}

func (k *Kube) stop() error {
	var errs []error
	if k.Operator != nil {
		errs = append(errs, k.Operator.Stop(15*time.Second))
	}
	if err := k.env.Stop(); err != nil {
		errs = append(errs, fmt.Errorf("stop kube-apiserver and etcd: %w", err))
	}
	return errors.Join(errs...)
}
