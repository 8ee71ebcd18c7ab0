#!/usr/bin/env bash
# PXE benchmarks (issue 3): our DHCP and TFTP servers side by side with dnsmasq and tftpd-hpa, on
# this machine, in network namespaces this script creates (and always deletes, also on Ctrl-C).
#
#   DHCP: Kea's perfdhcp (relay mode, every exchange a new client) runs DORA at fixed target rates
#         against `bin/boottorrent serve --services dhcp` and against dnsmasq, same pool, same lease
#         time, a fresh server per rate: completed exchanges/s, drops, duplicate addresses.
#   TFTP: one 64 MiB file and 32 concurrent 16 MiB files, fetched by real clients (atftp with
#         blksize 1428 + windowsize 8; tftp-hpa with RFC 1350 512-byte blocks) from
#         `bin/boottorrent serve --services tftp` and from tftpd-hpa's in.tftpd, both listening at
#         once, each measurement run against one and right after against the other: wall time,
#         MiB/s, every copy checked by sha256.
#
# Prints the tables and writes results/pxe-<timestamp>/ (CSV, tables, machine, exact commands, logs).
# Needs root (namespaces, ports 67/69 inside them, apt-get). Installs missing Debian packages.
# Servers only ever listen inside the namespaces: the host's interfaces are never bound.
#
# Usage: bench/pxe-bench.sh [--only dhcp|tftp] [--rates "1000 5000 20000"] [--seconds 5]
#          [--concurrency 32] [--big-mib 64] [--small-mib 16] [--tftp-clients "atftp tftp-hpa"]
#          [--no-install] [--results DIR]
set -euo pipefail
export PATH="$PATH:/usr/local/sbin:/usr/sbin:/sbin"
export LC_ALL=C

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

args="$*"
only=""
rates="1000 5000 20000"
seconds=5
concurrency=32
big_mib=64
small_mib=16
tftp_clients="atftp tftp-hpa"
install=1
results=""
while [ $# -gt 0 ]; do
  case "$1" in
    --only) only=$2; shift 2 ;;
    --rates) rates=$2; shift 2 ;;
    --seconds) seconds=$2; shift 2 ;;
    --concurrency) concurrency=$2; shift 2 ;;
    --big-mib) big_mib=$2; shift 2 ;;
    --small-mib) small_mib=$2; shift 2 ;;
    --tftp-clients) tftp_clients=$2; shift 2 ;;
    --no-install) install=0; shift ;;
    --results) results=$2; shift 2 ;;
    -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    *) echo "pxe-bench: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
case "$only" in ""|dhcp|tftp) ;; *) echo "pxe-bench: --only takes dhcp or tftp" >&2; exit 2 ;; esac
for c in $tftp_clients; do
  case "$c" in atftp|tftp-hpa|curl) ;; *) echo "pxe-bench: unknown TFTP client '$c' (atftp, tftp-hpa, curl)" >&2; exit 2 ;; esac
done

if [ "$(id -u)" != 0 ]; then
  echo "pxe-bench: must run as root: it creates network namespaces and veth pairs, binds ports 67 and 69" >&2
  echo "inside them and installs the Debian packages it drives. Run: sudo make bench-pxe" >&2
  exit 1
fi

# ------------------------------------------------------------------------------------ packages

# Debian package per tool. dnsmasq-base is the dnsmasq binary without the dnsmasq package's system
# service (which would start a DNS server on the host's interfaces).
packages="kea-admin dnsmasq-base tftpd-hpa atftp tftp-hpa curl iproute2"
bench_name=pxe-bench
# shellcheck source=lib/bench-packages.sh
. "$here/lib/bench-packages.sh"

# ------------------------------------------------------------------------------ lab and cleanup

tag=$$
srv_ns="pxebench-$tag-s"
cli_ns="pxebench-$tag-c"
srv_if="pxb${tag}s"
cli_if="pxb${tag}c"
srv_ip=10.213.0.1          # our servers (and dnsmasq)
ref_ip=10.213.0.3          # tftpd-hpa, running beside ours during the TFTP part
cli_ip=10.213.0.2
pool_start=10.213.1.0
pool_end=10.213.255.254
pool_size=65279            # 10.213.1.0 .. 10.213.255.254
work=""
shm=""
pids=()

