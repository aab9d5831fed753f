// Package chart tests the Helm chart in charts/kalyan: helm lint, the rendered manifests (security contexts,
// probes, secrets, RBAC, monitoring) and a server-side dry run of every rendered object against a real
// kube-apiserver (envtest). It needs helm and the envtest binaries:
//
//	HELM=$(hack/helm.sh) KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/chart/
package chart

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/yaml"

	"github.com/kalyan-platform/kalyan/internal/config"
	"github.com/kalyan-platform/kalyan/internal/kubetest"
	"github.com/kalyan-platform/kalyan/internal/metrics"
	"github.com/kalyan-platform/kalyan/operator/crds"
)

const (
	release   = "kalyan"
	namespace = "kalyan-system"
	nonroot   = int64(65532)
	runHint   = "HELM=$(hack/helm.sh) KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./test/chart/"
)

// allValues turns on every optional object of the chart.
var allValues = filepath.Join("testdata", "values-all.yaml")

// helm runs the helm binary named by $HELM with a throwaway configuration, and returns its stdout.
func helm(t *testing.T, args ...string) (string, error) {
	t.Helper()
	bin := os.Getenv("HELM")
	if bin == "" {
		t.Fatalf("HELM is not set; build helm and run: %s", runHint)
	}
	if fi, err := os.Stat(bin); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
		t.Fatalf("HELM=%s is not an executable file (%v); run: %s", bin, err, runHint)
	}
	home := t.TempDir()
	cmd := exec.CommandContext(t.Context(), bin, args...)
	cmd.Env = append(os.Environ(),
		"HELM_CACHE_HOME="+filepath.Join(home, "cache"),
		"HELM_CONFIG_HOME="+filepath.Join(home, "config"),
		"HELM_DATA_HOME="+filepath.Join(home, "data"),
		"KUBECONFIG="+filepath.Join(home, "kubeconfig"), // template and lint must not need a cluster
	)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return stdout.String(), fmt.Errorf("helm %s: %w\n%s%s", strings.Join(args, " "), err, stdout.String(), stderr.String())
	}
	return stdout.String(), nil
}

func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		t.Fatalf("repository root: %v", err)
	}
	return root
}

func chartDir(t *testing.T) string { return filepath.Join(repoRoot(t), "charts", "kalyan") }

// template renders the chart (CRDs included) with the given extra helm arguments.
func template(t *testing.T, args ...string) (string, error) {
	t.Helper()
	return helm(t, append([]string{"template", release, chartDir(t), "--namespace", namespace, "--include-crds"}, args...)...)
}

// render renders the chart and decodes every object.
func render(t *testing.T, args ...string) []*unstructured.Unstructured {
	t.Helper()
	out, err := template(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decode(out)
	if err != nil {
		t.Fatalf("decode rendered manifests: %v", err)
	}
	if len(objs) == 0 {
		t.Fatal("the chart rendered no objects")
	}
	return objs
}

func decode(manifests string) ([]*unstructured.Unstructured, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(strings.NewReader(manifests)))
	var objs []*unstructured.Unstructured
	for {
		doc, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, err
		}
		var m map[string]any
		if err := yaml.Unmarshal(doc, &m); err != nil {
			return nil, fmt.Errorf("%w in:\n%s", err, doc)
		}
		if len(m) == 0 {
			continue // a comment-only document
		}
		objs = append(objs, &unstructured.Unstructured{Object: m})
	}
}

// renders are the chart's two configurations under test: defaults and everything on.
func renders(t *testing.T) map[string][]*unstructured.Unstructured {
	t.Helper()
	return map[string][]*unstructured.Unstructured{
		"defaults":      render(t),
		"everything on": render(t, "--values", allValues),
	}
}

func find(objs []*unstructured.Unstructured, kind, name string) *unstructured.Unstructured {
	for _, o := range objs {
		if o.GetKind() == kind && o.GetName() == name {
			return o
		}
	}
	return nil
}

func ofKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func convert[T any](t *testing.T, o *unstructured.Unstructured) *T {
	t.Helper()
	var v T
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &v); err != nil {
		t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
	}
	return &v
}

func TestLint(t *testing.T) {
	for _, args := range [][]string{nil, {"--values", allValues}} {
		if out, err := helm(t, append([]string{"lint", "--strict", chartDir(t), "--namespace", namespace}, args...)...); err != nil {
			t.Errorf("helm lint --strict %v: %v", args, err)
		} else if !strings.Contains(out, "0 chart(s) failed") {
			t.Errorf("helm lint %v:\n%s", args, out)
		}
	}
}

// TestSchemaRejects checks that values.schema.json and the templates' own checks refuse bad values.
func TestSchemaRejects(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown top-level key", []string{"--set", "replicaCount=3"}, "replicaCount"},
		{"misspelt nested key", []string{"--set", "api.replicaz=3"}, "replicaz"},
		{"log level outside the enum", []string{"--set", "logLevel=loud"}, "logLevel"},
		{"bad duration", []string{"--set", "bkash.timeout=30"}, "timeout"},
		{"bad broker list", []string{"--set", "kafka.brokers=kafka"}, "brokers"},
		{"non-mongodb URI", []string{"--set", "mongodb.uri=postgres://db"}, "uri"},
		{"partitions out of range", []string{"--set", "kafka.partitions=0"}, "partitions"},
		{"seal key of the wrong size", []string{"--set", "sealKey.value=c2hvcnQ="}, "sealKey"},
		{"ingress without host", []string{"--set", "api.ingress.enabled=true"}, "api.ingress.host is required"},
		{"replicas without leader election", []string{"--set", "operator.leaderElect=false"}, "operator.leaderElect"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := template(t, tc.args...)
			if err == nil {
				t.Fatalf("helm template %v succeeded", tc.args)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error does not mention %q:\n%v", tc.want, err)
			}
		})
	}
}

// TestCRDIsGenerated checks that the chart ships exactly the CRD controller-gen generates.
func TestCRDIsGenerated(t *testing.T) {
	const file = "kalyan.dev_hospitalunits.yaml"
	want, err := os.ReadFile(filepath.Join(repoRoot(t), "config", "crd", "bases", file))
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(chartDir(t), "crds", file))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Errorf("charts/kalyan/crds/%s differs from config/crd/bases/%s: cp config/crd/bases/%s charts/kalyan/crds/", file, file, file)
	}
	entries, err := os.ReadDir(filepath.Join(chartDir(t), "crds"))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 {
		t.Errorf("charts/kalyan/crds holds %d files, want only %s", len(entries), file)
	}
	if crds := ofKind(render(t), "CustomResourceDefinition"); len(crds) != 1 || crds[0].GetName() != "hospitalunits.kalyan.dev" {
		t.Errorf("rendered CRDs: %v", crds)
	}
}

