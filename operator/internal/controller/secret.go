package controller

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// The receipt signing key Secret in each unit namespace.
const (
	SigningKeySecretName = "receipt-signing-key"
	SigningKeySeedKey    = "seed"       // 32-byte Ed25519 seed, raw
	SigningKeyPublicKey  = "public-key" // 32-byte Ed25519 public key, raw

	// AllowNewSigningKeyAnnotation, set to "true" on a HospitalUnit whose signing key Secret was lost,
	// lets the operator generate a new key. The operator removes the annotation once it has.
	AllowNewSigningKeyAnnotation = "kalyan.dev/allow-new-signing-key"
)

// ensureSigningKey returns the unit's receipt signing seed, generating the Secret on first provisioning.
// A key is never replaced silently: a Secret with the wrong shape, or one that disappeared after the
// unit had a key, leaves the unit not Provisioned with a Warning event until a person acts (the seed is
// what makes past receipts verifiable).
func (r *Reconciler) ensureSigningKey(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit, st *statusWriter) ([]byte, error) {
	key := types.NamespacedName{Namespace: kalyanv1alpha1.NamespaceName(hu.Spec.Code), Name: SigningKeySecretName}
	var s corev1.Secret
	err := r.apiReader.Get(ctx, key, &s) // Secrets are never cached (CacheOptions)
	switch {
	case apierrors.IsNotFound(err):
		seed, err := r.createSigningKey(ctx, hu, st, key)
		if !apierrors.IsAlreadyExists(err) {
			return seed, err
		}
		// Created since (by a concurrent reconcile, or by a person).
		if err := r.apiReader.Get(ctx, key, &s); err != nil {
			return nil, fmt.Errorf("get signing key secret: %w", err)
		}
	case err != nil:
		return nil, fmt.Errorf("get signing key secret: %w", err)
	}

	seed, pub, err := parseSigningKey(&s)
	if err != nil {
		msg := fmt.Sprintf("receipt signing key Secret %s/%s is malformed and left untouched: %v; restore the key, or delete the Secret and annotate the HospitalUnit %s=true to issue a new one",
			key.Namespace, key.Name, err, AllowNewSigningKeyAnnotation)
		return nil, r.waitForPerson(hu, st, "SigningKeyInvalid", msg)
	}
	fp := fingerprint(pub)
	if old := hu.Status.SigningKeyFingerprint; old != "" && old != fp {
		r.recorder.Eventf(hu, nil, corev1.EventTypeWarning, "SigningKeyChanged", "Provision",
			"receipt signing key Secret %s/%s now holds key %s (was %s)", key.Namespace, key.Name, fp, old)
	}
	if err := r.adoptSigningKey(ctx, hu, &s); err != nil {
		return nil, err
	}
	st.status.SigningKeyFingerprint = fp
	return seed, nil
}

func (r *Reconciler) createSigningKey(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit, st *statusWriter, key types.NamespacedName) ([]byte, error) {
	allowNew := hu.Annotations[AllowNewSigningKeyAnnotation] == "true"
	if hu.Status.SigningKeyFingerprint != "" && !allowNew {
		msg := fmt.Sprintf("receipt signing key Secret %s/%s with key %s is missing; restore it, or annotate the HospitalUnit %s=true to issue a new key",
			key.Namespace, key.Name, hu.Status.SigningKeyFingerprint, AllowNewSigningKeyAnnotation)
		return nil, r.waitForPerson(hu, st, "SigningKeyMissing", msg)
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generate signing key: %w", err)
	}
	immutable := true
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{
			Name: key.Name, Namespace: key.Namespace,
			Labels: map[string]string{ManagedByLabel: ManagedByValue, UnitLabel: hu.Spec.Code},
		},
		Type:      corev1.SecretTypeOpaque,
		Immutable: &immutable, // the data can only be replaced by deleting the Secret, never by an edit
		Data:      map[string][]byte{SigningKeySeedKey: priv.Seed(), SigningKeyPublicKey: pub},
	}
	if err := controllerutil.SetControllerReference(hu, s, r.scheme); err != nil {
		return nil, fmt.Errorf("signing key secret: %w", err)
	}
	if err := r.client.Create(ctx, s, client.FieldOwner(Name)); err != nil {
		return nil, fmt.Errorf("create signing key secret: %w", err)
	}
	fp := fingerprint(pub)
	if allowNew {
		// The first key is announced with the registration event (one event per unit, not two: 538
		// units onboard at once); a replacement deserves its own.
		r.recorder.Eventf(hu, nil, corev1.EventTypeNormal, "SigningKeyGenerated", "Provision",
			"generated a new receipt signing key %s in Secret %s/%s, replacing %s", fp, key.Namespace, key.Name, hu.Status.SigningKeyFingerprint)
		patch := client.MergeFrom(hu.DeepCopy())
		delete(hu.Annotations, AllowNewSigningKeyAnnotation)
		if err := r.client.Patch(ctx, hu, patch); err != nil {
			return nil, fmt.Errorf("remove %s annotation: %w", AllowNewSigningKeyAnnotation, err)
		}
		st.rebase(hu)
	}
	st.status.SigningKeyFingerprint = fp
	return priv.Seed(), nil
}

// waitForPerson reports a signing key problem only a person can resolve: a condition, a Warning event
// when it first appears, and an error that makes the unit be looked at again after RecheckInterval.
func (r *Reconciler) waitForPerson(hu *kalyanv1alpha1.HospitalUnit, st *statusWriter, reason, msg string) error {
	if st.setCondition(kalyanv1alpha1.ConditionProvisioned, false, reason, msg) {
		r.recorder.Eventf(hu, nil, corev1.EventTypeWarning, reason, "Provision", "%s", msg)
	}
	return &conditionError{reason: reason, err: errors.New(msg), retryAfter: r.opts.RecheckInterval}
}

// adoptSigningKey labels and owns a valid key Secret someone restored by hand, so the cache sees it.
func (r *Reconciler) adoptSigningKey(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit, s *corev1.Secret) error {
	if s.Labels[ManagedByLabel] == ManagedByValue && s.Labels[UnitLabel] == hu.Spec.Code && metav1.IsControlledBy(s, hu) {
		return nil
	}
	patch := client.MergeFrom(s.DeepCopy())
	if s.Labels == nil {
		s.Labels = map[string]string{}
	}
	s.Labels[ManagedByLabel] = ManagedByValue
	s.Labels[UnitLabel] = hu.Spec.Code
	if err := controllerutil.SetControllerReference(hu, s, r.scheme); err != nil {
		return fmt.Errorf("adopt signing key secret: %w", err)
	}
	if err := r.client.Patch(ctx, s, patch, client.FieldOwner(Name)); err != nil {
		return fmt.Errorf("adopt signing key secret: %w", err)
	}
	return nil
}

// parseSigningKey checks the Secret's shape and returns its seed and public key.
func parseSigningKey(s *corev1.Secret) (seed, pub []byte, err error) {
	seed = s.Data[SigningKeySeedKey]
	if len(seed) != ed25519.SeedSize {
		return nil, nil, fmt.Errorf("key %q must hold a %d-byte Ed25519 seed, has %d bytes", SigningKeySeedKey, ed25519.SeedSize, len(seed))
	}
	derived := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	if p, ok := s.Data[SigningKeyPublicKey]; ok && !bytes.Equal(p, derived) {
		return nil, nil, errors.New("key \"" + SigningKeyPublicKey + "\" does not match the seed")
	}
	return seed, derived, nil
}

func fingerprint(pub []byte) string {
	sum := sha256.Sum256(pub)
	return hex.EncodeToString(sum[:16])
}