# The terminal, kept on fds 3 and 4: a trap can run inside a command whose output is redirected.
exec 3>&1 4>&2
cleanup() {
  local rc=$? pid i ns
  set +e
  trap - EXIT INT TERM HUP
  exec 1>&3 2>&4
  [ "$rc" = 0 ] || echo "pxe-bench: stopping (exit $rc); cleaning up" >&2
  for pid in "${pids[@]}"; do
    kill -TERM "$pid" 2>/dev/null
  done
  for pid in "${pids[@]}"; do
    for i in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null
  done
  for ns in "$cli_ns" "$srv_ns"; do
    if ip netns list 2>/dev/null | grep -qw -- "$ns"; then
      # anything still inside our own namespaces (in.tftpd's forked children) was started by us
      for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
      ip netns del "$ns" 2>/dev/null
    fi
  done
  drop_cgroups
  [ -n "$work" ] && rm -rf "$work"
  [ -n "$shm" ] && rm -rf "$shm"
  remove_policy_rc
  exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM HUP

forget_pid() {
  local keep=() p
  for p in "${pids[@]}"; do [ "$p" = "$1" ] || keep+=("$p"); done
  pids=("${keep[@]}")
}

make_lab() {
  ip netns add "$srv_ns"
  ip netns add "$cli_ns"
  ip link add "$srv_if" type veth peer name "$cli_if"
  ip link set "$srv_if" netns "$srv_ns"
  ip link set "$cli_if" netns "$cli_ns"
  ip -n "$srv_ns" addr add "$srv_ip/16" brd + dev "$srv_if"
  ip -n "$srv_ns" addr add "$ref_ip/16" dev "$srv_if"
  ip -n "$cli_ns" addr add "$cli_ip/16" brd + dev "$cli_if"
  for ns in "$srv_ns" "$cli_ns"; do ip -n "$ns" link set lo up; done
  ip -n "$srv_ns" link set "$srv_if" up
  ip -n "$cli_ns" link set "$cli_if" up
  # our JVM binds 0.0.0.0: its limited broadcasts follow this route into the veth
  ip -n "$srv_ns" route add 255.255.255.255/32 dev "$srv_if"
}

# ------------------------------------------------------------------------------------- helpers

# CPU accounting. Each server and the clients go into a cgroup of their own (v2, or v1 cpuacct),
# so the children in.tftpd forks per transfer count too (in.tftpd does not wait for them: their
# time never reaches its cutime). "others" = all CPU time the machine spent busy during the
# measurement (/proc/stat) minus all of ours (servers and clients): the other users of this shared
# machine, plus kernel work charged to no cgroup. Without usable cgroups: the measured server's own
# /proc times, and no clients/others figures.
cg_kind="" cg_base=""
make_cgroups() {
  if [ -f /sys/fs/cgroup/cgroup.controllers ]; then
    cg_base=/sys/fs/cgroup cg_kind=v2
  elif [ -d /sys/fs/cgroup/cpuacct ]; then
    cg_base=/sys/fs/cgroup/cpuacct cg_kind=v1
  fi
  if [ -n "$cg_kind" ] && ! mkdir "$cg_base/pxebench-$tag-clients" 2>/dev/null; then
    cg_kind="" cg_base=""
  fi
}
drop_cgroups() {
  local cg i
  [ -n "$cg_base" ] || return 0
  for cg in "$cg_base"/pxebench-"$tag"-*; do
    [ -d "$cg" ] || continue
    for i in $(seq 30); do rmdir "$cg" 2>/dev/null && break; sleep 0.1; done
  done
  cg_kind="" cg_base=""
}
cg_join() {  # name pid
  [ -n "$cg_kind" ] || return 0
  local cg="$cg_base/pxebench-$tag-$1"
  mkdir -p "$cg" 2>/dev/null || true
  if ! echo "$2" > "$cg/cgroup.procs" 2>/dev/null; then
    echo "pxe-bench: cannot move $2 into $cg; CPU accounting falls back to /proc" >&2
    drop_cgroups
  fi
}
cg_ns() {  # name -> CPU nanoseconds used so far by that cgroup
  local cg="$cg_base/pxebench-$tag-$1"
  case "$cg_kind" in
    v2) awk '$1 == "usage_usec" {printf "%.0f", $2 * 1000}' "$cg/cpu.stat" 2>/dev/null || echo 0 ;;
    v1) cat "$cg/cpuacct.usage" 2>/dev/null || echo 0 ;;
    *) echo 0 ;;
  esac
}
cg_all_ns() {  # every cgroup of this run
  local cg total=0 n
  for cg in "$cg_base"/pxebench-"$tag"-*; do
    [ -d "$cg" ] || continue
    n=$(cg_ns "${cg##*/pxebench-$tag-}")
    total=$((total + n))
  done
  echo "$total"
}
# (awk: %.0f, not %d, which mawk caps at 2^31)
proc_ns() { awk -v t="$(getconf CLK_TCK)" '{printf "%.0f", ($14+$15) * 1e9 / t}' "/proc/$1/stat" 2>/dev/null || echo 0; }
# user+nice+system+irq+softirq+steal of all CPUs
busy_ns() { awk -v t="$(getconf CLK_TCK)" '$1 == "cpu" {printf "%.0f", ($2+$3+$4+$7+$8+$9) * 1e9 / t}' /proc/stat; }
ncpu=$(nproc)
m_server=0 m_clients=0 m_all=0 m_busy=0 m_t=0
measure_begin() {  # server-name
  if [ -n "$cg_kind" ]; then
    m_server=$(cg_ns "$1") m_clients=$(cg_ns clients) m_all=$(cg_all_ns)
  else
    m_server=$(proc_ns "${server_pids[$1]}") m_clients=0 m_all=0
  fi
  m_busy=$(busy_ns)
  m_t=$(now_ns)
}
# Sets m_server_s, m_clients_s, m_others_s (CPU seconds) and m_busy_pct (of all CPUs) since measure_begin.
measure_end() {  # server-name
  local s c a b t
  if [ -n "$cg_kind" ]; then
    s=$(cg_ns "$1") c=$(cg_ns clients) a=$(cg_all_ns)
  else
    s=$(proc_ns "${server_pids[$1]}") c=0 a=0
  fi
  b=$(busy_ns)
  t=$(now_ns)
  m_server_s=$(awk -v a="$m_server" -v b="$s" 'BEGIN {printf "%.2f", (b-a)/1e9}')
  if [ -n "$cg_kind" ]; then
    m_clients_s=$(awk -v a="$m_clients" -v b="$c" 'BEGIN {printf "%.2f", (b-a)/1e9}')
    m_others_s=$(awk -v b="$((b - m_busy))" -v a="$((a - m_all))" \
      'BEGIN {o = (b-a)/1e9; if (o < 0) o = 0; printf "%.2f", o}')
  else
    m_clients_s=n/a m_others_s=n/a
  fi
  m_busy_pct=$(awk -v b="$((b - m_busy))" -v t="$((t - m_t))" -v n="$ncpu" 'BEGIN {printf "%.0f", 100*b/(t*n)}')
}
load1() { cut -d' ' -f1 /proc/loadavg; }
now_ns() { date +%s%N; }

