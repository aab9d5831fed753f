package controller_test

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	networkingv1 "k8s.io/api/networking/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/controller"
)

type unitJSON struct {
	Code  string `json:"code"`
	Names struct {
		EN string `json:"en"`
		BN string `json:"bn"`
	} `json:"names"`
	Level  string `json:"level"`
	Status string `json:"status"`
	Policy struct {
		ApprovalThreshold string   `json:"approvalThreshold"`
		Programmes        []string `json:"programmes"`
	} `json:"policy"`
	DonationURL string `json:"donationURL"`
}

func TestCreateProvisionsAndRegisters(t *testing.T) {
	s := operator(t)
	code := uniqueCode("uhc-create")
	s.create(t, newUnit(code))
	hu := s.waitReady(t, code)

	ns := kalyanv1alpha1.NamespaceName(code)
	if hu.Status.Namespace != ns {
		t.Errorf("status.namespace %q, want %q", hu.Status.Namespace, ns)
	}
	if !slices.Contains(hu.Finalizers, controller.Finalizer) {
		t.Errorf("finalizers %v lack %s", hu.Finalizers, controller.Finalizer)
	}
	for _, c := range []string{kalyanv1alpha1.ConditionProvisioned, kalyanv1alpha1.ConditionRegistered} {
		if !isTrue(hu, c) {
			t.Errorf("%s not True: %s", c, conditionState(hu))
		}
	}

	// The unit is servable in the API, with the spec's names and policy, at the link in the status.
	var u unitJSON
	if code := s.apiCall(t, http.MethodGet, "/api/v1/units/"+code, nil, nil, &u); code != http.StatusOK {
		t.Fatalf("GET unit: %d", code)
	}
	if u.Names.EN != hu.Spec.Names.EN || u.Names.BN != hu.Spec.Names.BN || u.Level != "upazila" || u.Status != "active" ||
		u.Policy.ApprovalThreshold != "10000.00" || !slices.Equal(u.Policy.Programmes, []string{"cancer", "kidney"}) {
		t.Errorf("API has %+v", u)
	}
	if hu.Status.DonationURL == "" || hu.Status.DonationURL != u.DonationURL {
		t.Errorf("status.donationURL %q, API says %q", hu.Status.DonationURL, u.DonationURL)
	}

	// The namespace and everything in it, labelled and owned by the HospitalUnit.
	var namespace corev1.Namespace
	mustGet(t, s.k8s, "", ns, &namespace)
	if namespace.Labels[controller.ManagedByLabel] != controller.ManagedByValue || namespace.Labels[controller.UnitLabel] != code ||
		namespace.Labels[controller.LevelLabel] != "upazila" || namespace.Labels["pod-security.kubernetes.io/enforce"] != "restricted" {
		t.Errorf("namespace labels %v", namespace.Labels)
	}
	ownedBy(t, &namespace, hu)

	var quota corev1.ResourceQuota
	mustGet(t, s.k8s, ns, controller.QuotaName, &quota)
	ownedBy(t, &quota, hu)
	if q := quota.Spec.Hard[corev1.ResourcePods]; q.Cmp(resource.MustParse("10")) != 0 {
		t.Errorf("quota pods %s", q.String())
	}
	var limits corev1.LimitRange
	mustGet(t, s.k8s, ns, controller.LimitRangeName, &limits)
	ownedBy(t, &limits, hu)
	if len(limits.Spec.Limits) != 1 || limits.Spec.Limits[0].Default.Cpu().IsZero() {
		t.Errorf("limit range %+v", limits.Spec)
	}

	var np networkingv1.NetworkPolicy
	mustGet(t, s.k8s, ns, controller.NetworkPolicyName, &np)
	ownedBy(t, &np, hu)
	if len(np.Spec.PodSelector.MatchLabels) != 0 || len(np.Spec.PolicyTypes) != 2 || len(np.Spec.Ingress) != 1 ||
		np.Spec.Ingress[0].From[0].NamespaceSelector.MatchLabels["kubernetes.io/metadata.name"] != "kalyan-system" {
		t.Errorf("network policy %+v", np.Spec)
	}

	var role rbacv1.Role
	mustGet(t, s.k8s, ns, controller.AdminRoleName, &role)
	ownedBy(t, &role, hu)
	for _, rule := range role.Rules {
		if slices.Contains(rule.Resources, "secrets") && !slices.Equal(rule.ResourceNames, []string{controller.BKashUnitSecretName}) {
			t.Errorf("unit admins may touch secrets beyond their bKash credentials: %+v", rule)
		}
	}
	var rb rbacv1.RoleBinding
	mustGet(t, s.k8s, ns, controller.AdminRoleName, &rb)
	ownedBy(t, &rb, hu)
	if len(rb.Subjects) != 1 || rb.Subjects[0].Kind != rbacv1.GroupKind || rb.Subjects[0].Name != "kalyan:unit-admins:"+code {
		t.Errorf("role binding subjects %+v", rb.Subjects)
	}

	key := signingKey(t, s.k8s, code)
	ownedBy(t, key, hu)
	if key.Immutable == nil || !*key.Immutable {
		t.Errorf("signing key Secret is not immutable")
	}
	pub := ed25519.NewKeyFromSeed(key.Data[controller.SigningKeySeedKey]).Public().(ed25519.PublicKey)
	if !bytes.Equal(pub, key.Data[controller.SigningKeyPublicKey]) {
		t.Errorf("public key does not match the seed")
	}
	if hu.Status.SigningKeyFingerprint == "" {
		t.Errorf("no signing key fingerprint in status")
	}

	// Kubernetes events tell the story.
	waitFor(t, "Registered event", func() (bool, string) {
		reasons := eventReasons(t, s.k8s, code)
		return slices.Contains(reasons, "Registered"), fmt.Sprint(reasons)
	})

	// Metrics on the operator's registry: units by condition and reconcile latency.
	waitFor(t, "metrics", func() (bool, string) {
		mfs, err := s.registry.Gather()
		if err != nil {
			return false, err.Error()
		}
		var ready, reconciles float64
		for _, mf := range mfs {
			for _, m := range mf.GetMetric() {
				switch mf.GetName() {
				case "kalyan_operator_units":
					if labels(m.GetLabel())["condition"] == "Ready" && labels(m.GetLabel())["status"] == "True" {
						ready = m.GetGauge().GetValue()
					}
				case "kalyan_operator_reconcile_duration_seconds":
					reconciles += float64(m.GetHistogram().GetSampleCount())
				}
			}
		}
		return ready >= 1 && reconciles >= 1, fmt.Sprintf("ready units %v, reconciles %v", ready, reconciles)
	})
}

