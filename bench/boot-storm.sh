#!/usr/bin/env bash
# Boot-storm benchmark (issue 5): BootTorrent against central HTTP (our catalog's web seed, nginx),
# central TFTP (tftpd-hpa, our TFTP service; atftp client), multicast (udpcast) and the lower bound
# max(S/B_s, S/B_c, N*S/(B_s + N*B_up)), on a topology it builds itself: a server namespace and N client
# namespaces on a bridge (own namespace), every link shaped with tbf in both directions.
#
#   bench/boot-storm.sh                 N=16, 16 MiB, 20/20 Mbit/s, every contender (+ a staggered run): ~11 min
#   bench/boot-storm.sh --quick         the same with one HTTP and one TFTP server: ~6 min
#   bench/boot-storm.sh --sweep         also N = 1 2 4 8 16 32 for the scaling curve (long: ~40 min)
#   bench/boot-storm.sh --help          every option
#
# Needs root (network namespaces, tc); installs nginx, udpcast, tftpd-hpa, atftp, tftp-hpa, iproute2,
# curl when missing (never starts their system services). Results: results/boot-storm-<timestamp>/.
set -euo pipefail

BS_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=lib/bs-net.sh
source "$BS_ROOT/bench/lib/bs-net.sh"
# shellcheck source=lib/bs-contenders.sh
source "$BS_ROOT/bench/lib/bs-contenders.sh"

BS_PACKAGES="nginx udpcast tftpd-hpa atftp tftp-hpa iproute2 curl"
ALL_CONTENDERS="boottorrent boottorrent-striped http-catalog http-nginx tftp-hpa tftp-boottorrent multicast"

N=16
SIZE_MIB=16
BS_SERVER_MBIT=20
BS_CLIENT_MBIT=20
UPLINK_MBIT=
SWEEP=0
SWEEP_NS="1 2 4 8 16 32"
SWEEP_CONTENDERS=
STAGGER=20
STAGGER_CONTENDERS="boottorrent multicast"
CONTENDERS=$ALL_CONTENDERS
REPEAT=1
OUT=
KEEP=0
BS_SEED_SECONDS=30
# 33 JVMs share 2 cores here while each real machine has its own CPU: lean JIT and GC for the agents.
BS_AGENT_JAVA_OPTS=${BS_AGENT_JAVA_OPTS:--XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Xmx160m}

usage() {
  cat <<EOF
usage: bench/boot-storm.sh [options]
  --n N                   clients in the main run (default $N)
  --size-mib M            image size (default $SIZE_MIB)
  --server-mbit B         server link B_s, both directions (default $BS_SERVER_MBIT)
  --client-mbit B         client links B_c, both directions (default $BS_CLIENT_MBIT)
  --contenders LIST       comma list of: ${ALL_CONTENDERS// /, } (default: all)
  --quick                 one HTTP and one TFTP server only (boottorrent,boottorrent-striped,http-nginx,tftp-hpa,multicast)
  --repeat R              run the main comparison R times (default $REPEAT)
  --stagger W             also a staggered run: clients arrive evenly over W s (default $W_DEFAULT_TEXT; 0 = skip)
  --stagger-contenders L  contenders of the staggered run (default: ${STAGGER_CONTENDERS// /,})
  --sweep                 also run N = ${SWEEP_NS// /, } (the scaling curve)
  --sweep-ns "LIST"       other N values for the sweep
  --sweep-contenders L    contenders of the sweep (default: --contenders)
  --only-sweep            skip the main and staggered runs
  --seed-seconds S        agent.seedSeconds for the agents (default $BS_SEED_SECONDS)
  --out DIR               results folder (default results/boot-storm-<timestamp>)
  --keep                  keep the scratch folder (agent logs, outputs) for inspection
  --gate auto|on|off      start barrier for the agents (agent.startGate: every agent waits, swarm
                          session up, until the harness creates a file once all are ready); auto: on
                          when the agent has that setting (default $GATE); never in a staggered run,
                          where it would wait for the last arrival
env: BS_AGENT_JAR / BS_SERVER_JAR (another boottorrent.jar for the agents / the server, for profiling
     patched builds), BS_AGENT_JAVA_OPTS (default "$BS_AGENT_JAVA_OPTS"), BS_AGENT_ENV / BS_SERVER_ENV (extra
     BOOTTORRENT_* overrides for agents / the server, e.g. BS_SERVER_ENV=BOOTTORRENT_SEEDER_UPLOADLIMIT=0),
     BS_PIECE_LENGTH (bytes, for image add).
EOF
}
W_DEFAULT_TEXT=$STAGGER
ONLY_SWEEP=0
GATE=auto

while (( $# )); do
  case $1 in
    --n) N=$2; shift ;;
    --size-mib) SIZE_MIB=$2; shift ;;
    --server-mbit) BS_SERVER_MBIT=$2; shift ;;
    --client-mbit) BS_CLIENT_MBIT=$2; shift ;;
    --uplink-mbit) UPLINK_MBIT=$2; shift ;;
    --contenders) CONTENDERS=${2//,/ }; shift ;;
    --repeat) REPEAT=$2; shift ;;
    --stagger) STAGGER=$2; shift ;;
    --stagger-contenders) STAGGER_CONTENDERS=${2//,/ }; shift ;;
    --sweep) SWEEP=1 ;;
    --sweep-ns) SWEEP_NS=$2; SWEEP=1; shift ;;
    --sweep-contenders) SWEEP_CONTENDERS=${2//,/ }; shift ;;
    --only-sweep) ONLY_SWEEP=1; SWEEP=1 ;;
    --seed-seconds) BS_SEED_SECONDS=$2; shift ;;
    --out) OUT=$2; shift ;;
    --keep) KEEP=1 ;;
    --quick) CONTENDERS="boottorrent boottorrent-striped http-nginx tftp-hpa multicast" ;;
    --gate) GATE=$2; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "boot-storm: unknown option $1 (see --help)" >&2; exit 2 ;;
  esac
  shift
