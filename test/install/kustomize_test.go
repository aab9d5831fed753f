// Package install tests the plain-kustomize install path against a real kube-apiserver (envtest):
// `kubectl apply --server-side -k config/default`, server-side dry run first, then for real, and then
// kalyan-operator run exactly as the applied Deployment runs it (its command's binary, its arguments,
// its ServiceAccount's permissions) until a HospitalUnit is Ready. It needs the envtest binaries and
// kubectl, which hack/envtest-assets.sh builds:
//
//	KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/install/
package install

import (
	"bytes"
	"context"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	"github.com/kalyan-platform/kalyan/internal/devstack"
	"github.com/kalyan-platform/kalyan/internal/kubetest"
	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

const runHint = "KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/install/"

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

func TestKustomizeInstall(t *testing.T) {
	assets := os.Getenv("KUBEBUILDER_ASSETS")
	if assets == "" {
		t.Fatalf("KUBEBUILDER_ASSETS is not set; run: %s", runHint)
	}
	kubectl := filepath.Join(assets, "kubectl")
	if _, err := os.Stat(kubectl); err != nil {
		t.Fatalf("no kubectl in KUBEBUILDER_ASSETS (%v); run: %s", err, runHint)
	}
	root := repoRoot(t)
	env := &envtest.Environment{} // no CRD: the kustomization installs it
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	dir := t.TempDir()
	adminKubeconfig := filepath.Join(dir, "admin.kubeconfig")
	if err := os.WriteFile(adminKubeconfig, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	apply := func(extra ...string) string {
		t.Helper()
		args := append([]string{"--kubeconfig", adminKubeconfig, "apply", "--server-side", "--field-manager=kalyan-install-test", "-k", filepath.Join(root, "config", "default")}, extra...)
		out, err := exec.CommandContext(t.Context(), kubectl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		if bytes.Contains(bytes.ToLower(out), []byte("warning")) {
			t.Errorf("kubectl %s warned:\n%s", strings.Join(args, " "), out)
		}
		return string(out)
	}
	// As the install instructions say: the namespace first (the API token Secret goes into it), then the
	// dry run (every object validated and admitted by the API server, nothing stored), then for real.
	if out, err := exec.CommandContext(t.Context(), kubectl, "--kubeconfig", adminKubeconfig, "create", "namespace", "kalyan-system").CombinedOutput(); err != nil {
		t.Fatalf("create namespace: %v\n%s", err, out)
	}
	out := apply("--dry-run=server")
	for _, want := range []string{"customresourcedefinition.apiextensions.k8s.io/hospitalunits.kalyan.dev", "deployment.apps/kalyan-operator",
		"validatingadmissionpolicy.admissionregistration.k8s.io/kalyan-operator-scope", "clusterrole.rbac.authorization.k8s.io/kalyan-operator-unit"} {
		if !strings.Contains(out, want) {
			t.Errorf("the dry run did not cover %s:\n%s", want, out)
		}
	}
	t.Logf("kubectl apply --dry-run=server -k config/default:\n%s", out)
	apply()

	scheme := runtime.NewScheme()
	_ = clientgoscheme.AddToScheme(scheme)
	_ = kalyanv1alpha1.AddToScheme(scheme)
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		t.Fatal(err)
	}
	var d appsv1.Deployment
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: "kalyan-system", Name: "kalyan-operator"}, &d); err != nil {
		t.Fatal(err)
	}
	pod := d.Spec.Template.Spec
	if len(pod.Containers) != 1 {
		t.Fatalf("operator pod has %d containers", len(pod.Containers))
	}
	ctr := pod.Containers[0]
	// The image the Dockerfile builds holds /usr/local/bin/kalyan-{api,worker,operator}; the chart uses the
	// same repository.
	if !strings.HasPrefix(ctr.Image, "ghcr.io/kalyan-platform/kalyan:") || !slices.Equal(ctr.Command, []string{"/usr/local/bin/kalyan-operator"}) {
		t.Errorf("operator container image %s command %v, want the Kalyan image and /usr/local/bin/kalyan-operator", ctr.Image, ctr.Command)
	}
	dockerfile, err := os.ReadFile(filepath.Join(root, "Dockerfile"))
	if err != nil || !bytes.Contains(dockerfile, []byte("/usr/local/bin/")) || !bytes.Contains(dockerfile, []byte("for b in api worker operator")) {
		t.Errorf("the Dockerfile does not build kalyan-operator into /usr/local/bin (%v)", err)
	}

	// Run the operator as that pod would: its binary, its arguments (addresses and the API adjusted to
	// this machine), acting as its ServiceAccount.
	bin := filepath.Join(dir, "kalyan-operator")
	build := exec.CommandContext(t.Context(), "go", "build", "-o", bin, "./operator")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("build kalyan-operator: %v\n%s", err, out)
	}
	st, err := devstack.Start(context.Background(), devstack.Options{Dir: filepath.Join(dir, "stack"), NoSeed: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close(context.Background()) })
	tok, err := st.Token("platform_admin", "", "kalyan-operator")
	if err != nil {
		t.Fatal(err)
	}
	tokenFile := filepath.Join(dir, "token")
	if err := os.WriteFile(tokenFile, []byte(tok), 0o600); err != nil {
		t.Fatal(err)
	}
	asSA, err := kubetest.ImpersonatingKubeConfig(env.KubeConfig, "system:serviceaccount:"+d.Namespace+":"+pod.ServiceAccountName)
	if err != nil {
		t.Fatal(err)
	}
	saKubeconfig := filepath.Join(dir, "operator.kubeconfig")
	if err := os.WriteFile(saKubeconfig, asSA, 0o600); err != nil {
		t.Fatal(err)
	}
	probe := freeAddr(t)
	args := []string{"--kubeconfig", saKubeconfig}
	for _, a := range ctr.Args {
		name, _, _ := strings.Cut(a, "=")
		switch name {
		case "--api-url":
			a = "--api-url=" + st.APIURL()
		case "--api-token-file":
			a = "--api-token-file=" + tokenFile
		case "--metrics-bind-address":
			a = "--metrics-bind-address=" + freeAddr(t)
		case "--health-probe-bind-address":
			a = "--health-probe-bind-address=" + probe
		}
		args = append(args, a)
	}
	var logs bytes.Buffer
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = &logs, &logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Signal(os.Interrupt)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("kalyan-operator %s:\n%s", strings.Join(args, " "), logs.String())
		}
	})

	hu := &kalyanv1alpha1.HospitalUnit{
		ObjectMeta: metav1.ObjectMeta{Name: "dh-khulna"},
		Spec: kalyanv1alpha1.HospitalUnitSpec{
			Code: "dh-khulna", Names: kalyanv1alpha1.Names{EN: "Khulna District Hospital", BN: "খুলনা জেলা হাসপাতাল"},
			Level: kalyanv1alpha1.LevelDistrict, Division: "Khulna", District: "Khulna",
		},
	}
	if err := c.Create(t.Context(), hu); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(90 * time.Second)
	for !meta.IsStatusConditionTrue(hu.Status.Conditions, kalyanv1alpha1.ConditionReady) {
		if time.Now().After(deadline) {
			t.Fatalf("HospitalUnit not Ready under the kustomize install: %+v", hu.Status.Conditions)
		}
		time.Sleep(100 * time.Millisecond)
		if err := c.Get(t.Context(), client.ObjectKeyFromObject(hu), hu); err != nil {
			t.Fatal(err)
		}
	}
	var sec corev1.Secret
	if err := c.Get(t.Context(), client.ObjectKey{Namespace: "kalyan-dh-khulna", Name: "receipt-signing-key"}, &sec); err != nil {
		t.Errorf("signing key: %v", err)
	}
	t.Logf("HospitalUnit %s Ready under `kubectl apply -k config/default`; operator args %v", hu.Name, ctr.Args)
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
