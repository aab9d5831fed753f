package controller

import (
	"context"
	"fmt"

	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// statusWriter collects one reconcile's status changes and writes them in a single patch, only when
// something changed (a status write is an etcd write and a watch event for every client).
type statusWriter struct {
	hu       *kalyanv1alpha1.HospitalUnit
	orig     kalyanv1alpha1.HospitalUnitStatus
	status   *kalyanv1alpha1.HospitalUnitStatus
	deleting bool // Ready is set by the finalizer rather than derived
}

func newStatusWriter(hu *kalyanv1alpha1.HospitalUnit) *statusWriter {
	return &statusWriter{hu: hu, orig: *hu.Status.DeepCopy(), status: hu.Status.DeepCopy()}
}

// rebase points the writer at hu after a metadata patch replaced it, keeping the collected status.
func (s *statusWriter) rebase(hu *kalyanv1alpha1.HospitalUnit) { s.hu = hu }

// setCondition sets a condition and reports whether its status or reason differs from what the
// object had, which is when an event is worth emitting.
func (s *statusWriter) setCondition(condType string, ok bool, reason, message string) bool {
	status := metav1.ConditionFalse
	if ok {
		status = metav1.ConditionTrue
	}
	meta.SetStatusCondition(&s.status.Conditions, metav1.Condition{
		Type: condType, Status: status, Reason: reason, Message: truncate(message, 1024),
		ObservedGeneration: s.hu.Generation,
	})
	old := meta.FindStatusCondition(s.orig.Conditions, condType)
	return old == nil || old.Status != status || old.Reason != reason
}

// write derives Ready from Provisioned and Registered and patches the status subresource if it changed.
func (s *statusWriter) write(ctx context.Context, c client.Client) error {
	if !s.deleting {
		prov := meta.FindStatusCondition(s.status.Conditions, kalyanv1alpha1.ConditionProvisioned)
		reg := meta.FindStatusCondition(s.status.Conditions, kalyanv1alpha1.ConditionRegistered)
		switch {
		case prov == nil || prov.Status != metav1.ConditionTrue:
			s.setCondition(kalyanv1alpha1.ConditionReady, false, conditionReason(prov, "Provisioning"), "the unit's namespace is not provisioned")
		case reg == nil || reg.Status != metav1.ConditionTrue:
			s.setCondition(kalyanv1alpha1.ConditionReady, false, conditionReason(reg, "Registering"), "the unit is not registered with the Kalyan API")
		default:
			s.setCondition(kalyanv1alpha1.ConditionReady, true, "UnitReady", "the unit accepts donations")
		}
	}
	// Also while deleting: the status then describes the generation being deleted.
	s.status.ObservedGeneration = s.hu.Generation
	if equality.Semantic.DeepEqual(s.orig, *s.status) {
		return nil
	}
	patch := client.MergeFrom(s.hu.DeepCopy())
	s.hu.Status = *s.status
	if err := c.Status().Patch(ctx, s.hu, patch); err != nil {
		return fmt.Errorf("write status: %w", err)
	}
	return nil
}

func conditionReason(c *metav1.Condition, fallback string) string {
	if c == nil || c.Reason == "" {
		return fallback
	}
	return c.Reason
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n-3] + "..."
}
