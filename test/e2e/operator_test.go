//go:build e2e

package e2e

import (
	"regexp"
	"testing"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// TestOperatorOnboardsUnit applies a HospitalUnit to a real kube-apiserver;
// kalyan-operator (its own process) provisions the unit's namespace and
// signing key and registers the unit with kalyan-api; a donor then gives to
// the unit and receives its signed receipt.
func TestOperatorOnboardsUnit(t *testing.T) {
	const code = "op-khulna"
	k := sys.Kube
	hu := &kalyanv1alpha1.HospitalUnit{
		ObjectMeta: metav1.ObjectMeta{Name: code},
		Spec: kalyanv1alpha1.HospitalUnitSpec{
			Code:     code,
			Names:    kalyanv1alpha1.Names{EN: "Khulna Medical College Hospital", BN: "খুলনা মেডিকেল কলেজ হাসপাতাল"},
			Level:    kalyanv1alpha1.LevelMedicalCollege,
			Division: "Khulna",
			District: "Khulna",
		},
	}
	if err := k.Client.Create(t.Context(), hu); err != nil {
		t.Fatalf("apply HospitalUnit: %v", err)
	}
	eventually(t, "HospitalUnit Ready", func() bool {
		if err := k.Client.Get(t.Context(), client.ObjectKey{Name: code}, hu); err != nil {
			t.Fatal(err)
		}
		return meta.IsStatusConditionTrue(hu.Status.Conditions, kalyanv1alpha1.ConditionReady)
	})
	if hu.Status.Namespace == "" || hu.Status.SigningKeyFingerprint == "" {
		t.Fatalf("status of a Ready unit: %+v", hu.Status)
	}
	got := do(t, "GET", "/api/v1/units/"+code, nil, nil)
	if got.Status != 200 || got.JSON(t)["code"] != code {
		t.Fatalf("public profile of the registered unit: %d %s", got.Status, got.Body)
	}

	id := payGift(t, code, "750.00", "general", "e2e-operator-gift")
	d := waitReceipted(t, id)
	rc, _ := d["receipt"].(map[string]any)
	serial, _ := rc["serial"].(string)
	if !regexp.MustCompile(`^OP-KHULNA/\d{4}-\d{2}/000001$`).MatchString(serial) {
		t.Fatalf("first serial of the unit: %q", serial)
	}
	rid, _ := rc["id"].(string)
	if r := do(t, "GET", "/api/v1/receipts/"+rid, nil, nil); r.Status != 200 || r.JSON(t)["valid"] != true {
		t.Fatalf("receipt signed with the key the operator provisioned: %d %s", r.Status, r.Body)
	}
}