// TestOperatorRBACIsGenerated checks that every ClusterRole of config/rbac (the operator's, generated by
// controller-gen from the controller's RBAC markers; its per-unit-namespace role; the metrics roles; the
// aggregated hospitalunit roles) is rendered by the chart with exactly the same rules, and the admission
// policy of config/policy too: least privilege, kept in step.
func TestOperatorRBACIsGenerated(t *testing.T) {
	var want []*unstructured.Unstructured
	for _, dir := range []string{"rbac", "policy"} {
		objs, err := kubetest.KustomizationObjects(filepath.Join(repoRoot(t), "config", dir))
		if err != nil {
			t.Fatal(err)
		}
		want = append(want, objs...)
	}
	for name, objs := range renders(t) {
		roles := 0
		for _, w := range want {
			switch w.GetKind() {
			case "ClusterRole":
				roles++
				got := find(objs, "ClusterRole", w.GetName()) // release "kalyan": the same names
				if got == nil {
					t.Errorf("%s: the chart renders no ClusterRole %s", name, w.GetName())
					continue
				}
				g, wr := normalizeRules(convert[rbacv1.ClusterRole](t, got).Rules), normalizeRules(convert[rbacv1.ClusterRole](t, w).Rules)
				if !reflect.DeepEqual(g, wr) {
					t.Errorf("%s: ClusterRole %s rules differ from config/rbac:\n got %v\nwant %v", name, w.GetName(), g, wr)
				}
				if !reflect.DeepEqual(got.GetLabels()["rbac.authorization.k8s.io/aggregate-to-"+aggregateOf(w)], w.GetLabels()["rbac.authorization.k8s.io/aggregate-to-"+aggregateOf(w)]) {
					t.Errorf("%s: ClusterRole %s aggregation labels %v, config/rbac has %v", name, w.GetName(), got.GetLabels(), w.GetLabels())
				}
			case "ValidatingAdmissionPolicy":
				got := find(objs, "ValidatingAdmissionPolicy", w.GetName())
				if got == nil {
					t.Errorf("%s: the chart renders no ValidatingAdmissionPolicy %s", name, w.GetName())
					continue
				}
				gs, _, _ := unstructured.NestedMap(got.Object, "spec")
				ws, _, _ := unstructured.NestedMap(w.Object, "spec")
				// The chart templates the operator's username from its namespace and ServiceAccount.
				gj, _ := json.Marshal(gs)
				wj, _ := json.Marshal(ws)
				if string(gj) != string(wj) {
					t.Errorf("%s: the chart's admission policy differs from config/policy:\n got %s\nwant %s", name, gj, wj)
				}
			}
		}
		if roles < 7 {
			t.Errorf("config/rbac has %d ClusterRoles, want the operator's, its unit role, metrics auth and reader, and three hospitalunit roles", roles)
		}
		for _, kind := range []string{"ClusterRole", "Role"} {
			for _, o := range ofKind(objs, kind) {
				for _, r := range convert[rbacv1.ClusterRole](t, o).Rules {
					for _, list := range [][]string{r.APIGroups, r.Resources, r.Verbs} {
						if slices.Contains(list, "*") {
							t.Errorf("%s: %s %s grants a wildcard: %v", name, kind, o.GetName(), r)
						}
					}
					if slices.Contains(r.Resources, "secrets") && kind == "ClusterRole" && o.GetName() != release+"-operator-unit" {
						t.Errorf("%s: ClusterRole %s grants Secrets: %v (only the per-unit-namespace role may)", name, o.GetName(), r)
					}
				}
			}
		}
		le := find(objs, "Role", release+"-operator-leader-election")
		if le == nil || le.GetNamespace() != namespace {
			t.Fatalf("%s: no leader election Role in %s", name, namespace)
		}
		var leaseRule bool
		for _, r := range convert[rbacv1.Role](t, le).Rules {
			leaseRule = leaseRule || (slices.Contains(r.APIGroups, "coordination.k8s.io") && slices.Contains(r.Resources, "leases"))
		}
		if !leaseRule {
			t.Errorf("%s: the leader election Role does not grant leases", name)
		}
		// Each binding binds only the identity it is for.
		allowed := map[string]string{
			release + "-operator-metrics-reader": release + "-operator-metrics-scraper",
			release + "-crds":                    release + "-crds",
		}
		for _, kind := range []string{"ClusterRoleBinding", "RoleBinding"} {
			for _, o := range ofKind(objs, kind) {
				wantSA := release + "-operator"
				if sa, ok := allowed[o.GetName()]; ok {
					wantSA = sa
				}
				subjects, _, _ := unstructured.NestedSlice(o.Object, "subjects")
				for _, s := range subjects {
					if m := s.(map[string]any); m["name"] != wantSA || m["namespace"] != namespace {
						t.Errorf("%s: %s %s binds %v, want only the ServiceAccount %s", name, kind, o.GetName(), m, wantSA)
					}
				}
			}
		}
	}
}

func aggregateOf(o *unstructured.Unstructured) string {
	for _, a := range []string{"admin", "edit", "view"} {
		if _, ok := o.GetLabels()["rbac.authorization.k8s.io/aggregate-to-"+a]; ok {
			return a
		}
	}
	return "none"
}

func normalizeRules(rules []rbacv1.PolicyRule) []string {
	var out []string
	for _, r := range rules {
		verbs := slices.Clone(r.Verbs)
		sort.Strings(verbs)
		names := slices.Clone(r.ResourceNames)
		sort.Strings(names)
		for _, g := range r.APIGroups {
			for _, res := range r.Resources {
				out = append(out, fmt.Sprintf("%s/%s%v:%s", g, res, names, strings.Join(verbs, ",")))
			}
		}
		for _, u := range r.NonResourceURLs {
			out = append(out, fmt.Sprintf("url %s:%s", u, strings.Join(verbs, ",")))
		}
	}
	sort.Strings(out)
	return out
}

// podTemplates returns the pod template of every workload object, and fails on a workload kind it does
// not know (so a new kind cannot slip past the security checks).
func podTemplates(t *testing.T, objs []*unstructured.Unstructured) map[string]*corev1.PodTemplateSpec {
	t.Helper()
	out := map[string]*corev1.PodTemplateSpec{}
	for _, o := range objs {
		var path []string
		switch o.GetKind() {
		case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
			path = []string{"spec", "template"}
		case "CronJob":
			path = []string{"spec", "jobTemplate", "spec", "template"}
		case "Pod":
			var pod corev1.Pod
			if err := runtime.DefaultUnstructuredConverter.FromUnstructured(o.Object, &pod); err != nil {
				t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
			}
			out[o.GetKind()+"/"+o.GetName()] = &corev1.PodTemplateSpec{ObjectMeta: pod.ObjectMeta, Spec: pod.Spec}
			continue
		case "PodTemplate", "ReplicationController":
			t.Fatalf("%s %s: unexpected workload kind", o.GetKind(), o.GetName())
		default:
			continue
		}
		m, ok, err := unstructured.NestedMap(o.Object, path...)
		if err != nil || !ok {
			t.Fatalf("%s %s: no pod template (%v)", o.GetKind(), o.GetName(), err)
		}
		var pt corev1.PodTemplateSpec
		if err := runtime.DefaultUnstructuredConverter.FromUnstructured(m, &pt); err != nil {
			t.Fatalf("%s %s: %v", o.GetKind(), o.GetName(), err)
		}
		out[o.GetKind()+"/"+o.GetName()] = &pt
	}
	return out
}

