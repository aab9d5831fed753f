package controller_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	toolscache "k8s.io/client-go/tools/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/apiclient"
	"github.com/kalyan-platform/kalyan/operator/internal/onboard"
	"github.com/kalyan-platform/kalyan/operator/internal/testenv"
)

// benchWorkers is how many requests the direct baseline and the onboarding apply keep in flight; the
// operator reconciles operatorWorkers units at once.
const benchWorkers = 16

// BenchmarkOnboard538 onboards the whole dataset the way a platform engineer does (server-side apply
// of 538 HospitalUnits) and times until every unit is Ready: provisioned in Kubernetes and registered
// in the real Kalyan API. In the same run, before the operator starts, it creates the same Kubernetes
// objects directly as the baseline: per unit the HospitalUnit, its namespace, ResourceQuota,
// LimitRange, NetworkPolicy, Role, RoleBinding and signing key Secret. Run it on its own, once:
//
//	KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./operator/internal/controller \
//	    -run '^$' -bench Onboard538 -benchtime 1x
func BenchmarkOnboard538(b *testing.B) {
	if s == nil {
		b.Skip(testenv.SkipReason)
	}
	if s.mgr != nil {
		b.Fatal("the baseline must run before the operator starts: run the benchmark alone (-run '^$')")
	}
	if b.N > 1 {
		b.Fatal("the 538 units can be onboarded once per API server: run with -benchtime 1x")
	}
	b.StopTimer()
	units := benchDataset(b)
	ctx := context.Background()

	// Baseline, with no operator running: the same HospitalUnits (as direct-<code>) and the objects the
	// operator would make for them, created straight.
	cpu0 := processCPU()
	directStart := time.Now()
	if err := createDirectly(ctx, s.k8s, units); err != nil {
		b.Fatal(err)
	}
	direct := time.Since(directStart)
	cpu1 := processCPU()
	if err := s.k8s.DeleteAllOf(ctx, &kalyanv1alpha1.HospitalUnit{}); err != nil { // not ours to reconcile
		b.Fatal(err)
	}

	operator(b)
	readiness, err := watchReady(ctx, s, units)
	if err != nil {
		b.Fatal(err)
	}
	reconcilesBefore := reconcileCount(b, s)

	b.StartTimer()
	start := time.Now()
	res, err := onboard.Apply(ctx, s.k8s, units, benchWorkers)
	if err != nil {
		b.Fatal(err)
	}
	applied := time.Since(start)
	if res.Created != len(units) {
		b.Fatalf("apply: %+v, want %d created (run the benchmark on a fresh API server)", res, len(units))
	}
	if err := readiness.wait(ctx, 10*time.Minute); err != nil {
		b.Fatal(err)
	}
	allReady := time.Since(start)
	b.StopTimer()
	reconciles := reconcileCount(b, s) - reconcilesBefore
	cpu2 := processCPU()

	// The API's share: the same registrations sent straight to it (as api-<code>), after the
	// operator's run so that neither sees the other's background work.
	apiStart := time.Now()
	if err := registerDirectly(ctx, s, units); err != nil {
		b.Fatal(err)
	}
	apiDirect := time.Since(apiStart)

	b.ReportMetric(applied.Seconds(), "s-apply")
	b.ReportMetric(allReady.Seconds(), "s-all-ready")
	b.ReportMetric(direct.Seconds(), "s-direct")
	b.ReportMetric(allReady.Seconds()/direct.Seconds(), "x-direct")
	b.ReportMetric(apiDirect.Seconds(), "s-api-direct")
	b.ReportMetric(reconciles/float64(len(units)), "reconciles/unit")
	for _, p := range []string{"kube-apiserver", "etcd"} {
		if cpu2[p] > 0 {
			b.ReportMetric(cpu1[p]-cpu0[p], "cpu-s-direct-"+p)
			b.ReportMetric(cpu2[p]-cpu1[p], "cpu-s-operator-"+p)
		}
	}
	b.Logf("538 HospitalUnits: applied in %s, all Ready in %s; the same %d objects created directly in %s (%.2fx)",
		applied.Round(time.Millisecond), allReady.Round(time.Millisecond), 8*len(units), direct.Round(time.Millisecond),
		allReady.Seconds()/direct.Seconds())
}

