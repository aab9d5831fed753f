// Package controller reconciles HospitalUnits: for each unit it provisions a namespace (quota, limits,
// network policy, admin RBAC, receipt signing key), registers the unit with the Kalyan API and, when the
// HospitalUnit is deleted, archives the unit there before removing the namespace.
//
// One file per concern; Reconcile in this file sequences them and status.go writes the status once.
package controller

import (
	"context"
	"errors"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/metadata"
	"k8s.io/client-go/tools/events"
	"k8s.io/client-go/util/workqueue"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/apiclient"
)

// Labels the operator puts on everything it creates. The manager's cache only watches objects that
// carry ManagedByLabel=ManagedByValue (see CacheOptions), so a cluster's other Secrets and namespaces
// never fill the operator's memory.
const (
	ManagedByLabel = "app.kubernetes.io/managed-by"
	ManagedByValue = "kalyan-operator"
	UnitLabel      = "kalyan.dev/unit"
	LevelLabel     = "kalyan.dev/level"

	// Name is the controller's name, its field owner and the reporting controller of its events.
	Name = "kalyan-operator"
)

// The operator's cluster-wide ClusterRole (config/rbac/role.yaml, generated from these markers) is the
// least it needs across namespaces. Everything inside a unit namespace (Secrets, quotas, policies,
// Roles) comes from config/rbac/unit_role.yaml, bound per namespace (access.go); the admission policy
// in config/rbac/operator_policy.yaml confines its writes to namespaces labelled as its own.
//
// +kubebuilder:rbac:groups=kalyan.dev,resources=hospitalunits,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=kalyan.dev,resources=hospitalunits/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=kalyan.dev,resources=hospitalunits/finalizers,verbs=update
// +kubebuilder:rbac:groups="",resources=namespaces,verbs=get;list;watch;create;update;patch;delete
// +kubebuilder:rbac:groups="",resources=resourcequotas;limitranges,verbs=get;list;watch
// +kubebuilder:rbac:groups=networking.k8s.io,resources=networkpolicies,verbs=get;list;watch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=roles,verbs=get;list;watch
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=rolebindings,verbs=get;list;watch;create
// +kubebuilder:rbac:groups=rbac.authorization.k8s.io,resources=clusterroles,verbs=bind,resourceNames=kalyan-operator-unit
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// Options configure a Reconciler.
type Options struct {
	// PlatformNamespace runs the Kalyan api and workers; unit namespaces admit traffic from it.
	PlatformNamespace string
	// RegistrationRefresh is how often a registered unit is registered again even when nothing changed,
	// so that an API whose registry was restored from an old backup converges.
	RegistrationRefresh time.Duration
	// BackoffBase and BackoffMax bound the per-unit exponential backoff while the API fails.
	BackoffBase, BackoffMax time.Duration
	// RecheckInterval is how often a unit waiting on a person (a missing bKash Secret, a lost or
	// malformed signing key, a namespace of the same name not ours) is looked at again: those objects
	// are not labelled by the operator, so no watch event announces the fix.
	RecheckInterval time.Duration
	// MaxConcurrentReconciles is how many units are reconciled at once.
	MaxConcurrentReconciles int
	// UnitClusterRole is the ClusterRole the operator binds itself to in each unit namespace
	// (default DefaultUnitClusterRole).
	UnitClusterRole string
	// Subject is the operator's own identity as an RBAC subject; SetupWithManager asks the API server
	// (SelfSubjectReview) when it is empty.
	Subject rbacv1.Subject
}

func (o *Options) setDefaults() {
	if o.PlatformNamespace == "" {
		o.PlatformNamespace = "kalyan-system"
	}
	if o.RegistrationRefresh <= 0 {
		o.RegistrationRefresh = 10 * time.Minute
	}
	if o.BackoffBase <= 0 {
		o.BackoffBase = time.Second
	}
	if o.BackoffMax <= 0 {
		o.BackoffMax = 5 * time.Minute
	}
	if o.RecheckInterval <= 0 {
		o.RecheckInterval = time.Minute
	}
	if o.MaxConcurrentReconciles <= 0 {
		o.MaxConcurrentReconciles = 32
	}
	if o.UnitClusterRole == "" {
		o.UnitClusterRole = DefaultUnitClusterRole
	}
}