quote_args() {  # for the record: arguments with spaces in double quotes
  local a line=""
  for a in "$@"; do
    case "$a" in *" "*) line="$line \"$a\"" ;; *) line="$line $a" ;; esac
  done
  echo "${line# }"
}

note_cmd() {  # records a command line as it was run (first of its kind)
  local line="$*"
  grep -Fxq -- "$line" "$out/commands.txt" 2>/dev/null || echo "$line" >> "$out/commands.txt"
}

# Servers by name (ours, dnsmasq, tftpd-hpa): their pids; each is accounted in its own cgroup.
declare -A server_pids=()

# Starts server $1: "$@" after the log file $2, in the server namespace, in the background.
start_server() {
  local name=$1 log=$2; shift 2
  note_cmd "ip netns exec <server-ns> $*"
  ip netns exec "$srv_ns" "$@" >"$log" 2>&1 </dev/null &
  server_pids[$name]=$!
  pids+=("$!")
  cg_join "$name" "$!"
}

# Waits until server $1 has bound UDP port $2 (and, if given, line $4 is in its log $3).
await_server() {
  local name=$1 port=$2 log=${3:-} line=${4:-} pid=${server_pids[$1]} i
  for i in $(seq 240); do
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "pxe-bench: $name exited during start; its output:" >&2
      [ -n "$log" ] && tail -30 "$log" >&2
      exit 1
    fi
    if ip netns exec "$srv_ns" ss -Hlunp "sport = :$port" | grep -q "pid=$pid," &&
      { [ -z "$line" ] || grep -q "$line" "$log"; }; then
      return 0
    fi
    sleep 0.25
  done
  echo "pxe-bench: $name not listening on UDP $port after 60 s; output:" >&2
  [ -n "$log" ] && tail -30 "$log" >&2
  exit 1
}

