package controller_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/go-logr/logr"
	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/kalyan-platform/kalyan/internal/devstack"
	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/apiclient"
	"github.com/kalyan-platform/kalyan/operator/internal/controller"
	"github.com/kalyan-platform/kalyan/operator/internal/kube"
	"github.com/kalyan-platform/kalyan/operator/internal/testenv"
)

// suite is what every test here shares: a real kube-apiserver + etcd (envtest) with the operator's
// RBAC and admission policy from config/ installed, the real Kalyan platform in process (devstack:
// FerretDB, Kafka, bKash sandbox, API, workers) and, started by the first test that needs it, the
// operator itself, wired as in the binary and acting as its ServiceAccount: every test here also
// proves that the least-privilege RBAC is enough.
type suite struct {
	env       *testenv.Env
	stack     *devstack.Stack
	k8s       client.Client    // uncached, the cluster administrator, for the tests' own reads and writes
	asOp      client.WithWatch // uncached, acting as the operator's ServiceAccount
	tokenFile string
	adminTok  string

	once     sync.Once
	startErr error
	mgr      ctrl.Manager
	registry *prometheus.Registry
	stop     context.CancelFunc
	done     chan error
}

// s is nil without KUBEBUILDER_ASSETS; tests then skip.
var s *suite

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	env, err := testenv.Start()
	if errors.Is(err, testenv.ErrNoAssets) {
		return m.Run()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer func() {
		if err := env.Stop(); err != nil {
			fmt.Fprintln(os.Stderr, err)
		}
	}()
	dir, err := os.MkdirTemp("", "kalyan-operator-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)

	ctx := context.Background()
	st, err := devstack.Start(ctx, devstack.Options{Dir: filepath.Join(dir, "stack"), NoSeed: true})
	if err != nil {
		fmt.Fprintln(os.Stderr, "start devstack:", err)
		return 1
	}
	defer func() {
		if err := st.Close(context.Background()); err != nil {
			fmt.Fprintln(os.Stderr, "close devstack:", err)
		}
	}()
	tok, err := st.Token("platform_admin", "", "kalyan-operator")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(tok+"\n"), 0o600); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	scheme, err := kube.Scheme()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	c, err := client.New(env.Config, client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := env.InstallOperatorRBAC(ctx); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	asOp, err := client.NewWithWatch(env.OperatorConfig(), client.Options{Scheme: scheme})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	s = &suite{env: env, stack: st, k8s: c, asOp: asOp, tokenFile: tokenFile, adminTok: tok}
	code := m.Run()
	if err := s.stopOperator(); err != nil {
		fmt.Fprintln(os.Stderr, "operator:", err)
		code = 1
	}
	return code
}

// operatorWorkers is the operator's MaxConcurrentReconciles here (and in the benchmark).
const operatorWorkers = 64

// operator returns the suite after making sure the operator runs.
func operator(tb testing.TB) *suite {
	tb.Helper()
	if s == nil {
		tb.Skip(testenv.SkipReason)
	}
	s.once.Do(func() { s.startErr = s.startOperator() })
	if s.startErr != nil {
		tb.Fatalf("start operator: %v", s.startErr)
	}
	return s
}

func (s *suite) startOperator() error {
	// controller-runtime logs through logr; send it to slog, errors only, to keep test output readable.
	ctrl.SetLogger(logr.FromSlogHandler(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError})))
	scheme, err := kube.Scheme()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(s.env.OperatorConfig(), ctrl.Options{
		Scheme:                 scheme,
		Cache:                  controller.CacheOptions(),
		Metrics:                metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0",
	})
	if err != nil {
		return err
	}
	api, err := apiclient.New(s.stack.APIURL(), s.tokenFile, &http.Client{Timeout: 10 * time.Second})
	if err != nil {
		return err
	}
	// A registry of our own, so the test can gather exactly the operator's metrics.
	s.registry = prometheus.NewRegistry()
	metrics, err := controller.NewMetrics(s.registry, mgr.GetClient())
	if err != nil {
		return err
	}
	r, err := controller.New(mgr, api, metrics, controller.Options{
		PlatformNamespace:       "kalyan-system",
		BackoffBase:             50 * time.Millisecond,
		BackoffMax:              time.Second,
		RecheckInterval:         200 * time.Millisecond,
		MaxConcurrentReconciles: operatorWorkers,
	})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(context.Background())
	if err := r.SetupWithManager(ctx, mgr); err != nil {
		cancel()
		return err
	}
	s.mgr, s.stop, s.done = mgr, cancel, make(chan error, 1)
	go func() { s.done <- mgr.Start(ctx) }()
	if !mgr.GetCache().WaitForCacheSync(ctx) {
		return errors.New("cache did not sync")
	}
	return nil
}

func (s *suite) stopOperator() error {
	if s == nil || s.stop == nil {
		return nil
	}
	s.stop()
	return <-s.done
}

// waitFor polls cond until it holds; the deadline only bounds a hung test, nothing is timed.
func waitFor(tb testing.TB, what string, cond func() (bool, string)) {
	tb.Helper()
	deadline := time.Now().Add(90 * time.Second)
	last := ""
	for time.Now().Before(deadline) {
		ok, state := cond()
		if ok {
			return
		}
		last = state
		time.Sleep(50 * time.Millisecond)
	}
	tb.Fatalf("gave up waiting for %s; last state: %s", what, last)
}

