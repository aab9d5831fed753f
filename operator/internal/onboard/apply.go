package onboard

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
	"github.com/kalyan-platform/kalyan/operator/internal/controller"
)

// FieldManager owns the spec fields onboarding applies: edits by other managers to other fields (say,
// a quota raised by hand) survive a re-run, while the dataset's fields win over older values.
const FieldManager = "kalyan-onboard"

// HospitalUnit is the manifest for u.
//
// Reached only by tests: onboarding applies Unstructured; the typed manifest is what its tests hold that to.
func (u Unit) HospitalUnit() *kalyanv1alpha1.HospitalUnit {
	hu := &kalyanv1alpha1.HospitalUnit{
		TypeMeta:   metav1.TypeMeta{APIVersion: kalyanv1alpha1.GroupVersion.String(), Kind: "HospitalUnit"},
		ObjectMeta: metav1.ObjectMeta{Name: u.Code},
		Spec: kalyanv1alpha1.HospitalUnitSpec{
			Code:     u.Code,
			Names:    kalyanv1alpha1.Names{EN: u.NameEN, BN: u.NameBN},
			Level:    u.Level,
			Division: u.Division,
			District: u.District,
			Upazila:  u.Upazila,
			Policy: kalyanv1alpha1.Policy{
				ApprovalThreshold: kalyanv1alpha1.Taka(u.ApprovalThreshold),
				MinDonation:       kalyanv1alpha1.Taka(u.MinDonation),
				MaxDonation:       kalyanv1alpha1.Taka(u.MaxDonation),
				WindowDays:        u.Approvals.WindowDays,
				CommitteeQuorum:   u.Approvals.CommitteeQuorum,
				CommitteeSize:     u.Approvals.CommitteeSize,
			},
			BKashSecretRef: u.BKashSecret,
		},
	}
	for _, p := range u.Programmes {
		hu.Spec.Policy.Programmes = append(hu.Spec.Policy.Programmes, kalyanv1alpha1.Programme(p))
	}
	for _, c := range u.Approvals.Checkers {
		hu.Spec.Policy.Checkers = append(hu.Spec.Policy.Checkers, kalyanv1alpha1.Subject(c))
	}
	return hu
}

// Unstructured is u's manifest as an apply configuration holding only the fields onboarding sets, so
// server-side apply claims nothing else (no empty policy or quota, no status, no creationTimestamp).
func (u Unit) Unstructured() *unstructured.Unstructured {
	spec := map[string]any{
		"code":     u.Code,
		"names":    map[string]any{"en": u.NameEN, "bn": u.NameBN},
		"level":    string(u.Level),
		"division": u.Division,
		"district": u.District,
	}
	if u.Upazila != "" {
		spec["upazila"] = u.Upazila
	}
	policy := map[string]any{}
	for k, v := range map[string]string{"approvalThreshold": u.ApprovalThreshold, "minDonation": u.MinDonation, "maxDonation": u.MaxDonation} {
		if v != "" {
			policy[k] = v
		}
	}
	if len(u.Programmes) > 0 {
		progs := make([]any, len(u.Programmes))
		for i, p := range u.Programmes {
			progs[i] = p
		}
		policy["programmes"] = progs
	}
	u.Approvals.approvalSpec(policy)
	if len(policy) > 0 {
		spec["policy"] = policy
	}
	if u.BKashSecret != nil {
		spec["bkashSecretRef"] = map[string]any{"name": u.BKashSecret.Name}
	}
	obj := &unstructured.Unstructured{Object: map[string]any{"spec": spec}}
	obj.SetAPIVersion(kalyanv1alpha1.GroupVersion.String())
	obj.SetKind("HospitalUnit")
	obj.SetName(u.Code)
	// The operator's archive finalizer, declared up front: the unit is protected from its first
	// moment, and the operator need not write each of 538 new units twice to add it.
	obj.SetFinalizers([]string{controller.Finalizer})
	return obj
}

// WriteYAML writes the units' manifests as a multi-document YAML stream (for kubectl apply or review).
func WriteYAML(w io.Writer, units []Unit) error {
	var buf bytes.Buffer
	for _, u := range units {
		b, err := yaml.Marshal(u.Unstructured().Object)
		if err != nil {
			return fmt.Errorf("unit %s: encode: %w", u.Code, err)
		}
		buf.WriteString("---\n")
		buf.Write(b)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("write manifests: %w", err)
	}
	return nil
}

// ApplyResult counts what Apply did.
type ApplyResult struct {
	Created, Updated, Unchanged int
}

// Apply server-side-applies every unit's HospitalUnit with up to concurrency requests in flight. It is
// idempotent: a second run changes nothing. It goes on past failures and returns them all joined.
func Apply(ctx context.Context, c client.Client, units []Unit, concurrency int) (ApplyResult, error) {
	// One metadata-only list tells created from updated from unchanged (by generation), instead of a
	// GET per unit.
	var existing metav1.PartialObjectMetadataList
	existing.SetGroupVersionKind(kalyanv1alpha1.GroupVersion.WithKind("HospitalUnitList"))
	if err := c.List(ctx, &existing); err != nil {
		return ApplyResult{}, fmt.Errorf("list hospital units: %w", err)
	}
	generation := make(map[string]int64, len(existing.Items))
	for _, m := range existing.Items {
		generation[m.Name] = m.Generation
	}

	var (
		created, updated, unchanged atomic.Int64
		mu                          sync.Mutex
		errs                        []error
		wg                          sync.WaitGroup
		next                        atomic.Int64
	)
	for range min(max(concurrency, 1), len(units)) {
		wg.Go(func() {
			for {
				i := int(next.Add(1) - 1)
				if i >= len(units) || ctx.Err() != nil {
					return
				}
				u := units[i]
				gen, err := applyOne(ctx, c, u)
				if err != nil {
					mu.Lock()
					errs = append(errs, err)
					mu.Unlock()
					continue
				}
				before, existed := generation[u.Code]
				switch {
				case !existed:
					created.Add(1)
				case gen != before:
					updated.Add(1)
				default:
					unchanged.Add(1)
				}
			}
		})
	}
	wg.Wait()
	res := ApplyResult{Created: int(created.Load()), Updated: int(updated.Load()), Unchanged: int(unchanged.Load())}
	if err := ctx.Err(); err != nil {
		errs = append(errs, err)
	}
	return res, errors.Join(errs...)
}

// applyOne applies u's HospitalUnit and returns its generation after the apply.
func applyOne(ctx context.Context, c client.Client, u Unit) (int64, error) {
	obj := u.Unstructured()
	if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(obj), client.FieldOwner(FieldManager), client.ForceOwnership); err != nil {
		return 0, fmt.Errorf("unit %s (row %d): apply: %w", u.Code, u.Row, err)
	}
	return obj.GetGeneration(), nil
}
