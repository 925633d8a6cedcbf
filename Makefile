# pacer — see README.md. `make demo` and `make test` work on a fresh Debian
# machine with Go: they install what they need themselves.

GO            ?= go
# go.mod's toolchain line (the Go release govulncheck finds clean) is
# fetched from the module proxy when the installed Go is older; the
# environment may say GOTOOLCHAIN=local, which would refuse it.
export GOTOOLCHAIN := auto
BIN           := bin
TOOLS_DIR     ?= $(HOME)/.cache/pacer/tools
GOLANGCI_VERSION := v2.15.0
GOLANGCI      := $(TOOLS_DIR)/golangci-lint-$(GOLANGCI_VERSION)/golangci-lint
BENCHSTAT_VERSION := v0.0.0-20260908200009-22c9c6c9d4da
BENCHSTAT     := $(TOOLS_DIR)/benchstat-$(BENCHSTAT_VERSION)/benchstat
FUZZTIME      ?= 10s
BENCHCOUNT    ?= 6

.PHONY: all build demo test deps kube-binaries helm vet fmt-check unit integration fuzz lint bench bench-scale bench-external update-golden clean

all: build

build:
	$(GO) build -o $(BIN)/ ./cmd/...

## demo: run demo Go workloads locally and show their live signals (Ctrl-C stops)
demo: build
	$(BIN)/pacer demo

## test: the whole suite: vet, gofmt, unit tests with -race, the integration
## suite against real Prometheus and a real Kubernetes control plane, and a
## bounded run of every fuzz test
test: deps vet fmt-check unit integration fuzz

deps:
	@hack/install-deps.sh

## kube-binaries: build kube-apiserver, kube-controller-manager and kubectl
## from hack/kubetools into $PACER_CACHE (~/.cache/pacer)/kube, once: the
## first build takes ~20 minutes on 2 cores
kube-binaries:
	@GO=$(GO) hack/kube-binaries.sh

## helm: build the pinned Helm from hack/helmtools into Go's build cache, so
## the deploy test renders the chart without paying for the build
helm:
	cd hack/helmtools && $(GO) build -o /dev/null helm.sh/helm/v4/cmd/helm

vet:
	$(GO) vet ./...
	$(GO) vet -tags integration ./test/...

fmt-check:
	@out=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$out" ]; then echo "gofmt would change:"; echo "$$out"; exit 1; fi

unit:
	$(GO) test -race -count=1 ./...

integration: deps kube-binaries helm
	$(GO) test -race -count=1 -timeout 30m -tags integration ./test/integration/...

fuzz:
	@GO=$(GO) FUZZTIME=$(FUZZTIME) hack/fuzz.sh

## lint: golangci-lint at a pinned version, installed once outside the repo
lint: $(GOLANGCI)
	$(GOLANGCI) run --build-tags integration ./...
	GO=$(GO) hack/govulncheck.sh

$(GOLANGCI):
	GOBIN=$(dir $(GOLANGCI)) $(GO) install github.com/golangci/golangci-lint/v2/cmd/golangci-lint@$(GOLANGCI_VERSION)

## bench: Go benchmarks, BENCHCOUNT runs each, into bench.txt, summarized by benchstat
bench: SHELL := /bin/bash
bench: $(BENCHSTAT)
	set -o pipefail; $(GO) test -run='^$$' -bench=. -benchmem -count=$(BENCHCOUNT) -timeout 60m ./... | tee bench.txt
	$(BENCHSTAT) bench.txt

## bench-scale: the scale benchmarks alone (a cycle over 1k, 10k and 50k
## pods; about 6 minutes at BENCHCOUNT=6)
bench-scale: SHELL := /bin/bash
bench-scale: $(BENCHSTAT)
	set -o pipefail; $(GO) test -run='^$$' -bench='^BenchmarkScale' -benchmem -count=$(BENCHCOUNT) -timeout 60m ./cmd/pacer | tee bench-scale.txt
	$(BENCHSTAT) bench-scale.txt

## bench-external: the external metrics API under load, in one run against a
## real kube-apiserver and Prometheus: p50/p99 at 1,000 requests/s and the
## most requests/s with 8 and 32 in flight, direct to pacer, through the
## aggregator, and a query-per-request baseline; medians of 5 rounds, about
## 20 minutes, into bench-external.out. Start it on an idle machine;
## EXTERNAL_BENCH_FLAGS passes more flags (e.g. -external-bench-rounds 3).
bench-external: SHELL := /bin/bash
bench-external: deps kube-binaries
	set -o pipefail; $(GO) test -tags integration -run '^TestExternalMetricsLoad$$' -count=1 -timeout 60m -v \
		./test/integration -external-bench $(EXTERNAL_BENCH_FLAGS) | tee bench-external.out

$(BENCHSTAT):
	GOBIN=$(dir $(BENCHSTAT)) $(GO) install golang.org/x/perf/cmd/benchstat@$(BENCHSTAT_VERSION)

## update-golden: rewrite the golden files under testdata/golden from the current output
update-golden:
	$(GO) test ./cmd/pacer -count=1 -update
	$(GO) test ./actuator/report -count=1 -update

clean:
	rm -rf $(BIN)