stop_server() {
  local name=$1 pid=${server_pids[$1]} i
  kill -TERM "$pid" 2>/dev/null || true
  for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  forget_pid "$pid"
  unset "server_pids[$name]"
  if [ "${#server_pids[@]}" = 0 ]; then
    # in.tftpd's children, if any lingered
    local p
    for p in $(ip netns pids "$srv_ns"); do kill -KILL "$p" 2>/dev/null || true; done
  fi
  sleep 0.2
}

# Our server, `boottorrent serve`, with a generated config; no BOOTTORRENT_* overrides from the caller.
start_ours() {  # services config data-dir log
  local services=$1 config=$2 data=$3 log=$4 v
  local unset_env=()
  for v in $(compgen -e | grep '^BOOTTORRENT_' || true); do
    case "$v" in BOOTTORRENT_JAVA_OPTS|BOOTTORRENT_JAR) ;; *) unset_env+=(-u "$v") ;; esac
  done
  start_server ours "$log" env "${unset_env[@]}" BOOTTORRENT_JAR="$jar" "$repo/bin/boottorrent" serve \
    --services "$services" --config "$config" --data-dir "$data"
}

# ---------------------------------------------------------------------------------------- DHCP

dhcp_csv_header="server,rate_target,seconds,leases_per_s,do_sent,do_received,do_drops,do_non_unique,do_avg_ms,ra_sent,ra_received,ra_drops,ra_non_unique,ra_avg_ms,bound,dup_ips,dup_macs,server_cpu_s,clients_cpu_s,others_cpu_s,machine_busy_pct,load1,server_rcvbuf_drops,client_rcvbuf_drops,perfdhcp_exit"

# -l <address>: perfdhcp acts as a relay (giaddr), unicast to the server; -R 1000000: that many
# simulated clients with sequential MACs, so every exchange in a run is a new client.
perfdhcp_cmd() {  # rate seconds [extra args]
  local rate=$1 secs=$2; shift 2
  echo /usr/sbin/perfdhcp -4 -l "$cli_ip" -r "$rate" -p "$secs" -R 1000000 "$@" "$srv_ip"
}

# UDP datagrams dropped so far in a namespace because a socket's receive buffer was full.
rcvbuf_errors() {
  ip netns exec "$1" awk '$1 == "Udp:" && $2 ~ /^[0-9]+$/ {print $6; exit}' /proc/net/snmp
}

# Runs "$@" inside the client namespace, accounted to the clients' cgroup.
as_client() {
  (
    cg_join clients "$BASHPID"
    exec ip netns exec "$cli_ns" "$@"
  )
}

