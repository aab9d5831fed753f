package controller

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// namespaceTerminatingWait is how long to wait for a namespace of a deleted unit of the same code to go.
const namespaceTerminatingWait = 5 * time.Second

// ensureNamespace creates the unit's namespace kalyan-<code>. A namespace of that name that the operator
// did not create is left alone and reported: it may hold someone else's workloads.
func (r *Reconciler) ensureNamespace(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit) error {
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kalyanv1alpha1.NamespaceName(hu.Spec.Code)}}
	if ns.Name == r.opts.PlatformNamespace {
		return &conditionError{reason: "NamespaceConflict", err: fmt.Errorf("namespace %s is the platform's own namespace", ns.Name)}
	}
	_, err := r.ensure(ctx, hu, ns, func() error {
		if ns.ResourceVersion != "" && ns.Labels[ManagedByLabel] != ManagedByValue {
			return &conditionError{reason: "NamespaceConflict", err: fmt.Errorf("namespace %s exists and is not managed by %s", ns.Name, Name)}
		}
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[LevelLabel] = string(hu.Spec.Level)
		// Nothing privileged ever runs in a unit's namespace.
		ns.Labels["pod-security.kubernetes.io/enforce"] = "restricted"
		ns.Labels["pod-security.kubernetes.io/warn"] = "restricted"
		return nil
	})
	if err != nil {
		return fmt.Errorf("namespace %s: %w", ns.Name, err)
	}
	if !ns.DeletionTimestamp.IsZero() {
		return &conditionError{reason: "NamespaceTerminating", err: fmt.Errorf("namespace %s is still terminating", ns.Name), retryAfter: namespaceTerminatingWait}
	}
	return nil
}

func equalObjects(a, b runtime.Object) bool { return equality.Semantic.DeepEqual(a, b) }
