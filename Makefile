# BootTorrent — the two commands: `make run` and `make test`.
SHELL := /bin/bash
MVNW := ./mvnw -B -ntp
# Debian packages the tests drive as real third-party peers (StandardClientsTest: aria2, transmission-cli,
# qbittorrent-nox; and the browser DashboardBrowserTest drives;
# systemd for the systemd-analyze InstallScriptIT runs on the units; shim, GRUB and sbsigntool for the Secure Boot VM;
# iptables for the fault tests' lossy links, LossyLink).
TEST_PACKAGES := aria2 transmission-cli qbittorrent-nox iproute2 iptables isc-dhcp-client udhcpc kea-admin tftp-hpa atftp curl qemu-system-x86 ipxe-qemu busybox-static python3 ovmf ipxe chromium chromium-driver systemd openssl shim-signed grub-efi-amd64-signed sbsigntool qemu-utils libnbd-bin python3-libnbd syslinux syslinux-common mtools dosfstools nbdkit
# What client-image/build.sh needs (QEMU=1 adds qemu-system-x86 seabios ipxe-qemu).
CLIENT_IMAGE_PACKAGES := busybox-static kexec-tools cpio zstd kmod openjdk-17-jdk-headless
JAR := services/cli/target/boottorrent.jar
# The client image's agent-only jar (client-image/build.sh puts it into the initrd).
AGENT_JAR := client-image/agent/target/boottorrent-agent.jar
# Stamp of the agent's AppCDS archive for bin/boottorrent (dumped after each build of the jar).
AGENT_CDS := services/cli/target/.agent-cds
# Build inputs under the given folders.
sources = $(shell find $(1) -name pom.xml -o -name '*.java' -o -name '*.proto' -o -name '*.yaml' -o -name '*.xml' 2>/dev/null | grep -v /target/)
AGENT_SOURCES := $(call sources,pom.xml shared-proto services/core services/swarm client-image/agent)
# What the client image is made of: `make test` rebuilds it only when one of these changed.
CLIENT_IMAGE_SOURCES := $(filter-out %/src/test/%,$(AGENT_SOURCES)) $(shell find client-image/rootfs client-image/build.sh client-image/fetch-kernel.sh client-image/modules.txt -type f 2>/dev/null)

.PHONY: all build run test test-faults deps clean help bench bench-pxe bench-storm bench-scale bench-tracker bench-streaming client-image fuzz

all: build

help:
	@echo "make run    build, start catalog+tracker+seeder and boot-storm a demo image with local agents"
	@echo "make test   install test tools (Debian packages) and run every test"
	@echo "make test-faults  (root) the fault-injection tests: services killed mid-storm, lossy links, full disks (~10 min)"
	@echo "make fuzz   the hostile-input properties of the pure codecs, FUZZ_SECONDS (30) each, ~10 min (SEED=... to replay)"
	@echo "make build  build bin/boottorrent's jar ($(JAR))"
	@echo "make client-image  the netbootable client: client-image/out/{vmlinuz,initrd} (QEMU=1 adds QEMU)"
	@echo "make clean  remove build output and the demo's run/ folder"
	@echo "make bench  (root) boot storm: BootTorrent vs HTTP, TFTP, multicast and the lower bound (docs/BENCHMARKS.md)"
	@echo "make bench-scale  scale-out: storms across seven service JVMs, seeders added mid-storm (ARGS=\"--runs 1\")"
	@echo "make bench-pxe  (root) DHCP/TFTP vs dnsmasq/tftpd-hpa: table + results/pxe-<time>/ (ARGS=\"--only tftp\")"
	@echo "make bench-tracker  (root) our tracker vs opentracker, HTTP announces: table + results/tracker-<time>/ (ARGS=\"--runs 5\")"
	@echo "make bench-streaming  (root) streaming boot: ours vs full download and nbdkit's torrent plugin, 1 GiB disk (ARGS=\"--runs 1 --swarm 0\")"

build: $(JAR) $(AGENT_CDS)

$(JAR): $(call sources,pom.xml shared-proto services client-image/agent)
	$(MVNW) -q -DskipTests install

# bin/boottorrent agent's AppCDS archive, next to the jar (its name says which JDK; bin/agent-cds-training).
$(AGENT_CDS): $(JAR)
	bin/agent-cds-training
	touch $@

# Only the agent module and what it depends on (`make build` makes this jar too).
$(AGENT_JAR): $(AGENT_SOURCES)
	$(MVNW) -q -DskipTests install -pl client-image/agent -am

