#!/usr/bin/env bash
# Regenerates the HospitalUnit deepcopy code, CRD and the operator's ClusterRole with controller-gen,
# installed once per version into a cache outside the repository.
#
#   hack/controller-gen.sh          # regenerate
#   hack/controller-gen.sh --check  # regenerate into a scratch copy and fail if the committed output differs
set -euo pipefail

CONTROLLER_TOOLS_VERSION="${CONTROLLER_TOOLS_VERSION:-v0.23.0}" # the release built against k8s.io/* v0.37

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kalyan/bin/controller-gen-${CONTROLLER_TOOLS_VERSION}"
controller_gen="${bin_dir}/controller-gen"

if [[ ! -x "${controller_gen}" ]]; then
	echo "controller-gen: installing ${CONTROLLER_TOOLS_VERSION} into ${bin_dir}" >&2
	mkdir -p "${bin_dir}"
	GOBIN="${bin_dir}" GOWORK=off GOFLAGS= go install "sigs.k8s.io/controller-tools/cmd/controller-gen@${CONTROLLER_TOOLS_VERSION}"
fi

generate() { # $1: output root
	"${controller_gen}" object paths=./operator/api/...
	"${controller_gen}" \
		crd paths=./operator/api/... output:crd:artifacts:config="$1/config/crd/bases" \
		rbac:roleName=kalyan-operator paths=./operator/internal/controller/... output:rbac:artifacts:config="$1/config/rbac"
}

cd "${root}"
if [[ "${1:-}" == "--check" ]]; then
	scratch="$(mktemp -d)"
	trap 'rm -rf "${scratch}"' EXIT
	cp operator/api/v1alpha1/zz_generated.deepcopy.go "${scratch}/deepcopy.go"
	generate "${scratch}"
	diff -u "${scratch}/deepcopy.go" operator/api/v1alpha1/zz_generated.deepcopy.go
	diff -u config/crd/bases "${scratch}/config/crd/bases"
	diff -u config/rbac/role.yaml "${scratch}/config/rbac/role.yaml"
	echo "controller-gen: generated files are up to date" >&2
else
	generate "${root}"
fi
