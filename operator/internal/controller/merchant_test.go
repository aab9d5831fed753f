package controller_test

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/kalyan-platform/kalyan/internal/bkashsandbox"
	"github.com/kalyan-platform/kalyan/internal/units"
	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/controller"
)

// TestBKashSecretReachesTheAPI: the credentials in the Secret named by spec.bkashSecretRef are sent
// with the registration, and the unit's gifts then go to that merchant; a changed Secret rotates them;
// removing the reference puts the unit back on the platform's merchant.
func TestBKashSecretReachesTheAPI(t *testing.T) {
	s := operator(t)
	ctx := context.Background()
	code := uniqueCode("uhc-merchant")
	user := "rks-" + code
	merchant := bkashsandbox.Credentials{Username: user, Password: "operator-pw-1", AppKey: user + "-key", AppSecret: user + "-secret"}
	if err := s.stack.Sandbox.SetMerchant(merchant); err != nil {
		t.Fatal(err)
	}
	// The Secret lives in the unit's own namespace, which the operator creates: until it exists the unit
	// waits for it, then picks it up without any further change to the HospitalUnit.
	hu := newUnit(code)
	hu.Spec.BKashSecretRef = &kalyanv1alpha1.SecretReference{Name: controller.BKashUnitSecretName}
	s.create(t, hu)
	s.waitCondition(t, code, kalyanv1alpha1.ConditionRegistered, metav1.ConditionFalse, "BKashSecretNotFound")
	sec := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Name: controller.BKashUnitSecretName, Namespace: kalyanv1alpha1.NamespaceName(code)},
		StringData: map[string]string{"username": user, "password": merchant.Password, "appKey": merchant.AppKey, "appSecret": merchant.AppSecret},
	}
	if err := s.k8s.Create(ctx, sec); err != nil {
		t.Fatal(err)
	}
	s.waitReady(t, code)

	unit := func() *units.Unit {
		u, err := s.stack.Store.Units().Get(ctx, code)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	if u := unit(); u.Merchant == nil || u.Merchant.ID != user {
		t.Fatalf("registered merchant %+v, want %s", u.Merchant, user)
	}
	gifts := 0
	giveAndCheck := func(want string) {
		t.Helper()
		gifts++
		var d struct {
			ID string `json:"id"`
		}
		c := s.apiCall(t, http.MethodPost, "/api/v1/units/"+code+"/donations",
			map[string]any{"amount": "100.00", "currency": "BDT", "kind": "general", "donor": map[string]string{"name": "A", "phone": "01712345678"}, "anonymous": false},
			map[string]string{"Idempotency-Key": code + "-gift-" + string(rune('a'+gifts))}, &d)
		if c != http.StatusCreated {
			t.Fatalf("create donation: HTTP %d", c)
		}
		stored, err := s.stack.Store.Donations().Get(ctx, d.ID)
		if err != nil {
			t.Fatal(err)
		}
		p, ok := s.stack.Sandbox.Payment(stored.PaymentID)
		if stored.Merchant != want || !ok || p.Merchant != want {
			t.Fatalf("gift recorded merchant %q, bKash holds it under %q; want %q", stored.Merchant, p.Merchant, want)
		}
	}
	giveAndCheck(user)

	// Neither the API's answers nor the HospitalUnit's status carry the secret.
	var profile map[string]any
	if c := s.apiCall(t, http.MethodGet, "/api/v1/units/"+code, nil, nil, &profile); c != http.StatusOK {
		t.Fatalf("GET unit: HTTP %d", c)
	}
	status, _ := json.Marshal(s.get(t, code).Status)
	answer, _ := json.Marshal(profile)
	for _, b := range [][]byte{status, answer} {
		if strings.Contains(string(b), "operator-pw") || strings.Contains(string(b), merchant.AppSecret) {
			t.Fatalf("secret leaked: %s", b)
		}
	}

	if err := s.k8s.Get(ctx, client.ObjectKeyFromObject(sec), sec); err != nil {
		t.Fatal(err)
	}

	// bKash reissues the password; the unit admin updates the Secret, and nothing else. The operator
	// watches the Secrets of each unit namespace, so the API gets the new password at once, not with the
	// periodic registration (10 minutes here, as by default).
	merchant.Password = "operator-pw-2"
	if err := s.stack.Sandbox.SetMerchant(merchant); err != nil {
		t.Fatal(err)
	}
	sec.StringData = map[string]string{"password": merchant.Password}
	rev := unit().Merchant.Rev
	grants := s.stack.Sandbox.Stats().Grants
	if err := s.k8s.Update(ctx, sec); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "rotated credentials in the API", func() (bool, string) {
		u := unit()
		return u.Merchant != nil && u.Merchant.Rev > rev, "merchant not rotated yet"
	})
	giveAndCheck(user)
	// The new password was used for a grant (the old one no longer grants at bKash).
	if s.stack.Sandbox.Stats().Grants <= grants {
		t.Fatal("no new token was granted for the rotated credentials")
	}

	// No reference any more: the operator registers "bkash": null, and gifts go to the platform's
	// merchant.
	patch(t, s, code, func(hu *kalyanv1alpha1.HospitalUnit) { hu.Spec.BKashSecretRef = nil })
	waitFor(t, "unit back on the platform merchant", func() (bool, string) {
		return unit().Merchant == nil, "unit still has its own merchant"
	})
	giveAndCheck(s.stack.Config.BKash.Username)
}

func patch(t *testing.T, s *suite, name string, change func(*kalyanv1alpha1.HospitalUnit)) {
	t.Helper()
	hu := s.get(t, name)
	orig := hu.DeepCopy()
	change(hu)
	if err := s.k8s.Patch(context.Background(), hu, client.MergeFrom(orig)); err != nil {
		t.Fatalf("patch HospitalUnit %s: %v", name, err)
	}
}
