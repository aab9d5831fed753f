package v1alpha1_test

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/kube"
	"github.com/kalyan-platform/kalyan/operator/internal/testenv"
)

// k8s is a client of a real kube-apiserver with the generated CRD installed, so these tests check the
// OpenAPI schema and CEL rules exactly as a cluster enforces them. Nil when KUBEBUILDER_ASSETS is unset.
var k8s client.Client

func TestMain(m *testing.M) {
	os.Exit(runMain(m))
}

func runMain(m *testing.M) int {
	env, err := testenv.Start()
	if errors.Is(err, testenv.ErrNoAssets) {
		return m.Run() // the tests skip
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
	scheme, err := kube.Scheme()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if k8s, err = client.New(env.Config, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func needCluster(t *testing.T) {
	t.Helper()
	if k8s == nil {
		t.Skip(testenv.SkipReason)
	}
}

func validUnit(code string) *kalyanv1alpha1.HospitalUnit {
	return &kalyanv1alpha1.HospitalUnit{
		ObjectMeta: metav1.ObjectMeta{Name: code},
		Spec: kalyanv1alpha1.HospitalUnitSpec{
			Code:     code,
			Names:    kalyanv1alpha1.Names{EN: "Debidwar Upazila Health Complex", BN: "দেবিদ্বার উপজেলা স্বাস্থ্য কমপ্লেক্স"},
			Level:    kalyanv1alpha1.LevelUpazila,
			Division: "Chattagram",
			District: "Cumilla",
			Upazila:  "Debidwar",
			BKashSecretRef: &kalyanv1alpha1.SecretReference{
				Name: "bkash-credentials", Namespace: kalyanv1alpha1.NamespaceName(code),
			},
			Policy: kalyanv1alpha1.Policy{
				ApprovalThreshold: "10000.00",
				Programmes:        []kalyanv1alpha1.Programme{"cancer", "kidney"},
				AllocationOrder:   []kalyanv1alpha1.AllocationSource{"programme", "zakat", "general"},
				MinDonation:       "10.00",
				MaxDonation:       "500000.00",
				Checkers:          []kalyanv1alpha1.Subject{"ms-rahman"},
				WindowDays:        ptr[int32](90),
				CommitteeQuorum:   ptr[int32](2),
				CommitteeSize:     ptr[int32](5),
			},
		},
	}
}

func TestSchemaAcceptsValidUnit(t *testing.T) {
	needCluster(t)
	ctx := context.Background()
	hu := validUnit("uhc-schema-valid")
	if err := k8s.Create(ctx, hu); err != nil {
		t.Fatalf("create valid unit: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), hu) })

	// The bKash Secret's namespace may be left out: it is the unit's own.
	implicit := validUnit("uhc-schema-implicit")
	implicit.Spec.BKashSecretRef.Namespace = ""
	if err := k8s.Create(ctx, implicit); err != nil {
		t.Fatalf("create unit with an unqualified bkashSecretRef: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), implicit) })

	// A district hospital needs no upazila; policy fields may be left to the platform's defaults.
	dh := &kalyanv1alpha1.HospitalUnit{
		ObjectMeta: metav1.ObjectMeta{Name: "dh-schema-valid"},
		Spec: kalyanv1alpha1.HospitalUnitSpec{
			Code: "dh-schema-valid", Names: kalyanv1alpha1.Names{EN: "Cumilla District Sadar Hospital", BN: "কুমিল্লা জেলা সদর হাসপাতাল"},
			Level: kalyanv1alpha1.LevelDistrict, Division: "Chattagram", District: "Cumilla",
		},
	}
	if err := k8s.Create(ctx, dh); err != nil {
		t.Fatalf("create minimal district unit: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), dh) })
}

func TestSchemaRejectsInvalidSpecs(t *testing.T) {
	needCluster(t)
	tests := []struct {
		name   string
		mutate func(*kalyanv1alpha1.HospitalUnit)
		want   string // a fragment of the API server's message
	}{
		{"upper-case code", func(h *kalyanv1alpha1.HospitalUnit) { h.Name, h.Spec.Code = "uhc-x", "UHC-X" }, "spec.code"},
		{"code too long", func(h *kalyanv1alpha1.HospitalUnit) {
			h.Spec.Code = strings.Repeat("a", 41)
			h.Name = h.Spec.Code
		}, "spec.code"},
		{"code ends with dash", func(h *kalyanv1alpha1.HospitalUnit) { h.Name, h.Spec.Code = "uhc-x-", "uhc-x-" }, "spec.code"},
		{"name differs from code", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.Code = "uhc-other" }, "metadata.name must equal spec.code"},
		{"unknown level", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.Level = "clinic" }, "spec.level"},
		{"upazila level without upazila", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.Upazila = "" }, "upazila is required"},
		{"blank English name", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.Names.EN = "   " }, "must not be blank"},
		{"missing Bengali name", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.Names.BN = "" }, "spec.names.bn"},
		{"missing district", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.District = "" }, "spec.district"},
		{"three decimals", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.Policy.MinDonation = "10.005" }, "spec.policy.minDonation"},
		{"negative amount", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.Policy.ApprovalThreshold = "-5" }, "spec.policy.approvalThreshold"},
		{"zero threshold", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.Policy.ApprovalThreshold = "0.00" }, "must be positive"},
		{"not a number", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.Policy.MaxDonation = "lots" }, "spec.policy.maxDonation"},
		{"min above max", func(h *kalyanv1alpha1.HospitalUnit) {
			h.Spec.Policy.MinDonation, h.Spec.Policy.MaxDonation = "1000.00", "999.99"
		}, "minDonation must not exceed maxDonation"},
		{"zakat as programme", func(h *kalyanv1alpha1.HospitalUnit) {
			h.Spec.Policy.Programmes = append(h.Spec.Policy.Programmes, "zakat")
		}, "zakat and general are funds"},
		{"duplicate programme", func(h *kalyanv1alpha1.HospitalUnit) {
			h.Spec.Policy.Programmes = []kalyanv1alpha1.Programme{"cancer", "cancer"}
		}, "Duplicate value"},
		{"bad programme name", func(h *kalyanv1alpha1.HospitalUnit) {
			h.Spec.Policy.Programmes = []kalyanv1alpha1.Programme{"Cancer Care"}
		}, "spec.policy.programmes"},
		{"unknown allocation source", func(h *kalyanv1alpha1.HospitalUnit) {
			h.Spec.Policy.AllocationOrder = []kalyanv1alpha1.AllocationSource{"zakat", "sadaqah"}
		}, "spec.policy.allocationOrder"},
		{"bad secret namespace", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.BKashSecretRef.Namespace = "Kalyan System" }, "spec.bkashSecretRef.namespace"},
		// The operator reads the Secret with its own powers: only the unit's namespace is allowed.
		{"secret in the platform namespace", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.BKashSecretRef.Namespace = "kalyan-system" }, "unit's own namespace"},
		{"secret in another unit's namespace", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.BKashSecretRef.Namespace = "kalyan-dmch" }, "unit's own namespace"},
		{"secret in kube-system", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.BKashSecretRef.Namespace = "kube-system" }, "spec.bkashSecretRef.namespace"},
		{"system group as admins", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.AdminGroup = "system:authenticated" }, "must not be a system: group"},
		{"service accounts as admins", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.AdminGroup = "system:serviceaccounts" }, "spec.adminGroup"},
		{"blank admin group", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.AdminGroup = " " }, "spec.adminGroup"},
		// Approval rules (issue 14).
		{"checker with a space", func(h *kalyanv1alpha1.HospitalUnit) {
			h.Spec.Policy.Checkers = []kalyanv1alpha1.Subject{"member secretary"}
		}, "spec.policy.checkers"},
		{"checker twice", func(h *kalyanv1alpha1.HospitalUnit) {
			h.Spec.Policy.Checkers = []kalyanv1alpha1.Subject{"ms-1", "ms-1"}
		}, "Duplicate value"},
		{"empty window", func(h *kalyanv1alpha1.HospitalUnit) { h.Spec.Policy.WindowDays = ptr[int32](0) }, "spec.policy.windowDays"},
		{"quorum above the committee", func(h *kalyanv1alpha1.HospitalUnit) {
			h.Spec.Policy.CommitteeQuorum, h.Spec.Policy.CommitteeSize = ptr[int32](6), ptr[int32](5)
		}, "committeeQuorum must not exceed committeeSize"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			hu := validUnit("uhc-schema-invalid")
			tt.mutate(hu)
			err := k8s.Create(context.Background(), hu)
			if err == nil {
				_ = k8s.Delete(context.Background(), hu)
				t.Fatalf("the API server accepted an invalid unit")
			}
			if !apierrors.IsInvalid(err) {
				t.Fatalf("want an Invalid error, got %v", err)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("error %q does not mention %q", err, tt.want)
			}
		})
	}
}