done
for c in $CONTENDERS $STAGGER_CONTENDERS ${SWEEP_CONTENDERS:-}; do
  [[ " $ALL_CONTENDERS " == *" $c "* ]] || { echo "boot-storm: unknown contender '$c'; known: $ALL_CONTENDERS" >&2; exit 2; }
done
SWEEP_CONTENDERS=${SWEEP_CONTENDERS:-$CONTENDERS}
# B_up: what a client can upload to the swarm; the client link is symmetric here
UPLINK_MBIT=${UPLINK_MBIT:-$BS_CLIENT_MBIT}
# The client link is shaped to B_c both ways; a different uplink is only used in the bound.

if [ "$(id -u)" != 0 ]; then
  echo "boot-storm: must run as root: it creates network namespaces, veth pairs, a bridge and tc qdiscs" >&2
  echo "            (and installs $BS_PACKAGES when missing). Try: sudo make bench" >&2
  exit 2
fi
for tool in ip tc python3 java flock; do
  command -v "$tool" >/dev/null || { echo "boot-storm: $tool not found" >&2; exit 2; }
done

# ------------------------------------------------------------------------- packages and the jar
missing=
for p in $BS_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing="$missing $p"; done
if [ -n "$missing" ]; then
  echo "boot-storm: installing$missing" >&2
  # Never start the packages' system services (nginx on :80, tftpd-hpa on :69): policy-rc.d says no.
  policy_added=0
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && policy_added=1
  fi
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  (( policy_added )) && rm -f /usr/sbin/policy-rc.d
fi
if [ ! -f "$BS_ROOT/services/cli/target/boottorrent.jar" ]; then
  echo "boot-storm: building the jar" >&2
  (cd "$BS_ROOT" && ./mvnw -q -B -o install -DskipTests) || (cd "$BS_ROOT" && ./mvnw -q -B -ntp install -DskipTests)
fi

# Start barrier: only if the agent knows agent.startGate (see docs/BENCHMARKS.md, "start barrier").
agent_jar=${BS_AGENT_JAR:-$BS_ROOT/services/cli/target/boottorrent.jar}
has_gate=$(python3 -c 'import sys, zipfile
print(int(b"startGate" in zipfile.ZipFile(sys.argv[1]).read("boottorrent-defaults.yaml")))' "$agent_jar" 2>/dev/null || echo 0)
case $GATE in
  auto) BS_GATE=$has_gate ;;
  on) (( has_gate )) || { echo "boot-storm: --gate on, but $agent_jar has no agent.startGate" >&2; exit 2; }; BS_GATE=1 ;;
  off) BS_GATE=0 ;;
  *) echo "boot-storm: --gate auto|on|off" >&2; exit 2 ;;
esac

# ------------------------------------------------------------------------- one run at a time, cleanup
exec 9>/run/bs-boot-storm.lock
flock -w 30 9 || { echo "boot-storm: another boot-storm run holds /run/bs-boot-storm.lock" >&2; exit 2; }

stamp=$(date +%Y%m%d-%H%M%S)
BS_OUT=${OUT:-$BS_ROOT/results/boot-storm-$stamp}
mkdir -p "$BS_OUT/logs"
BS_OUT=$(cd "$BS_OUT" && pwd)
scratch_base=/dev/shm
[ -d "$scratch_base" ] && [ -w "$scratch_base" ] || scratch_base=${TMPDIR:-/tmp}
BS_WORK=$(mktemp -d "$scratch_base/bs-boot-storm.XXXXXX")
chmod 755 "$BS_WORK"
BS_BT_SERVER_PID=

cleanup() {
  local rc=$?
  trap - EXIT INT TERM
  bs_say "tearing down"
  bs_bt_server_stop 2>/dev/null || true
  # our background jobs (client wrappers, servers); everything inside our namespaces goes with them
  local j
  for j in $(jobs -p); do kill -TERM "$j" 2>/dev/null || true; done
  bs_topology_down
  if (( KEEP )); then bs_say "scratch kept: $BS_WORK"; else rm -rf "$BS_WORK"; fi
  exit "$rc"
}
trap cleanup EXIT
trap 'bs_say "interrupted"; exit 130' INT TERM

