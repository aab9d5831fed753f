package manager

import (
	"bytes"
	"context"
	"crypto/tls"
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

	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"
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

// TestRun runs the operator as the binary does (flags, kubeconfig acting as its ServiceAccount with the
// RBAC of config/, label-restricted cache, metrics on controller-runtime's registry served over HTTPS to
// authorised callers only) against a real API server and the real Kalyan platform.
func TestRun(t *testing.T) {
	env, err := testenv.Start()
	if errors.Is(err, testenv.ErrNoAssets) {
		t.Skip(testenv.SkipReason)
	}
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	if err := env.InstallOperatorRBAC(t.Context()); err != nil {
		t.Fatal(err)
	}
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
	asOperator, err := env.OperatorKubeConfig()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(kubeconfig, asOperator, 0o600); err != nil {
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
	// Prometheus' identity: a ServiceAccount bound to the metrics-reader ClusterRole of config/rbac;
	// another ServiceAccount without that binding.
	reader, stranger := serviceAccountToken(t, env, "prometheus", "kalyan-operator-metrics-reader"), serviceAccountToken(t, env, "stranger", "")
	metrics := ""
	until(t, "the unit Ready and counted in the operator's metrics", func() bool {
		if err := c.Get(ctx, client.ObjectKeyFromObject(hu), hu); err != nil {
			return false
		}
		if !meta.IsStatusConditionTrue(hu.Status.Conditions, kalyanv1alpha1.ConditionReady) {
			return false
		}
		code, body := scrape(t, metricsAddr, reader)
		metrics = body
		return code == http.StatusOK && strings.Contains(metrics, `kalyan_operator_units{condition="Ready",status="True"} 1`)
	})
	for _, want := range []string{"kalyan_operator_reconcile_duration_seconds_bucket", "kalyan_operator_api_requests_total", "controller_runtime_reconcile_total", "kalyan_build_info{"} {
		if !strings.Contains(metrics, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	// Nobody else may read them, and nothing answers in plain HTTP.
	if code, _ := scrape(t, metricsAddr, ""); code != http.StatusUnauthorized {
		t.Errorf("metrics without a token: HTTP %d, want 401", code)
	}
	if code, _ := scrape(t, metricsAddr, stranger); code != http.StatusForbidden {
		t.Errorf("metrics with a token not granted metrics-reader: HTTP %d, want 403", code)
	}
	if resp, err := http.Get("http://" + metricsAddr + "/metrics"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == http.StatusOK {
			t.Errorf("metrics are served over plain HTTP")
		}
	}
}

// serviceAccountToken creates a ServiceAccount in default, binds it to clusterRole (if any) and returns
// a token the API server issues for it (TokenRequest).
func serviceAccountToken(t *testing.T, env *testenv.Env, name, clusterRole string) string {
	t.Helper()
	cs, err := kubernetes.NewForConfig(env.Config)
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	if _, err := cs.CoreV1().ServiceAccounts("default").Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Name: name}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if clusterRole != "" {
		if _, err := cs.RbacV1().ClusterRoleBindings().Create(ctx, &rbacv1.ClusterRoleBinding{
			ObjectMeta: metav1.ObjectMeta{Name: name + "-" + clusterRole},
			RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
			Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: name, Namespace: "default"}},
		}, metav1.CreateOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	tr, err := cs.CoreV1().ServiceAccounts("default").CreateToken(ctx, name, &authenticationv1.TokenRequest{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return tr.Status.Token
}

// scrape GETs /metrics over HTTPS (the operator's certificate is self-signed) with a bearer token.
func scrape(t *testing.T, addr, token string) (int, string) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, "https://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	hc := &http.Client{Timeout: 10 * time.Second, Transport: &http.Transport{TLSClientConfig: &tls.Config{InsecureSkipVerify: true}}} //nolint:gosec // self-signed test certificate
	resp, err := hc.Do(req)
	if err != nil {
		return 0, err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
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