dhcp_round() {
  local server=$1 rate=$2
  local d="$work/dhcp-$server-$rate" log="$out/logs/dhcp-$server-$rate"
  mkdir -p "$d"
  if [ "$server" = ours ]; then
    cat > "$d/dhcp.yaml" <<EOF
# generated by bench/pxe-bench.sh
publicHost: $srv_ip
health: {port: -1}
dhcp:
  mode: full
  bindHost: 0.0.0.0
  port: 67
  serverAddress: $srv_ip
  leaseSeconds: 3600
  pools:
    - {subnet: 10.213.0.0/16, rangeStart: $pool_start, rangeEnd: $pool_end, router: $srv_ip}
EOF
    cp "$d/dhcp.yaml" "$out/dhcp-ours.yaml"
    start_ours dhcp "$d/dhcp.yaml" "$d/data" "$log.server.log"
    await_server ours 67 "$log.server.log" "BootTorrent running"
  else
    start_server dnsmasq "$log.server.log" /usr/sbin/dnsmasq --no-daemon --conf-file=/dev/null --port=0 \
      --interface="$srv_if" --bind-interfaces \
      --dhcp-range="$pool_start,$pool_end,255.255.0.0,1h" --dhcp-lease-max="$pool_size" \
      --dhcp-option=option:router,"$srv_ip" --dhcp-authoritative --no-ping --quiet-dhcp \
      --dhcp-leasefile="$d/dnsmasq.leases" --log-facility="$d/dnsmasq.log" --user=root --group=root
    await_server dnsmasq 67 "$log.server.log"
  fi
  # warm-up, 1 s at 300/s with other client MACs (JIT, caches); not measured
  # shellcheck disable=SC2046
  as_client timeout --foreground 30 $(perfdhcp_cmd 300 1 -b mac=00:0c:02:00:00:00) >"$log.warmup.txt" 2>&1 || true
  note_cmd "ip netns exec <client-ns> $(perfdhcp_cmd 300 1 -b mac=00:0c:02:00:00:00)   # warm-up"
  local load rc=0 srv_rb0 cli_rb0 srv_rb cli_rb
  load=$(load1)
  srv_rb0=$(rcvbuf_errors "$srv_ns") cli_rb0=$(rcvbuf_errors "$cli_ns")
  measure_begin "$server"
  # -u: perfdhcp checks that no address is handed out twice; -x e: print the exit status reasons
  # shellcheck disable=SC2046
  as_client timeout --foreground $((seconds + 60)) $(perfdhcp_cmd "$rate" "$seconds" -u -x e) >"$log.perfdhcp.txt" 2>&1 || rc=$?
  measure_end "$server"
  srv_rb=$(( $(rcvbuf_errors "$srv_ns") - srv_rb0 )) cli_rb=$(( $(rcvbuf_errors "$cli_ns") - cli_rb0 ))
  note_cmd "ip netns exec <client-ns> $(perfdhcp_cmd "<rate>" "$seconds" -u -x e)"
  stop_server "$server"
  if [ "$rc" != 0 ] && [ "$rc" != 3 ]; then  # 3: finished with drops
    echo "pxe-bench: perfdhcp exited $rc against $server at $rate/s; see $log.perfdhcp.txt" >&2
  fi
  local leases
  if [ "$server" = ours ]; then
    leases=$(python3 "$here/pxe_report.py" leases-ours "$d/data/dhcp/leases")
  else
    leases=$(python3 "$here/pxe_report.py" leases-dnsmasq "$d/dnsmasq.leases")
  fi
  local -A v=()
  local k val
  while IFS='=' read -r k val; do v[$k]=$val; done < <(python3 "$here/pxe_report.py" perfdhcp "$log.perfdhcp.txt"; echo "$leases")
  echo "$server,$rate,$seconds,${v[leases_per_s]},${v[do_sent]},${v[do_received]},${v[do_drops]},${v[do_non_unique]},${v[do_avg_ms]},${v[ra_sent]},${v[ra_received]},${v[ra_drops]},${v[ra_non_unique]},${v[ra_avg_ms]},${v[bound]},${v[dup_ips]},${v[dup_macs]},$m_server_s,$m_clients_s,$m_others_s,$m_busy_pct,$load,$srv_rb,$cli_rb,$rc" >> "$out/dhcp.csv"
  printf '  %-8s %6s/s target: %8.1f leases/s, %s ACKs of %s DISCOVERs; duplicate offers %s, leases %s; CPU s: server %s, others %s\n' \
    "$server" "$rate" "${v[leases_per_s]}" "${v[ra_received]}" "${v[do_sent]}" "${v[do_non_unique]}" \
    "$(( ${v[ra_non_unique]} + ${v[dup_ips]} + ${v[dup_macs]} ))" "$m_server_s" "$m_others_s"
  rm -rf "$d"
}

