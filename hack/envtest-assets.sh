#!/usr/bin/env bash
# Builds etcd, kube-apiserver and kubectl from the Go module proxy (setup-envtest needs the internet, which CI does
# not have) into a per-version cache folder outside the repository, and prints that folder on stdout so it
# can be used as KUBEBUILDER_ASSETS:
#
#   KUBEBUILDER_ASSETS=$(hack/envtest-assets.sh) go test ./operator/...
#
# Idempotent: when both binaries are present nothing is built. Concurrent callers serialise on a lock.
# Everything except the final folder path goes to stderr.
set -euo pipefail

ETCD_VERSION="${ETCD_VERSION:-v3.6.16}"
K8S_VERSION="${K8S_VERSION:-v1.34.3}"

cache_root="${XDG_CACHE_HOME:-$HOME/.cache}/kalyan/envtest"
assets="${cache_root}/etcd-${ETCD_VERSION}_kube-apiserver-${K8S_VERSION}"

log() { echo "envtest-assets: $*" >&2; }

ready() { [[ -x "${assets}/etcd" && -x "${assets}/kube-apiserver" && -x "${assets}/kubectl" ]]; }

if ready; then
	echo "${assets}"
	exit 0
fi

mkdir -p "${cache_root}"
exec 9>"${cache_root}/.lock"
flock 9
if ready; then # another caller finished the build while we waited for the lock
	echo "${assets}"
	exit 0
fi

# Build outside any enclosing module or workspace, and let go resolve the wrapper modules freely.
export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local
work="$(mktemp -d "${cache_root}/build.XXXXXX")"
trap 'rm -rf "${work}"' EXIT
mkdir -p "${assets}"

build_etcd() {
	[[ -x "${assets}/etcd" ]] && return 0
	log "building etcd ${ETCD_VERSION} (about 2 minutes cold)"
	local dir="${work}/etcd"
	mkdir -p "${dir}"
	# `go install …@version` is refused because server/go.mod has replace directives, so build it as a
	# dependency of a wrapper module.
	cat >"${dir}/go.mod" <<EOF
module kalyan.local/envtest/etcd

go 1.24
EOF
	cat >"${dir}/tools.go" <<EOF
//go:build tools

package tools

import _ "go.etcd.io/etcd/server/v3"
EOF
	(
		cd "${dir}"
		go get "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" >&2
		go build -trimpath -ldflags "-s -w" -o "${dir}/etcd" go.etcd.io/etcd/server/v3 >&2
	)
	mv "${dir}/etcd" "${assets}/etcd"
}

# build_kubernetes builds the commands named (kube-apiserver, kubectl) from k8s.io/kubernetes.
build_kubernetes() {
	local cmds=()
	for c in "$@"; do [[ -x "${assets}/${c}" ]] || cmds+=("${c}"); done
	[[ ${#cmds[@]} -gt 0 ]] || return 0
	log "building ${cmds[*]} ${K8S_VERSION} (kube-apiserver: about 10 minutes and 1.8 GB cold; kubectl alone: a few minutes)"
	local dir="${work}/kube-apiserver" staging_version="v0.${K8S_VERSION#v1.}"
	mkdir -p "${dir}"
	# k8s.io/kubernetes requires its staging modules at v0.0.0 and replaces them with ./staging paths;
	# a dependent module has to replace each of them with the matching published version itself.
	local upstream_mod
	upstream_mod="$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
	[[ -f "${upstream_mod}" ]] || { log "cannot find go.mod of k8s.io/kubernetes@${K8S_VERSION}"; exit 1; }
	local staging
	staging="$(sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/.*#\1#p' "${upstream_mod}" |
		grep -v '^k8s.io/sample-cli-plugin$' | sort -u)" # sample-cli-plugin is not served by the proxy
	[[ -n "${staging}" ]] || { log "no staging replaces found in ${upstream_mod}"; exit 1; }
	{
		echo "module kalyan.local/envtest/kube-apiserver"
		echo
		echo "go 1.24"
		echo
		echo "godebug default=go1.24" # as upstream's go.mod
		echo
		echo "require k8s.io/kubernetes ${K8S_VERSION}"
		echo
		echo "replace ("
		for m in ${staging}; do echo "	${m} => ${m} ${staging_version}"; done
		echo ")"
	} >"${dir}/go.mod"
	{
		echo "//go:build tools"
		echo
		echo "package tools"
		echo
		for c in "${cmds[@]}"; do echo "import _ \"k8s.io/kubernetes/cmd/${c}\""; done
	} >"${dir}/tools.go"
	local minor="${K8S_VERSION#v1.}"
	minor="${minor%%.*}"
	local ldflags="-s -w"
	ldflags+=" -X k8s.io/component-base/version.gitVersion=${K8S_VERSION}"
	ldflags+=" -X k8s.io/component-base/version.gitMajor=1"
	ldflags+=" -X k8s.io/component-base/version.gitMinor=${minor}"
	ldflags+=" -X k8s.io/component-base/version.gitTreeState=clean"
	ldflags+=" -X k8s.io/client-go/pkg/version.gitVersion=${K8S_VERSION}"
	ldflags+=" -X k8s.io/client-go/pkg/version.gitMajor=1"
	ldflags+=" -X k8s.io/client-go/pkg/version.gitMinor=${minor}"
	(
		cd "${dir}"
		go get "k8s.io/kubernetes@${K8S_VERSION}" >&2
		go mod download >&2
		for c in "${cmds[@]}"; do
			go build -trimpath -ldflags "${ldflags}" -o "${dir}/${c}" "k8s.io/kubernetes/cmd/${c}" >&2
		done
	)
	for c in "${cmds[@]}"; do mv "${dir}/${c}" "${assets}/${c}"; done
}

build_etcd
build_kubernetes kube-apiserver kubectl
"${assets}/etcd" --version >&2
"${assets}/kube-apiserver" --version >&2
"${assets}/kubectl" version --client >&2
log "ready in ${assets}"
echo "${assets}"
