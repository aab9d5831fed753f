// Package crds installs or upgrades the HospitalUnit CRD from the one compiled into the binary: Helm
// installs a chart's crds/ only on first install and never upgrades them, so the chart runs
// `kalyan-operator crds --apply` as a pre-upgrade hook (as Capsule does with its CRD job).
package crds

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/kalyan-platform/kalyan/config/crd"
	"github.com/kalyan-platform/kalyan/operator/internal/kube"
)

// FieldOwner is the server-side apply field manager of the CRD.
const FieldOwner = "kalyan-operator-crds"

// Command runs `kalyan-operator crds`: without --apply it prints the CRD; with --apply it server-side
// applies it and waits until the API server serves it.
func Command(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("crds", flag.ContinueOnError)
	fs.SetOutput(stderr)
	apply := fs.Bool("apply", false, "install or upgrade the CRD in the cluster (server-side apply, taking over its fields)")
	kubeconfig := fs.String("kubeconfig", "", "kubeconfig file (default: in-cluster, then $KUBECONFIG or ~/.kube/config)")
	timeout := fs.Duration("timeout", 2*time.Minute, "how long to wait for the CRD to be established")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: kalyan-operator crds [--apply] [--kubeconfig FILE]\n\n"+
			"Prints the HospitalUnit CRD this binary was built with, or with --apply installs or upgrades it.")
		fs.PrintDefaults()
	}
	if err := fs.Parse(args); err != nil {
		return err
	}
	if !*apply {
		_, err := stdout.Write(crd.HospitalUnits)
		return err
	}
	cfg, err := kube.Config(*kubeconfig, 0, 0)
	if err != nil {
		return err
	}
	scheme := runtime.NewScheme()
	if err := apiextensionsv1.AddToScheme(scheme); err != nil {
		return err
	}
	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	name, err := Apply(ctx, c)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "customresourcedefinition %s applied and established\n", name)
	return nil
}

// Apply server-side applies the embedded CRD with c and waits until it is established with the
// applied generation. It returns the CRD's name.
func Apply(ctx context.Context, c client.Client) (string, error) {
	var m map[string]any
	if err := yaml.Unmarshal(crd.HospitalUnits, &m); err != nil {
		return "", fmt.Errorf("embedded CRD: %w", err)
	}
	obj := &unstructured.Unstructured{Object: m}
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(FieldOwner), client.ForceOwnership); err != nil {
		return "", fmt.Errorf("apply CRD %s: %w", obj.GetName(), err)
	}
	for {
		var got apiextensionsv1.CustomResourceDefinition
		if err := c.Get(ctx, client.ObjectKey{Name: obj.GetName()}, &got); err != nil {
			return "", fmt.Errorf("get CRD %s: %w", obj.GetName(), err)
		}
		for _, cond := range got.Status.Conditions {
			if cond.Type == apiextensionsv1.Established && cond.Status == apiextensionsv1.ConditionTrue {
				return got.Name, nil
			}
		}
		select {
		case <-ctx.Done():
			return "", errors.Join(fmt.Errorf("CRD %s not established", obj.GetName()), ctx.Err())
		case <-time.After(200 * time.Millisecond):
		}
	}
}
