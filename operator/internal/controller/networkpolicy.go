package controller

import (
	"context"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	networkingv1 "k8s.io/api/networking/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"

	kalyanv1alpha1 "github.com/kalyan-platform/kalyan/operator/api/v1alpha1"
)

// NetworkPolicyName is the unit namespace's only NetworkPolicy.
const NetworkPolicyName = "unit-isolation"

// namespaceNameLabel is set by the API server on every namespace (immutable), so it is safe to select on.
const namespaceNameLabel = "kubernetes.io/metadata.name"

// ensureNetworkPolicy denies all traffic to and from the unit's pods except with the platform namespace
// (and DNS), so one unit's workloads can never reach another unit's.
func (r *Reconciler) ensureNetworkPolicy(ctx context.Context, hu *kalyanv1alpha1.HospitalUnit) error {
	np := &networkingv1.NetworkPolicy{ObjectMeta: metav1.ObjectMeta{Name: NetworkPolicyName, Namespace: kalyanv1alpha1.NamespaceName(hu.Spec.Code)}}
	platform := []networkingv1.NetworkPolicyPeer{{
		NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{namespaceNameLabel: r.opts.PlatformNamespace}},
	}}
	udp, tcp := corev1.ProtocolUDP, corev1.ProtocolTCP
	dnsPort := intstr.FromInt32(53)
	if _, err := r.ensure(ctx, hu, np, func() error {
		np.Spec = networkingv1.NetworkPolicySpec{
			PodSelector: metav1.LabelSelector{},
			PolicyTypes: []networkingv1.PolicyType{networkingv1.PolicyTypeIngress, networkingv1.PolicyTypeEgress},
			Ingress:     []networkingv1.NetworkPolicyIngressRule{{From: platform}},
			Egress: []networkingv1.NetworkPolicyEgressRule{
				{To: platform},
				{
					To: []networkingv1.NetworkPolicyPeer{{
						NamespaceSelector: &metav1.LabelSelector{MatchLabels: map[string]string{namespaceNameLabel: "kube-system"}},
					}},
					Ports: []networkingv1.NetworkPolicyPort{{Protocol: &udp, Port: &dnsPort}, {Protocol: &tcp, Port: &dnsPort}},
				},
			},
		}
		return nil
	}); err != nil {
		return fmt.Errorf("network policy: %w", err)
	}
	return nil
}
