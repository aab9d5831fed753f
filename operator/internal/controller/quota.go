package controller

import (
	"context"
	"fmt"
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// Names of the per-unit quota objects.
const (
	QuotaName      = "unit-quota"
	LimitRangeName = "unit-limits"
)

// defaultQuota bounds a unit's namespace when its spec says nothing. The shared api/worker fleet serves
// every unit, so a unit namespace mostly holds Secrets; the limits leave room for a unit's own jobs.
func defaultQuota() corev1.ResourceList {
	return corev1.ResourceList{
		corev1.ResourcePods:                   resource.MustParse("10"),
		corev1.ResourceRequestsCPU:            resource.MustParse("1"),
		corev1.ResourceRequestsMemory:         resource.MustParse("1Gi"),
		corev1.ResourceLimitsCPU:              resource.MustParse("2"),
		corev1.ResourceLimitsMemory:           resource.MustParse("2Gi"),
		corev1.ResourceSecrets:                resource.MustParse("20"),
		corev1.ResourceConfigMaps:             resource.MustParse("20"),
		corev1.ResourcePersistentVolumeClaims: resource.MustParse("0"),
		corev1.ResourceServicesLoadBalancers:  resource.MustParse("0"),
		corev1.ResourceServicesNodePorts:      resource.MustParse("0"),
	}
}

// desiredQuota is the defaults overlaid with the spec's hard limits.
func desiredQuota(hu *kalyanv1alpha1.HospitalUnit) corev1.ResourceList {
	hard := defaultQuota()
	maps.Copy(hard, hu.Spec.Quota.Hard)
	return hard
}

func (r *Reconciler) ensureQuota(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit) error {
	q := &corev1.ResourceQuota{ObjectMeta: metav1.ObjectMeta{Name: QuotaName, Namespace: kalyanv1alpha1.NamespaceName(hu.Spec.Code)}}
	if _, err := r.ensure(ctx, hu, q, func() error {
		q.Spec.Hard = desiredQuota(hu)
		return nil
	}); err != nil {
		return fmt.Errorf("resource quota: %w", err)
	}
	return nil
}

func (r *Reconciler) ensureLimitRange(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit) error {
	lr := &corev1.LimitRange{ObjectMeta: metav1.ObjectMeta{Name: LimitRangeName, Namespace: kalyanv1alpha1.NamespaceName(hu.Spec.Code)}}
	if _, err := r.ensure(ctx, hu, lr, func() error {
		// With a quota on limits.* every container must declare limits; these defaults let a plain
		// container in while capping any single one.
		lr.Spec.Limits = []corev1.LimitRangeItem{{
			Type: corev1.LimitTypeContainer,
			Default: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("500m"),
				corev1.ResourceMemory: resource.MustParse("256Mi"),
			},
			DefaultRequest: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("50m"),
				corev1.ResourceMemory: resource.MustParse("64Mi"),
			},
			Max: corev1.ResourceList{
				corev1.ResourceCPU:    resource.MustParse("1"),
				corev1.ResourceMemory: resource.MustParse("1Gi"),
			},
		}}
		return nil
	}); err != nil {
		return fmt.Errorf("limit range: %w", err)
	}
	return nil
}