func TestSpecChangeUpdatesTheAPI(t *testing.T) {
	s := operator(t)
	code := uniqueCode("uhc-change")
	s.create(t, newUnit(code))
	hu := s.waitReady(t, code)
	oldHash := hu.Status.RegisteredHash

	s.change(t, code, func(hu *kalyanv1alpha1.HospitalUnit) {
		hu.Spec.Names.EN = "Debidwar 50-bed Upazila Health Complex"
		hu.Spec.Policy.ApprovalThreshold = "20000.00"
		hu.Spec.Policy.Programmes = []kalyanv1alpha1.Programme{"cancer", "kidney", "thalassaemia"}
		hu.Spec.Quota.Hard = corev1.ResourceList{corev1.ResourcePods: resource.MustParse("4")}
	})
	hu = s.waitReady(t, code)
	if hu.Status.RegisteredHash == oldHash {
		t.Errorf("registration digest unchanged after a spec change")
	}

	var u unitJSON
	if c := s.apiCall(t, http.MethodGet, "/api/v1/units/"+code, nil, nil, &u); c != http.StatusOK {
		t.Fatalf("GET unit: %d", c)
	}
	if u.Names.EN != "Debidwar 50-bed Upazila Health Complex" || u.Policy.ApprovalThreshold != "20000.00" ||
		!slices.Equal(u.Policy.Programmes, []string{"cancer", "kidney", "thalassaemia"}) {
		t.Errorf("API has %+v after the spec change", u)
	}
	var quota corev1.ResourceQuota
	mustGet(t, s.k8s, kalyanv1alpha1.NamespaceName(code), controller.QuotaName, &quota)
	if q := quota.Spec.Hard[corev1.ResourcePods]; q.Cmp(resource.MustParse("4")) != 0 {
		t.Errorf("quota pods %s after the spec change, want 4", q.String())
	}
}