// Reconciler reconciles HospitalUnits.
type Reconciler struct {
	client    client.Client // cached reads (labelled objects only; never Secrets), direct writes
	apiReader client.Reader // uncached reads: Secrets, objects created before the cache saw them
	scheme    *runtime.Scheme
	recorder  events.EventRecorder
	api       *apiclient.Client
	metrics   *Metrics
	opts      Options
	backoff   workqueue.TypedRateLimiter[reconcile.Request]
	secrets   *secretWatches
}

// New returns a Reconciler that uses mgr's client, cache and event recorder.
func New(mgr ctrl.Manager, api *apiclient.Client, metrics *Metrics, opts Options) (*Reconciler, error) {
	opts.setDefaults()
	meta, err := metadata.NewForConfig(mgr.GetConfig())
	if err != nil {
		return nil, fmt.Errorf("metadata client: %w", err)
	}
	return &Reconciler{
		client:    mgr.GetClient(),
		apiReader: mgr.GetAPIReader(),
		scheme:    mgr.GetScheme(),
		recorder:  mgr.GetEventRecorder(Name),
		api:       api,
		metrics:   metrics,
		opts:      opts,
		backoff:   workqueue.NewTypedItemExponentialFailureRateLimiter[reconcile.Request](opts.BackoffBase, opts.BackoffMax),
		secrets:   newSecretWatches(meta),
	}, nil
}

// CacheOptions restricts the manager's cache to the objects the operator labels (HospitalUnits are
// cached whole). Secrets are never cached: the operator may not list them cluster-wide (see
// secretwatch.go), and reads the few it needs directly.
func CacheOptions() cache.Options {
	managed := labels.SelectorFromSet(labels.Set{ManagedByLabel: ManagedByValue})
	by := cache.ByObject{Label: managed}
	return cache.Options{ByObject: map[client.Object]cache.ByObject{
		&corev1.Namespace{}:           by,
		&corev1.ResourceQuota{}:       by,
		&corev1.LimitRange{}:          by,
		&networkingv1.NetworkPolicy{}: by,
		&rbacv1.Role{}:                by,
		&rbacv1.RoleBinding{}:         by,
	}, DefaultTransform: cache.TransformStripManagedFields()}
}

