#!/usr/bin/env bash
# Builds helm from the Go module proxy (the release downloads need the internet, which CI does not have)
# into a per-version cache file outside the repository, and prints that file's path on stdout:
#
#   HELM=$(hack/helm.sh) go test ./test/chart/
#
# Idempotent: when the binary is present nothing is built. Concurrent callers serialise on a lock.
# Everything except the final path goes to stderr.
set -euo pipefail

HELM_VERSION="${HELM_VERSION:-v3.22.0}"

bin_dir="${XDG_CACHE_HOME:-$HOME/.cache}/kalyan/bin"
helm="${bin_dir}/helm-${HELM_VERSION}"

log() { echo "helm.sh: $*" >&2; }

if [[ -x "${helm}" ]]; then
	echo "${helm}"
	exit 0
fi

mkdir -p "${bin_dir}"
exec 9>"${bin_dir}/.helm.lock"
flock 9
if [[ -x "${helm}" ]]; then # another caller finished the build while we waited for the lock
	echo "${helm}"
	exit 0
fi

# Build outside any enclosing module or workspace.
export GOWORK=off GOFLAGS=-mod=mod GOTOOLCHAIN=local
work="$(mktemp -d "${bin_dir}/helm-build.XXXXXX")"
trap 'rm -rf "${work}"' EXIT

# Release builds stamp the Kubernetes version helm assumes for `helm template`/`helm lint` (without a
# cluster) from the client-go it links; do the same so .Capabilities.KubeVersion is not the v1.20 fallback.
mod="$(go mod download -json "helm.sh/helm/v3@${HELM_VERSION}" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')"
[[ -f "${mod}" ]] || { log "cannot download helm.sh/helm/v3@${HELM_VERSION}"; exit 1; }
client_go="$(sed -n 's#^[[:space:]]*k8s\.io/client-go v\([0-9.]*\).*#\1#p' "${mod}" | head -n1)" # e.g. 0.34.2
[[ -n "${client_go}" ]] || { log "no k8s.io/client-go in ${mod}"; exit 1; }
k8s_minor="$(cut -d. -f2 <<<"${client_go}")"
ldflags="-s -w"
ldflags+=" -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1"
ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=${k8s_minor}"
ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1"
ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=${k8s_minor}"

log "building helm ${HELM_VERSION} (Kubernetes 1.${k8s_minor}; about 3 minutes cold)"
GOBIN="${work}" CGO_ENABLED=0 go install -trimpath -ldflags "${ldflags}" "helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" >&2
mv "${work}/helm" "${helm}"
"${helm}" version >&2
log "ready: ${helm}"
echo "${helm}"