func TestSigningKeyIsKeptAndNeverReplacedSilently(t *testing.T) {
	s := operator(t)
	ctx := context.Background()
	code := uniqueCode("uhc-key")
	s.create(t, newUnit(code))
	s.waitReady(t, code)
	first := signingKey(t, s.k8s, code)

	// Reconcile several times: a spec change, and an owned object deleted and put back.
	s.change(t, code, func(hu *kalyanv1alpha1.HospitalUnit) { hu.Spec.Names.EN = "Renamed" })
	s.waitReady(t, code)
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: controller.NetworkPolicyName, Namespace: kalyanv1alpha1.NamespaceName(code)}}
	if err := s.k8s.Delete(ctx, np); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "network policy recreated", func() (bool, string) {
		var got networkingv1.NetworkPolicy
		err := s.k8s.Get(ctx, client.ObjectKeyFromObject(np), &got)
		return err == nil && got.UID != np.UID, fmt.Sprint(err)
	})
	s.waitReady(t, code)
	again := signingKey(t, s.k8s, code)
	if again.UID != first.UID || !bytes.Equal(again.Data[controller.SigningKeySeedKey], first.Data[controller.SigningKeySeedKey]) {
		t.Fatalf("signing key Secret replaced across reconciles")
	}

	// The key Secret disappears: the operator reports it and does not mint a new key on its own.
	if err := s.k8s.Delete(ctx, first); err != nil {
		t.Fatal(err)
	}
	hu := s.waitCondition(t, code, kalyanv1alpha1.ConditionProvisioned, metav1.ConditionFalse, "SigningKeyMissing")
	if isTrue(hu, kalyanv1alpha1.ConditionReady) {
		t.Errorf("Ready with no signing key")
	}
	waitFor(t, "SigningKeyMissing event", func() (bool, string) {
		reasons := eventReasons(t, s.k8s, code)
		return slices.Contains(reasons, "SigningKeyMissing"), fmt.Sprint(reasons)
	})
	if err := s.k8s.Get(ctx, client.ObjectKeyFromObject(first), &corev1.Secret{}); !apierrors.IsNotFound(err) {
		t.Fatalf("a signing key Secret was created behind the operator's back: %v", err)
	}

	// Someone puts back a malformed one: reported, left untouched.
	bad := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: controller.SigningKeySecretName, Namespace: first.Namespace},
		Data:       map[string][]byte{controller.SigningKeySeedKey: []byte("too short")},
	}
	if err := s.k8s.Create(ctx, bad); err != nil {
		t.Fatal(err)
	}
	s.waitCondition(t, code, kalyanv1alpha1.ConditionProvisioned, metav1.ConditionFalse, "SigningKeyInvalid")
	waitFor(t, "SigningKeyInvalid event", func() (bool, string) {
		reasons := eventReasons(t, s.k8s, code)
		return slices.Contains(reasons, "SigningKeyInvalid"), fmt.Sprint(reasons)
	})
	var got corev1.Secret
	mustGet(t, s.k8s, bad.Namespace, bad.Name, &got)
	if string(got.Data[controller.SigningKeySeedKey]) != "too short" {
		t.Fatalf("malformed signing key Secret was overwritten")
	}

	// A person restores the original key: adopted, Ready again, the same key.
	if err := s.k8s.Delete(ctx, &got); err != nil {
		t.Fatal(err)
	}
	restored := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: controller.SigningKeySecretName, Namespace: first.Namespace},
		Data:       map[string][]byte{controller.SigningKeySeedKey: first.Data[controller.SigningKeySeedKey]},
	}
	if err := s.k8s.Create(ctx, restored); err != nil {
		t.Fatal(err)
	}
	hu = s.waitReady(t, code)
	if hu.Status.SigningKeyFingerprint == "" {
		t.Fatal("no fingerprint")
	}
	adopted := signingKey(t, s.k8s, code)
	ownedBy(t, adopted, hu)
	if !bytes.Equal(adopted.Data[controller.SigningKeySeedKey], first.Data[controller.SigningKeySeedKey]) {
		t.Fatal("restored key changed")
	}

	// Or a person explicitly asks for a new key.
	if err := s.k8s.Delete(ctx, adopted); err != nil {
		t.Fatal(err)
	}
	s.waitCondition(t, code, kalyanv1alpha1.ConditionProvisioned, metav1.ConditionFalse, "SigningKeyMissing")
	s.change(t, code, func(hu *kalyanv1alpha1.HospitalUnit) {
		if hu.Annotations == nil {
			hu.Annotations = map[string]string{}
		}
		hu.Annotations[controller.AllowNewSigningKeyAnnotation] = "true"
	})
	waitFor(t, "a new key and the annotation removed", func() (bool, string) {
		hu := s.get(t, code)
		_, annotated := hu.Annotations[controller.AllowNewSigningKeyAnnotation]
		return !annotated && isTrue(hu, kalyanv1alpha1.ConditionReady), conditionState(hu)
	})
	waitFor(t, "SigningKeyGenerated event", func() (bool, string) {
		reasons := eventReasons(t, s.k8s, code)
		return slices.Contains(reasons, "SigningKeyGenerated"), fmt.Sprint(reasons)
	})
	fresh := signingKey(t, s.k8s, code)
	if bytes.Equal(fresh.Data[controller.SigningKeySeedKey], first.Data[controller.SigningKeySeedKey]) {
		t.Fatal("new key equals the old one")
	}
}