// registerDirectly registers every unit (as api-<code>) with the Kalyan API, benchWorkers at a time,
// to show how much of the operator's time the API's own work is.
func registerDirectly(ctx context.Context, s *suite, units []onboard.Unit) error {
	api, err := apiclient.New(s.stack.APIURL(), s.tokenFile, nil)
	if err != nil {
		return err
	}
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		mu    sync.Mutex
		first error
	)
	for range benchWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(units) {
					return
				}
				u := units[i]
				_, _, err := api.RegisterUnit(ctx, "api-"+u.Code, apiclient.Registration{
					Names: apiclient.Names{EN: u.NameEN, BN: u.NameBN}, Level: string(u.Level),
					Division: u.Division, District: u.District, Upazila: u.Upazila,
				})
				if err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		})
	}
	wg.Wait()
	return first
}

// readyWatch counts the dataset's units that are Ready for their current generation, from the
// operator's informer: event-driven, so waiting costs neither the API server nor the CPU anything.
type readyWatch struct {
	mu    sync.Mutex
	ready map[string]bool
	want  map[string]bool
	done  chan struct{}
}

func watchReady(ctx context.Context, s *suite, units []onboard.Unit) (*readyWatch, error) {
	w := &readyWatch{ready: map[string]bool{}, want: map[string]bool{}, done: make(chan struct{})}
	for _, u := range units {
		w.want[u.Code] = true
	}
	inf, err := s.mgr.GetCache().GetInformer(ctx, &kalyanv1alpha1.HospitalUnit{})
	if err != nil {
		return nil, err
	}
	observe := func(obj any) {
		hu, ok := obj.(*kalyanv1alpha1.HospitalUnit)
		if !ok || !w.want[hu.Name] {
			return
		}
		ready := meta.IsStatusConditionTrue(hu.Status.Conditions, kalyanv1alpha1.ConditionReady) && hu.Status.ObservedGeneration == hu.Generation
		w.mu.Lock()
		defer w.mu.Unlock()
		if ready {
			w.ready[hu.Name] = true
		} else {
			delete(w.ready, hu.Name)
		}
		if len(w.ready) == len(w.want) {
			select {
			case <-w.done:
			default:
				close(w.done)
			}
		}
	}
	_, err = inf.AddEventHandler(toolscache.ResourceEventHandlerFuncs{
		AddFunc:    observe,
		UpdateFunc: func(_, obj any) { observe(obj) },
	})
	return w, err
}

func (w *readyWatch) wait(ctx context.Context, limit time.Duration) error {
	select {
	case <-w.done:
		return nil
	case <-time.After(limit):
		w.mu.Lock()
		defer w.mu.Unlock()
		return fmt.Errorf("gave up: %d of %d units Ready", len(w.ready), len(w.want))
	case <-ctx.Done():
		return ctx.Err()
	}
}

func reconcileCount(b *testing.B, s *suite) float64 {
	mfs, err := s.registry.Gather()
	if err != nil {
		b.Fatal(err)
	}
	n := 0.0
	for _, mf := range mfs {
		if mf.GetName() == "kalyan_operator_reconcile_duration_seconds" {
			for _, m := range mf.GetMetric() {
				n += float64(m.GetHistogram().GetSampleCount())
			}
		}
	}
	return n
}

func benchDataset(b *testing.B) []onboard.Unit { return benchDatasetT(b) }

