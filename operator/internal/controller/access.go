package controller

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/controller/controllerutil"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// The operator holds no cluster-wide power over Secrets, quotas, NetworkPolicies or Roles. In each
// unit namespace it creates, it binds itself to the ClusterRole named by Options.UnitClusterRole
// (default DefaultUnitClusterRole: config/rbac/unit_role.yaml), which grants exactly what a unit
// namespace needs. Its cluster-wide ClusterRole may only create RoleBindings (a
// ValidatingAdmissionPolicy confines those to namespaces labelled as the operator's) and "bind" that
// one ClusterRole. So it can read a Secret only in a namespace it made for a unit.
const (
	// DefaultUnitClusterRole is the ClusterRole the operator binds itself to in every unit namespace.
	DefaultUnitClusterRole = "kalyan-operator-unit"
	// OperatorBindingName is the RoleBinding that grants it in the unit namespace.
	OperatorBindingName = "kalyan-operator"
)

// accessWait bounds how long a reconcile waits for a fresh grant to take effect: the API server's
// authorizer sees a new RoleBinding through an informer, a few milliseconds later.
const accessWait = 5 * time.Second

// Subject resolves the identity the operator talks to the API server as (SelfSubjectReview), as the
// RBAC subject it binds in unit namespaces.
func Subject(ctx context.Context, c client.Client) (rbacv1.Subject, error) {
	review := &authenticationv1.SelfSubjectReview{}
	if err := c.Create(ctx, review); err != nil {
		return rbacv1.Subject{}, fmt.Errorf("who am I (SelfSubjectReview): %w", err)
	}
	name := review.Status.UserInfo.Username
	if name == "" {
		return rbacv1.Subject{}, errors.New("who am I (SelfSubjectReview): no username")
	}
	if rest, ok := strings.CutPrefix(name, "system:serviceaccount:"); ok {
		if ns, sa, ok := strings.Cut(rest, ":"); ok {
			return rbacv1.Subject{Kind: rbacv1.ServiceAccountKind, Namespace: ns, Name: sa}, nil
		}
	}
	return rbacv1.Subject{APIGroup: rbacv1.GroupName, Kind: rbacv1.UserKind, Name: name}, nil
}

// ensureAccess binds the operator to its unit ClusterRole in the unit's namespace and, when the
// binding is new, waits until the authorizer honours it, so the steps after it are not refused.
func (r *Reconciler) ensureAccess(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit) error {
	ns := kalyanv1alpha1.NamespaceName(hu.Spec.Code)
	rb := &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: OperatorBindingName, Namespace: ns}}
	want := rbacv1.RoleRef{APIGroup: rbacv1.GroupName, Kind: "ClusterRole", Name: r.opts.UnitClusterRole}
	res, err := r.ensure(ctx, hu, rb, func() error {
		if rb.RoleRef.Name != "" && rb.RoleRef != want {
			return errRoleRefChanged
		}
		rb.RoleRef = want
		rb.Subjects = []rbacv1.Subject{r.opts.Subject}
		return nil
	})
	if errors.Is(err, errRoleRefChanged) {
		// Our own binding from an install whose ClusterRole had another name: roleRef is immutable.
		if err := r.client.Delete(ctx, rb); client.IgnoreNotFound(err) != nil {
			return fmt.Errorf("operator role binding: %w", err)
		}
		rb = &rbacv1.RoleBinding{ObjectMeta: metav1.ObjectMeta{Name: OperatorBindingName, Namespace: ns}}
		res, err = r.ensure(ctx, hu, rb, func() error {
			rb.RoleRef, rb.Subjects = want, []rbacv1.Subject{r.opts.Subject}
			return nil
		})
	}
	if err != nil {
		return fmt.Errorf("operator role binding: %w", err)
	}
	if res != controllerutil.OperationResultNone {
		if err := r.waitForAccess(ctx, ns); err != nil {
			return err
		}
	}
	r.secrets.watch(ns, hu.Name)
	return nil
}

var errRoleRefChanged = errors.New("role binding refers to another role")

// waitForAccess polls SelfSubjectAccessReview (answered by the same authorizer that will judge the
// next request) until the operator may manage Secrets in ns.
func (r *Reconciler) waitForAccess(ctx context.Context, ns string) error {
	ctx, cancel := context.WithTimeout(ctx, accessWait)
	defer cancel()
	for delay := 5 * time.Millisecond; ; delay = min(2*delay, 200*time.Millisecond) {
		review := &authorizationv1.SelfSubjectAccessReview{Spec: authorizationv1.SelfSubjectAccessReviewSpec{
			ResourceAttributes: &authorizationv1.ResourceAttributes{Namespace: ns, Verb: "watch", Resource: "secrets"},
		}}
		if err := r.client.Create(ctx, review); err != nil {
			return fmt.Errorf("check access to namespace %s: %w", ns, err)
		}
		if review.Status.Allowed {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("the operator's RoleBinding in %s is not honoured (is ClusterRole %s installed?): %s",
				ns, r.opts.UnitClusterRole, review.Status.Reason)
		case <-time.After(delay):
		}
	}
}