// uniqueCode gives each test run its own unit (go test -count=N reuses one API server, and namespaces
// never finish terminating in envtest).
func uniqueCode(base string) string {
	return fmt.Sprintf("%s-%d", base, unitSeq.Add(1))
}

var unitSeq atomic.Int64

func newUnit(code string) *kalyanv1alpha1.HospitalUnit {
	return &kalyanv1alpha1.HospitalUnit{
		ObjectMeta: metav1.ObjectMeta{Name: code},
		Spec: kalyanv1alpha1.HospitalUnitSpec{
			Code:     code,
			Names:    kalyanv1alpha1.Names{EN: "Debidwar Upazila Health Complex", BN: "দেবিদ্বার উপজেলা স্বাস্থ্য কমপ্লেক্স"},
			Level:    kalyanv1alpha1.LevelUpazila,
			Division: "Chattagram",
			District: "Cumilla",
			Upazila:  "Debidwar",
			Policy: kalyanv1alpha1.Policy{
				ApprovalThreshold: "10000.00",
				Programmes:        []kalyanv1alpha1.Programme{"cancer", "kidney"},
				AllocationOrder:   []kalyanv1alpha1.AllocationSource{"programme", "zakat", "general"},
				MinDonation:       "10.00",
				MaxDonation:       "500000.00",
			},
		},
	}
}

func (s *suite) create(tb testing.TB, hu *kalyanv1alpha1.HospitalUnit) {
	tb.Helper()
	if err := s.k8s.Create(context.Background(), hu); err != nil {
		tb.Fatalf("create HospitalUnit %s: %v", hu.Name, err)
	}
}

func (s *suite) get(tb testing.TB, name string) *kalyanv1alpha1.HospitalUnit {
	tb.Helper()
	var hu kalyanv1alpha1.HospitalUnit
	if err := s.k8s.Get(context.Background(), client.ObjectKey{Name: name}, &hu); err != nil {
		tb.Fatalf("get HospitalUnit %s: %v", name, err)
	}
	return &hu
}

// change applies edit to the unit as a merge patch. The operator writes
// status meanwhile; an Update carrying the read's resourceVersion is then
// refused with a conflict, which is the test racing, not the operator.
func (s *suite) change(tb testing.TB, name string, edit func(*kalyanv1alpha1.HospitalUnit)) {
	tb.Helper()
	hu := s.get(tb, name)
	base := hu.DeepCopy()
	edit(hu)
	if err := s.k8s.Patch(context.Background(), hu, client.MergeFrom(base)); err != nil {
		tb.Fatalf("patch HospitalUnit %s: %v", name, err)
	}
}

// conditionState describes a unit's conditions for failure messages.
func conditionState(hu *kalyanv1alpha1.HospitalUnit) string {
	var b strings.Builder
	fmt.Fprintf(&b, "generation %d observed %d;", hu.Generation, hu.Status.ObservedGeneration)
	for _, c := range hu.Status.Conditions {
		fmt.Fprintf(&b, " %s=%s/%s (%s)", c.Type, c.Status, c.Reason, c.Message)
	}
	return b.String()
}

// waitCondition waits until the unit's condition has the status (and reason, if given) for its
// current generation, and returns the unit.
func (s *suite) waitCondition(tb testing.TB, name, condType string, status metav1.ConditionStatus, reason string) *kalyanv1alpha1.HospitalUnit {
	tb.Helper()
	var hu *kalyanv1alpha1.HospitalUnit
	waitFor(tb, fmt.Sprintf("%s %s=%s %s", name, condType, status, reason), func() (bool, string) {
		hu = s.get(tb, name)
		c := meta.FindStatusCondition(hu.Status.Conditions, condType)
		ok := c != nil && c.Status == status && (reason == "" || c.Reason == reason) &&
			c.ObservedGeneration == hu.Generation && hu.Status.ObservedGeneration == hu.Generation
		return ok, conditionState(hu)
	})
	return hu
}

func (s *suite) waitReady(tb testing.TB, name string) *kalyanv1alpha1.HospitalUnit {
	tb.Helper()
	return s.waitCondition(tb, name, kalyanv1alpha1.ConditionReady, metav1.ConditionTrue, "UnitReady")
}

// apiCall sends a request to the running Kalyan API and decodes a JSON answer into out (if non-nil).
func (s *suite) apiCall(tb testing.TB, method, path string, body any, header map[string]string, out any) int {
	tb.Helper()
	var rd io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			tb.Fatal(err)
		}
		rd = bytes.NewReader(b)
	}
	req, err := http.NewRequest(method, s.stack.APIURL()+path, rd)
	if err != nil {
		tb.Fatal(err)
	}
	req.Header.Set("Accept", "application/json")
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		tb.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	if err != nil {
		tb.Fatal(err)
	}
	if out != nil && resp.StatusCode < 300 {
		if err := json.Unmarshal(data, out); err != nil {
			tb.Fatalf("%s %s: decode %q: %v", method, path, data, err)
		}
	}
	return resp.StatusCode
}