run_dhcp() {
  echo "== DHCP: perfdhcp, $seconds s per rate, rates: $rates; pool $pool_start-$pool_end ($pool_size addresses)"
  echo "$dhcp_csv_header" > "$out/dhcp.csv"
  local rate server
  for rate in $rates; do
    for server in ours dnsmasq; do
      dhcp_round "$server" "$rate"
    done
  done
}

# ---------------------------------------------------------------------------------------- TFTP

tftp_csv_header="server,scenario,client,transfers,mib_each,blksize,windowsize,wall_s,mib_per_s,fastest_s,slowest_s,failures,sha256_ok,server_cpu_s,clients_cpu_s,others_cpu_s,machine_busy_pct,load1"

client_argv=()
set_client_argv() {  # client server-address remote-file local-file
  case "$1" in
    atftp) client_argv=(atftp --get -r "$3" -l "$4" --option "blksize 1428" --option "windowsize 8" "$2" 69) ;;
    tftp-hpa) client_argv=(tftp -m binary "$2" 69 -c get "$3" "$4") ;;
    curl) client_argv=(curl -sS -o "$4" "tftp://$2/$3") ;;
  esac
}

# Runs $n concurrent fetches of $file from server $name at $ip with $client; sets fetch_* and m_*.
fetch_wall_s="" fetch_fastest="" fetch_slowest="" fetch_failures=0 fetch_ok=0
fetch() {
  local name=$1 ip=$2 client=$3 file=$4 n=$5 logprefix=$6
  local dir="$shm/out" i jobs=() t0 t1 expected
  rm -rf "$dir"
  mkdir -p "$dir"
  expected=$(cat "$shm/$file.sha256")
  measure_begin "$name"
  t0=$(now_ns)
  for i in $(seq "$n"); do
    (
      set +e
      cg_join clients "$BASHPID"
      set_client_argv "$client" "$ip" "$file" "$dir/$i.bin"
      s=$(now_ns)
      ip netns exec "$cli_ns" timeout 600 "${client_argv[@]}" >"$dir/$i.log" 2>&1 </dev/null
      rc=$?
      e=$(now_ns)
      echo "$rc $(( (e - s) / 1000000 ))" > "$dir/$i.status"
    ) &
    jobs+=($!)
    pids+=($!)
  done
  for i in "${jobs[@]}"; do wait "$i" || true; forget_pid "$i"; done
  t1=$(now_ns)
  measure_end "$name"
  set_client_argv "$client" "$ip" "$file" "<out>/<i>.bin"
  note_cmd "ip netns exec <client-ns> $(quote_args "${client_argv[@]}")"
  fetch_wall_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN {printf "%.3f", (b-a)/1e9}')
  fetch_failures=0 fetch_ok=0
  local ms=() rc t sum
  for i in $(seq "$n"); do
    read -r rc t < "$dir/$i.status"
    ms+=("$t")
    if [ "$rc" != 0 ]; then
      fetch_failures=$((fetch_failures + 1))
      { echo "--- transfer $i exit $rc"; cat "$dir/$i.log"; } >> "$logprefix.failures.log"
    fi
    if [ -f "$dir/$i.bin" ]; then
      sum=$(sha256sum "$dir/$i.bin" | cut -d' ' -f1)
      if [ "$sum" = "$expected" ]; then fetch_ok=$((fetch_ok + 1)); fi
    fi
    rm -f "$dir/$i.bin"
  done
  fetch_fastest=$(printf '%s\n' "${ms[@]}" | sort -n | head -1 | awk '{printf "%.3f", $1/1000}')
  fetch_slowest=$(printf '%s\n' "${ms[@]}" | sort -n | tail -1 | awk '{printf "%.3f", $1/1000}')
  rm -rf "$dir"
}