// TestPodSecurity checks the secure defaults on every pod template the chart renders.
func TestPodSecurity(t *testing.T) {
	for name, objs := range renders(t) {
		pods := podTemplates(t, objs)
		if len(pods) != 6 {
			t.Errorf("%s: %d pod templates, want 6 (api, worker, operator, the CRD upgrade hook, the helm test, the verify CronJob)", name, len(pods))
		}
		for id, pt := range pods {
			where := name + ": " + id
			spec := pt.Spec
			psc := spec.SecurityContext
			switch {
			case psc == nil:
				t.Errorf("%s: no pod securityContext", where)
				continue
			case psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot:
				t.Errorf("%s: runAsNonRoot is not true", where)
			case psc.RunAsUser == nil || *psc.RunAsUser != nonroot:
				t.Errorf("%s: runAsUser is not %d", where, nonroot)
			case psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault:
				t.Errorf("%s: seccompProfile is not RuntimeDefault", where)
			}
			if spec.HostNetwork || spec.HostPID || spec.HostIPC {
				t.Errorf("%s: shares a host namespace", where)
			}
			for _, v := range spec.Volumes {
				if v.HostPath != nil {
					t.Errorf("%s: hostPath volume %s", where, v.Name)
				}
			}
			component := pt.Labels["app.kubernetes.io/component"]
			talks := component == "operator" || component == "crds"
			if spec.AutomountServiceAccountToken == nil || *spec.AutomountServiceAccountToken != talks {
				t.Errorf("%s: automountServiceAccountToken = %v, want %v (only the operator and its CRD hook talk to Kubernetes)", where, spec.AutomountServiceAccountToken, talks)
			}
			if spec.ServiceAccountName == "" {
				t.Errorf("%s: runs as the namespace's default ServiceAccount", where)
			}
			for _, c := range slices.Concat(spec.InitContainers, spec.Containers) {
				cw := where + " container " + c.Name
				sc := c.SecurityContext
				if sc == nil {
					t.Errorf("%s: no securityContext", cw)
					continue
				}
				if sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem {
					t.Errorf("%s: readOnlyRootFilesystem is not true", cw)
				}
				if sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation {
					t.Errorf("%s: allowPrivilegeEscalation is not false", cw)
				}
				if sc.Privileged != nil && *sc.Privileged {
					t.Errorf("%s: privileged", cw)
				}
				if sc.RunAsNonRoot != nil && !*sc.RunAsNonRoot || sc.RunAsUser != nil && *sc.RunAsUser == 0 {
					t.Errorf("%s: may run as root", cw)
				}
				if sc.Capabilities == nil || !slices.Contains(sc.Capabilities.Drop, "ALL") || len(sc.Capabilities.Add) > 0 {
					t.Errorf("%s: capabilities are not drop [ALL] without additions", cw)
				}
				if sc.SeccompProfile != nil && sc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
					t.Errorf("%s: seccompProfile %s", cw, sc.SeccompProfile.Type)
				}
				if c.Resources.Requests.Memory().IsZero() || c.Resources.Limits.Memory().IsZero() || c.Resources.Requests.Cpu().IsZero() ||
					c.Resources.Requests.StorageEphemeral().IsZero() || c.Resources.Limits.StorageEphemeral().IsZero() {
					t.Errorf("%s: resources lack cpu request, memory or ephemeral-storage request/limit: %v", cw, c.Resources)
				}
				if len(c.Command) != 1 && !strings.HasPrefix(id, "Job/") && !strings.HasPrefix(id, "Pod/") || len(c.Command) == 0 || !strings.HasPrefix(c.Command[0], "/usr/local/bin/kalyan-") {
					t.Errorf("%s: command %v, want one of the image's binaries named explicitly", cw, c.Command)
				}
				if strings.HasPrefix(id, "Deployment/") && (c.LivenessProbe == nil || c.ReadinessProbe == nil) {
					t.Errorf("%s: liveness or readiness probe missing", cw)
				}
			}
		}
		for _, sa := range ofKind(objs, "ServiceAccount") {
			automount, _, _ := unstructured.NestedBool(sa.Object, "automountServiceAccountToken")
			if want := sa.GetName() == release+"-operator"; automount != want {
				t.Errorf("%s: ServiceAccount %s automountServiceAccountToken = %v, want %v", name, sa.GetName(), automount, want)
			}
		}
	}
}

func container(t *testing.T, objs []*unstructured.Unstructured, deployment string) (*corev1.PodSpec, *corev1.Container) {
	t.Helper()
	o := find(objs, "Deployment", deployment)
	if o == nil {
		t.Fatalf("no Deployment %s", deployment)
	}
	d := convert[appsv1.Deployment](t, o)
	if len(d.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("Deployment %s has %d containers", deployment, len(d.Spec.Template.Spec.Containers))
	}
	return &d.Spec.Template.Spec, &d.Spec.Template.Spec.Containers[0]
}

func probePort(t *testing.T, c *corev1.Container, p *corev1.Probe) int32 {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Fatalf("container %s: probe is not an HTTP GET", c.Name)
	}
	if p.HTTPGet.Port.Type == intstr.Int {
		return p.HTTPGet.Port.IntVal
	}
	for _, port := range c.Ports {
		if port.Name == p.HTTPGet.Port.StrVal {
			return port.ContainerPort
		}
	}
	t.Fatalf("container %s: probe port %q is not declared", c.Name, p.HTTPGet.Port.StrVal)
	return 0
}

func envValue(c *corev1.Container, name string) (corev1.EnvVar, bool) {
	for _, e := range c.Env {
		if e.Name == name {
			return e, true
		}
	}
	return corev1.EnvVar{}, false
}

// secretFile is where a secret setting of the api and worker comes from: KALYAN_<X>_FILE names a file
// of the projected "secrets" volume, which maps it to a Secret's key.
type secretFile struct{ env, path, secret, key string }

// secretFiles lists the secret settings of a container, failing on a secret passed as a variable.
func secretFiles(t *testing.T, spec *corev1.PodSpec, c *corev1.Container) map[string]secretFile {
	t.Helper()
	mount := ""
	for _, m := range c.VolumeMounts {
		if m.Name == "secrets" {
			mount = m.MountPath
			if m.SubPath != "" || !m.ReadOnly {
				t.Errorf("container %s: the secrets volume must be mounted read-only and whole (no subPath, so rotation reaches the files)", c.Name)
			}
		}
	}
	sources := map[string][2]string{} // path → secret, key
	for _, v := range spec.Volumes {
		if v.Name != "secrets" {
			continue
		}
		if v.Projected == nil {
			t.Fatalf("container %s: the secrets volume is not a projected volume", c.Name)
		}
		for _, src := range v.Projected.Sources {
			if src.Secret == nil {
				t.Errorf("container %s: the secrets volume projects something else than Secrets: %+v", c.Name, src)
				continue
			}
			for _, it := range src.Secret.Items {
				sources[it.Path] = [2]string{src.Secret.Name, it.Key}
			}
		}
	}
	out := map[string]secretFile{}
	for _, e := range c.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
			t.Errorf("container %s: %s comes from a Secret as an environment variable; secrets are mounted as files", c.Name, e.Name)
		}
		name, ok := strings.CutSuffix(e.Name, "_FILE")
		if !ok || !strings.HasPrefix(e.Value, mount+"/") || mount == "" {
			continue
		}
		path := strings.TrimPrefix(e.Value, mount+"/")
		src, ok := sources[path]
		if !ok {
			t.Errorf("container %s: %s names %s, which the secrets volume does not hold", c.Name, e.Name, e.Value)
		}
		out[name] = secretFile{env: e.Name, path: path, secret: src[0], key: src[1]}
	}
	return out
}

// TestAppWorkloads checks the api and worker binaries, listen addresses, probes and where their settings
// come from.
func TestAppWorkloads(t *testing.T) {
	for name, objs := range renders(t) {
		for _, tc := range []struct {
			deployment, binary string
			port               int32
		}{
			{release + "-api", "/usr/local/bin/kalyan-api", 8080},
			{release + "-worker", "/usr/local/bin/kalyan-worker", 8081},
		} {
			where := name + ": " + tc.deployment
			_, c := container(t, objs, tc.deployment)
			if !slices.Equal(c.Command, []string{tc.binary}) {
				t.Errorf("%s: command %v, want %s", where, c.Command, tc.binary)
			}
			if p := c.LivenessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/livez" || probePort(t, c, p) != tc.port {
				t.Errorf("%s: liveness probe %+v, want GET /livez on %d", where, p, tc.port)
			}
			if p := c.ReadinessProbe; p == nil || p.HTTPGet == nil || p.HTTPGet.Path != "/readyz" || probePort(t, c, p) != tc.port {
				t.Errorf("%s: readiness probe %+v, want GET /readyz on %d", where, p, tc.port)
			}
			for env, want := range map[string]string{"KALYAN_HTTP_ADDR": "0.0.0.0:8080", "KALYAN_WORKER_ADDR": "0.0.0.0:8081"} {
				if e, ok := envValue(c, env); !ok || e.Value != want {
					t.Errorf("%s: %s = %q, want %q", where, env, e.Value, want)
				}
			}
			spec, _ := container(t, objs, tc.deployment)
			files := secretFiles(t, spec, c)
			for _, env := range []string{"KALYAN_MONGODB_URI", "KALYAN_BKASH_USERNAME", "KALYAN_BKASH_PASSWORD", "KALYAN_BKASH_APP_KEY", "KALYAN_BKASH_APP_SECRET", "KALYAN_SEAL_KEY"} {
				if f, ok := files[env]; !ok || f.secret == "" {
					t.Errorf("%s: %s is not a file from a Secret: %+v", where, env, f)
				}
				if e, ok := envValue(c, env); ok {
					t.Errorf("%s: %s is set as a variable: %+v", where, env, e)
				}
			}
			if len(c.EnvFrom) != 1 || c.EnvFrom[0].ConfigMapRef == nil || c.EnvFrom[0].ConfigMapRef.Name != release+"-config" {
				t.Errorf("%s: envFrom %+v, want the %s-config ConfigMap", where, c.EnvFrom, release)
			}
		}
		for _, svc := range []string{release + "-api", release + "-worker", release + "-operator-metrics"} {
			if find(objs, "Service", svc) == nil {
				t.Errorf("%s: no Service %s", name, svc)
			}
		}
		for _, pdb := range []string{release + "-api", release + "-worker", release + "-operator"} {
			if find(objs, "PodDisruptionBudget", pdb) == nil {
				t.Errorf("%s: no PodDisruptionBudget %s", name, pdb)
			}
		}
	}
}

