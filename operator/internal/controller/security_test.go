package controller_test

import (
	"context"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/controller"
)

// TestBKashSecretRefIsConfinedToTheUnitNamespace: whoever may create HospitalUnits must not be able to
// make the operator copy a Secret they cannot read into the API (a confused deputy). A reference to
// any namespace but the unit's own is refused by the API server.
func TestBKashSecretRefIsConfinedToTheUnitNamespace(t *testing.T) {
	s := operator(t)
	ctx := context.Background()
	other := uniqueCode("uhc-victim")
	s.create(t, newUnit(other))
	s.waitReady(t, other)

	for _, ns := range []string{"default", "kube-system", "kalyan-system", kalyanv1alpha1.NamespaceName(other)} {
		code := uniqueCode("uhc-deputy")
		hu := newUnit(code)
		hu.Spec.BKashSecretRef = &kalyanv1alpha1.SecretReference{Namespace: ns, Name: "bkash-credentials"}
		err := s.k8s.Create(ctx, hu)
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "unit's own namespace") {
			t.Errorf("a HospitalUnit whose bkashSecretRef names namespace %s: %v, want it refused as invalid", ns, err)
		}
		// Nor can an existing unit be pointed elsewhere (a patch: the operator writes the unit's status
		// meanwhile, and no resourceVersion precondition must get in the way of the validation).
		hu = s.get(t, other)
		orig := hu.DeepCopy()
		hu.Spec.BKashSecretRef = &kalyanv1alpha1.SecretReference{Namespace: ns, Name: "bkash-credentials"}
		if ns != kalyanv1alpha1.NamespaceName(other) {
			if err := s.k8s.Patch(ctx, hu, client.MergeFrom(orig)); !apierrors.IsInvalid(err) {
				t.Errorf("changing bkashSecretRef to namespace %s: %v, want it refused", ns, err)
			}
		}
	}
}

// TestAdminGroupRefusesSystemGroups: binding the unit-admin Role to a group the API server assigns
// itself would give every user (or every service account, or every node) the unit's bKash Secret.
func TestAdminGroupRefusesSystemGroups(t *testing.T) {
	s := operator(t)
	for _, group := range []string{"system:authenticated", "system:serviceaccounts", "system:nodes", "system:masters", "", "two words"} {
		hu := newUnit(uniqueCode("uhc-group"))
		hu.Spec.AdminGroup = group
		if group == "" {
			// The empty string is the default ("kalyan:unit-admins:<code>") and omitted, so it is fine.
			continue
		}
		if err := s.k8s.Create(context.Background(), hu); !apierrors.IsInvalid(err) {
			t.Errorf("adminGroup %q: %v, want it refused as invalid", group, err)
		}
	}
	code := uniqueCode("uhc-group")
	hu := newUnit(code)
	hu.Spec.AdminGroup = "oidc:rks-debidwar-admins"
	s.create(t, hu)
	s.waitReady(t, code)
	var rb rbacv1.RoleBinding
	mustGet(t, s.k8s, kalyanv1alpha1.NamespaceName(code), controller.AdminRoleName, &rb)
	if len(rb.Subjects) != 1 || rb.Subjects[0].Name != "oidc:rks-debidwar-admins" {
		t.Errorf("unit-admin subjects %+v", rb.Subjects)
	}
}