func TestSchemaKeepsCodeImmutable(t *testing.T) {
	needCluster(t)
	ctx := context.Background()
	hu := validUnit("uhc-schema-immutable")
	if err := k8s.Create(ctx, hu); err != nil {
		t.Fatalf("create: %v", err)
	}
	t.Cleanup(func() { _ = k8s.Delete(context.Background(), hu) })

	changed := hu.DeepCopy()
	changed.Spec.Code = "uhc-schema-renamed"
	err := k8s.Update(ctx, changed)
	if err == nil || !strings.Contains(err.Error(), "code is immutable") {
		t.Fatalf("changing spec.code: want %q, got %v", "code is immutable", err)
	}

	// Everything else may change.
	changed = hu.DeepCopy()
	changed.Spec.Names.EN = "Debidwar 50-bed Upazila Health Complex"
	changed.Spec.Policy.ApprovalThreshold = "20000.00"
	if err := k8s.Update(ctx, changed); err != nil {
		t.Fatalf("changing names and policy: %v", err)
	}
}

func TestServedCRD(t *testing.T) {
	needCluster(t)
	var crd apiextensionsv1.CustomResourceDefinition
	if err := k8s.Get(context.Background(), client.ObjectKey{Name: "hospitalunits.kalyan.dev"}, &crd); err != nil {
		t.Fatalf("get CRD: %v", err)
	}
	if crd.Spec.Scope != apiextensionsv1.ClusterScoped {
		t.Errorf("scope %s, want Cluster", crd.Spec.Scope)
	}
	var columns []string
	for _, v := range crd.Spec.Versions {
		if v.Name != "v1alpha1" {
			continue
		}
		if v.Subresources == nil || v.Subresources.Status == nil {
			t.Errorf("no status subresource")
		}
		for _, c := range v.AdditionalPrinterColumns {
			columns = append(columns, c.Name)
		}
	}
	for _, want := range []string{"Level", "District", "Ready", "Reason", "Donation URL", "Age"} {
		if !slices.Contains(columns, want) {
			t.Errorf("printer columns %v lack %q", columns, want)
		}
	}
}

func TestSamplesAreValid(t *testing.T) {
	needCluster(t)
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "config", "samples", "kalyan_v1alpha1_hospitalunit.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, doc := range strings.Split(string(data), "\n---\n") {
		var hu kalyanv1alpha1.HospitalUnit
		if err := yaml.UnmarshalStrict([]byte(doc), &hu); err != nil || hu.Kind != "HospitalUnit" {
			continue // the Secret
		}
		if err := k8s.Create(context.Background(), &hu, client.DryRunAll); err != nil {
			t.Errorf("sample %s: %v", hu.Name, err)
		}
		n++
	}
	if n != 2 {
		t.Fatalf("checked %d sample HospitalUnits, want 2", n)
	}
}

func ptr[T any](v T) *T { return &v }
