package controller

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/apiclient"
)

// Finalizer holds a deleted HospitalUnit until the unit is archived in the API.
const Finalizer = "kalyan.dev/archive-unit"

// SkipArchiveAnnotation, set to "true" on a deleted HospitalUnit whose Kalyan API is gone for good,
// lets the operator finish the deletion without archiving the unit there (docs/runbooks/UnitStuckDeleting.md).
// Without the API nothing can be archived anyway; the annotation records that a person decided so.
const SkipArchiveAnnotation = "kalyan.dev/skip-archive"

func (r *Reconciler) ensureFinalizer(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit) error {
	if controllerutil.ContainsFinalizer(hu, Finalizer) {
		return nil
	}
	patch := client.MergeFromWithOptions(hu.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.AddFinalizer(hu, Finalizer)
	if err := r.client.Patch(ctx, hu, patch); err != nil {
		return fmt.Errorf("add finalizer: %w", err)
	}
	return nil
}

// finalize archives the unit in the API (intake stops, every donation, ledger entry and receipt stays),
// then deletes the unit's namespace and lets the HospitalUnit go. Until the API confirms, the
// finalizer stays and the unit shows Ready=False/ArchiveFailed.
func (r *Reconciler) finalize(ctx context.Context, req reconcile.Request, hu *kalyanv1alpha1.HospitalUnit) (reconcile.Result, error) {
	if !controllerutil.ContainsFinalizer(hu, Finalizer) {
		return reconcile.Result{}, nil
	}
	if hu.Annotations[SkipArchiveAnnotation] == "true" {
		r.metrics.apiRequest("archive", "skipped")
		r.recorder.Eventf(hu, nil, corev1.EventTypeWarning, "ArchiveSkipped", "Archive",
			"not archived in the Kalyan API (%s=true): whatever the API still holds for the unit stays as it was", SkipArchiveAnnotation)
	} else if err := r.archive(ctx, req, hu); err != nil {
		return reconcile.Result{}, err
	}

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kalyanv1alpha1.NamespaceName(hu.Spec.Code)}}
	if err := r.apiReader.Get(ctx, client.ObjectKeyFromObject(ns), ns); err != nil && !apierrors.IsNotFound(err) {
		return reconcile.Result{}, fmt.Errorf("get namespace %s: %w", ns.Name, err)
	} else if err == nil && metav1.IsControlledBy(ns, hu) && ns.Labels[ManagedByLabel] == ManagedByValue && ns.DeletionTimestamp.IsZero() {
		// Deleted explicitly rather than left to the garbage collector so that "archived, then the
		// namespace goes" holds whatever the deletion propagation policy of the HospitalUnit was.
		if err := r.client.Delete(ctx, ns, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			return reconcile.Result{}, fmt.Errorf("delete namespace %s: %w", ns.Name, err)
		}
		r.recorder.Eventf(hu, nil, corev1.EventTypeNormal, "NamespaceDeleted", "Archive", "deleting namespace %s", ns.Name)
	}
	r.secrets.forget(ns.Name)

	patch := client.MergeFromWithOptions(hu.DeepCopy(), client.MergeFromWithOptimisticLock{})
	controllerutil.RemoveFinalizer(hu, Finalizer)
	if err := r.client.Patch(ctx, hu, patch); err != nil && !apierrors.IsNotFound(err) {
		return reconcile.Result{}, fmt.Errorf("remove finalizer: %w", err)
	}
	return reconcile.Result{}, nil
}

// archive archives the unit in the API. Until the API confirms, the unit shows Ready=False/ArchiveFailed
// and the error is returned (retried with the per-unit backoff).
func (r *Reconciler) archive(ctx context.Context, req reconcile.Request, hu *kalyanv1alpha1.HospitalUnit) error {
	err := r.api.ArchiveUnit(ctx, hu.Spec.Code)
	switch {
	case err == nil, errors.Is(err, apiclient.ErrArchived):
		r.metrics.apiRequest("archive", "ok")
		r.recorder.Eventf(hu, nil, corev1.EventTypeNormal, "Archived", "Archive", "unit archived in the Kalyan API; its records are kept")
		return nil
	case errors.Is(err, apiclient.ErrNotFound):
		r.metrics.apiRequest("archive", "ok")
		r.recorder.Eventf(hu, nil, corev1.EventTypeNormal, "NotRegistered", "Archive", "unit was never registered in the Kalyan API")
		return nil
	}
	r.metrics.apiRequest("archive", "error")
	st := newStatusWriter(hu)
	st.deleting = true
	msg := fmt.Sprintf("archiving in the Kalyan API failed: %v (retrying with backoff; if the API is gone for good, annotate the HospitalUnit %s=true)",
		err, SkipArchiveAnnotation)
	if st.setCondition(kalyanv1alpha1.ConditionReady, false, "ArchiveFailed", msg) {
		r.recorder.Eventf(hu, nil, corev1.EventTypeWarning, "ArchiveFailed", "Archive", "%s", msg)
	}
	if werr := st.write(ctx, r.client); werr != nil {
		return werr
	}
	return fmt.Errorf("archive unit %s in the Kalyan API (attempt %d): %w", hu.Spec.Code, r.backoff.NumRequeues(req)+1, err)
}
