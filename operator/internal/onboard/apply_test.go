package onboard

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"sigs.k8s.io/controller-runtime/pkg/client"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/kube"
	"github.com/kalyan-platform/kalyan/operator/internal/testenv"
)

// env is a real kube-apiserver with the HospitalUnit CRD (nil without KUBEBUILDER_ASSETS). No operator
// runs here: these tests check what onboarding writes.
var (
	env *testenv.Env
	k8s client.Client
)

func TestMain(m *testing.M) { os.Exit(runMain(m)) }

func runMain(m *testing.M) int {
	flag.Parse()
	if testenv.Fuzzing() {
		return m.Run()
	}
	var err error
	env, err = testenv.Start()
	if errors.Is(err, testenv.ErrNoAssets) {
		env = nil
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
	scheme, err := kube.Scheme()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	if k8s, err = client.New(env.Config, client.Options{Scheme: scheme}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	return m.Run()
}

func TestApplyAllUnitsIdempotently(t *testing.T) {
	if env == nil {
		t.Skip(testenv.SkipReason)
	}
	ctx := context.Background()
	units := readDataset(t)
	var list kalyanv1alpha1.HospitalUnitList
	if err := k8s.List(ctx, &list); err != nil { // go test -count=N reuses the API server
		t.Fatal(err)
	}
	inDataset := map[string]bool{}
	for _, u := range units {
		inDataset[u.Code] = true
	}
	existing := 0
	for _, hu := range list.Items {
		if inDataset[hu.Name] {
			existing++
		}
	}

	res, err := Apply(ctx, k8s, units, 16)
	if err != nil {
		t.Fatalf("first apply: %v", err)
	}
	if res.Created != len(units)-existing || res.Updated != 0 {
		t.Fatalf("first apply: %+v, want %d created", res, len(units)-existing)
	}
	if err := k8s.List(ctx, &list); err != nil {
		t.Fatal(err)
	}
	existing = 0
	for _, hu := range list.Items {
		if inDataset[hu.Name] {
			existing++
		}
	}
	if existing != len(units) {
		t.Fatalf("%d of the dataset's HospitalUnits in the cluster, want %d", existing, len(units))
	}

	res, err = Apply(ctx, k8s, units, 16)
	if err != nil {
		t.Fatalf("second apply: %v", err)
	}
	if res.Unchanged != len(units) {
		t.Fatalf("second apply: %+v, want all %d unchanged", res, len(units))
	}

	// A field set by someone else survives a re-run; a field of the dataset is put back.
	var dmch kalyanv1alpha1.HospitalUnit
	if err := k8s.Get(ctx, client.ObjectKey{Name: "dmch"}, &dmch); err != nil {
		t.Fatal(err)
	}
	dmch.Spec.AdminGroup = "dmch-rks-admins"
	dmch.Spec.Names.EN = "Renamed by hand"
	if err := k8s.Update(ctx, &dmch, client.FieldOwner("platform-engineer")); err != nil {
		t.Fatal(err)
	}
	res, err = Apply(ctx, k8s, units, 16)
	if err != nil {
		t.Fatalf("third apply: %v", err)
	}
	if res.Updated != 1 || res.Unchanged != len(units)-1 {
		t.Fatalf("third apply: %+v, want 1 updated", res)
	}
	if err := k8s.Get(ctx, client.ObjectKey{Name: "dmch"}, &dmch); err != nil {
		t.Fatal(err)
	}
	if dmch.Spec.Names.EN != "Dhaka Medical College Hospital" || dmch.Spec.AdminGroup != "dmch-rks-admins" {
		t.Fatalf("after re-apply: names.en %q, adminGroup %q", dmch.Spec.Names.EN, dmch.Spec.AdminGroup)
	}
}

var commandRuns atomic.Int64

func TestCommand(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dataset := filepath.Join(root, "config", "units", "units.csv")
	var out, errOut bytes.Buffer
	if err := Command(context.Background(), []string{"--file", dataset}, &out, &errOut); err != nil {
		t.Fatalf("print manifests: %v (%s)", err, errOut.String())
	}
	if n := strings.Count(out.String(), "kind: HospitalUnit\n"); n != 538 {
		t.Fatalf("printed %d HospitalUnits, want 538", n)
	}

	bad := filepath.Join(t.TempDir(), "bad.csv")
	if err := os.WriteFile(bad, []byte(header+"ok,A,এ,district,Dhaka,Dhaka,\nBAD,B,বি,district,Dhaka,Dhaka,\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = Command(context.Background(), []string{"--file", bad, "--apply"}, &out, &errOut)
	if err == nil || !strings.Contains(err.Error(), "row 3") {
		t.Fatalf("bad dataset: got %v, want an error naming row 3", err)
	}

	if env == nil {
		return
	}
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig(), 0o600); err != nil {
		t.Fatal(err)
	}
	small := filepath.Join(t.TempDir(), "units.csv")
	run := commandRuns.Add(1)
	rows := fmt.Sprintf("cmd-a-%d,A,এ,district,Dhaka,Dhaka,\ncmd-b-%d,B,বি,upazila,Dhaka,Dhaka,Savar\n", run, run)
	if err := os.WriteFile(small, []byte(header+rows), 0o600); err != nil {
		t.Fatal(err)
	}
	out.Reset()
	if err := Command(context.Background(), []string{"--file", small, "--apply", "--kubeconfig", kubeconfig}, &out, &errOut); err != nil {
		t.Fatalf("apply: %v", err)
	}
	if !strings.Contains(out.String(), "2 created") {
		t.Fatalf("output %q", out.String())
	}
}
