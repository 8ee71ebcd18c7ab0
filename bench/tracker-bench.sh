#!/usr/bin/env bash
# Tracker benchmark (issue 14): our HTTP tracker side by side with Debian's opentracker, on this machine,
# in a network namespace this script creates (and always deletes, also on Ctrl-C).
#
#   Load: wrk with bench/tracker-announce.lua, a new TCP connection per announce (Connection: close),
#         a population of --peers peers (distinct peer ids and ports) over --swarms info-hashes
#         re-announcing at random, compact answers of up to 50 peers; every answer is checked (HTTP 200,
#         a bencoded dictionary, no "failure reason").
#   Servers: `bin/boottorrent serve --services catalog,tracker` (the catalog holds the --swarms images:
#         our tracker only tracks catalog images) and opentracker with a config of its own. Debian builds
#         opentracker with its whitelist compiled in (README.Debian), so its whitelist holds the same
#         info-hashes: both check each announce against the same set. Both listen at once on the
#         namespace's loopback; each run measures ours and opentracker right after each other (the order
#         alternating between runs), so load from other users of the machine hits both alike.
#   Also: a malformed announce to each, and what comes back (ours: a bencoded failure).
#
# Prints the table and writes results/tracker-<timestamp>/ (CSV, table, machine, exact commands, logs).
# Needs root (namespace, apt-get). Installs missing Debian packages (opentracker, wrk).
#
# Usage: bench/tracker-bench.sh [--runs 3] [--seconds 10] [--warmup 10] [--connections 64] [--threads 1]
#          [--peers 5000] [--swarms 50] [--seeds-percent 20] [--no-install] [--results DIR]
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

args="$*"
runs=3
seconds=10
warmup=10
connections=64
threads=1
peers=5000
swarms=50
seeds_percent=20
install=1
results=""
while [ $# -gt 0 ]; do
  case "$1" in
    --runs) runs=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --peers) peers=$2; shift 2 ;;
    --swarms) swarms=$2; shift 2 ;;
    --seeds-percent) seeds_percent=$2; shift 2 ;;
    --no-install) install=0; shift ;;
    --results) results=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "tracker-bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done

if [ "$(id -u)" != 0 ]; then
  echo "tracker-bench: must run as root: it creates a network namespace and installs the Debian packages" >&2
  echo "it drives. Run: sudo make bench-tracker" >&2
  exit 1
fi

# ------------------------------------------------------------------------------------ packages

packages="opentracker wrk curl python3 iproute2"
bench_name=tracker-bench
# shellcheck source=lib/bench-packages.sh
. "$here/lib/bench-packages.sh"

# ------------------------------------------------------------------------------ lab and cleanup

tag=$$
ns="trkbench-$tag"
ours_port=6969
ot_port=6970
catalog_port=8080
work=""
pids=()
declare -A server_pids=()