func TestAPIDownThenBack(t *testing.T) {
	s := operator(t)
	ctx := context.Background()
	if err := s.stack.StopAPI(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = s.stack.StartAPI()
		}
	})

	code := uniqueCode("uhc-api-down")
	errorsBefore := reconcileErrors(t)
	s.create(t, newUnit(code))
	hu := s.waitCondition(t, code, kalyanv1alpha1.ConditionRegistered, metav1.ConditionFalse, "APIUnavailable")
	// The failures are returned to controller-runtime, which counts them (and backs off).
	waitFor(t, "reconcile errors counted", func() (bool, string) {
		n := reconcileErrors(t)
		return n > errorsBefore, fmt.Sprintf("controller_runtime_reconcile_errors_total %v, was %v", n, errorsBefore)
	})
	if !isTrue(hu, kalyanv1alpha1.ConditionProvisioned) {
		// Provisioning does not depend on the API.
		s.waitCondition(t, code, kalyanv1alpha1.ConditionProvisioned, metav1.ConditionTrue, "")
	}
	s.waitCondition(t, code, kalyanv1alpha1.ConditionReady, metav1.ConditionFalse, "APIUnavailable")
	waitFor(t, "APIUnavailable event", func() (bool, string) {
		reasons := eventReasons(t, s.k8s, code)
		return slices.Contains(reasons, "APIUnavailable"), fmt.Sprint(reasons)
	})

	if err := s.stack.StartAPI(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	s.waitReady(t, code)
	var u unitJSON
	if c := s.apiCall(t, http.MethodGet, "/api/v1/units/"+code, nil, nil, &u); c != http.StatusOK || u.Status != "active" {
		t.Fatalf("GET unit after the API came back: %d %+v", c, u)
	}
}