# Both servers listen at once (ours on $srv_ip, tftpd-hpa on $ref_ip, both port 69), and each
# measurement runs against ours and then right away against tftpd-hpa: load from other users of
# the machine, which comes and goes, hits both sides of a comparison alike.
run_tftp() {
  echo "== TFTP: 1 x $big_mib MiB and $concurrency x $small_mib MiB; clients: $tftp_clients"
  echo "$tftp_csv_header" > "$out/tftp.csv"
  mkdir -p "$shm/root"
  head -c $((big_mib * 1024 * 1024)) /dev/urandom > "$shm/root/big.bin"
  head -c $((small_mib * 1024 * 1024)) /dev/urandom > "$shm/root/small.bin"
  local f
  for f in big small; do
    sha256sum "$shm/root/$f.bin" | cut -d' ' -f1 > "$shm/$f.bin.sha256"
  done
  # in.tftpd serves as user nobody after chroot: the root must be world-readable
  chmod 755 "$shm" "$shm/root"
  chmod 644 "$shm/root"/*.bin

  local d="$work/tftp-ours" log="$out/logs/tftp"
  mkdir -p "$d"
  cat > "$d/tftp.yaml" <<EOF
# generated by bench/pxe-bench.sh
publicHost: $srv_ip
health: {port: -1}
tftp:
  bindHost: $srv_ip
  port: 69
  root: $shm/root
  fallbackRoots: []
  # every client runs in the one client namespace (one address): lift the per-address cap
  maxTransfersPerClient: 1000
EOF
  cp "$d/tftp.yaml" "$out/tftp-ours.yaml"
  start_ours tftp "$d/tftp.yaml" "$d/data" "$log-ours.server.log"
  await_server ours 69 "$log-ours.server.log" "BootTorrent running"
  # standalone, in the server namespace only; --secure: chroot to the generated root
  start_server tftpd-hpa "$log-tftpd-hpa.server.log" /usr/sbin/in.tftpd --foreground --listen \
    --address "$ref_ip:69" --secure "$shm/root"
  await_server tftpd-hpa 69 "$log-tftpd-hpa.server.log"

  local client server ip
  # warm-up: one small file per client and server (JIT for ours); not measured, still verified
  for client in $tftp_clients; do
    for server in ours tftpd-hpa; do
      ip=$srv_ip; [ "$server" = ours ] || ip=$ref_ip
      fetch "$server" "$ip" "$client" small.bin 1 "$log-$server-warmup-$client"
      if [ "$fetch_ok" != 1 ]; then
        echo "pxe-bench: warm-up fetch with $client from $server failed; see $log-$server.server.log" >&2
      fi
    done
  done
  local scenario file n mib load blk win mibs
  for scenario in "1x${big_mib}MiB" "${concurrency}x${small_mib}MiB"; do
    if [ "$scenario" = "1x${big_mib}MiB" ]; then file=big.bin n=1 mib=$big_mib; else file=small.bin n=$concurrency mib=$small_mib; fi
    for client in $tftp_clients; do
      case "$client" in atftp) blk=1428 win=8 ;; *) blk=512 win=1 ;; esac
      for server in ours tftpd-hpa; do
        ip=$srv_ip; [ "$server" = ours ] || ip=$ref_ip
        load=$(load1)
        fetch "$server" "$ip" "$client" "$file" "$n" "$log-$server-$scenario-$client"
        mibs=$(awk -v m="$mib" -v n="$n" -v s="$fetch_wall_s" 'BEGIN {printf "%.1f", m*n/s}')
        echo "$server,$scenario,$client,$n,$mib,$blk,$win,$fetch_wall_s,$mibs,$fetch_fastest,$fetch_slowest,$fetch_failures,$fetch_ok,$m_server_s,$m_clients_s,$m_others_s,$m_busy_pct,$load" >> "$out/tftp.csv"
        printf '  %-9s %-10s %-8s %8ss %8s MiB/s  sha256 ok %s/%s, failed %s; CPU s: server %s, clients %s, others %s\n' \
          "$server" "$scenario" "$client" "$fetch_wall_s" "$mibs" "$fetch_ok" "$n" "$fetch_failures" "$m_server_s" \
          "$m_clients_s" "$m_others_s"
      done
    done
  done
  stop_server ours
  stop_server tftpd-hpa
}

# ---------------------------------------------------------------------------------------- main

# Our servers run from a private copy of the jar: a `make build` elsewhere in this tree during the
# run cannot swap it underneath them. A copy caught mid-write is retried.
jar=""
snapshot_jar() {
  local i
  for i in $(seq 20); do
    cp "$1" "$work/boottorrent.jar" 2>/dev/null &&
      python3 -c 'import sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
sys.exit(0 if b"Main-Class" in z.read("META-INF/MANIFEST.MF") and z.testzip() is None else 1)' "$work/boottorrent.jar" 2>/dev/null &&
      { jar=$work/boottorrent.jar; return 0; }
    echo "pxe-bench: $1 is being rewritten (a build in progress?); retrying"
    sleep 3
  done
  echo "pxe-bench: no usable jar at $1; run make build" >&2
  exit 1
}

main() {
  install_packages
  local t
  for t in /usr/sbin/perfdhcp /usr/sbin/dnsmasq /usr/sbin/in.tftpd python3 ip ss java; do
    command -v "$t" >/dev/null || { echo "pxe-bench: $t not found" >&2; exit 1; }
  done
  local jar_src=${BOOTTORRENT_JAR:-$repo/services/cli/target/boottorrent.jar}
  if [ ! -f "$jar_src" ]; then
    echo "pxe-bench: building the jar (make build)"
    make -C "$repo" build
  fi

  local stamp
  stamp=$(date +%Y%m%d-%H%M%S)
  out=${results:-$repo/results/pxe-$stamp}
  mkdir -p "$out/logs"
  : > "$out/commands.txt"
  work=$(mktemp -d /tmp/pxebench.XXXXXX)
  shm=$(mktemp -d /dev/shm/pxebench.XXXXXX 2>/dev/null || mktemp -d /tmp/pxebench-tftp.XXXXXX)
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
    echo "perfdhcp: $(/usr/sbin/perfdhcp -v 2>&1 | head -1)"
    echo "dnsmasq: $(/usr/sbin/dnsmasq --version | head -1)"
    echo "in.tftpd: $(/usr/sbin/in.tftpd -V 2>&1 | head -1)"
    echo "atftp: $(atftp --version 2>&1 | head -1)"
    echo "tftp-hpa: $(dpkg-query -W -f='${Version}' tftp-hpa)"
    echo "curl: $(curl --version | head -1)"
  } > "$out/env.txt"

  make_lab
  make_cgroups
  if [ -n "$cg_kind" ]; then
    echo "CPU accounting: cgroup $cg_kind ($cg_base/pxebench-$tag-*)" >> "$out/env.txt"
  else
    echo "CPU accounting: /proc of the server process only (no usable cgroup)" >> "$out/env.txt"
  fi
  echo "pxe-bench: lab $srv_ns ($srv_ip, $ref_ip) <-> $cli_ns ($cli_ip); results in $out"
  echo "pxe-bench: load average at start: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) CPUs"
  [ "$only" = tftp ] || run_dhcp
  [ "$only" = dhcp ] || run_tftp
  echo "loadavg at end: $(cat /proc/loadavg)" >> "$out/env.txt"

  python3 "$here/pxe_report.py" table "$out/dhcp.csv" "$out/tftp.csv" > "$out/table.txt"
  python3 "$here/pxe_report.py" table "$out/dhcp.csv" "$out/tftp.csv" --markdown > "$out/table.md"
  echo
  cat "$out/table.txt"
  echo "pxe-bench: load average at end: $(cut -d' ' -f1-3 /proc/loadavg); results in $out"
}

main "$@"