// TestSecretsStayInSecrets renders the chart with credentials in values and checks that they appear only
// (base64) in Secrets, never in a ConfigMap or anywhere in plain text.
func TestSecretsStayInSecrets(t *testing.T) {
	creds := map[string]string{
		"mongodb.uri":           "mongodb://kalyan:m0ng0-pa55@mongo-0.mongo:27017/?replicaSet=rs0",
		"bkash.username":        "kalyan-merchant-user",
		"bkash.password":        "bk4sh-pa55word",
		"bkash.appKey":          "bk4sh-app-key-value",
		"bkash.appSecret":       "bk4sh-app-secret-value",
		"sealKey.value":         "c2VhbC1rZXktb2YtdGhpcnR5LXR3by1ieXRlcy0wMDA=",
		"notify.sms.token":      "sms-gateway-t0ken",
		"notify.email.password": "smtp-pa55word",
	}
	var args []string
	for k, v := range creds {
		args = append(args, "--set-string", k+"="+v)
	}
	args = append(args, "--set-string", "operator.apiToken.value=eyJhbGciOiJFZERTQSJ9.platform-admin.sig",
		"--set", "notify.sms.url=https://sms.example.org/send", "--set", "notify.email.smtpAddr=smtp.example.org:587",
		"--set", "notify.email.from=noreply@kalyan.example.org")
	out, err := template(t, args...)
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range creds {
		if strings.Contains(out, v) {
			t.Errorf("%s appears in plain text in the rendered manifests", k)
		}
	}
	if strings.Contains(out, "platform-admin.sig") {
		t.Errorf("the operator's API token appears in plain text")
	}
	objs, err := decode(out)
	if err != nil {
		t.Fatal(err)
	}
	secret := find(objs, "Secret", release+"-credentials")
	if secret == nil {
		t.Fatalf("no Secret %s-credentials", release)
	}
	data, _, _ := unstructured.NestedStringMap(secret.Object, "data")
	for key, want := range map[string]string{
		"mongodb-uri": creds["mongodb.uri"], "bkash-username": creds["bkash.username"], "bkash-password": creds["bkash.password"],
		"bkash-app-key": creds["bkash.appKey"], "bkash-app-secret": creds["bkash.appSecret"], "seal-key": creds["sealKey.value"],
		"notify-sms-token": creds["notify.sms.token"], "notify-email-password": creds["notify.email.password"],
	} {
		got, err := base64.StdEncoding.DecodeString(data[key])
		if err != nil || string(got) != want {
			t.Errorf("Secret key %s = %q (%v)", key, got, err)
		}
	}
	for _, cm := range ofKind(objs, "ConfigMap") {
		data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
		for key := range data {
			if strings.Contains(key, "MONGODB_URI") || strings.Contains(key, "PASSWORD") || strings.Contains(key, "APP_SECRET") ||
				strings.Contains(key, "APP_KEY") || strings.Contains(key, "SEAL_KEY") || strings.Contains(key, "TOKEN") ||
				(strings.Contains(key, "USERNAME") && key != "KALYAN_NOTIFY_EMAIL_USERNAME") {
				t.Errorf("ConfigMap %s holds %s", cm.GetName(), key)
			}
		}
	}
	// Secrets of the user's own are referenced, and the chart then creates none.
	objs = render(t, "--values", allValues)
	if s := find(objs, "Secret", release+"-credentials"); s != nil {
		t.Errorf("everything on: the chart created %s although existing Secrets are configured", s.GetName())
	}
	spec, c := container(t, objs, release+"-api")
	files := secretFiles(t, spec, c)
	for env, want := range map[string][2]string{
		"KALYAN_MONGODB_URI": {"kalyan-mongodb", "connection-string"}, "KALYAN_BKASH_PASSWORD": {"kalyan-bkash", "password"},
		"KALYAN_SEAL_KEY": {"kalyan-seal", "seal.key"}, "KALYAN_NOTIFY_SMS_TOKEN": {"kalyan-notify", "sms-token"},
		"KALYAN_NOTIFY_EMAIL_PASSWORD": {"kalyan-notify", "smtp-password"},
	} {
		if f := files[env]; f.secret != want[0] || f.key != want[1] {
			t.Errorf("everything on: %s from %+v, want Secret %s key %s", env, f, want[0], want[1])
		}
	}
}

// TestConfiguration checks the settings rendered from values: public URL, brokers, auth, operator flags.
func TestConfiguration(t *testing.T) {
	objs := render(t, "--values", allValues)
	cm := find(objs, "ConfigMap", release+"-config")
	if cm == nil {
		t.Fatalf("no ConfigMap %s-config", release)
	}
	data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
	for k, want := range map[string]string{
		"KALYAN_PUBLIC_URL":                   "https://give.kalyan.example.org",
		"KALYAN_KAFKA_BROKERS":                "kafka-0.kafka-headless:9092,kafka-1.kafka-headless:9092,kafka-2.kafka-headless:9092",
		"KALYAN_KAFKA_PARTITIONS":             "24",
		"KALYAN_AUTH_JWKS_URL":                "https://id.example.org/realms/kalyan/protocol/openid-connect/certs",
		"KALYAN_AUTH_ISSUER":                  "https://id.example.org/realms/kalyan",
		"KALYAN_AUTH_AUDIENCE":                "kalyan-api",
		"KALYAN_MONGODB_DATABASE":             "kalyan_prod",
		"KALYAN_LOG_LEVEL":                    "warn",
		"KALYAN_HTTP_BODY_LIMIT":              "65536",
		"KALYAN_KAFKA_REPLICATION_FACTOR":     "3",
		"KALYAN_RECEIPTS_CITATION":            "আয়কর আইন ২০২৩ অনুযায়ী কর রেয়াতযোগ্য।\nTax-rebatable under the Income Tax Act 2023.",
		"KALYAN_RECEIPTS_STATEMENT_LINK_TTL":  "72h",
		"KALYAN_RECEIPTS_STATEMENTS_PER_HOUR": "5",
		"KALYAN_NOTIFY_SMS_URL":               "https://sms.example.org/api/send",
		"KALYAN_NOTIFY_SMS_SENDER":            "KALYAN",
		"KALYAN_NOTIFY_EMAIL_SMTP_ADDR":       "smtp.example.org:587",
		"KALYAN_NOTIFY_EMAIL_FROM":            "Kalyan <noreply@kalyan.example.org>",
		"KALYAN_NOTIFY_EMAIL_USERNAME":        "kalyan",
		"KALYAN_RECONCILE_INTERVAL":           "30s",
		"KALYAN_RECONCILE_AFTER":              "10m",
		"KALYAN_RECONCILE_EXPIRE":             "25h",
		"KALYAN_RECONCILE_PER_PASS":           "200",
	} {
		if data[k] != want {
			t.Errorf("%s = %q, want %q", k, data[k], want)
		}
	}
	ing := find(objs, "Ingress", release+"-api")
	if ing == nil {
		t.Fatal("no Ingress")
	}
	rules, _, _ := unstructured.NestedSlice(ing.Object, "spec", "rules")
	if len(rules) != 1 || rules[0].(map[string]any)["host"] != "give.kalyan.example.org" {
		t.Errorf("Ingress rules %v", rules)
	}
	paths, _, _ := unstructured.NestedSlice(rules[0].(map[string]any), "http", "paths")
	for _, p := range paths {
		if path := p.(map[string]any)["path"]; path == "/metrics" || path == "/readyz" || (path == "/" && p.(map[string]any)["pathType"] != "Exact") {
			t.Errorf("the Ingress exposes %v (metrics and probes must stay in the cluster)", p)
		}
	}
	for _, hpa := range []string{release + "-api", release + "-worker"} {
		o := find(objs, "HorizontalPodAutoscaler", hpa)
		if o == nil || o.GetAPIVersion() != "autoscaling/v2" {
			t.Errorf("no autoscaling/v2 HorizontalPodAutoscaler %s", hpa)
		}
		if d := find(objs, "Deployment", hpa); d != nil {
			if _, ok, _ := unstructured.NestedFieldNoCopy(d.Object, "spec", "replicas"); ok {
				t.Errorf("Deployment %s sets replicas although its HPA owns them", hpa)
			}
		}
	}

	// A signing key Secret instead of a JWKS URL is mounted read-only and named by KALYAN_AUTH_KEY_FILE.
	objs = render(t, "--set", "auth.signingKey.existingSecret=kalyan-auth")
	spec, c := container(t, objs, release+"-api")
	if e, _ := envValue(c, "KALYAN_AUTH_KEY_FILE"); e.Value != "/etc/kalyan/auth/signing-key.jwk" {
		t.Errorf("KALYAN_AUTH_KEY_FILE = %q", e.Value)
	}
	var mounted bool
	for _, v := range spec.Volumes {
		mounted = mounted || (v.Secret != nil && v.Secret.SecretName == "kalyan-auth")
	}
	if !mounted {
		t.Errorf("the signing key Secret is not mounted: %+v", spec.Volumes)
	}

	// The operator: flags, token file from a Secret volume, platform namespace.
	for name, objs := range renders(t) {
		spec, c := container(t, objs, release+"-operator")
		if !slices.Equal(c.Command, []string{"/usr/local/bin/kalyan-operator"}) {
			t.Errorf("%s: operator command %v", name, c.Command)
		}
		args := strings.Join(c.Args, " ")
		for _, want := range []string{
			"--api-url=http://" + release + "-api." + namespace + ".svc:8080", "--platform-namespace=" + namespace,
			"--leader-elect=true", "--metrics-bind-address=:8443", "--health-probe-bind-address=:8081", "--unit-cluster-role=" + release + "-operator-unit",
			"--leader-election-namespace=" + namespace, "--api-token-file=/var/run/secrets/kalyan/",
		} {
			if !strings.Contains(args, want) {
				t.Errorf("%s: operator args lack %s: %s", name, want, args)
			}
		}
		if len(c.VolumeMounts) != 1 || c.VolumeMounts[0].SubPath != "" || c.VolumeMounts[0].MountPath != "/var/run/secrets/kalyan" {
			t.Errorf("%s: the token must be a whole Secret volume (no subPath, so rotation reaches the file): %+v", name, c.VolumeMounts)
		}
		if len(spec.Volumes) != 1 || spec.Volumes[0].Secret == nil {
			t.Errorf("%s: operator volumes %+v", name, spec.Volumes)
		}
		for _, p := range []*corev1.Probe{c.LivenessProbe, c.ReadinessProbe} {
			if probePort(t, c, p) != 8081 {
				t.Errorf("%s: operator probe on %d, want 8081", name, probePort(t, c, p))
			}
		}
	}
}