run: build
	bin/boottorrent demo $(ARGS)

# Installs missing Debian packages (as root: apt-get update once, then install); never fails the
# build when not root — the tests that need a package skip with a message saying which.
# kubectl (KustomizeTest renders k8s/) counts as there whatever installed it; else Debian's
# kubernetes-client (whose kubectl must embed kustomize v5+, or KustomizeTest skips saying so).
deps:
	@missing=$$(for p in $(TEST_PACKAGES) $(CLIENT_IMAGE_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done; \
	  command -v kubectl >/dev/null 2>&1 || echo kubernetes-client); \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "installing: $$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	  else \
	    echo "not root: cannot install $$missing; tests needing them will be skipped"; \
	  fi; \
	fi

# The end-to-end tests boot client-image/out in VMs: it is (re)built first when its sources changed.
# Not root and packages missing: those tests skip and say why (CI, as root, sets BOOTTORRENT_E2E=required).
test: deps
	@missing=$$(for p in $(CLIENT_IMAGE_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -z "$$missing" ] || [ "$$(id -u)" = 0 ]; then \
	  $(MAKE) --no-print-directory client-image/out/initrd; \
	else \
	  echo "not root and missing $$missing: no client image, its VM tests will be skipped"; \
	fi
	$(MVNW) install

# Fault injection (issue 13, docs/SECURITY.md "Faults"): only the tests tagged "faults", which `make test`
# leaves out (pom.xml excludedGroups) to stay in its time budget. Needs what `make test` installed and built.
test-faults: deps
	$(MVNW) verify -DexcludedGroups= -Dgroups=faults -Dsurefire.failIfNoSpecifiedTests=false -Dfailsafe.failIfNoSpecifiedTests=false

# Hostile input (docs/SECURITY.md): the same property tests `make test` runs with a few thousand
# cases each, here each for FUZZ_SECONDS seconds (16 properties: ~10 minutes at the default).
# SEED=<n> replays a run; the summary (cases per property) is in target/fuzz.log.
FUZZ_SECONDS ?= 30
FUZZ_MODULES := services/test-support,services/dhcp,services/tftp,services/tracker,services/swarm,services/server,services/catalog
fuzz:
	@mkdir -p target
	@set -o pipefail; $(MVNW) test -pl $(FUZZ_MODULES) -am -Dtest='*HostileInputTest' -Dsurefire.failIfNoSpecifiedTests=false \
	  -Dboottorrent.fuzz.seconds=$(FUZZ_SECONDS) $(if $(SEED),-Dboottorrent.fuzz.seed=$(SEED)) \
	  | tee target/fuzz.log | grep -E '^hostile-input |Tests run:.*Fail|FAIL|BUILD'

# The client image (issue 4): Debian's kernel + busybox + jlinked JRE + the agent, see client-image/README.md.
client-image: $(AGENT_JAR)
	@missing=$$(for p in $(CLIENT_IMAGE_PACKAGES) $(if $(filter 1,$(QEMU)),qemu-system-x86 seabios ipxe-qemu); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ] && [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; fi
	client-image/build.sh

client-image/out/initrd: $(CLIENT_IMAGE_SOURCES)
	$(MAKE) --no-print-directory client-image

# Boot-storm benchmark (issue 5): namespaces + tc, every contender side by side. Root; ~11 min.
bench: bench-storm

bench-storm: build
	bench/boot-storm.sh $(ARGS)

# Scale-out (issue 11): seven service JVMs, 16 agents, storms with 1 and 3 seeders and seeders added
# mid-storm, 64 MiB image, 3 runs (~15 min); ratios per run (docs/ARCHITECTURE.md "Cluster").
bench-scale: build
	bench/scale-out.sh $(ARGS)

# Side-by-side PXE benchmarks (issue 3): our DHCP/TFTP vs dnsmasq and tftpd-hpa. Root; not part of `make test`.
bench-pxe: build
	bench/pxe-bench.sh $(ARGS)

# Tracker (issue 14): announces/s of ours vs Debian's opentracker, wrk, a new connection per announce. Root; ~3 min.
bench-tracker: build
	bench/tracker-bench.sh $(ARGS)

# Streaming boot (issue 15): time to a QEMU guest's marker from our agent's NBD export vs the whole disk
# first and vs nbdkit's torrent plugin, one capped seeder for all, then K agents staggered. Root; ~17 min.
bench-streaming: build
	bench/streaming-boot.sh $(ARGS)

clean:
	$(MVNW) -q clean
	rm -rf run