func TestTokenIsReadOnEveryCall(t *testing.T) {
	s := operator(t)
	good, err := os.ReadFile(s.tokenFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(s.tokenFile, []byte("not-a-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.WriteFile(s.tokenFile, good, 0o600) })

	code := uniqueCode("uhc-token")
	s.create(t, newUnit(code))
	s.waitCondition(t, code, kalyanv1alpha1.ConditionRegistered, metav1.ConditionFalse, "APIUnauthorized")

	// Rotating the token (a remounted Secret) takes effect without restarting the operator.
	if err := os.WriteFile(s.tokenFile, good, 0o600); err != nil {
		t.Fatal(err)
	}
	s.waitReady(t, code)
}

func TestBKashCredentialsFromSecret(t *testing.T) {
	s := operator(t)
	ctx := context.Background()
	code := uniqueCode("uhc-bkash")
	hu := newUnit(code)
	ns := kalyanv1alpha1.NamespaceName(code)
	hu.Spec.BKashSecretRef = &kalyanv1alpha1.SecretReference{Namespace: ns, Name: "bkash-" + code}
	s.create(t, hu)
	s.waitCondition(t, code, kalyanv1alpha1.ConditionRegistered, metav1.ConditionFalse, "BKashSecretNotFound")

	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: "bkash-" + code, Namespace: ns},
		StringData: map[string]string{"username": "rks-debidwar", "password": "p", "appKey": "k"},
	}
	if err := s.k8s.Create(ctx, sec); err != nil {
		t.Fatal(err)
	}
	s.waitCondition(t, code, kalyanv1alpha1.ConditionRegistered, metav1.ConditionFalse, "BKashSecretInvalid")

	sec.StringData = map[string]string{"appSecret": "s"}
	if err := s.k8s.Update(ctx, sec); err != nil {
		t.Fatal(err)
	}
	s.waitReady(t, code)
}

func TestNamespaceNotOursIsLeftAlone(t *testing.T) {
	s := operator(t)
	ctx := context.Background()
	code := uniqueCode("uhc-taken")
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: kalyanv1alpha1.NamespaceName(code), Labels: map[string]string{"team": "someone-else"}}}
	if err := s.k8s.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	s.create(t, newUnit(code))
	s.waitCondition(t, code, kalyanv1alpha1.ConditionProvisioned, metav1.ConditionFalse, "NamespaceConflict")
	var got corev1.Namespace
	mustGet(t, s.k8s, "", ns.Name, &got)
	if len(got.OwnerReferences) != 0 || got.Labels[controller.ManagedByLabel] != "" {
		t.Fatalf("operator took over a namespace it did not create: %+v", got.ObjectMeta)
	}
}

