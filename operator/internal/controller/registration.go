package controller

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
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
// records the outcome in the Registered condition. While the API fails it backs off per unit.
func (r *Reconciler) register(ctx context.Context, req reconcile.Request, hu *kalyanv1alpha1.HospitalUnit, seed []byte, st *statusWriter) reconcile.Result {
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
		// The referenced Secret is not watched (it is not ours to label), so look again later.
		return reconcile.Result{RequeueAfter: r.opts.RecheckInterval}
	}
	hash := registrationHash(reg)

	if since, ok := r.registeredAndFresh(hu, hash); ok {
		r.backoff.Forget(req)
		return reconcile.Result{RequeueAfter: r.opts.RegistrationRefresh - since}
	}

	unit, created, err := r.api.RegisterUnit(ctx, hu.Spec.Code, reg)
	if err != nil {
		r.metrics.apiRequest("register", "error")
		reason := failureReason(err)
		delay := r.backoff.When(req)
		msg := fmt.Sprintf("%v (retrying in %s)", err, delay.Round(time.Millisecond))
		if st.setCondition(kalyanv1alpha1.ConditionRegistered, false, reason, msg) {
			r.recorder.Eventf(hu, nil, corev1.EventTypeWarning, reason, "Register", "registration with the Kalyan API failed: %v", err)
		}
		log.FromContext(ctx).V(1).Info("registration failed", "reason", reason, "retryIn", delay, "error", err.Error())
		return reconcile.Result{RequeueAfter: delay}
	}
	r.metrics.apiRequest("register", "ok")
	r.backoff.Forget(req)

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
	return reconcile.Result{RequeueAfter: r.opts.RegistrationRefresh}
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
	s := hu.Spec
	reg := apiclient.Registration{
		Names:    apiclient.Names{EN: s.Names.EN, BN: s.Names.BN},
		Level:    string(s.Level),
		Division: s.Division,
		District: s.District,
		Upazila:  s.Upazila,
		Policy: apiclient.Policy{
			ApprovalThreshold: string(s.Policy.ApprovalThreshold),
			MinDonation:       string(s.Policy.MinDonation),
			MaxDonation:       string(s.Policy.MaxDonation),
		},
		SigningKey: base64.StdEncoding.EncodeToString(seed),
	}
	for _, p := range s.Policy.Programmes {
		reg.Policy.Programmes = append(reg.Policy.Programmes, string(p))
	}
	for _, a := range s.Policy.AllocationOrder {
		reg.Policy.AllocationOrder = append(reg.Policy.AllocationOrder, string(a))
	}
	if ref := s.BKashSecretRef; ref != nil {
		var sec corev1.Secret
		err := r.apiReader.Get(ctx, types.NamespacedName{Namespace: ref.Namespace, Name: ref.Name}, &sec)
		if apierrors.IsNotFound(err) {
			return reg, &conditionError{reason: "BKashSecretNotFound", err: fmt.Errorf("bKash credentials Secret %s/%s not found", ref.Namespace, ref.Name)}
		}
		if err != nil {
			return reg, fmt.Errorf("get bKash credentials Secret %s/%s: %w", ref.Namespace, ref.Name, err)
		}
		b := apiclient.BKash{
			Username:  string(sec.Data[BKashUsernameKey]),
			Password:  string(sec.Data[BKashPasswordKey]),
			AppKey:    string(sec.Data[BKashAppKeyKey]),
			AppSecret: string(sec.Data[BKashAppSecretKey]),
		}
		if b.Username == "" || b.Password == "" || b.AppKey == "" || b.AppSecret == "" {
			return reg, &conditionError{reason: "BKashSecretInvalid", err: fmt.Errorf("bKash credentials Secret %s/%s must have non-empty keys %s, %s, %s and %s",
				ref.Namespace, ref.Name, BKashUsernameKey, BKashPasswordKey, BKashAppKeyKey, BKashAppSecretKey)}
		}
		reg.BKash = &b
		r.watchBKashSecret(ctx, hu, &sec)
	}
	return reg, nil
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
