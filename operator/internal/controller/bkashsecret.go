package controller

import (
	"bytes"
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	logf "sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"
	"sigs.k8s.io/controller-runtime/pkg/source"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// BKashSecretLabel marks a Secret named by a HospitalUnit's spec.bkashSecretRef. The operator sets it
// on the Secrets it reads, and watches the Secrets that carry it, so that rotated merchant
// credentials reach the API at once rather than with the next periodic registration. (bKash refuses
// the old password as soon as it issues a new one: until the API has it, the unit's gifts fail.)
// The operator's main cache holds only the objects it creates (CacheOptions); these Secrets are
// the unit admins' own, so they get a cache of their own, holding only Secrets with this label.
const (
	BKashSecretLabel      = "kalyan.dev/bkash-credentials"
	bkashSecretLabelValue = "true"
)

// bkashSecretSource is a watch on labelled bKash Secrets that enqueues the units that name them. Its
// cache is added to mgr, which starts it.
func (r *Reconciler) bkashSecretSource(mgr ctrl.Manager) (source.Source, error) {
	c, err := cache.New(mgr.GetConfig(), cache.Options{
		Scheme: mgr.GetScheme(),
		Mapper: mgr.GetRESTMapper(),
		ByObject: map[client.Object]cache.ByObject{
			&corev1.Secret{}: {Label: labels.SelectorFromSet(labels.Set{BKashSecretLabel: bkashSecretLabelValue})},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("bKash Secret cache: %w", err)
	}
	if err := mgr.Add(c); err != nil {
		return nil, fmt.Errorf("bKash Secret cache: %w", err)
	}
	// Only changed contents matter: the label the operator adds comes back as an update with the
	// same data and is dropped here.
	dataChanged := predicate.TypedFuncs[*corev1.Secret]{
		UpdateFunc: func(e event.TypedUpdateEvent[*corev1.Secret]) bool {
			return !maps.EqualFunc(e.ObjectOld.Data, e.ObjectNew.Data, bytes.Equal)
		},
	}
	return source.Kind(c, &corev1.Secret{}, handler.TypedEnqueueRequestsFromMapFunc(r.unitsUsingSecret), dataChanged), nil
}

// unitsUsingSecret lists the units whose spec.bkashSecretRef names sec.
func (r *Reconciler) unitsUsingSecret(ctx context.Context, sec *corev1.Secret) []reconcile.Request {
	var hus kalyanv1alpha1.HospitalUnitList
	if err := r.client.List(ctx, &hus); err != nil {
		logf.FromContext(ctx).Error(err, "list HospitalUnits for a changed bKash Secret", "secret", client.ObjectKeyFromObject(sec))
		return nil
	}
	var out []reconcile.Request
	for _, hu := range hus.Items {
		if ref := hu.Spec.BKashSecretRef; ref != nil && ref.Namespace == sec.Namespace && ref.Name == sec.Name {
			out = append(out, reconcile.Request{NamespacedName: types.NamespacedName{Name: hu.Name}})
		}
	}
	return out
}

// watchBKashSecret labels sec so that its next change is seen at once. A failure only costs that
// speed (the periodic registration still carries the change), so it is reported, not returned.
func (r *Reconciler) watchBKashSecret(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit, sec *corev1.Secret) {
	if sec.Labels[BKashSecretLabel] == bkashSecretLabelValue {
		return
	}
	orig := sec.DeepCopy()
	if sec.Labels == nil {
		sec.Labels = map[string]string{}
	}
	sec.Labels[BKashSecretLabel] = bkashSecretLabelValue
	if err := r.client.Patch(ctx, sec, client.MergeFrom(orig)); err != nil {
		r.recorder.Eventf(hu, nil, corev1.EventTypeWarning, "BKashSecretNotWatched", "Register",
			"cannot label bKash credentials Secret %s/%s (%v): a change to it reaches the API only with the next periodic registration",
			sec.Namespace, sec.Name, err)
	}
}