// TestBinariesAcceptRenderedConfig gives the configuration code of kalyan-api and kalyan-worker
// (internal/config: Load, then ValidateExternal as the binaries do) exactly the environment the chart
// gives their containers, Secrets resolved, and expects it to be accepted.
func TestBinariesAcceptRenderedConfig(t *testing.T) {
	seal := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, 32))
	for _, tc := range []struct {
		name     string
		args     []string
		external map[string]map[string]string // Secrets of the user's own
		want     map[string]string
	}{
		{
			name: "credentials as values",
			args: []string{
				"--set", "mongodb.uri=mongodb://kalyan:pw@mongo-0.mongo:27017/?replicaSet=rs0", "--set", "kafka.brokers=kafka-0:9092\\,kafka-1:9092",
				"--set", "bkash.username=u", "--set", "bkash.password=p", "--set", "bkash.appKey=k", "--set", "bkash.appSecret=s",
				"--set", "sealKey.value=" + seal, "--set", "auth.jwksURL=https://id.example.org/jwks", "--set", "publicURL=https://give.example.org",
			},
			want: map[string]string{"publicURL": "https://give.example.org", "brokers": "kafka-0:9092,kafka-1:9092", "bkashUser": "u"},
		},
		{
			name: "everything on",
			args: []string{"--values", allValues},
			external: map[string]map[string]string{
				"kalyan-mongodb": {"connection-string": "mongodb://mongo:27017"},
				"kalyan-bkash":   {"username": "merchant", "password": "p", "appKey": "k", "appSecret": "s"},
				"kalyan-seal":    {"seal.key": seal},
				"kalyan-notify":  {"sms-token": "t", "smtp-password": "p"},
			},
			want: map[string]string{"publicURL": "https://give.kalyan.example.org", "brokers": "kafka-0.kafka-headless:9092,kafka-1.kafka-headless:9092,kafka-2.kafka-headless:9092", "bkashUser": "merchant"},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			objs := render(t, tc.args...)
			secrets := map[string]map[string]string{}
			for name, data := range tc.external {
				secrets[name] = data
			}
			for _, o := range ofKind(objs, "Secret") {
				data, _, _ := unstructured.NestedStringMap(o.Object, "data")
				secrets[o.GetName()] = map[string]string{}
				for k, v := range data {
					b, err := base64.StdEncoding.DecodeString(v)
					if err != nil {
						t.Fatal(err)
					}
					secrets[o.GetName()][k] = string(b)
				}
			}
			for _, deployment := range []string{release + "-api", release + "-worker"} {
				t.Run(deployment, func(t *testing.T) {
					_, c := container(t, objs, deployment)
					env := map[string]string{}
					for _, from := range c.EnvFrom {
						cm := find(objs, "ConfigMap", from.ConfigMapRef.Name)
						if cm == nil {
							t.Fatalf("envFrom names a ConfigMap the chart does not render: %s", from.ConfigMapRef.Name)
						}
						data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
						for k, v := range data {
							env[k] = v
						}
					}
					// The projected secrets volume, laid out as the kubelet would.
					spec, _ := container(t, objs, deployment)
					files := secretFiles(t, spec, c)
					mounted := t.TempDir()
					for _, f := range files {
						v, ok := secrets[f.secret][f.key]
						if !ok {
							t.Fatalf("%s: Secret %s has no key %s", f.env, f.secret, f.key)
						}
						if err := os.WriteFile(filepath.Join(mounted, f.path), []byte(v), 0o400); err != nil {
							t.Fatal(err)
						}
					}
					for _, e := range c.Env {
						switch {
						case e.ValueFrom != nil:
							t.Fatalf("%s: unexpected valueFrom %+v", e.Name, e.ValueFrom)
						case strings.HasSuffix(e.Name, "_FILE") && strings.HasPrefix(e.Value, "/etc/kalyan/secrets/"):
							env[e.Name] = filepath.Join(mounted, strings.TrimPrefix(e.Value, "/etc/kalyan/secrets/"))
						default:
							env[e.Name] = e.Value
						}
					}
					setEnv(t, env)
					cfg, err := config.Load()
					if err != nil {
						t.Fatalf("config.Load: %v", err)
					}
					if err := cfg.ValidateExternal(); err != nil {
						t.Fatalf("the binaries would refuse this configuration:\n%v", err)
					}
					if cfg.HTTPAddr != "0.0.0.0:8080" || cfg.WorkerAddr != "0.0.0.0:8081" {
						t.Errorf("listen addresses %s, %s", cfg.HTTPAddr, cfg.WorkerAddr)
					}
					if got := strings.Join(cfg.Kafka.Brokers, ","); got != tc.want["brokers"] {
						t.Errorf("brokers %q, want %q", got, tc.want["brokers"])
					}
					if cfg.PublicURL != tc.want["publicURL"] || cfg.BKash.Username != tc.want["bkashUser"] {
						t.Errorf("publicURL %q, bKash user %q; want %q, %q", cfg.PublicURL, cfg.BKash.Username, tc.want["publicURL"], tc.want["bkashUser"])
					}
				})
			}
		})
	}
}