func TestDeleteArchivesAndKeepsDonations(t *testing.T) {
	s := operator(t)
	ctx := context.Background()
	code := uniqueCode("uhc-delete")
	s.create(t, newUnit(code))
	s.waitReady(t, code)

	// A donor gives before the unit is retired.
	var donation struct {
		ID     string `json:"id"`
		Amount string `json:"amount"`
	}
	c := s.apiCall(t, http.MethodPost, "/api/v1/units/"+code+"/donations",
		map[string]any{"amount": "500.00", "currency": "BDT", "kind": "zakat", "donor": map[string]string{"name": "A", "phone": "01712345678"}, "anonymous": false},
		map[string]string{"Idempotency-Key": "operator-test-" + code}, &donation)
	if c != http.StatusCreated || donation.ID == "" {
		t.Fatalf("create donation: %d %+v", c, donation)
	}

	// The API is down when the unit is deleted: the finalizer holds the HospitalUnit until it can archive.
	if err := s.stack.StopAPI(ctx); err != nil {
		t.Fatal(err)
	}
	restarted := false
	t.Cleanup(func() {
		if !restarted {
			_ = s.stack.StartAPI()
		}
	})
	if err := s.k8s.Delete(ctx, s.get(t, code)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ArchiveFailed while the API is down", func() (bool, string) {
		hu := s.get(t, code)
		ok := hu.DeletionTimestamp != nil && conditionReason(hu, kalyanv1alpha1.ConditionReady) == "ArchiveFailed"
		return ok, conditionState(hu)
	})
	// The status written while deleting describes the current generation.
	if hu := s.get(t, code); hu.Status.ObservedGeneration != hu.Generation {
		t.Errorf("status.observedGeneration %d after the ArchiveFailed write, generation %d", hu.Status.ObservedGeneration, hu.Generation)
	}
	var ns corev1.Namespace
	mustGet(t, s.k8s, "", kalyanv1alpha1.NamespaceName(code), &ns)
	if ns.DeletionTimestamp != nil {
		t.Fatal("namespace deleted before the unit was archived")
	}

	if err := s.stack.StartAPI(); err != nil {
		t.Fatal(err)
	}
	restarted = true
	waitFor(t, "HospitalUnit gone", func() (bool, string) {
		var hu kalyanv1alpha1.HospitalUnit
		err := s.k8s.Get(ctx, client.ObjectKey{Name: code}, &hu)
		return apierrors.IsNotFound(err), conditionState(&hu)
	})

	// Archived in the API: no longer servable, but every record is kept.
	if c := s.apiCall(t, http.MethodGet, "/api/v1/units/"+code, nil, nil, nil); c != http.StatusGone {
		t.Errorf("GET archived unit: %d, want 410", c)
	}
	var again struct {
		ID     string `json:"id"`
		Amount string `json:"amount"`
	}
	if c := s.apiCall(t, http.MethodGet, "/api/v1/donations/"+donation.ID, nil, nil, &again); c != http.StatusOK || again.ID != donation.ID || again.Amount != "500.00" {
		t.Errorf("donation after archiving: %d %+v", c, again)
	}
	c = s.apiCall(t, http.MethodPost, "/api/v1/units/"+code+"/donations",
		map[string]any{"amount": "100.00", "currency": "BDT", "kind": "general", "donor": map[string]string{"name": "B", "phone": "01812345678"}, "anonymous": false},
		map[string]string{"Idempotency-Key": "operator-test-after-" + code}, nil)
	if c < 400 {
		t.Errorf("archived unit accepted a donation: %d", c)
	}

	// And the namespace goes (envtest runs no namespace controller, so it stays Terminating).
	mustGet(t, s.k8s, "", kalyanv1alpha1.NamespaceName(code), &ns)
	if ns.DeletionTimestamp == nil {
		t.Errorf("namespace not being deleted")
	}
	reasons := eventReasons(t, s.k8s, code)
	if !slices.Contains(reasons, "ArchiveFailed") || !slices.Contains(reasons, "Archived") {
		t.Errorf("events %v lack ArchiveFailed and Archived", reasons)
	}
}

// TestStuckDeletingWayOut: a unit deleted while its API is gone for good stays Terminating
// (ArchiveFailed) until a person annotates it kalyan.dev/skip-archive=true; then the operator lets it
// go without archiving, deletes its namespace and says so in an Event.
func TestStuckDeletingWayOut(t *testing.T) {
	s := operator(t)
	ctx := context.Background()
	code := uniqueCode("uhc-stuck")
	s.create(t, newUnit(code))
	s.waitReady(t, code)
	if err := s.stack.StopAPI(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.stack.StartAPI() })
	if err := s.k8s.Delete(ctx, s.get(t, code)); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "ArchiveFailed", func() (bool, string) {
		hu := s.get(t, code)
		return conditionReason(hu, kalyanv1alpha1.ConditionReady) == "ArchiveFailed", conditionState(hu)
	})
	if hu := s.get(t, code); !strings.Contains(meta.FindStatusCondition(hu.Status.Conditions, kalyanv1alpha1.ConditionReady).Message, controller.SkipArchiveAnnotation) {
		t.Errorf("the ArchiveFailed message does not name the way out: %s", conditionState(hu))
	}
	patch(t, s, code, func(hu *kalyanv1alpha1.HospitalUnit) {
		hu.Annotations = map[string]string{controller.SkipArchiveAnnotation: "true"}
	})
	waitFor(t, "HospitalUnit gone", func() (bool, string) {
		var hu kalyanv1alpha1.HospitalUnit
		err := s.k8s.Get(ctx, client.ObjectKey{Name: code}, &hu)
		return apierrors.IsNotFound(err), conditionState(&hu)
	})
	var ns corev1.Namespace
	mustGet(t, s.k8s, "", kalyanv1alpha1.NamespaceName(code), &ns)
	if ns.DeletionTimestamp == nil {
		t.Errorf("namespace not being deleted")
	}
	if reasons := eventReasons(t, s.k8s, code); !slices.Contains(reasons, "ArchiveSkipped") {
		t.Errorf("events %v lack ArchiveSkipped", reasons)
	}
}

