package manager

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kalyan-platform/kalyan/internal/devstack"
	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/kube"
	"github.com/kalyan-platform/kalyan/operator/internal/testenv"
)

func TestFlags(t *testing.T) {
	var stderr bytes.Buffer
	if _, err := parseFlags(nil, &stderr); err == nil || !strings.Contains(err.Error(), "--api-url and --api-token-file are required") {
		t.Errorf("no flags: %v", err)
	}
	if _, err := parseFlags([]string{"--api-url=http://a", "--api-token-file=/t", "--max-concurrent-reconciles=0"}, &stderr); err == nil {
		t.Errorf("zero workers accepted")
	}
	f, err := parseFlags([]string{"--api-url=http://a", "--api-token-file=/t", "--max-concurrent-reconciles=4", "--leader-elect"}, &stderr)
	if err != nil || f.MaxConcurrentReconciles != 4 || !f.LeaderElect || f.PlatformNamespace != "kalyan-system" {
		t.Errorf("parsed %+v, %v", f, err)
	}
	if _, err := newLogger(io.Discard, "loud", "json"); err == nil {
		t.Errorf("bad log level accepted")
	}
}

// TestRun runs the operator as the binary does (flags, kubeconfig, label-restricted cache, metrics on
// controller-runtime's registry) against a real API server and the real Kalyan platform.
func TestRun(t *testing.T) {
	env, err := testenv.Start()
	if errors.Is(err, testenv.ErrNoAssets) {
		t.Skip(testenv.SkipReason)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	dir := t.TempDir()
	st, err := devstack.Start(context.Background(), devstack.Options{Dir: filepath.Join(dir, "stack"), NoSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	tok, err := st.Token("platform_admin", "", "kalyan-operator")
	if err != nil {
		t.Fatal(err)
	}
	tokenFile, kubeconfig := filepath.Join(dir, "token"), filepath.Join(dir, "kubeconfig")
	if err := os.WriteFile(tokenFile, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kubeconfig, env.KubeConfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	metricsAddr := freeAddr(t)

	ctx, cancel := context.WithCancel(context.Background())
	var (
		wg     sync.WaitGroup
		runErr error
	)
	wg.Go(func() {
		runErr = Run(ctx, []string{
			"--kubeconfig", kubeconfig, "--api-url", st.APIURL(), "--api-token-file", tokenFile,
			"--metrics-bind-address", metricsAddr, "--health-probe-bind-address", "0", "--log-level", "error",
		}, io.Discard)
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		if runErr != nil {
			t.Errorf("Run: %v", runErr)
		}
	})

	scheme, err := kube.Scheme()
	if err != nil {
		t.Fatal(err)
	}
	c, err := client.New(env.Config, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	hu := &kalyanv1alpha1.HospitalUnit{
		ObjectMeta: metav1.ObjectMeta{Name: "dh-cumilla"},
		Spec: kalyanv1alpha1.HospitalUnitSpec{
			Code: "dh-cumilla", Names: kalyanv1alpha1.Names{EN: "Cumilla District Sadar Hospital", BN: "কুমিল্লা জেলা সদর হাসপাতাল"},
			Level: kalyanv1alpha1.LevelDistrict, Division: "Chattagram", District: "Cumilla",
		},
	}
	if err := c.Create(ctx, hu); err != nil {
		t.Fatal(err)
	}
	metrics := ""
	until(t, "the unit Ready and counted in the operator's metrics", func() bool {
		if err := c.Get(ctx, client.ObjectKeyFromObject(hu), hu); err != nil {
			return false
		}
		if !meta.IsStatusConditionTrue(hu.Status.Conditions, kalyanv1alpha1.ConditionReady) {
			return false
		}
		resp, err := http.Get("http://" + metricsAddr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		metrics = string(b)
		return strings.Contains(metrics, `kalyan_operator_units{condition="Ready",status="True"} 1`)
	})
	for _, want := range []string{"kalyan_operator_reconcile_duration_seconds_bucket", "kalyan_operator_api_requests_total", "controller_runtime_reconcile_total"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// until polls cond; the deadline only bounds a hung test.
func until(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(90 * time.Second); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("gave up waiting for %s", what)
}
