// Package kubetest installs the operator's permissions from config/ into a test API server and acts
// as the operator's ServiceAccount there, for the tests of the operator, the install paths and the
// end-to-end suite.
package kubetest

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"
)

// The operator's identity in config/rbac: the ServiceAccount the ClusterRoleBinding names.
const (
	OperatorNamespace      = "kalyan-system"
	OperatorServiceAccount = "kalyan-operator"
	// OperatorUser is the username the API server gives the operator's ServiceAccount.
	OperatorUser = "system:serviceaccount:" + OperatorNamespace + ":" + OperatorServiceAccount
)

// InstallOperatorRBAC installs, from the repository at root, what `kubectl apply -k config/default` installs for the operator's
// permissions: config/rbac (its ClusterRoles and bindings) and config/policy (the admission policy
// confining its writes to unit namespaces), and the kalyan-system namespace. It returns once the
// admission policy is in force.
func InstallOperatorRBAC(ctx context.Context, cfg *rest.Config, root string) error {
	c, err := client.New(cfg, client.Options{})
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
	return waitForOperatorPolicy(ctx, cfg)
}

// waitForOperatorPolicy waits until the API server enforces config/policy: it compiles admission
// policies in the background, a moment after they are created.
func waitForOperatorPolicy(ctx context.Context, cfg *rest.Config) error {
	c, err := client.New(OperatorConfig(cfg), client.Options{})
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
func OperatorConfig(admin *rest.Config) *rest.Config {
	cfg := rest.CopyConfig(admin)
	cfg.Impersonate = rest.ImpersonationConfig{UserName: OperatorUser}
	return cfg
}

// OperatorKubeConfig is a kubeconfig file's content that acts as the operator's ServiceAccount, for a
// kalyan-operator process (--kubeconfig).
func OperatorKubeConfig(admin []byte) ([]byte, error) {
	return ImpersonatingKubeConfig(admin, OperatorUser)
}

// ImpersonatingKubeConfig is the admin kubeconfig acting as user.
func ImpersonatingKubeConfig(admin []byte, user string) ([]byte, error) {
	cfg, err := clientcmd.Load(admin)
	if err != nil {
		return nil, fmt.Errorf("parse envtest kubeconfig: %w", err)
	}
	for _, ai := range cfg.AuthInfos {
		ai.Impersonate = user
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
