package controller

import (
	"context"
	"fmt"
	"strings"

	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// Names of the unit admin RBAC objects and of the Secret unit admins may maintain themselves.
const (
	AdminRoleName         = "unit-admin"
	BKashUnitSecretName   = "bkash-credentials"
	defaultAdminGroupRoot = "kalyan:unit-admins:"
)

// AdminGroup is the group bound to the unit's admin Role.
func AdminGroup(hu *kalyanv1alpha1.HospitalUnit) string {
	if hu.Spec.AdminGroup != "" {
		return hu.Spec.AdminGroup
	}
	return defaultAdminGroupRoot + hu.Spec.Code
}

// checkAdminGroup refuses the groups the API server assigns itself (system:authenticated,
// system:serviceaccounts, system:nodes, …): bound to the unit-admin Role, they would hand the unit's
// bKash credentials to every user or workload. The CRD refuses them too; this holds with an older CRD.
func checkAdminGroup(group string) error {
	if strings.HasPrefix(group, "system:") || strings.TrimSpace(group) == "" {
		return &conditionError{reason: "AdminGroupForbidden", err: fmt.Errorf("adminGroup %q is not allowed: system: groups belong to the API server", group)}
	}
	return nil
}

// ensureRBAC lets the unit's admins see their namespace's limits and events and maintain their own bKash
// merchant credentials, but not read the receipt signing key. The operator holds every permission it
// grants here (through its unit ClusterRole, bound in this namespace), as RBAC's escalation check requires.
func (r *Reconciler) ensureRBAC(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit) error {
	if err := checkAdminGroup(AdminGroup(hu)); err != nil {
		return err
	}
	ns := kalyanv1alpha1.NamespaceName(hu.Spec.Code)
	role := &rbacv1.Role{ObjectMeta: metav1.ObjectMeta{Name: AdminRoleName, Namespace: ns}}
	read := []string{"get", "list", "watch"}
	if _, err := r.ensure(ctx, hu, role, func() error {
		role.Rules = []rbacv1.PolicyRule{
			{APIGroups: []string{""}, Resources: []string{"events", "resourcequotas", "limitranges"}, Verbs: read},
			{APIGroups: []string{"networking.k8s.io"}, Resources: []string{"networkpolicies"}, Verbs: read},
			{APIGroups: []string{""}, Resources: []string{"secrets"}, ResourceNames: []string{BKashUnitSecretName}, Verbs: []string{"get", "update", "patch"}},
		}
		return nil
	}); err != nil {
		return fmt.Errorf("role: %w", err)
	}
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: AdminRoleName, Namespace: ns}}
	if _, err := r.ensure(ctx, hu, rb, func() error {
		if rb.RoleRef.Name != "" && (rb.RoleRef.Kind != "Role" || rb.RoleRef.Name != AdminRoleName) {
			// roleRef is immutable; a binding someone pointed elsewhere must be deleted by hand.
			return &conditionError{reason: "RBACConflict", err: fmt.Errorf("role binding %s/%s refers to %s %s", ns, rb.Name, rb.RoleRef.Kind, rb.RoleRef.Name)}
		}
		rb.RoleRef = rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "Role", Name: AdminRoleName}
		rb.Subjects = []rbacv1.Subject{{APIGroup: rbacv1.GroupName, Kind: rbacv1.GroupKind, Name: AdminGroup(hu)}}
		return nil
	}); err != nil {
		return fmt.Errorf("role binding: %w", err)
	}
	return nil
}