// setEnv makes env the only KALYAN_* variables of the process for the rest of the test.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); strings.HasPrefix(k, "KALYAN_") {
			t.Setenv(k, "") // restores the variable after the test
			if err := os.Unsetenv(k); err != nil {
				t.Fatal(err)
			}
		}
	}
	for k, v := range env {
		t.Setenv(k, v)
	}
}

// kalyanMetrics are the metric names the api and worker register (from internal/metrics) and the
// operator's (operator/internal/controller/metrics.go, checked against its source).
func kalyanMetrics(t *testing.T) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	m := metrics.New()
	v := reflect.ValueOf(m).Elem()
	fqName := regexp.MustCompile(`fqName: "([a-zA-Z0-9_:]+)"`)
	for i := range v.NumField() {
		c, ok := v.Field(i).Interface().(prometheus.Collector)
		if !ok || v.Type().Field(i).Name == "Registry" {
			continue
		}
		ch := make(chan *prometheus.Desc, 16)
		c.Describe(ch)
		close(ch)
		for d := range ch {
			if mm := fqName.FindStringSubmatch(d.String()); mm != nil {
				names[mm[1]] = true
			}
		}
	}
	src, err := os.ReadFile(filepath.Join(repoRoot(t), "operator", "internal", "controller", "metrics.go"))
	if err != nil {
		t.Fatal(err)
	}
	for full, literal := range map[string]string{
		"kalyan_operator_units":                      `"kalyan_operator_units"`,
		"kalyan_operator_units_scrape_errors":        `"kalyan_operator_units_scrape_errors"`,
		"kalyan_operator_reconcile_duration_seconds": `Name: "reconcile_duration_seconds"`,
		"kalyan_operator_api_requests_total":         `Name: "api_requests_total"`,
	} {
		if !bytes.Contains(src, []byte(literal)) {
			t.Errorf("operator metric %s is no longer in operator/internal/controller/metrics.go", full)
		}
		names[full] = true
	}
	return names
}

var metricRef = regexp.MustCompile(`\bkalyan_[a-z_]+`)

// checkQuery checks that a PromQL query only names metrics that exist and that its brackets balance.
func checkQuery(t *testing.T, known map[string]bool, where, q string) {
	t.Helper()
	for _, name := range metricRef.FindAllString(q, -1) {
		base := name
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			if !known[base] && strings.HasSuffix(base, suffix) {
				base = strings.TrimSuffix(base, suffix)
			}
		}
		if !known[base] {
			t.Errorf("%s: unknown metric %s in %s", where, name, q)
		}
	}
	var stack []rune
	pairs := map[rune]rune{')': '(', ']': '[', '}': '{'}
	inString := false
	for _, r := range q {
		switch {
		case r == '"':
			inString = !inString
		case inString:
		case r == '(' || r == '[' || r == '{':
			stack = append(stack, r)
		case pairs[r] != 0:
			if len(stack) == 0 || stack[len(stack)-1] != pairs[r] {
				t.Errorf("%s: unbalanced %q in %s", where, r, q)
				return
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 || inString {
		t.Errorf("%s: unclosed brackets or quotes in %s", where, q)
	}
}

// TestMonitoring checks the ServiceMonitors, the alerts and the Grafana dashboard.
func TestMonitoring(t *testing.T) {
	known := kalyanMetrics(t)
	for _, want := range []string{"kalyan_http_request_duration_seconds", "kalyan_donations_total", "kalyan_kafka_consumer_lag", "kalyan_event_processing_seconds"} {
		if !known[want] {
			t.Fatalf("internal/metrics no longer registers %s", want)
		}
	}
	defaults := render(t)
	for _, kind := range []string{"ServiceMonitor", "PrometheusRule", "Ingress", "HorizontalPodAutoscaler"} {
		if n := len(ofKind(defaults, kind)); n != 0 {
			t.Errorf("defaults render %d %s objects; they are opt-in", n, kind)
		}
	}

	objs := render(t, "--values", allValues)
	sms := ofKind(objs, "ServiceMonitor")
	if len(sms) != 3 {
		t.Errorf("%d ServiceMonitors, want 3 (api, worker, operator)", len(sms))
	}
	for _, sm := range sms {
		sel, _, _ := unstructured.NestedStringMap(sm.Object, "spec", "selector", "matchLabels")
		endpoints, _, _ := unstructured.NestedSlice(sm.Object, "spec", "endpoints")
		var matched bool
		for _, svc := range ofKind(objs, "Service") {
			labels := svc.GetLabels()
			all := true
			for k, v := range sel {
				all = all && labels[k] == v
			}
			if !all {
				continue
			}
			ports, _, _ := unstructured.NestedSlice(svc.Object, "spec", "ports")
			for _, p := range ports {
				for _, e := range endpoints {
					matched = matched || p.(map[string]any)["name"] == e.(map[string]any)["port"]
				}
			}
		}
		if !matched {
			t.Errorf("ServiceMonitor %s selects no Service port", sm.GetName())
		}
		if sm.GetLabels()["release"] != "kube-prometheus-stack" {
			t.Errorf("ServiceMonitor %s lacks the configured labels", sm.GetName())
		}
		for _, e := range endpoints {
			ep := e.(map[string]any)
			if rl, _ := ep["relabelings"].([]any); len(rl) == 0 {
				t.Errorf("ServiceMonitor %s endpoint %v has no relabelings", sm.GetName(), ep["port"])
			}
			if ml, _ := ep["metricRelabelings"].([]any); len(ml) == 0 {
				t.Errorf("ServiceMonitor %s endpoint %v lacks the configured metricRelabelings", sm.GetName(), ep["port"])
			}
			if strings.HasSuffix(sm.GetName(), "-operator") {
				// The operator's metrics are HTTPS and need a token authorised by metrics-reader.
				secret, _, _ := unstructured.NestedString(ep, "authorization", "credentials", "name")
				tok := find(objs, "Secret", secret)
				if ep["scheme"] != "https" || tok == nil || tok.Object["type"] != "kubernetes.io/service-account-token" {
					t.Errorf("operator ServiceMonitor endpoint %v: want https with a ServiceAccount token Secret", ep)
				}
				if b := find(objs, "ClusterRoleBinding", release+"-operator-metrics-reader"); b == nil {
					t.Errorf("the scraper's ServiceAccount is not bound to metrics-reader")
				}
			}
		}
	}

	// The scheduled verify records its outcome for the worker to export.
	if cj := find(objs, "CronJob", release+"-verify"); cj == nil {
		t.Errorf("no verify CronJob")
	} else {
		cs, _, _ := unstructured.NestedSlice(cj.Object, "spec", "jobTemplate", "spec", "template", "spec", "containers")
		c, _ := cs[0].(map[string]any)
		if args := fmt.Sprint(c["args"]); !strings.Contains(args, "verify") || !strings.Contains(args, "--record") {
			t.Errorf("verify CronJob runs %v %v", c["command"], c["args"])
		}
	}

	rules := ofKind(objs, "PrometheusRule")
	if len(rules) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(rules))
	}
	groups, _, _ := unstructured.NestedSlice(rules[0].Object, "spec", "groups")
	alerts := map[string]string{}
	for _, g := range groups {
		rs, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rs {
			rule := r.(map[string]any)
			name, _ := rule["alert"].(string)
			expr, _ := rule["expr"].(string)
			alerts[name] = expr
			checkQuery(t, known, "alert "+name, expr)
			if labels, _ := rule["labels"].(map[string]any); labels["severity"] == nil || labels["team"] != "platform" {
				t.Errorf("alert %s labels %v: want a severity and the configured alertLabels", name, labels)
			}
			if rule["for"] == nil {
				t.Errorf("alert %s has no for", name)
			}
			// Every alert links its runbook: one page per alert in docs/runbooks.
			ann, _ := rule["annotations"].(map[string]any)
			runbook, _ := ann["runbook_url"].(string)
			const base = "https://github.com/kalyan-platform/kalyan/blob/main/docs/runbooks/"
			if runbook != base+name+".md" {
				t.Errorf("alert %s: runbook_url %q, want %s%s.md", name, runbook, base, name)
			} else if page, err := os.ReadFile(filepath.Join(repoRoot(t), "docs", "runbooks", name+".md")); err != nil {
				t.Errorf("alert %s: %v", name, err)
			} else {
				for _, section := range []string{"## What it means", "## What to check", "## How to fix"} {
					if !strings.Contains(string(page), section) {
						t.Errorf("runbook of %s lacks %q", name, section)
					}
				}
			}
		}
	}
	for alert, wants := range map[string][]string{
		"KalyanPaymentsStuckInitiated":  {`status="initiated"`, `status="paid"`, "kalyan_donations_total"},
		"KalyanPaymentsUnresolved":      {"kalyan_reconcile_overdue_payments"},
		"KalyanKafkaConsumerLagHigh":    {"kalyan_kafka_consumer_lag"},
		"KalyanReceiptBacklog":          {"kalyan_kafka_consumer_lag", `group="kalyan-receipts"`},
		"KalyanHospitalUnitsNotReady":   {"kalyan_operator_units", `condition="Ready"`, `status!="True"`},
		"KalyanOperatorReconcileErrors": {"controller_runtime_reconcile_errors_total", `controller="hospitalunit"`},
		"KalyanAidWaitlistStale":        {"kalyan_aid_waitlist_oldest_seconds"},
		"KalyanZakatIdle":               {"kalyan_zakat_idle_taka"},
		"KalyanAidRequestsStuck":        {"kalyan_aid_stuck_requests"},
		"KalyanVerifyViolations":        {"kalyan_verify_violations"},
		"KalyanVerifyNotPassing":        {"kalyan_verify_last_success_timestamp_seconds"},
	} {
		expr, ok := alerts[alert]
		if !ok {
			t.Errorf("no alert %s", alert)
			continue
		}
		for _, w := range append(wants, `namespace="`+namespace+`"`) {
			if !strings.Contains(expr, w) {
				t.Errorf("alert %s does not use %s: %s", alert, w, expr)
			}
		}
	}

	for name, objs := range map[string][]*unstructured.Unstructured{"defaults": defaults, "everything on": objs} {
		cm := find(objs, "ConfigMap", release+"-dashboard")
		if cm == nil {
			t.Fatalf("%s: no dashboard ConfigMap", name)
		}
		if cm.GetLabels()["grafana_dashboard"] != "1" {
			t.Errorf("%s: dashboard ConfigMap labels %v", name, cm.GetLabels())
		}
		data, _, _ := unstructured.NestedStringMap(cm.Object, "data")
		var dash struct {
			UID    string `json:"uid"`
			Panels []struct {
				Title   string `json:"title"`
				Type    string `json:"type"`
				Targets []struct {
					Expr string `json:"expr"`
				} `json:"targets"`
			} `json:"panels"`
		}
		if err := json.Unmarshal([]byte(data["kalyan.json"]), &dash); err != nil {
			t.Fatalf("%s: dashboard JSON: %v", name, err)
		}
		var exprs []string
		for _, p := range dash.Panels {
			if p.Type != "row" && len(p.Targets) == 0 {
				t.Errorf("%s: panel %q has no query", name, p.Title)
			}
			for _, tg := range p.Targets {
				checkQuery(t, known, "panel "+p.Title, tg.Expr)
				exprs = append(exprs, tg.Expr)
			}
		}
		all := strings.Join(exprs, "\n")
		for _, want := range []string{
			"kalyan_http_request_duration_seconds_count", "kalyan_http_request_duration_seconds_bucket",
			"kalyan_donations_total", "kalyan_kafka_consumer_lag", "kalyan_event_processing_seconds_bucket", "kalyan_operator_units",
			"kalyan_aid_waitlist_requests", "kalyan_aid_waitlist_oldest_seconds", "kalyan_fund_available_taka", "kalyan_zakat_idle_taka",
			"kalyan_aid_stuck_requests", "kalyan_verify_violations",
		} {
			if !strings.Contains(all, want) {
				t.Errorf("%s: no dashboard panel uses %s", name, want)
			}
		}
	}
}