exec 3>&1 4>&2
cleanup() {
  local rc=$? pid i
  set +e
  trap - EXIT INT TERM HUP
  exec 1>&3 2>&4
  [ "$rc" = 0 ] || echo "tracker-bench: stopping (exit $rc); cleaning up" >&2
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
  for pid in "${pids[@]}"; do
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  if ip netns list 2>/dev/null | grep -qw -- "$ns"; then
    for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
  fi
  [ -n "$work" ] && rm -rf "$work"
  remove_policy_rc
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

make_lab() {
  ip netns add "$ns"
  ip -n "$ns" link set lo up
  # A new connection per announce: tens of thousands a second through one loopback address pair.
  ip netns exec "$ns" sysctl -q -w net.ipv4.ip_local_port_range="1024 65000" net.ipv4.tcp_tw_reuse=1 \
    net.core.somaxconn=4096 net.ipv4.tcp_max_syn_backlog=4096
}

in_ns() { ip netns exec "$ns" "$@"; }

note_cmd() {
  local line="$*"
  grep -Fxq -- "$line" "$out/commands.txt" 2>/dev/null || echo "$line" >> "$out/commands.txt"
}

start_server() {  # name log command...
  local name=$1 log=$2; shift 2
  note_cmd "ip netns exec <ns> $*"
  ip netns exec "$ns" "$@" >"$log" 2>&1 </dev/null &
  server_pids[$name]=$!
  pids+=("$!")
}

await_tcp() {  # name port
  local name=$1 port=$2 pid=${server_pids[$1]} i
  for i in $(seq 240); do
    kill -0 "$pid" 2>/dev/null || { echo "tracker-bench: $name exited during start; see $out/logs" >&2; exit 1; }
    in_ns ss -Hltn "sport = :$port" | grep -q LISTEN && return 0
    sleep 0.25
  done
  echo "tracker-bench: $name not listening on TCP $port after 60 s" >&2
  exit 1
}

# CPU seconds (user+system) a process and its reaped children used so far, in nanoseconds.
# (awk: %.0f, not %d, which mawk caps at 2^31)
proc_ns() { awk -v t="$(getconf CLK_TCK)" '{printf "%.0f", ($14+$15+$16+$17) * 1e9 / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
busy_ns() { awk -v t="$(getconf CLK_TCK)" '$1 == "cpu" {printf "%.0f", ($2+$3+$4+$7+$8+$9) * 1e9 / t}' /proc/stat; }
now_ns() { date +%s%N; }
load1() { cut -d' ' -f1 /proc/loadavg; }

# ------------------------------------------------------------------------------------- servers

start_ours() {
  local d=$work/ours v
  mkdir -p "$d/data/import"
  cat > "$d/boottorrent.yaml" <<EOF
# generated by bench/tracker-bench.sh
publicHost: 127.0.0.1
health: {port: -1}
catalog: {host: 127.0.0.1, httpPort: $catalog_port, maxImages: $((swarms + 10))}
tracker: {host: 127.0.0.1, httpPort: $ours_port}
EOF
  cp "$d/boottorrent.yaml" "$out/ours.yaml"
  local unset_env=()
  for v in $(compgen -e | grep '^BOOTTORRENT_' || true); do
    case "$v" in BOOTTORRENT_JAVA_OPTS|BOOTTORRENT_JAR) ;; *) unset_env+=(-u "$v") ;; esac
  done
  start_server ours "$out/logs/ours.log" env "${unset_env[@]}" BOOTTORRENT_JAR="$jar" "$repo/bin/boottorrent" serve \
    --services catalog,tracker --config "$d/boottorrent.yaml" --data-dir "$d/data"
  await_tcp ours "$ours_port"
  await_tcp ours "$catalog_port"
  # the swarms: tiny distinct images (our tracker refuses info-hashes that are not catalog images)
  local i token
  token=$(cat "$d/data/catalog/admin.token")
  for i in $(seq "$swarms"); do
    printf 'tracker-bench image %d %s\n' "$i" "$tag" > "$d/data/import/img$i.bin"
    in_ns curl -sf -o /dev/null -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
      -d "{\"name\":\"tb$i\",\"kind\":\"QEMU\",\"disk\":\"$d/data/import/img$i.bin\"}" \
      "http://127.0.0.1:$catalog_port/api/v1/images" ||
      { echo "tracker-bench: could not add image tb$i to our catalog" >&2; exit 1; }
  done
  in_ns curl -sf "http://127.0.0.1:$catalog_port/api/v1/images" | python3 -c '
import json, sys
images = json.load(sys.stdin).get("images", [])
for image in images:
    print(image["infoHash"])' > "$work/hashes.txt"
  if [ "$(wc -l < "$work/hashes.txt")" != "$swarms" ]; then
    echo "tracker-bench: the catalog lists $(wc -l < "$work/hashes.txt") images, not $swarms" >&2
    exit 1
  fi
  cp "$work/hashes.txt" "$out/hashes.txt"
}

