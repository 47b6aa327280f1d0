# rigsync — build, test, benchmark, fuzz and lint.
GO ?= go
PKGS := ./...
FUZZTIME ?= 30s
# FUZZMINTIME bounds the minimisation of each new input: Go's default (60s)
# let slow targets spend their whole FUZZTIME minimising. A count bounds it
# whatever a target's speed: with 5s (1s) fusion.FuzzReadCalibration ran 56
# (47,544) executions in 30s, with 100x 176,116; rosbag2.FuzzOpen 7,456 with
# 1s, 21,414 with 100x.
FUZZMINTIME ?= 100x
BENCHTIME ?= 1x

.PHONY: help build install test test-race test-short bench bench-e2e fuzz torture lint demo clean beam test-beam

help: ## list targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

# -buildvcs=auto: stamp the git revision into "rigsync --version" even where
# GOFLAGS says -buildvcs=false.
build: ## build the rigsync binary into ./bin
	$(GO) build -buildvcs=auto -o bin/rigsync ./cmd/rigsync

install: ## install the rigsync command into $GOBIN (default: $(go env GOPATH)/bin)
	$(GO) install -buildvcs=auto ./cmd/rigsync

test: lint ## lint, then run every test (tests needing ../shared/data skip without it), then test-beam
	$(GO) test -count=1 $(PKGS)
	@$(MAKE) --no-print-directory test-beam

# The Apache Beam fleet pipeline is its own Go module (cmd/rigsync-beam), so
# the root's ./... (test, vet, bench) never builds Beam; these targets do.
# A cold build of it takes 4-6 CPU-minutes (make test-beam with an empty build
# cache: 300 s user + 58 s system, standard library and rigsync packages included).
BEAM_DIR := cmd/rigsync-beam

beam: ## build the Apache Beam fleet pipeline into ./bin/rigsync-beam
	cd $(BEAM_DIR) && $(GO) build -buildvcs=auto -o ../../bin/rigsync-beam .

test-beam: ## go vet + every test of the Beam pipeline module (Prism runner, in-process)
	cd $(BEAM_DIR) && $(GO) vet ./... && $(GO) test -count=1 ./...

test-race: ## every test under the race detector (slow: ~22 min on 2 cores; calib check, its edge search and the CLI take 6-8 min each)
	$(GO) test -race -count=1 $(PKGS)

test-short: ## quick tests only
	$(GO) test -short -count=1 $(PKGS)

bench: ## run the benchmarks (compare ratios within one run, machines are noisy)
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) $(PKGS)

# BENCHE2E_ARGS: e.g. "-runs 5 -old /path/to/old/rigsync -dir /var/tmp/b" (go run ./internal/tools/benche2e -h).
bench-e2e: ## time fuse (every format), info, calib check and the baseline reading cost on a fixture log; a table
	$(GO) run ./internal/tools/benche2e $(BENCHE2E_ARGS)

fuzz: ## run every Fuzz target (root module and the Beam module) for FUZZTIME each, minimising new inputs for at most FUZZMINTIME (corpora live in testdata/fuzz)
	@for dir in . $(BEAM_DIR); do \
	  for pkg in $$(cd $$dir && $(GO) list ./...); do \
	    for f in $$(cd $$dir && $(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	      echo "== $$pkg $$f"; \
	      (cd $$dir && $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) -fuzzminimizetime=$(FUZZMINTIME) -parallel=2 $$pkg) || exit 1; \
	    done; \
	  done; \
	done

# TORTURE_ARGS: e.g. "-mcap 100 -bag 30 -db3 20 -all-formats" for a bigger
# campaign, "-fail-silent-loss=false" to only count silent losses
# (go run ./internal/tools/torture -h).
torture: ## bad-input campaign: corrupted logs, calibration and rig files through every reading command; fails on a panic, hang, RSS > 1 GiB or a silent loss (~3 min on 2 cores, 10 loaded)
	$(GO) run ./internal/tools/torture $(TORTURE_ARGS)

lint: ## gofmt + go vet (fails on any finding)
	@out=$$(gofmt -l $$(find . -name '*.go' -not -path './.git/*')); \
	  if [ -n "$$out" ]; then echo "gofmt needed on:"; echo "$$out"; exit 1; fi
	$(GO) vet $(PKGS)

demo: ## generate the built-in synthetic drive log and run rigsync on it
	$(GO) run ./cmd/rigsync demo

clean: ## remove build output
	rm -rf bin
