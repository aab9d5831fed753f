// Package v1alpha1 holds the kalyan.dev/v1alpha1 API: the HospitalUnit, one hospital social service
// unit (its Rogi Kalyan Samiti) declared by platform engineers and provisioned by kalyan-operator.
//
// +kubebuilder:object:generate=true
// +groupName=kalyan.dev
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// GroupVersion is the API group and version of the HospitalUnit.
var GroupVersion = schema.GroupVersion{Group: "kalyan.dev", Version: "v1alpha1"}

// AddToScheme registers the types of this package with s.
func AddToScheme(s *runtime.Scheme) error {
	s.AddKnownTypes(GroupVersion, &HospitalUnit{}, &HospitalUnitList{})
	metav1.AddToGroupVersion(s, GroupVersion)
	return nil
}