func benchDatasetT(b testing.TB) []onboard.Unit {
	root, err := testenv.RepoRoot()
	if err != nil {
		b.Fatal(err)
	}
	f, err := os.Open(filepath.Join(root, "config", "units", "units.csv"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	units, err := onboard.ParseCSV(f)
	if err != nil {
		b.Fatal(err)
	}
	return units
}

// createDirectly applies every unit's HospitalUnit (as direct-<code>) and creates the objects the
// operator would create for it, in namespace direct-<code>, with benchWorkers units in flight.
func createDirectly(ctx context.Context, c client.Client, units []onboard.Unit) error {
	var (
		wg    sync.WaitGroup
		next  atomic.Int64
		mu    sync.Mutex
		first error
	)
	for range benchWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(units) {
					return
				}
				hu := onboard.Unit(units[i])
				hu.Code = "direct-" + hu.Code
				obj := hu.Unstructured()
				obj.SetFinalizers(nil) // no operator will be there to remove it
				if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(onboard.FieldManager), client.ForceOwnership); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("apply HospitalUnit %s: %w", hu.Code, err)
					}
					mu.Unlock()
					return
				}
				for _, obj := range directObjects(units[i].Code) {
					if err := c.Create(ctx, obj); err != nil {
						mu.Lock()
						if first == nil {
							first = fmt.Errorf("create %T %s: %w", obj, obj.GetName(), err)
						}
						mu.Unlock()
						return
					}
				}
			}
		})
	}
	wg.Wait()
	return first
}

func directObjects(code string) []client.Object {
	ns := "direct-" + code
	labels := map[string]string{"kalyan.dev/unit": code}
	meta := func(name string) metav1.ObjectMeta {
		return metav1.ObjectMeta{Name: name, Namespace: ns, Labels: labels}
	}
	pub, priv, _ := ed25519.GenerateKey(rand.Reader)
	immutable := true
	return []client.Object{
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns, Labels: labels}},
		&corev1.ResourceQuota{ObjectMeta: meta("unit-quota"), Spec: corev1.ResourceQuotaSpec{Hard: corev1.ResourceList{
			corev1.ResourcePods: resource.MustParse("10"), corev1.ResourceSecrets: resource.MustParse("20"),
		}}},
		&corev1.LimitRange{ObjectMeta: meta("unit-limits"), Spec: corev1.LimitRangeSpec{Limits: []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer, Default: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("500m")},
		}}}},
		&networkingv1.NetworkPolicy{ObjectMeta: meta("unit-isolation"), Spec: networkingv1.NetworkPolicySpec{
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
		}},
		&rbacv1.Role{ObjectMeta: meta("unit-admin"), Rules: []rbacv1.PolicyRule{{
			APIGroups: []string{""}, Resources: []string{"events"}, Verbs: []string{"get", "list", "watch"},
		}}},
		&rbacv1.RoleBinding{ObjectMeta: meta("unit-admin"),
			RoleRef:  rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: "unit-admin"},
			Subjects: []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: "kalyan:unit-admins:" + code}},
		},
		&corev1.Secret{ObjectMeta: meta("receipt-signing-key"), Immutable: &immutable,
			Data: map[string][]byte{"seed": priv.Seed(), "public-key": pub}},
	}
}

// processCPU returns the CPU seconds used so far by envtest's etcd and kube-apiserver (children of this
// test process), read from /proc; empty where there is no /proc.
func processCPU() map[string]float64 {
	out := map[string]float64{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, p := range stats {
		data, err := os.ReadFile(p)
		if err != nil {
			continue
		}
		open, closing := bytes.IndexByte(data, '('), bytes.LastIndexByte(data, ')')
		if open < 0 || closing < open {
			continue
		}
		name := string(data[open+1 : closing])
		f := strings.Fields(string(data[closing+1:])) // state ppid ... utime(12) stime(13)
		if len(f) < 13 || (name != "etcd" && name != "kube-apiserver") {
			continue
		}
		if ppid, _ := strconv.Atoi(f[1]); ppid != os.Getpid() {
			continue
		}
		utime, _ := strconv.ParseFloat(f[11], 64)
		stime, _ := strconv.ParseFloat(f[12], 64)
		out[name] += (utime + stime) / 100 // USER_HZ is 100 on Linux
	}
	return out
}
