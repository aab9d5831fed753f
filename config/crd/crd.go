// Package crd embeds the HospitalUnit CRD that controller-gen generates into bases/, so that
// kalyan-operator can install and upgrade it (`kalyan-operator crds`, the Helm chart's pre-upgrade hook).
package crd

import _ "embed" // the CRD below

// HospitalUnits is the HospitalUnit CustomResourceDefinition (bases/kalyan.dev_hospitalunits.yaml).
//
//go:embed bases/kalyan.dev_hospitalunits.yaml
var HospitalUnits []byte