// SetupWithManager registers the controller with mgr.
func (r *Reconciler) SetupWithManager(ctx context.Context, mgr ctrl.Manager) error {
	if r.opts.Subject.Name == "" {
		c, err := client.New(mgr.GetConfig(), client.Options{Scheme: mgr.GetScheme(), Mapper: mgr.GetRESTMapper()})
		if err != nil {
			return fmt.Errorf("set up hospitalunit controller: %w", err)
		}
		if r.opts.Subject, err = Subject(ctx, c); err != nil {
			return fmt.Errorf("set up hospitalunit controller: %w", err)
		}
	}
	if err := mgr.Add(r.secrets); err != nil {
		return fmt.Errorf("set up hospitalunit controller: %w", err)
	}
	owned := builder.WithPredicates(predicate.Funcs{CreateFunc: func(event.CreateEvent) bool { return false }})
	err := ctrl.NewControllerManagedBy(mgr).
		Named("hospitalunit").
		// Our own status writes change neither generation nor annotations: they do not come back as work.
		For(&kalyanv1alpha1.HospitalUnit{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		// Owned objects are created by the reconcile itself; only edits and deletions by others need a
		// second look (a restart lists every HospitalUnit anyway).
		Owns(&corev1.Namespace{}, owned).
		Owns(&corev1.ResourceQuota{}, owned).
		Owns(&corev1.LimitRange{}, owned).
		Owns(&networkingv1.NetworkPolicy{}, owned).
		Owns(&rbacv1.Role{}, owned).
		Owns(&rbacv1.RoleBinding{}, owned).
		// The Secrets of each unit namespace: the signing key and the unit's bKash credentials.
		WatchesRawSource(r.secrets.source()).
		WithOptions(controller.Options{
			MaxConcurrentReconciles: r.opts.MaxConcurrentReconciles,
			// A failed reconcile returns its error (counted in controller_runtime_reconcile_errors_total)
			// and is retried with this per-unit backoff.
			RateLimiter: r.backoff,
		}).
		Complete(r)
	if err != nil {
		return fmt.Errorf("set up hospitalunit controller: %w", err)
	}
	return nil
}

// Reconcile brings one unit's namespace and registration in line with its spec and writes its status.
//
// A failure is returned as the error (controller-runtime counts it in
// controller_runtime_reconcile_errors_total and retries with the per-unit backoff); a unit waiting on a
// person (a missing bKash Secret, a namespace of the same name not ours) or on a terminating namespace
// is not a failure of the operator and is looked at again after a delay.
func (r *Reconciler) Reconcile(ctx context.Context, req reconcile.Request) (res reconcile.Result, err error) {
	start := time.Now()
	defer func() { r.metrics.observeReconcile(time.Since(start), res, err) }()

	var hu kalyanv1alpha1.HospitalUnit
	if err := r.client.Get(ctx, req.NamespacedName, &hu); err != nil {
		return reconcile.Result{}, client.IgnoreNotFound(err)
	}
	ctx = log.IntoContext(ctx, log.FromContext(ctx).WithValues("unit", hu.Spec.Code))

	if !hu.DeletionTimestamp.IsZero() {
		return r.finalize(ctx, req, &hu)
	}
	if err := r.ensureFinalizer(ctx, &hu); err != nil {
		if apierrors.IsConflict(err) { // the cache was behind; the newer object comes as an event
			return reconcile.Result{RequeueAfter: r.opts.BackoffBase}, nil
		}
		return reconcile.Result{}, err
	}

	st := newStatusWriter(&hu)
	seed, provErr := r.provision(ctx, &hu, st)
	var (
		regRes reconcile.Result
		regErr error
	)
	if provErr == nil {
		regRes, regErr = r.register(ctx, req, &hu, seed, st)
	} else if meta.FindStatusCondition(st.status.Conditions, kalyanv1alpha1.ConditionRegistered) == nil {
		// Keep an earlier Registered as it is: the API still knows the unit; Ready says what is wrong.
		st.setCondition(kalyanv1alpha1.ConditionRegistered, false, "NotProvisioned", "waiting for the unit's namespace to be provisioned")
	}
	if err := st.write(ctx, r.client); err != nil {
		if apierrors.IsConflict(err) {
			return reconcile.Result{RequeueAfter: r.opts.BackoffBase}, nil
		}
		return reconcile.Result{}, err
	}
	if provErr != nil {
		var cond *conditionError
		if errors.As(provErr, &cond) && cond.retryAfter > 0 {
			return reconcile.Result{RequeueAfter: cond.retryAfter}, nil
		}
		if apierrors.IsConflict(provErr) {
			// Someone else changed the object between our read and write; look again shortly.
			return reconcile.Result{RequeueAfter: r.opts.BackoffBase}, nil
		}
		return reconcile.Result{}, provErr
	}
	return regRes, regErr
}

// provision ensures the unit's namespace and everything in it and returns the receipt signing seed.
// On failure the Provisioned condition says why; a *conditionError with retryAfter means the unit
// waits for something outside the operator's watch (a person, a terminating namespace).
func (r *Reconciler) provision(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit, st *statusWriter) ([]byte, error) {
	ns := kalyanv1alpha1.NamespaceName(hu.Spec.Code)
	st.status.Namespace = ns
	steps := []struct {
		reason string
		ensure func(context.Context, *kalyanv1alpha1.HospitalUnit) error
	}{
		{"NamespaceFailed", r.ensureNamespace},
		{"AccessFailed", r.ensureAccess},
		{"QuotaFailed", r.ensureQuota},
		{"LimitRangeFailed", r.ensureLimitRange},
		{"NetworkPolicyFailed", r.ensureNetworkPolicy},
		{"RBACFailed", r.ensureRBAC},
	}
	for _, s := range steps {
		err := s.ensure(ctx, hu)
		if err == nil {
			continue
		}
		reason := s.reason
		var cond *conditionError
		if errors.As(err, &cond) {
			reason = cond.reason
			if cond.retryAfter == 0 { // an object someone else made is in the way: look again later
				cond.retryAfter = r.opts.RecheckInterval
			}
		}
		if st.setCondition(kalyanv1alpha1.ConditionProvisioned, false, reason, err.Error()) && cond != nil {
			r.recorder.Eventf(hu, nil, corev1.EventTypeWarning, reason, "Provision", "%v", err)
		}
		return nil, err
	}
	seed, err := r.ensureSigningKey(ctx, hu, st)
	if err != nil {
		var cond *conditionError
		if !errors.As(err, &cond) { // a conditionError has set the condition and emitted its event
			st.setCondition(kalyanv1alpha1.ConditionProvisioned, false, "SigningKeyFailed", err.Error())
		}
		return nil, err
	}
	st.setCondition(kalyanv1alpha1.ConditionProvisioned, true, "Provisioned", "namespace "+ns+" is provisioned")
	return seed, nil
}

// conditionError carries the reason a condition should show for err and, when the state resolves
// without a watch event (a person fixing a Secret, a namespace finishing termination), when to look
// again.
type conditionError struct {
	reason     string
	err        error
	retryAfter time.Duration
}

func (e *conditionError) Error() string { return e.err.Error() }
func (e *conditionError) Unwrap() error { return e.err }

// ensure makes obj exist with the state mutate sets, owned by hu and labelled as the operator's. obj
// carries the name and namespace to look up; mutate must be idempotent.
func (r *Reconciler) ensure(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit, obj client.Object, mutate func() error) (controllerutil.OperationResult, error) {
	key := client.ObjectKeyFromObject(obj)
	prepare := func() error {
		if err := mutate(); err != nil {
			return err
		}
		l := obj.GetLabels()
		if l == nil {
			l = map[string]string{}
		}
		l[ManagedByLabel] = ManagedByValue
		l[UnitLabel] = hu.Spec.Code
		obj.SetLabels(l)
		return controllerutil.SetControllerReference(hu, obj, r.scheme)
	}
	err := r.client.Get(ctx, key, obj)
	switch {
	case apierrors.IsNotFound(err):
		if err := prepare(); err != nil {
			return controllerutil.OperationResultNone, err
		}
		err = r.client.Create(ctx, obj, client.FieldOwner(Name))
		if err == nil {
			return controllerutil.OperationResultCreated, nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return controllerutil.OperationResultNone, err
		}
		// Created by an earlier reconcile the cache has not caught up with, or not labelled yet.
		if err := r.apiReader.Get(ctx, key, obj); err != nil {
			return controllerutil.OperationResultNone, err
		}
	case err != nil:
		return controllerutil.OperationResultNone, err
	}
	before := obj.DeepCopyObject()
	if err := prepare(); err != nil {
		return controllerutil.OperationResultNone, err
	}
	if equalObjects(before, obj) {
		return controllerutil.OperationResultNone, nil
	}
	if err := r.client.Update(ctx, obj, client.FieldOwner(Name)); err != nil {
		return controllerutil.OperationResultNone, err
	}
	return controllerutil.OperationResultUpdated, nil
}
