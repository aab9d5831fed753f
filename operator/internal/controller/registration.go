package controller

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/apiclient"
)

// Keys of a bKash merchant credentials Secret.
const (
	BKashUsernameKey  = "username"
	BKashPasswordKey  = "password"
	BKashAppKeyKey    = "appKey"
	BKashAppSecretKey = "appSecret"
)

// register tells the API about the unit when the registration changed (or is due for a refresh) and
// records the outcome in the Registered condition. A failed call to the API is returned as the error
// (retried with the per-unit backoff); a bKash Secret that is missing or incomplete waits for a person.
func (r *Reconciler) register(ctx context.Context, req reconcile.Request, hu *kalyanv1alpha1.HospitalUnit, seed []byte, st *statusWriter) (reconcile.Result, error) {
	reg, err := r.registration(ctx, hu, seed)
	if err != nil {
		reason := "RegistrationFailed"
		var cond *conditionError
		if errors.As(err, &cond) {
			reason = cond.reason
		}
		if st.setCondition(kalyanv1alpha1.ConditionRegistered, false, reason, err.Error()) {
			r.recorder.Eventf(hu, nil, corev1.EventTypeWarning, reason, "Register", "%v", err)
		}
		if cond == nil {
			return reconcile.Result{}, err
		}
		// The unit namespace's Secrets are watched, so a fix comes as an event; this is the safety net.
		return reconcile.Result{RequeueAfter: r.opts.RecheckInterval}, nil
	}
	hash := registrationHash(reg)

	if since, ok := r.registeredAndFresh(hu, hash); ok {
		return reconcile.Result{RequeueAfter: r.opts.RegistrationRefresh - since}, nil
	}

	unit, created, err := r.api.RegisterUnit(ctx, hu.Spec.Code, reg)
	if err != nil {
		r.metrics.apiRequest("register", "error")
		reason := failureReason(err)
		msg := fmt.Sprintf("%v (retrying with backoff)", err)
		if st.setCondition(kalyanv1alpha1.ConditionRegistered, false, reason, msg) {
			r.recorder.Eventf(hu, nil, corev1.EventTypeWarning, reason, "Register", "registration with the Kalyan API failed: %v", err)
		}
		log.FromContext(ctx).V(1).Info("registration failed", "reason", reason, "failures", r.backoff.NumRequeues(req)+1, "error", err.Error())
		return reconcile.Result{}, fmt.Errorf("register unit %s with the Kalyan API (%s): %w", hu.Spec.Code, reason, err)
	}
	r.metrics.apiRequest("register", "ok")

	now := metav1.Now()
	changed := hu.Status.RegisteredHash != hash
	st.status.RegisteredHash = hash
	st.status.LastRegistered = &now
	st.status.DonationURL = unit.DonationURL
	msg := "registered with the Kalyan API"
	if created {
		msg = "created in the Kalyan API"
	}
	st.setCondition(kalyanv1alpha1.ConditionRegistered, true, "Registered", msg)
	if changed {
		r.recorder.Eventf(hu, nil, corev1.EventTypeNormal, "Registered", "Register", "%s (generation %d, receipt signing key %s)",
			msg, hu.Generation, st.status.SigningKeyFingerprint)
	}
	return reconcile.Result{RequeueAfter: r.opts.RegistrationRefresh}, nil
}

// registeredAndFresh reports whether the API already accepted exactly this registration recently.
func (r *Reconciler) registeredAndFresh(hu *kalyanv1alpha1.HospitalUnit, hash string) (time.Duration, bool) {
	if hu.Status.RegisteredHash != hash || hu.Status.LastRegistered == nil ||
		!meta.IsStatusConditionTrue(hu.Status.Conditions, kalyanv1alpha1.ConditionRegistered) {
		return 0, false
	}
	since := time.Since(hu.Status.LastRegistered.Time)
	return since, since >= 0 && since < r.opts.RegistrationRefresh
}

// registration builds the API request body from the spec, the signing seed and the bKash Secret.
func (r *Reconciler) registration(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit, seed []byte) (apiclient.Registration, error) {
	if hu.Spec.BKashSecretRef == nil {
		return apiclient.RegistrationFor(hu.Spec, nil, seed), nil
	}
	key, err := bkashSecretKey(hu)
	if err != nil {
		return apiclient.Registration{}, err
	}
	var sec corev1.Secret
	err = r.apiReader.Get(ctx, key, &sec)
	if apierrors.IsNotFound(err) {
		return apiclient.Registration{}, &conditionError{reason: "BKashSecretNotFound", err: fmt.Errorf("bKash credentials Secret %s not found", key)}
	}
	if err != nil {
		return apiclient.Registration{}, fmt.Errorf("get bKash credentials Secret %s: %w", key, err)
	}
	b := apiclient.BKash{
		Username:  string(sec.Data[BKashUsernameKey]),
		Password:  string(sec.Data[BKashPasswordKey]),
		AppKey:    string(sec.Data[BKashAppKeyKey]),
		AppSecret: string(sec.Data[BKashAppSecretKey]),
	}
	if b.Username == "" || b.Password == "" || b.AppKey == "" || b.AppSecret == "" {
		return apiclient.Registration{}, &conditionError{reason: "BKashSecretInvalid", err: fmt.Errorf("bKash credentials Secret %s must have non-empty keys %s, %s, %s and %s",
			key, BKashUsernameKey, BKashPasswordKey, BKashAppKeyKey, BKashAppSecretKey)}
	}
	return apiclient.RegistrationFor(hu.Spec, &b, seed), nil
}

// bkashSecretKey is the Secret spec.bkashSecretRef names, which must be in the unit's own namespace.
// The CRD's validation refuses any other namespace; this check holds even where an older CRD without
// that rule is installed, so the operator never reads a Secret for someone who could not read it.
func bkashSecretKey(hu *kalyanv1alpha1.HospitalUnit) (types.NamespacedName, error) {
	ref, ns := hu.Spec.BKashSecretRef, kalyanv1alpha1.NamespaceName(hu.Spec.Code)
	if ref.Namespace != "" && ref.Namespace != ns {
		return types.NamespacedName{}, &conditionError{reason: "BKashSecretForbidden", err: fmt.Errorf(
			"bkashSecretRef names a Secret in namespace %s: only the unit's own namespace %s is allowed", ref.Namespace, ns)}
	}
	return types.NamespacedName{Namespace: ns, Name: ref.Name}, nil
}

// registrationHash digests the whole request body. It includes secrets, but also the random 32-byte
// seed, so the digest in the status reveals nothing guessable.
func registrationHash(reg apiclient.Registration) string {
	b, _ := json.Marshal(reg) // plain structs of strings: cannot fail
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// failureReason maps an API error to a condition reason.
func failureReason(err error) string {
	var se *apiclient.StatusError
	switch {
	case errors.Is(err, apiclient.ErrToken):
		return "TokenUnavailable"
	case errors.Is(err, apiclient.ErrArchived):
		return "UnitArchived"
	case errors.As(err, &se) && (se.StatusCode == http.StatusUnauthorized || se.StatusCode == http.StatusForbidden):
		return "APIUnauthorized"
	case errors.As(err, &se) && !se.Temporary():
		return "RegistrationRejected"
	default: // connection refused, timeouts, 5xx
		return "APIUnavailable"
	}
}