// warnings collects the API server's warnings (PodSecurity admission reports violations of the
// namespace's level on workload objects as warnings).
type warnings struct {
	mu   sync.Mutex
	list []string
}

func (w *warnings) HandleWarningHeader(_ int, _ string, text string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.list = append(w.list, text)
}

func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	out := w.list
	w.list = nil
	return out
}

// TestServerDryRun sends every rendered object to a real kube-apiserver (envtest) as a dry-run create with
// strict field validation and as a dry-run server-side apply, in a namespace that enforces the restricted
// Pod Security Standard. No object may be rejected or draw a warning.
func TestServerDryRun(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatalf("KUBEBUILDER_ASSETS is not set (the dry run needs a real kube-apiserver); run: %s", runHint)
	}
	cases := renders(t)
	insecure := render(t, "--set", "containerSecurityContext.allowPrivilegeEscalation=null")

	env := &envtest.Environment{
		CRDDirectoryPaths:     []string{filepath.Join("testdata", "crds")}, // ServiceMonitor, PrometheusRule
		ErrorIfCRDPathMissing: true,
	}
	cfg, err := env.Start()
	if err != nil {
		t.Fatalf("start envtest: %v", err)
	}
	t.Cleanup(func() {
		if err := env.Stop(); err != nil {
			t.Errorf("stop envtest: %v", err)
		}
	})
	warn := &warnings{}
	cfg.WarningHandler = warn
	c, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()

	ns := &unstructured.Unstructured{}
	ns.SetAPIVersion("v1")
	ns.SetKind("Namespace")
	ns.SetName(namespace)
	ns.SetLabels(map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	})
	if err := c.Create(ctx, ns); err != nil {
		t.Fatalf("create namespace: %v", err)
	}

	for name, objs := range cases {
		t.Run(name, func(t *testing.T) {
			kinds := map[string]int{}
			for _, o := range objs {
				id := fmt.Sprintf("%s %s/%s", o.GetKind(), o.GetNamespace(), o.GetName())
				kinds[o.GetKind()]++
				if err := c.Create(ctx, o.DeepCopy(), client.DryRunAll, client.FieldValidation("Strict")); err != nil {
					t.Errorf("dry-run create %s: %v", id, err)
				}
				if w := warn.take(); len(w) > 0 {
					t.Errorf("dry-run create %s: warnings %q", id, w)
				}
				if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o.DeepCopy()), client.DryRunAll,
					client.FieldOwner("kalyan-chart-test"), client.ForceOwnership); err != nil {
					t.Errorf("dry-run server-side apply %s: %v", id, err)
				}
				if w := warn.take(); len(w) > 0 {
					t.Errorf("dry-run apply %s: warnings %q", id, w)
				}
			}
			t.Logf("%d objects sent: %v", len(objs), kinds)
		})
	}

	// helm itself against the same server: a dry-run install renders, checks and prints the NOTES.
	kubeconfig := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kubeconfig, env.KubeConfig, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name     string
		args     []string
		want     []string
		unwanted string
	}{
		{"defaults", nil, []string{"WARNING: these settings are empty", "mongodb.uri", "kafka.brokers", "auth.jwksURL", "publicURL", "sealKey"}, ""},
		{"everything on", []string{"--values", allValues}, []string{"Public URL (donation links, bKash callbacks): https://give.kalyan.example.org"}, "WARNING"},
	} {
		out, err := helm(t, append([]string{"install", release, chartDir(t), "--namespace", namespace, "--kubeconfig", kubeconfig,
			"--dry-run=server"}, tc.args...)...)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		_, notes, _ := strings.Cut(out, "NOTES:")
		t.Logf("%s: helm install --dry-run=server NOTES:%s", tc.name, notes)
		for _, w := range append(tc.want, "kubernetes.io/metadata.name: "+namespace, "kalyan-operator onboard --file config/units/units.csv --apply") {
			if !strings.Contains(notes, w) {
				t.Errorf("%s: NOTES lack %q:\n%s", tc.name, w, notes)
			}
		}
		if tc.unwanted != "" && strings.Contains(notes, tc.unwanted) {
			t.Errorf("%s: NOTES contain %q:\n%s", tc.name, tc.unwanted, notes)
		}
	}

	// The PodSecurity check above is live: a pod template without the secure defaults draws a warning.
	d := find(insecure, "Deployment", release+"-api")
	if err := c.Create(ctx, d, client.DryRunAll); err != nil {
		t.Fatalf("dry-run create of the insecure Deployment: %v", err)
	}
	if w := strings.Join(warn.take(), "\n"); !strings.Contains(w, "restricted") || !strings.Contains(w, "allowPrivilegeEscalation") {
		t.Errorf("a Deployment without allowPrivilegeEscalation=false drew no PodSecurity warning: %q", w)
	}
}