start_opentracker() {
  local d=$work/opentracker
  mkdir -p "$d"
  cp "$work/hashes.txt" "$d/whitelist.txt"
  cat > "$d/opentracker.conf" <<EOF
# generated by bench/tracker-bench.sh
listen.tcp 127.0.0.1:$ot_port
listen.udp 127.0.0.1:$ot_port
access.whitelist /whitelist.txt
tracker.rootdir $d
tracker.user nobody
EOF
  chmod 755 "$d"
  chmod 644 "$d"/*
  cp "$d/opentracker.conf" "$out/opentracker.conf"
  # it chroots to tracker.rootdir first, then reads the whitelist: the path above is inside that root
  start_server opentracker "$out/logs/opentracker.log" /usr/bin/opentracker -f "$d/opentracker.conf"
  await_tcp opentracker "$ot_port"
}

# One valid announce to each must be answered with peers, else the numbers would measure refusals.
check_answers() {
  local name port body i
  for name in ours opentracker; do
    port=$ours_port; [ "$name" = ours ] || port=$ot_port
    local hash esc
    hash=$(head -1 "$work/hashes.txt")
    esc=$(echo "$hash" | sed 's/../%&/g')
    for i in $(seq 40); do
      body=$(in_ns curl -s "http://127.0.0.1:$port/announce?info_hash=$esc&peer_id=-TB0001-check0000000&port=6881&uploaded=0&downloaded=0&left=0&compact=1" | head -c 200 | tr -c '[:print:]' '.')
      case "$body" in d*complete*) break ;; esac
      sleep 0.25  # ours: the catalog's list may still be on its way to the tracker
    done
    case "$body" in
      *"failure reason"*|"") echo "tracker-bench: $name does not answer a valid announce: $body" >&2; exit 1 ;;
    esac
  done
}

# A malformed announce (info_hash of 2 bytes, no peer_id): what each server answers.
check_malformed() {
  local name port
  {
    echo "server,http_status,body"
    for name in ours opentracker; do
      port=$ours_port; [ "$name" = ours ] || port=$ot_port
      in_ns curl -s -o "$work/malformed-$name" -w '%{http_code}' "http://127.0.0.1:$port/announce?info_hash=zz&port=1" \
        > "$work/malformed-$name.status" || true
      printf '%s,%s,"%s"\n' "$name" "$(cat "$work/malformed-$name.status")" \
        "$(head -c 120 "$work/malformed-$name" | tr -c '[:print:]' '.' | tr '"' "'")"
    done
  } > "$out/malformed.csv"
}

# ---------------------------------------------------------------------------------------- load

csv_header="run,server,announces_per_s,requests,seconds,bad,connect_errors,read_errors,write_errors,status_errors,timeouts,p50_ms,p90_ms,p99_ms,p999_ms,max_ms,server_cpu_s,server_cpu_pct,machine_busy_pct,load1"

wrk_cmd() {  # port seconds
  echo wrk --threads "$threads" --connections "$connections" --duration "${2}s" --timeout 5s \
    --script "$here/tracker-announce.lua" "http://127.0.0.1:$1"
}

measure() {  # run server
  local run=$1 server=$2 port=$ours_port
  [ "$server" = ours ] || port=$ot_port
  local log="$out/logs/wrk-$run-$server.txt" env=(TB_HASHES="$work/hashes.txt" TB_PEERS="$peers" TB_SEEDS="$seeds_percent")
  # warm-up (ours: the JIT); not measured
  # shellcheck disable=SC2046
  in_ns env "${env[@]}" $(wrk_cmd "$port" "$warmup") > "$out/logs/wrk-$run-$server-warmup.txt" 2>&1 || true
  local load c0 c1 b0 b1 t0 t1
  load=$(load1)
  c0=$(proc_ns "${server_pids[$server]}") b0=$(busy_ns) t0=$(now_ns)
  # shellcheck disable=SC2046
  in_ns env "${env[@]}" $(wrk_cmd "$port" "$seconds") > "$log" 2>&1 ||
    { echo "tracker-bench: wrk failed against $server; see $log" >&2; exit 1; }
  c1=$(proc_ns "${server_pids[$server]}") b1=$(busy_ns) t1=$(now_ns)
  note_cmd "ip netns exec <ns> env TB_HASHES=<hashes.txt> TB_PEERS=$peers TB_SEEDS=$seeds_percent $(wrk_cmd "<port>" "$seconds")"
  local line
  line=$(grep '^TB_RESULT' "$log" || true)
  [ -n "$line" ] || { echo "tracker-bench: no result from wrk against $server; see $log" >&2; exit 1; }
  local -A v=()
  local kv
  for kv in ${line#TB_RESULT }; do v[${kv%%=*}]=${kv#*=}; done
  local row
  row=$(awk -v run="$run" -v s="$server" -v r="${v[requests]}" -v d="${v[duration_us]}" -v bad="${v[bad]}" \
    -v ce="${v[connect_errors]}" -v re="${v[read_errors]}" -v we="${v[write_errors]}" -v se="${v[status_errors]}" \
    -v to="${v[timeouts]}" -v p50="${v[p50_us]}" -v p90="${v[p90_us]}" -v p99="${v[p99_us]}" -v p999="${v[p999_us]}" \
    -v mx="${v[max_us]}" -v c="$((c1 - c0))" -v b="$((b1 - b0))" -v t="$((t1 - t0))" -v n="$(nproc)" -v load="$load" \
    'BEGIN {
       secs = d / 1e6
       printf "%s,%s,%.0f,%d,%.2f,%d,%d,%d,%d,%d,%d,%.2f,%.2f,%.2f,%.2f,%.2f,%.2f,%.0f,%.0f,%s\n", run, s, r / secs, r, secs,
         bad, ce, re, we, se, to, p50 / 1000, p90 / 1000, p99 / 1000, p999 / 1000, mx / 1000, c / 1e9,
         100 * c / t, 100 * b / (t * n), load
     }')
  echo "$row" >> "$out/tracker.csv"
  IFS=, read -r _ _ aps _ _ bad _ _ _ _ _ p50 p90 p99 _ _ cpu cpupct busy _ <<< "$row"
  printf '  run %s %-12s %8s announces/s  p50 %s ms  p90 %s ms  p99 %s ms  bad %s  server CPU %s s (%s%%), machine busy %s%%\n' \
    "$run" "$server" "$aps" "$p50" "$p90" "$p99" "$bad" "$cpu" "$cpupct" "$busy"
}

# ---------------------------------------------------------------------------------------- main

jar=""
snapshot_jar() {
  local i
  for i in $(seq 20); do
    cp "$1" "$work/boottorrent.jar" 2>/dev/null &&
      python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
sys.exit(0 if b"Main-Class" in z.read("META-INF/MANIFEST.MF") and z.testzip() is None else 1)' "$work/boottorrent.jar" 2>/dev/null &&
      { jar=$work/boottorrent.jar; return 0; }
    echo "tracker-bench: $1 is being rewritten (a build in progress?); retrying"
    sleep 3
  done
  echo "tracker-bench: no usable jar at $1; run make build" >&2
  exit 1
}

main() {
  install_packages
  local t
  for t in /usr/bin/opentracker wrk curl python3 ip ss java; do
    command -v "$t" >/dev/null || { echo "tracker-bench: $t not found" >&2; exit 1; }
  done
  local jar_src=${BOOTTORRENT_JAR:-$repo/services/cli/target/boottorrent.jar}
  [ -f "$jar_src" ] || { echo "tracker-bench: building the jar (make build)"; make -C "$repo" build; }
  local stamp
  stamp=$(date +%Y%m%d-%H%M%S)
  out=${results:-$repo/results/tracker-$stamp}
  mkdir -p "$out/logs"
  : > "$out/commands.txt"
  work=$(mktemp -d /tmp/trkbench.XXXXXX)
  chmod 755 "$work"
  snapshot_jar "$jar_src"
  {
    echo "date: $(date -Is)"
    echo "command: $0 $args"
    echo "git: $(git -C "$repo" rev-parse --short HEAD 2>/dev/null)$(git -C "$repo" diff --quiet 2>/dev/null || echo ' (dirty)')"
    echo "kernel: $(uname -r)"
    echo "cpus: $(nproc) x $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "memory: $(awk '/MemTotal/ {printf "%.1f GiB", $2/1048576}' /proc/meminfo)"
    echo "loadavg at start: $(cat /proc/loadavg)"
    echo "busiest processes at start:"
    ps -eo pid,pcpu,etime,comm --sort=-pcpu | head -8 | sed 's/^/  /'
    echo "jar: $jar_src (sha256 $(sha256sum "$jar" | cut -c1-16)…, built $(date -r "$jar_src" -Is))"
    echo "java: $(java -version 2>&1 | head -1)"
    echo "opentracker: $(dpkg-query -W -f='${Version}' opentracker)"
    echo "wrk: $(dpkg-query -W -f='${Version}' wrk)"
    echo "load: $peers peers over $swarms swarms, ${seeds_percent}% seeds; wrk $threads thread(s), $connections connections, a new connection per announce; ${warmup} s warm-up + ${seconds} s per measurement; $runs runs"
  } > "$out/env.txt"

  make_lab
  echo "tracker-bench: namespace $ns; results in $out"
  echo "tracker-bench: load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
  start_ours
  start_opentracker
  check_answers
  check_malformed
  echo "== announces: $peers peers over $swarms swarms, wrk $threads thread(s) x $connections connections, Connection: close"
  echo "$csv_header" > "$out/tracker.csv"
  local run order
  for run in $(seq "$runs"); do
    if [ $((run % 2)) = 1 ]; then order="ours opentracker"; else order="opentracker ours"; fi
    for t in $order; do measure "$run" "$t"; done
  done
  echo "loadavg at end: $(cat /proc/loadavg)" >> "$out/env.txt"
  python3 "$here/tracker_report.py" "$out/tracker.csv" "$out/malformed.csv" > "$out/table.txt"
  python3 "$here/tracker_report.py" "$out/tracker.csv" "$out/malformed.csv" --markdown > "$out/table.md"
  echo
  cat "$out/table.txt"
  echo "tracker-bench: load average at end: $(cut -d' ' -f1-3 /proc/loadavg); results in $out"
}

main "$@"