// reconcileErrors is controller-runtime's count of failed reconciles of the HospitalUnit controller.
func reconcileErrors(t testing.TB) float64 {
	t.Helper()
	mfs, err := ctrlmetrics.Registry.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() != "controller_runtime_reconcile_errors_total" {
			continue
		}
		for _, m := range mf.GetMetric() {
			if labels(m.GetLabel())["controller"] == "hospitalunit" {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

func isTrue(hu *kalyanv1alpha1.HospitalUnit, condType string) bool {
	for _, c := range hu.Status.Conditions {
		if c.Type == condType {
			return c.Status == metav1.ConditionTrue
		}
	}
	return false
}

func conditionReason(hu *kalyanv1alpha1.HospitalUnit, condType string) string {
	for _, c := range hu.Status.Conditions {
		if c.Type == condType {
			return c.Reason
		}
	}
	return ""
}

func mustGet(t *testing.T, c client.Client, namespace, name string, obj client.Object) {
	t.Helper()
	if err := c.Get(context.Background(), client.ObjectKey{Namespace: namespace, Name: name}, obj); err != nil {
		t.Fatalf("get %T %s/%s: %v", obj, namespace, name, err)
	}
}

func ownedBy(t *testing.T, obj client.Object, hu *kalyanv1alpha1.HospitalUnit) {
	t.Helper()
	if !metav1.IsControlledBy(obj, hu) {
		t.Errorf("%T %s is not controlled by HospitalUnit %s: %+v", obj, obj.GetName(), hu.Name, obj.GetOwnerReferences())
	}
	if obj.GetLabels()[controller.ManagedByLabel] != controller.ManagedByValue {
		t.Errorf("%T %s lacks the managed-by label", obj, obj.GetName())
	}
}

func signingKey(t *testing.T, c client.Client, code string) *corev1.Secret {
	t.Helper()
	var sec corev1.Secret
	mustGet(t, c, kalyanv1alpha1.NamespaceName(code), controller.SigningKeySecretName, &sec)
	if len(sec.Data[controller.SigningKeySeedKey]) != ed25519.SeedSize {
		t.Fatalf("signing key seed has %d bytes", len(sec.Data[controller.SigningKeySeedKey]))
	}
	return &sec
}

// eventReasons lists the reasons of the events about the HospitalUnit (cluster-scoped objects' events
// land in the default namespace).
func eventReasons(t testing.TB, c client.Client, name string) []string {
	t.Helper()
	var list eventsv1.EventList
	if err := c.List(context.Background(), &list, client.InNamespace(metav1.NamespaceDefault)); err != nil {
		t.Fatalf("list events: %v", err)
	}
	var reasons []string
	for _, e := range list.Items {
		if e.Regarding.Kind == "HospitalUnit" && e.Regarding.Name == name {
			reasons = append(reasons, e.Reason)
		}
	}
	slices.Sort(reasons)
	return slices.Compact(reasons)
}

func labels(pairs []*dto.LabelPair) map[string]string {
	m := map[string]string{}
	for _, p := range pairs {
		m[p.GetName()] = p.GetValue()
	}
	return m
}
