# Vigil's command surface: build, test, demo, conformance, simulation and every benchmark.
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

# Every test; then how many were skipped and why (tests that need ../shared, root or a package say so with
# `.enabled(if:)`). The full output stays in $(TEST_LOG).
TEST_LOG ?= .build/test-output.txt
test: deps
	$(SWIFT) build --build-tests
	@set -o pipefail; $(SWIFT) test --skip-build 2>&1 | tee $(TEST_LOG); status=$$?; \
	  python3 scripts/test-skips.py < $(TEST_LOG); exit $$status

conformance: deps
	$(SWIFT) build -c release --product crm_simulate
	python3 $(CONFORMANCE)/run.py --binary .build/release/crm_simulate --tier $(TIER) -j 2

bench: bench-cib

# --- CIB benchmarks (cib-core): parse/serialize time and peak RSS; inputs are generated into /tmp, never committed.
BENCH_CIB_DIR ?= /tmp/vigil-bench-cib
BENCH_CIB_RUNS ?= 5
BENCH_CIB_PLACEMENT = import json, sys; n, p = int(sys.argv[1]), int(sys.argv[2]); \
  d = {f"r{i:05d}": f"node{(i - 1) % n + 1}" for i in range(1, p + 1)}; d["base"] = [f"node{j}" for j in range(1, n + 1)]; \
  json.dump(d, open(sys.argv[3], "w"))

