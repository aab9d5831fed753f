package controller

import (
	"errors"
	"testing"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// The controller's own checks hold where an older CRD without the validation rules is installed (or
// the rules were bypassed): the operator never reads another namespace's Secret for a unit, and never
// binds a system: group.
func TestControllerChecksWithoutTheCRDRules(t *testing.T) {
	hu := &kalyanv1alpha1.HospitalUnit{Spec: kalyanv1alpha1.HospitalUnitSpec{Code: "dmch"}}
	for ns, ok := range map[string]bool{"": true, "kalyan-dmch": true, "kalyan-system": false, "default": false, "kalyan-rmch": false, "kube-system": false} {
		hu.Spec.BKashSecretRef = &kalyanv1alpha1.SecretReference{Namespace: ns, Name: "bkash-credentials"}
		key, err := bkashSecretKey(hu)
		var cond *conditionError
		switch {
		case ok && (err != nil || key.Namespace != "kalyan-dmch" || key.Name != "bkash-credentials"):
			t.Errorf("namespace %q: %v %v", ns, key, err)
		case !ok && (!errors.As(err, &cond) || cond.reason != "BKashSecretForbidden"):
			t.Errorf("namespace %q: %v, want BKashSecretForbidden", ns, err)
		}
	}
	for group, ok := range map[string]bool{"kalyan:unit-admins:dmch": true, "oidc:dmch": true, "system:authenticated": false, "system:masters": false, " ": false} {
		if err := checkAdminGroup(group); (err == nil) != ok {
			t.Errorf("adminGroup %q: %v", group, err)
		}
	}
}