bs_topology_down # leftovers of an earlier, killed run

export BS_ROOT BS_WORK BS_OUT BS_SERVER_MBIT BS_CLIENT_MBIT BS_AGENT_JAVA_OPTS BS_SEED_SECONDS BS_GATE
BS_IMAGE_NAME=bsimg
BS_IMAGE=$BS_WORK/disk.img
BS_SIZE=$(( SIZE_MIB * 1048576 ))
head -c "$BS_SIZE" /dev/urandom >"$BS_IMAGE"

echo "run,contender,n,node,start_ms,end_ms,rc,dl_start_ms" >"$BS_OUT/nodes.csv"
echo "run,contender,n,stagger_s,t0_ms,server_tx_bytes,server_rx_bytes,webseed_bytes,seeder_payload_bytes,peer_payload_bytes,note" \
  >"$BS_OUT/runs.csv"
cat >"$BS_OUT/params.env" <<EOF
size_bytes=$BS_SIZE
server_mbit=$BS_SERVER_MBIT
client_mbit=$BS_CLIENT_MBIT
uplink_mbit=$UPLINK_MBIT
n=$N
stagger_s=$STAGGER
agent_java_opts=$BS_AGENT_JAVA_OPTS
agent_env=${BS_AGENT_ENV:-}
server_env=${BS_SERVER_ENV:-}
piece_length=${BS_PIECE_LENGTH:-auto}
seed_seconds=$BS_SEED_SECONDS
start_gate=$BS_GATE
agent_jar=${BS_AGENT_JAR:-product}
server_jar=${BS_SERVER_JAR:-product}
git=$(cd "$BS_ROOT" && git rev-parse --short HEAD 2>/dev/null)$(cd "$BS_ROOT" && git diff --quiet HEAD -- . ':!bench' ':!docs' 2>/dev/null || echo "+local-changes")
kernel=$(uname -r)
cpus=$(nproc)
started=$(date -Is)
load_at_start=$(cut -d' ' -f1-3 /proc/loadavg)
EOF

# load while we run: other engineers' jobs share the 2 cores
( while :; do echo "$(date +%s) $(cut -d' ' -f1-3 /proc/loadavg)"; sleep 10; done ) >"$BS_OUT/load.txt" 9>&- &
LOAD_PID=$!

# run_set RUN N STAGGER CONTENDERS...
run_set() {
  local run=$1 n=$2 stagger=$3; shift 3
  BS_RUN_TAG="$run-$n"
  bs_say "$run: N=$n, stagger ${stagger}s, links ${BS_SERVER_MBIT}/${BS_CLIENT_MBIT} Mbit/s: $*"
  bs_topology_up "$n" "$BS_SERVER_MBIT" "$BS_CLIENT_MBIT"
  local c started_server=0
  for c in "$@"; do
    if [[ $c == boottorrent || $c == boottorrent-striped || $c == http-catalog ]] && (( ! started_server )); then
      bs_bt_server_start; started_server=1
    fi
    bs_say "  $c ..."
    case $c in
      boottorrent) bs_run_boottorrent "$run" "$n" "$stagger" ;;
      boottorrent-striped) bs_run_boottorrent "$run" "$n" "$stagger" boottorrent-striped ;;
      http-catalog) bs_run_http_catalog "$run" "$n" "$stagger" ;;
      http-nginx) bs_run_http_nginx "$run" "$n" "$stagger" ;;
      tftp-hpa) bs_run_tftp_hpa "$run" "$n" "$stagger" ;;
      tftp-boottorrent) bs_run_tftp_boottorrent "$run" "$n" "$stagger" ;;
      multicast) bs_run_multicast "$run" "$n" "$stagger" ;;
    esac
    python3 "$BS_ROOT/bench/plot.py" --last "$BS_OUT" >&2 || true
  done
  bs_bt_server_stop
  bs_topology_down
}

if (( ! ONLY_SWEEP )); then
  for (( r = 1; r <= REPEAT; r++ )); do
    run=main; (( REPEAT > 1 )) && run=main$r
    # shellcheck disable=SC2086
    run_set "$run" "$N" 0 $CONTENDERS
  done
  if [ "$STAGGER" != 0 ]; then
    # shellcheck disable=SC2086
    run_set stagger "$N" "$STAGGER" $STAGGER_CONTENDERS
  fi
fi
if (( SWEEP )); then
  for n in $SWEEP_NS; do
    # shellcheck disable=SC2086
    run_set sweep "$n" 0 $SWEEP_CONTENDERS
  done
fi

kill "$LOAD_PID" 2>/dev/null || true
echo "finished=$(date -Is)" >>"$BS_OUT/params.env"
echo "load_at_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$BS_OUT/params.env"
python3 "$BS_ROOT/bench/plot.py" "$BS_OUT"
echo "results: $BS_OUT"