// TestKubernetesConventions checks what the ecosystem's linters expect of a chart: an icon, a
// NetworkPolicy over every pod, anti-affinity for replicated workloads, a chart test, and the rbac and
// serviceAccount switches.
func TestKubernetesConventions(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(chartDir(t), "Chart.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var chart struct {
		Icon string `json:"icon"`
	}
	if err := yaml.Unmarshal(b, &chart); err != nil || !strings.HasSuffix(chart.Icon, "/docs/icon.svg") {
		t.Errorf("Chart.yaml icon %q (%v)", chart.Icon, err)
	}
	if _, err := os.Stat(filepath.Join(repoRoot(t), "docs", "icon.svg")); err != nil {
		t.Error(err)
	}
	for name, objs := range renders(t) {
		pols := ofKind(objs, "NetworkPolicy")
		for id, pt := range podTemplates(t, objs) {
			covered := false
			for _, np := range pols {
				sel, _, _ := unstructured.NestedStringMap(np.Object, "spec", "podSelector", "matchLabels")
				types, _, _ := unstructured.NestedStringSlice(np.Object, "spec", "policyTypes")
				all := len(sel) > 0
				for k, v := range sel {
					all = all && pt.Labels[k] == v
				}
				covered = covered || all && slices.Contains(types, "Ingress") && slices.Contains(types, "Egress")
			}
			if !covered && !strings.HasPrefix(id, "Pod/") {
				t.Errorf("%s: %s has no NetworkPolicy restricting ingress and egress", name, id)
			}
			if strings.HasPrefix(id, "Deployment/") {
				aa := pt.Spec.Affinity
				if aa == nil || aa.PodAntiAffinity == nil || len(aa.PodAntiAffinity.PreferredDuringSchedulingIgnoredDuringExecution) == 0 {
					t.Errorf("%s: %s has no pod anti-affinity", name, id)
				}
			}
		}
		var test *unstructured.Unstructured
		for _, p := range ofKind(objs, "Pod") {
			if p.GetAnnotations()["helm.sh/hook"] == "test" {
				test = p
			}
		}
		if test == nil {
			t.Errorf("%s: no chart test (templates/tests/)", name)
		} else if cmd, _, _ := unstructured.NestedSlice(test.Object, "spec", "containers"); len(cmd) != 1 ||
			!strings.Contains(fmt.Sprint(cmd), "/readyz") || !strings.Contains(fmt.Sprint(cmd), "kalyan-api probe") && !strings.Contains(fmt.Sprint(cmd), "probe") {
			t.Errorf("%s: the chart test %v does not probe readiness", name, cmd)
		}
		if hook := find(objs, "Job", release+"-crds"); hook == nil || hook.GetAnnotations()["helm.sh/hook"] != "pre-upgrade" {
			t.Errorf("%s: no pre-upgrade CRD hook Job", name)
		}
	}
	// rbac.create=false and serviceAccount.create=false leave those objects to the installer.
	objs := render(t, "--set", "rbac.create=false", "--set", "serviceAccount.create=false",
		"--set", "serviceAccount.name=ops-operator", "--set", "serviceAccount.appName=ops-app")
	for _, kind := range []string{"ClusterRole", "ClusterRoleBinding", "Role", "RoleBinding", "ValidatingAdmissionPolicy", "ServiceAccount"} {
		if n := len(ofKind(objs, kind)); n != 0 {
			t.Errorf("rbac.create=false, serviceAccount.create=false: %d %s objects rendered", n, kind)
		}
	}
	for deployment, sa := range map[string]string{release + "-operator": "ops-operator", release + "-api": "ops-app", release + "-worker": "ops-app"} {
		if spec, _ := container(t, objs, deployment); spec.ServiceAccountName != sa {
			t.Errorf("%s runs as %q, want %q", deployment, spec.ServiceAccountName, sa)
		}
	}
}

// TestCRDUpgradeHook plays the chart's CRD upgrade path on a real API server holding an older
// HospitalUnit CRD: the pre-upgrade hook's command (`kalyan-operator crds --apply`), acting as the hook's
// ServiceAccount with the RBAC the chart renders for it, brings the CRD to this chart's version; the same
// identity cannot touch any other CRD.
func TestCRDUpgradeHook(t *testing.T) {
	if os.Getenv("KUBEBUILDER_ASSETS") == "" {
		t.Fatalf("KUBEBUILDER_ASSETS is not set (the hook needs a real kube-apiserver); run: %s", runHint)
	}
	// The CRD as an earlier release shipped it: without the rule confining bkashSecretRef.
	current, err := os.ReadFile(filepath.Join(chartDir(t), "crds", "kalyan.dev_hospitalunits.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	old := regexp.MustCompile(`(?s)\n            - fieldPath: \.bkashSecretRef\.namespace.*?self\.code'\n`).ReplaceAll(current, []byte("\n"))
	if bytes.Equal(old, current) {
		t.Fatal("could not derive the older CRD")
	}
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "hospitalunits.yaml"), old, 0o600); err != nil {
		t.Fatal(err)
	}
	env := &envtest.Environment{CRDDirectoryPaths: []string{dir, filepath.Join("testdata", "crds")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = env.Stop() })
	admin, err := client.New(cfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, o := range render(t) {
		if o.GetAnnotations()["helm.sh/hook"] != "pre-upgrade" || o.GetKind() == "Job" {
			continue
		}
		o.SetNamespace(map[bool]string{true: namespace}[o.GetKind() == "ServiceAccount"])
		if o.GetKind() == "ServiceAccount" {
			ns := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": namespace}}}
			_ = admin.Create(ctx, ns)
		}
		if err := admin.Create(ctx, o); err != nil {
			t.Fatalf("create hook %s %s: %v", o.GetKind(), o.GetName(), err)
		}
	}
	hookCfg := rest.CopyConfig(cfg)
	hookCfg.Impersonate = rest.ImpersonationConfig{UserName: "system:serviceaccount:" + namespace + ":" + release + "-crds"}
	kubeconfig := filepath.Join(dir, "kubeconfig")
	kc, err := clientcmd.Load(env.KubeConfig)
	if err != nil {
		t.Fatal(err)
	}
	for _, ai := range kc.AuthInfos {
		ai.Impersonate = hookCfg.Impersonate.UserName
	}
	if err := clientcmd.WriteToFile(*kc, kubeconfig); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if err := crds.Command(ctx, []string{"--apply", "--kubeconfig", kubeconfig}, &stdout, &stderr); err != nil {
		t.Fatalf("kalyan-operator crds --apply as the hook: %v\n%s", err, stderr.String())
	}
	got := &unstructured.Unstructured{}
	got.SetAPIVersion("apiextensions.k8s.io/v1")
	got.SetKind("CustomResourceDefinition")
	if err := admin.Get(ctx, client.ObjectKey{Name: "hospitalunits.kalyan.dev"}, got); err != nil {
		t.Fatal(err)
	}
	if j, _ := json.Marshal(got.Object["spec"]); !bytes.Contains(j, []byte("bkashSecretRef must name a Secret in the unit's own namespace")) {
		t.Errorf("the CRD was not upgraded: %s", stdout.String())
	}
	// The hook's identity may not touch another CRD.
	hook, err := client.New(hookCfg, client.Options{})
	if err != nil {
		t.Fatal(err)
	}
	other := &unstructured.Unstructured{}
	other.SetAPIVersion("apiextensions.k8s.io/v1")
	other.SetKind("CustomResourceDefinition")
	if err := hook.Get(ctx, client.ObjectKey{Name: "servicemonitors.monitoring.coreos.com"}, other); !apierrors.IsForbidden(err) {
		t.Errorf("the CRD hook could read another CRD: %v", err)
	}
}
