# Vigil's command surface. Every target other issues name lives here.
SHELL := /bin/bash
SWIFT ?= swift
CONFORMANCE ?= ../shared/conformance
TIER ?= core
SEEDS ?= 1000
APT_PACKAGES := libxml2-dev pkg-config

.PHONY: deps build build-debug test demo conformance simulate bench bench-cib

# Install the Debian packages the build and the tests need, only when missing.
deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  if [ "$$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi; \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

build: deps
	$(SWIFT) build -c release

build-debug: deps
	$(SWIFT) build

test: deps
	$(SWIFT) build --build-tests
	$(SWIFT) test --skip-build

conformance: build
	python3 $(CONFORMANCE)/run.py --binary .build/release/crm_simulate --tier $(TIER) -j 2

bench: bench-cib

bench-cib: build
	@echo "bench-cib: not implemented yet"; exit 2

# --- Membership (issue 5): deterministic simulation and the 3-process benchmark ---
# make simulate SEEDS=N [FIRST=F]   -> last line: "N seeds, V violations"
# make bench-membership [DURATION=s TRIALS=n MESSAGES=n]
FIRST ?= 1
.PHONY: bench-membership
simulate: deps
	$(SWIFT) build -c release --product membership-sim
	.build/release/membership-sim --seeds $(SEEDS) --first $(FIRST)

bench-membership: deps
	$(SWIFT) build -c release --product membership-node
	$(SWIFT) build -c release --product bench-membership
	.build/release/bench-membership

# --- LRM (issue 4): agents for the LRM tests, and its benchmark ---
APT_PACKAGES += resource-agents fence-agents iproute2 procps
.PHONY: bench-lrm
bench-lrm: deps
	$(SWIFT) build -c release --product bench-lrm
	.build/release/bench-lrm