// TestOperatorRBACIsConfinedToUnitNamespaces acts as the operator's ServiceAccount with exactly the
// RBAC and admission policy of config/ (the same identity every test here runs the operator as) and
// checks what it may not do: read, list or write a Secret outside the unit namespaces, read Events
// cluster-wide, delete or relabel a namespace it did not create, grant itself anything outside them.
// Inside a unit namespace it may (else the refusals above would prove nothing).
func TestOperatorRBACIsConfinedToUnitNamespaces(t *testing.T) {
	s := operator(t)
	ctx := context.Background()
	code := uniqueCode("uhc-rbac")
	s.create(t, newUnit(code))
	s.waitReady(t, code)
	unitNS := kalyanv1alpha1.NamespaceName(code)

	// A Secret outside any unit namespace, and a namespace that is someone else's.
	foreignNS := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "team-" + code, Labels: map[string]string{"team": "payments"}}}
	if err := s.k8s.Create(ctx, foreignNS); err != nil {
		t.Fatal(err)
	}
	for _, ns := range []string{"default", foreignNS.Name, "kalyan-system"} {
		sec := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "db-password-" + code, Namespace: ns}, StringData: map[string]string{"password": "hunter2"}}
		if err := s.k8s.Create(ctx, sec); err != nil {
			t.Fatal(err)
		}
	}

	op := s.asOp
	forbidden := func(what string, err error) {
		t.Helper()
		if !apierrors.IsForbidden(err) {
			t.Errorf("the operator could %s: %v (want Forbidden)", what, err)
		}
	}
	for _, ns := range []string{"default", foreignNS.Name, "kalyan-system", "kube-system"} {
		forbidden("get a Secret in "+ns, op.Get(ctx, client.ObjectKey{Namespace: ns, Name: "db-password-" + code}, &corev1.Secret{}))
		forbidden("list the Secrets of "+ns, op.List(ctx, &corev1.SecretList{}, client.InNamespace(ns)))
		forbidden("list the Secrets of "+ns+" as metadata", op.List(ctx, &metav1.PartialObjectMetadataList{TypeMeta: metav1.TypeMeta{APIVersion: "v1", Kind: "SecretList"}}, client.InNamespace(ns)))
		forbidden("create a Secret in "+ns, op.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "planted", Namespace: ns}}))
		forbidden("list the Events of "+ns, op.List(ctx, &eventsv1.EventList{}, client.InNamespace(ns)))
		forbidden("list the core Events of "+ns, op.List(ctx, &corev1.EventList{}, client.InNamespace(ns)))
		// Granting itself the unit role outside unit namespaces: RBAC allows the create (it must, to
		// bootstrap new unit namespaces); the admission policy refuses it.
		forbidden("bind itself in "+ns, op.Create(ctx, operatorBinding(ns, "kalyan-operator-unit")))
	}
	forbidden("list Secrets cluster-wide", op.List(ctx, &corev1.SecretList{}))
	forbidden("watch Secrets cluster-wide", watchErr(ctx, op, &corev1.SecretList{}))
	forbidden("list Events cluster-wide", op.List(ctx, &eventsv1.EventList{}))

	// Namespaces: it may not delete or take over one it did not create.
	forbidden("delete a namespace it does not own", op.Delete(ctx, foreignNS.DeepCopy()))
	forbidden("delete kube-system", op.Delete(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "kube-system"}}))
	taken := foreignNS.DeepCopy()
	if err := s.k8s.Get(ctx, client.ObjectKeyFromObject(taken), taken); err != nil {
		t.Fatal(err)
	}
	taken.Labels[controller.ManagedByLabel] = controller.ManagedByValue
	forbidden("label a namespace as its own", op.Update(ctx, taken))
	forbidden("create a namespace without its label", op.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "unlabelled-" + code}}))

	// Inside the unit namespace: a bound role it may not bind, and cluster-wide bindings, are refused.
	forbidden("bind cluster-admin in a unit namespace", op.Create(ctx, operatorBinding(unitNS, "cluster-admin")))
	forbidden("create a ClusterRoleBinding", op.Create(ctx, &rbacv1.ClusterRoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kalyan-operator-everywhere"},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: "kalyan-operator-unit"},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "kalyan-operator", Namespace: "kalyan-system"}},
	}))

	// What it needs, it has: the unit's own Secrets.
	var key corev1.Secret
	if err := op.Get(ctx, client.ObjectKey{Namespace: unitNS, Name: controller.SigningKeySecretName}, &key); err != nil {
		t.Errorf("the operator cannot read its unit's signing key: %v", err)
	}
	if err := op.List(ctx, &corev1.SecretList{}, client.InNamespace(unitNS)); err != nil {
		t.Errorf("the operator cannot list its unit's Secrets: %v", err)
	}

	// The foreign namespace is untouched.
	var got corev1.Namespace
	mustGet(t, s.k8s, "", foreignNS.Name, &got)
	if got.DeletionTimestamp != nil || got.Labels[controller.ManagedByLabel] != "" {
		t.Errorf("foreign namespace changed: %+v", got.ObjectMeta)
	}
}

func operatorBinding(ns, clusterRole string) *rbacv1.RoleBinding {
	return &rbacv1.RoleBinding{
		ObjectMeta: metav1.ObjectMeta{Name: "kalyan-operator-" + clusterRole, Namespace: ns},
		RoleRef:    rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: clusterRole},
		Subjects:   []rbacv1.Subject{{Kind: rbacv1.ServiceAccountKind, Name: "kalyan-operator", Namespace: "kalyan-system"}},
	}
}

func watchErr(ctx context.Context, c client.WithWatch, list client.ObjectList) error {
	w, err := c.Watch(ctx, list)
	if err == nil {
		w.Stop()
	}
	return err
}
