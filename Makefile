# Kalyan — one module, three binaries. `make help` lists the targets.
SHELL := /usr/bin/env bash
GO ?= go
BIN := bin
PKGS := ./...
# Fuzz time per target in `make fuzz` (CI keeps it short).
FUZZTIME ?= 10s
# Bound of one `make chaos` run (sizes: CHAOS_DONATIONS, CHAOS_AID, … in docs/chaos.md).
CHAOS_TIMEOUT ?= 4h

.PHONY: help run test e2e chaos schemathesis onboard generate test-short bench seed-volume build lint lint-deep k8s-lint fuzz docker clean

help: ## Show this help
	@awk 'BEGIN{FS=":.*##"} /^[a-zA-Z0-9_-]+:.*##/ {printf "  \033[36m%-12s\033[0m %s\n", $$1, $$2}' $(MAKEFILE_LIST)

run: ## Run everything on embedded defaults (FerretDB, Kafka, bKash sandbox, API :8080, workers)
	@# Built, then run directly (not `go run`): Ctrl-C then ends it quietly with its own exit status.
	$(GO) build -o $(BIN)/kalyan-dev ./internal/devstack/cmd/kalyan-dev
	$(BIN)/kalyan-dev

build: ## Build kalyan-api, kalyan-worker, kalyan-operator into bin/
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/kalyan-api ./api
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/kalyan-worker ./worker
	CGO_ENABLED=0 $(GO) build -trimpath -o $(BIN)/kalyan-operator ./operator

lint: ## gofmt and go vet
	@out=$$(gofmt -l $$(git ls-files '*.go')); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

lint-deep: ## staticcheck and deadcode (pinned versions; functions only tests reach must say why)
	hack/lint-deep.sh

k8s-lint: ## Kubernetes ecosystem checks: helm lint, kubeconform (1.34), promtool, controller-gen --check, hadolint, kube-score, checkov
	KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" hack/k8s-lint.sh

test: lint ## Unit and integration tests (embedded FerretDB, kfake, bKash sandbox, real kube-apiserver), with -race
	AXE_JS="$$(hack/axe.sh)" HELM="$$(hack/helm.sh)" KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" \
	  $(GO) test -race -count=1 -timeout 30m $(PKGS)

e2e: ## End-to-end suite: real Kafka, FerretDB on PostgreSQL, bKash sandbox, kalyan-api, two kalyan-workers, operator on kube-apiserver, verify
	$(GO) test -tags e2e -count=1 -timeout 40m ./test/e2e/

chaos: ## Chaos run (not in CI): 100k gifts, 1k aid requests, workers SIGKILLed, Kafka+FerretDB restarted, bKash faults (docs/chaos.md)
	$(GO) test -tags chaos -count=1 -timeout $(CHAOS_TIMEOUT) -v -run TestChaos ./test/chaos/

schemathesis: ## Fuzz every documented API route (public and staff) against the embedded stack
	hack/schemathesis.sh 25

test-short: ## Tests without the race detector
	AXE_JS="$$(hack/axe.sh)" HELM="$$(hack/helm.sh)" KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" $(GO) test -count=1 $(PKGS)

fuzz: ## Run every fuzz target for FUZZTIME each (hack/fuzz.sh)
	GO=$(GO) FUZZTIME=$(FUZZTIME) hack/fuzz.sh

bench: ## Benchmarks (consumers fed from real Apache Kafka, intake under vegeta); figures go to docs/benchmarks.md
	GO=$(GO) hack/bench.sh
	KUBEBUILDER_ASSETS="$$(hack/envtest-assets.sh)" $(GO) test -run '^$$' -bench Onboard538 -benchtime 1x ./operator/internal/controller/

# `make seed-volume UNIT=dmch GIFTS=20000` against KALYAN_MONGODB_URI (a development store: the money is made up).
UNIT ?= dmch
GIFTS ?= 20000
seed-volume: ## Write GIFTS gifts' ledger entries for UNIT into KALYAN_MONGODB_URI's store (history for benchmarks)
	$(GO) run ./internal/ledgerseed/cmd/seed-volume --unit $(UNIT) --gifts $(GIFTS)

generate: ## Regenerate CRDs, RBAC and deepcopy with controller-gen
	hack/controller-gen.sh

onboard: ## Apply all 538 HospitalUnits from config/units/units.csv to the current kube context
	$(GO) run ./operator onboard --file config/units/units.csv --apply

docker: ## Build the container image (needs a Docker engine)
	docker build --build-arg VERSION="$$(git describe --tags --always --dirty)" --build-arg REVISION="$$(git rev-parse HEAD)" -t kalyan:dev .

clean: ## Remove build output (keeps .kalyan data)
	rm -rf $(BIN)