bench-cib: deps
	$(SWIFT) build -c release --product bench-cib
	@mkdir -p $(BENCH_CIB_DIR)
	@python3 -c '$(BENCH_CIB_PLACEMENT)' 32 5000 $(BENCH_CIB_DIR)/placement-5000x32.json
	@python3 $(CONFORMANCE)/gen_large_cib.py --nodes 32 --primitives 5000 --groups 500 --locations 1000 \
	  --colocations 1000 --orders 1000 --placement $(BENCH_CIB_DIR)/placement-5000x32.json \
	  -o $(BENCH_CIB_DIR)/cib-5000x32.xml
	@python3 -c '$(BENCH_CIB_PLACEMENT)' 32 7600 $(BENCH_CIB_DIR)/placement-10mb.json
	@python3 $(CONFORMANCE)/gen_large_cib.py --nodes 32 --primitives 7600 --groups 760 --locations 1500 \
	  --colocations 1500 --orders 1500 --placement $(BENCH_CIB_DIR)/placement-10mb.json \
	  -o $(BENCH_CIB_DIR)/cib-10mb.xml
	@.build/release/bench-cib --runs $(BENCH_CIB_RUNS) \
	  largest_corpus=$$(ls -S $(CONFORMANCE)/xml/*.xml | head -1) \
	  gen_5000x32=$(BENCH_CIB_DIR)/cib-5000x32.xml \
	  gen_10mb=$(BENCH_CIB_DIR)/cib-10mb.xml

# --- Membership: deterministic simulation and the 3-process benchmark ---
# make simulate SEEDS=N [FIRST=F]   -> last line: "N seeds, V violations"
# make bench-membership [DURATION=s TRIALS=n MESSAGES=n]
FIRST ?= 1
JOBS ?= 2
.PHONY: bench-membership
simulate: deps
	$(SWIFT) build -c release --product membership-sim
	.build/release/membership-sim --seeds $(SEEDS) --first $(FIRST)

# --- Whole-cluster deterministic simulation (issue 13): membership + node logic + controller + simulated LRM,
# disk, clock and network, with faults and client writes, all from one seed.
# make simulate-cluster SEEDS=N [FIRST=F] [JOBS=J]   -> last line: "N seeds, V violations"; replay: cluster-sim --seed S --trace
.PHONY: simulate-cluster
simulate-cluster: deps
	$(SWIFT) build -c release --product cluster-sim
	.build/release/cluster-sim --seeds $(SEEDS) --first $(FIRST) --jobs $(JOBS)

bench-membership: deps
ifeq ($(BACKEND),corosync)
	$(MAKE) --no-print-directory bench-membership-corosync
else
	$(SWIFT) build -c release --product membership-node
	$(SWIFT) build -c release --product bench-membership
	.build/release/bench-membership
endif

# --- Membership on corosync: the client libraries, corosync itself for the
# namespace-cluster tests, and the benchmark behind `make bench-membership BACKEND=corosync` (root: namespaces).
APT_PACKAGES += corosync libcpg-dev libquorum-dev libvotequorum-dev libcmap-dev iproute2
BACKEND ?= native
.PHONY: bench-membership-corosync
bench-membership-corosync: deps
	$(SWIFT) build -c release --product membership-corosync-node
	$(SWIFT) build -c release --product bench-membership-corosync
	.build/release/bench-membership-corosync

# --- LRM: agents for the LRM tests, and its benchmark ---
APT_PACKAGES += resource-agents fence-agents iproute2 procps debootstrap util-linux
.PHONY: bench-lrm
bench-lrm: deps
	$(SWIFT) build -c release --product bench-lrm
	.build/release/bench-lrm

# --- pcs (Sources/pcs): median time of create and status, ours vs the real /usr/sbin/pcs -----------------
# fence-virt provides fence_xvm, the fence agent of the user's session (the pcs tests skip it when missing).
APT_PACKAGES += fence-virt
.PHONY: bench-pcs
bench-pcs: deps
	$(SWIFT) build -c release --product pcs
	python3 scripts/bench-pcs.py

# Pacemaker's own crm_mon, crm_simulate and cibadmin: the tests check that Pacemaker reads what Vigil writes and
# prints what Vigil prints; bench-scheduler times Pacemaker's crm_simulate.
APT_PACKAGES += pacemaker-cli-utils

# --- PolicyEngine: scheduler conformance and benchmark ---
# make conformance TIER=core|extended|full   (only crm_simulate is built, in release mode)
# make bench-scheduler [BENCH_SCHED_SIZES="8x200 16x1000"] [BENCH_SCHED_REAL=0 to skip Pacemaker] [BENCH_SCHED_RUNS=5]
#                     [BENCH_SCHED_BIN=path to time another build of crm_simulate]
# Steady state, probes off: for each size, ../shared/conformance/gen_large_cib.py writes the
# cold-start CIB, Vigil's `crm_simulate -S` on it gives the placement, and gen_large_cib.py --placement writes the
# same cluster already running there (LRM history). Vigil and Pacemaker then run `crm_simulate -x F -S` on that
# steady file; the table shows wall time and peak RSS of each, the ratio, and whether both produce the same
# transition (compare.py: transition + placement). Inputs are cached in $(BENCH_SCHED_DIR), never committed.
# Vigil's figures are the best of $(BENCH_SCHED_RUNS) runs (scripts/bench-time.py: least wall, least CPU, most RSS);
# Pacemaker runs once (minutes at the larger sizes). One key=value line per size follows the table
# (vigil_cpu_s / pcmk_cpu_s = user+sys, less sensitive to a loaded machine than wall time; cpu_ratio compares those).
.PHONY: bench-scheduler crm-simulate-release
BENCH_SCHED_DIR ?= /tmp/vigil-bench-scheduler-steady
BENCH_SCHED_SIZES ?= 8x200 16x1000 32x2000 64x5000
BENCH_SCHED_REAL ?= 1
BENCH_SCHED_BIN ?= .build/release/crm_simulate
BENCH_SCHED_RUNS ?= 5
crm-simulate-release: deps
	$(SWIFT) build -c release --product crm_simulate

bench-scheduler: crm-simulate-release
	@mkdir -p $(BENCH_SCHED_DIR); d=$(BENCH_SCHED_DIR); kv=""; \
	printf '%-9s %8s %8s %8s %9s %9s %8s %9s %9s %s\n' size vigil_s vigil_cpu vigil_mb pcmk_s pcmk_cpu pcmk_mb ratio cpu_ratio \
	  same_transition; \
	for size in $(BENCH_SCHED_SIZES); do \
	  n=$${size%x*}; p=$${size#*x}; g=$$((p / 10)); c=$$((p / 4)); \
	  gen="python3 $(CONFORMANCE)/gen_large_cib.py --nodes $$n --primitives $$p --groups $$g --locations $$c \
	    --colocations $$c --orders $$c --clone-instances $$n --probes off --seed 1"; \
	  f=$$d/$$size.steady.xml; \
	  if [ ! -f $$f ]; then \
	    $$gen -o $$d/$$size.cold.xml >/dev/null 2>&1 && \
	    $(BENCH_SCHED_BIN) -x $$d/$$size.cold.xml -S > $$d/$$size.cold.vigil.txt && \
	    $$gen --placement $$d/$$size.cold.vigil.txt -o $$f.tmp >/dev/null 2>&1 && mv $$f.tmp $$f || exit 1; \
	  fi; \
	  python3 scripts/bench-time.py $(BENCH_SCHED_RUNS) $$d/$$size.vigil.txt \
	    $(BENCH_SCHED_BIN) -x $$f -S > $$d/$$size.vigil.time || exit 1; \
	  set -- $$(tail -n 1 $$d/$$size.vigil.time); vs=$$1; vc=$$2; vk=$$3; \
	  if [ "$(BENCH_SCHED_REAL)" = 1 ] && [ -x /usr/sbin/crm_simulate ]; then \
	    LC_ALL=C /usr/bin/time -f '%e %M %U %S' -o $$d/$$size.pcmk.time \
	      /usr/sbin/crm_simulate -x $$f -S > $$d/$$size.pcmk.txt 2>/dev/null; \
	    set -- $$(tail -n 1 $$d/$$size.pcmk.time); ps=$$1; pk=$$2; pu=$$3; py=$$4; \
	    pc=$$(python3 -c "print(f'{$$pu+$$py:.2f}')"); \
	    cr=$$(python3 -c "print(f'{($$pu+$$py)/max($$vc,0.001):.1f}x')"); \
	    same=$$(python3 $(CONFORMANCE)/compare.py diff $$d/$$size.pcmk.txt $$d/$$size.vigil.txt \
	      | python3 -c 'import json,sys; v=json.load(sys.stdin); print("yes" if v["transition"]["match"] and v["placement"]["match"] else "no")'); \
	    ratio=$$(python3 -c "print(f'{$$ps/max($$vs,0.001):.1f}x')"); \
	  else ps=-; pk=0; pc=-; cr=-; ratio=-; same=-; fi; \
	  printf '%-9s %8s %8s %8d %9s %9s %8d %9s %9s %s\n' $$size $$vs $$vc $$((vk / 1024)) $$ps $$pc $$((pk / 1024)) \
	    $$ratio $$cr $$same; \
	  kv="$$kv""bench=scheduler size=$$size state=steady vigil_s=$$vs vigil_cpu_s=$$vc vigil_mb=$$((vk / 1024)) pcmk_s=$$ps pcmk_cpu_s=$$pc pcmk_mb=$$((pk / 1024)) ratio=$$ratio cpu_ratio=$$cr same_transition=$$same\n"; \
	done; printf "$$kv"

# --- CIB typed model (cib-model): decode/encode/validate time; reuses bench-cib's generated inputs in /tmp ---
.PHONY: bench-model
bench-model: deps
	$(SWIFT) build -c release --product bench-model
	@mkdir -p $(BENCH_CIB_DIR)
	@test -f $(BENCH_CIB_DIR)/cib-10mb.xml || { python3 -c '$(BENCH_CIB_PLACEMENT)' 32 7600 $(BENCH_CIB_DIR)/placement-10mb.json && \
	  python3 $(CONFORMANCE)/gen_large_cib.py --nodes 32 --primitives 7600 --groups 760 --locations 1500 \
	  --colocations 1500 --orders 1500 --placement $(BENCH_CIB_DIR)/placement-10mb.json -o $(BENCH_CIB_DIR)/cib-10mb.xml; }
	@.build/release/bench-model --runs $(BENCH_CIB_RUNS) \
	  largest_corpus=$$(ls -S $(CONFORMANCE)/xml/*.xml | head -1) \
	  gen_10mb=$(BENCH_CIB_DIR)/cib-10mb.xml

# A debootstrap'd root for the systemd tests (booted as PID 1 of a private PID + mount namespace), cached;
# without network or root this only prints why, and the systemd test says it is skipped.
LRM_SYSTEMD_ROOT := /var/cache/vigil-lrm/systemd-root
.PHONY: lrm-systemd-root
test: lrm-systemd-root
lrm-systemd-root:
	@if [ -x $(LRM_SYSTEMD_ROOT)/lib/systemd/systemd ]; then exit 0; fi; \
	if [ "$$(id -u)" != 0 ] || ! command -v debootstrap >/dev/null; then \
	  echo "lrm-systemd-root: skipped (needs root and debootstrap)"; exit 0; fi; \
	mkdir -p $(dir $(LRM_SYSTEMD_ROOT)) && rm -rf $(LRM_SYSTEMD_ROOT).tmp && \
	debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus bookworm $(LRM_SYSTEMD_ROOT).tmp >/dev/null 2>&1 \
	  && mv $(LRM_SYSTEMD_ROOT).tmp $(LRM_SYSTEMD_ROOT) \
	  || echo "lrm-systemd-root: debootstrap failed; the systemd test will be skipped"

# --- clusterd: the 3-node demo on this machine and the failover benchmark ---
# make demo        starts node1..node3 (loopback ports 15411-15413, state in $(DEMO_DIR)/nodeN), creates the group
#                  web = VIP (ocf:heartbeat:Dummy) + service (ocf:heartbeat:anything running sleep), waits until
#                  both run and prints `pcs status`. The cluster keeps running; `make demo-stop` stops it.
# make bench-failover [TRIALS=20]
DEMO_DIR ?= /tmp/vigil-demo
TRIALS ?= 20
.PHONY: demo-stop bench-failover clusterd-release
clusterd-release: deps
	$(SWIFT) build -c release --product clusterd
	$(SWIFT) build -c release --product pcs

demo: clusterd-release
	DEMO_DIR=$(DEMO_DIR) BIN=.build/release scripts/demo.sh

demo-stop:
	DEMO_DIR=$(DEMO_DIR) BIN=.build/release scripts/demo.sh stop

# With the watchdog stand-in in the package (Tests/Support/vigil-watchdog), bench-failover runs twice: without a
# watchdog, then with the stand-in armed on every node (--watchdog; root: one cgroup per node).
HAVE_WATCHDOG_STANDIN := $(shell grep -q '"vigil-watchdog"' Package.swift && echo 1)
bench-failover: clusterd-release
	python3 scripts/bench-failover.py --bin .build/release --trials $(TRIALS)
ifeq ($(HAVE_WATCHDOG_STANDIN),1)
	$(SWIFT) build -c release --product vigil-watchdog
	python3 scripts/bench-failover.py --bin .build/release --trials $(TRIALS) --watchdog
endif

# --- Chaos on real processes (issue 13): 3 clusterd nodes, each in its own network namespace and cgroup, faults
# injected on the node that runs the group web (VIP + service, ocf:heartbeat:Dummy, monitor 2 s), judged by a
# sampler of every node's own Dummy state files (every 5 ms). Root. See docs/BENCHMARKS.md.
# make chaos [FAULTS=kill9-clusterd,kill9-node,kill9-dc,kill-restart,sigstop,partition,graceful-restart,writes]
#            (also one-way-cut: the owner's packets to the DC lost for 5 s, the other way kept)
#            (two nodes + vigil-arbiter: two-node-cut,two-node-arbiter-cut,two-node-kill,two-node-arbiter-kill)
#            [TRIALS=n] [WRITES=n] [WATCHDOG=none] [CHAOS_ARGS="--keep-on-failure DIR --log-dir DIR ..."]
# prints per fault: fault=NAME double_run_ms_max=... double_run_trials=... failover_p50_ms=... failover_p99_ms=...
# and for the writes: fault=writes acked_writes=... lost_writes=... divergent_cibs=...
CHAOS_FAULTS := kill9-clusterd,kill9-node,kill9-dc,kill-restart,sigstop,partition,graceful-restart,writes
FAULTS ?= $(CHAOS_FAULTS)
WRITES ?= 200
WATCHDOG ?= standin
CHAOS_ARGS ?=
.PHONY: chaos chaos-release
chaos-release: clusterd-release
	$(SWIFT) build -c release --product cibadmin
	$(SWIFT) build -c release --product vigil-arbiter
ifneq ($(WATCHDOG),none)
	@test "$(HAVE_WATCHDOG_STANDIN)" = 1 || { echo "chaos: vigil-watchdog (the watchdog stand-in) is not in this tree; run with WATCHDOG=none" >&2; exit 1; }
	$(SWIFT) build -c release --product vigil-watchdog
endif

chaos: chaos-release
	python3 scripts/chaos --bin .build/release --faults $(FAULTS) --trials $(TRIALS) --writes $(WRITES) \
	  --watchdog $(WATCHDOG) $(CHAOS_ARGS)
