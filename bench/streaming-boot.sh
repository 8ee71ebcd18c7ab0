#!/usr/bin/env bash
# Streaming boot (issue 15, docs/BENCHMARKS.md "Streaming boot"): time from start to the test disk's
# marker on QEMU's serial console, and bytes on the wire by then, for
#   (0) local: QEMU boots the file already on disk (no network; the floor every contender sits on);
#   (0') loaded: the same, while aria2c downloads the disk alongside (the floor under a download's CPU);
#   (a) full download first: aria2c downloads the whole disk, then QEMU boots the file;
#   (b) nbdkit's torrent plugin: QEMU boots from its NBD export while it downloads;
#   (c) ours: bin/boottorrent agent, launcher qemu, agent.streaming auto (the product defaults; the
#       1 GiB disk is over agent.streamingMinBytes), QEMU on the agent's NBD export, as the image's
#       first boot: agent.bootProfile record (it records the pieces its boot read and posts them to the
#       catalog, and uses no profile; the catalog keeps the first one posted);
#   (c') profiled: the same with the product default agent.bootProfile on: the catalog has the boot
#       profile (c) recorded, and the agent asks for its pieces from the add;
# and, with --swarm K (default 4), K of our agents streaming the same image, arriving --gap s apart
# (default 15): each one's time to marker from its own start, and where its bytes came from; the first
# as the image's first boot (record), the later ones with the product defaults (the profile known).
# One seeder for every row: ours (bin/boottorrent serve: catalog, tracker, seeder; web seed off, seeder
# upload capped at --rate, default 16 MiB/s, so a 1 GiB download takes >= 60 s), all in a network
# namespace with loopback only (the plugin turns on DHT, LSD, UPnP and NAT-PMP with no way to turn them
# off). aria2c and the plugin get the catalog's .torrent. Bytes = the namespace's lo rx counter (both
# directions of every peer connection, and the agent's catalog requests; NBD runs on a Unix socket for
# nbdkit and for ours (the agent's export is a socket in its work dir; until 2026-12-04 it was
# 127.0.0.1 and its ~10 MB of guest reads were counted too)), so an upper bound on what the client
# fetched. CPU = user+sys of the contender's processes (client + QEMU), not the seeder's.
#
# The cap (--cap): "libtorrent", the seeder's own limit (seeder.uploadLimit), or "link": the seeder
# uncapped and its peer port's egress shaped by an htb class on the namespace's lo, like a server's
# link. libtorrent's limiter hands out quota on its tick and lets a write through without waiting
# only with a second of quota saved, which an idle channel never has: after each idle spell a capped
# seeder's first second trickles (docs/BENCHMARKS.md "Streaming boot"). A link has no such warm-up.
#
# Usage: bench/streaming-boot.sh [--runs N (3)] [--size SIZE (1G)] [--rate BYTES_PER_S (16M)]
#                                [--cap libtorrent|link (libtorrent)]
#                                [--swarm K (4; 0 = skip)] [--gap S (15)] [--only ROWS (local,loaded,full,nbdkit,ours,profiled)]
#                                [--piece-length BYTES (1048576)] [--machine-cpu CORES] [--out DIR]
#
# --machine-cpu CORES (e.g. 0.4): each contender's machine (client + QEMU: one row's run, one swarm
# agent) runs in a cgroup of its own with a CFS quota of CORES, like a machine with that much CPU of its
# own; by default every process shares this machine's cores. On 2 cores, four swarm agents at 0.4 each
# leave 0.4 for the seeder, so a later machine's CPU no longer goes to the earlier ones' downloads.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
runs=3 size=1G rate=16M swarm=4 gap=15 only=local,loaded,full,nbdkit,ours,profiled out="" piece=1048576 cap=libtorrent machine_cpu=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --cap) cap=$2; shift 2 ;;
    --swarm) swarm=$2; shift 2 ;;
    --gap) gap=$2; shift 2 ;;
    --only) only=$2; shift 2 ;;
    --piece-length) piece=$2; shift 2 ;;
    --machine-cpu) machine_cpu=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--size SIZE] [--rate BYTES_PER_S] [--cap libtorrent|link] [--swarm K] [--gap S] [--only ROWS] [--piece-length BYTES] [--machine-cpu CORES] [--out DIR]" >&2; exit 2 ;;
  esac
done
for what in ${only//,/ }; do
  case $what in local|loaded|full|nbdkit|ours|profiled) ;; *) echo "streaming-boot: --only: unknown row '$what' (local, loaded, full, nbdkit, ours, profiled)" >&2; exit 2 ;; esac
done
case $cap in libtorrent|link) ;; *) echo "streaming-boot: --cap: unknown cap '$cap' (libtorrent, link)" >&2; exit 2 ;; esac
cgroup_cpu=/sys/fs/cgroup/cpu
if [ -n "$machine_cpu" ]; then
  [[ $machine_cpu =~ ^[0-9]*\.?[0-9]+$ ]] && (( $(echo "$machine_cpu > 0" | bc) )) \
    || { echo "streaming-boot: --machine-cpu: expected cores > 0 (e.g. 0.4), got '$machine_cpu'" >&2; exit 2; }
  [ -f "$cgroup_cpu/cpu.cfs_quota_us" ] || [ -f /sys/fs/cgroup/cpu.max ] \
    || { echo "streaming-boot: --machine-cpu needs the cgroup cpu controller (v1 $cgroup_cpu or v2 /sys/fs/cgroup)" >&2; exit 1; }
fi
[ "$(id -u)" = 0 ] || { echo "streaming-boot: needs root (network namespace)" >&2; exit 1; }
for tool in aria2c nbdkit qemu-system-x86_64 cpio curl ip bc tc; do
  command -v "$tool" >/dev/null || { echo "streaming-boot: $tool missing (apt-get install aria2 nbdkit qemu-system-x86 cpio curl iproute2 bc)" >&2; exit 1; }
done
[ -f "$repo/services/cli/target/boottorrent.jar" ] || { echo "streaming-boot: run 'make build' first" >&2; exit 1; }
out=${out:-$repo/results/streaming-boot-$(date -u +%Y%m%dT%H%M%SZ)}
mkdir -p "$out"
work=$(mktemp -d "${TMPDIR:-/tmp}/streaming-boot.XXXXXX")
ns=btstream$$
marker=BOOTTORRENT-STREAM-MARKER
pids=()
cleanup() {
  # `ip netns exec` forks: its pid is not the program's, so the namespace's own processes go by pid too.
  local p
  for p in "${pids[@]}" $(ip netns pids "$ns" 2>/dev/null); do kill "$p" 2>/dev/null || true; done
  sleep 1
  for p in $(ip netns pids "$ns" 2>/dev/null); do kill -9 "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  ip netns del "$ns" 2>/dev/null || true
  local g
  for g in "$cgroup_cpu/$ns"-* /sys/fs/cgroup/"$ns"-*; do [ -d "$g" ] && rmdir "$g" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT
inns() { ip netns exec "$ns" "$@"; }
# With --machine-cpu: moves the calling (sub)shell, and so what it starts, into machine NAME's cgroup,
# its CFS quota the machine's cores. A no-op without it.
as_machine() {
  [ -n "$machine_cpu" ] || return 0
  local g quota
  quota=$(printf '%.0f' "$(echo "$machine_cpu * 100000" | bc)")
  if [ -f "$cgroup_cpu/cpu.cfs_quota_us" ]; then
    g=$cgroup_cpu/$ns-$1
    mkdir -p "$g"; echo 100000 >"$g/cpu.cfs_period_us"; echo "$quota" >"$g/cpu.cfs_quota_us"
  else
    g=/sys/fs/cgroup/$ns-$1
    mkdir -p "$g"; echo "$quota 100000" >"$g/cpu.max"
  fi
  echo "$BASHPID" >"$g/cgroup.procs"
}

# The disk: Debian's kernel (cached), a marker initrd (busybox, as BootDisk's Initramfs builds it, here
# with cpio), bench/lib/make-boot-disk.sh.
"$repo/client-image/fetch-kernel.sh" "$work/boot" >/dev/null
mkdir -p "$work/initrd/bin" "$work/initrd/dev" "$work/initrd/proc"
cp /bin/busybox "$work/initrd/bin/"
printf '#!/bin/busybox sh\n/bin/busybox echo "%s" > /dev/console\n/bin/busybox poweroff -f\n' "$marker" > "$work/initrd/init"
chmod 755 "$work/initrd/init"
(cd "$work/initrd" && find . | cpio -o -H newc --quiet | gzip -1) > "$work/boot/initrd"
mkdir -p "$work/seed"
"$here/lib/make-boot-disk.sh" "$work/boot/vmlinuz" "$work/boot/initrd" "$work/seed/disk.img" "$size"
disk_bytes=$(stat -c %s "$work/seed/disk.img")

ip netns add "$ns"
inns ip link set lo up
rate_bytes=$(numfmt --from=iec "$rate")
seeder_port=6881 seeder_limit=$rate_bytes
if [ "$cap" = link ] && [ "$rate_bytes" -gt 0 ]; then
  # Only what the seeder's peer port sends is shaped: the catalog's answers and the
  # agents' traffic among themselves are not the server's link. lo's 64 KiB segments: bursts of 1 MiB.
  seeder_limit=0
  inns tc qdisc add dev lo root handle 1: htb default 10
  inns tc class add dev lo parent 1: classid 1:10 htb rate 100gbit quantum 65536
  inns tc class add dev lo parent 1: classid 1:20 htb rate "${rate_bytes}bps" ceil "${rate_bytes}bps" burst 1m cburst 1m quantum 65536
  inns tc filter add dev lo parent 1: protocol ip prio 1 u32 match ip sport "$seeder_port" 0xffff flowid 1:20
fi
# Our server: catalog (web seed off: the seeder is the one capped source), tracker, seeder.
mkdir -p "$work/server"
cat > "$work/server/boottorrent.yaml" <<EOF
# generated by bench/streaming-boot.sh
health: {port: -1}
catalog: {webSeed: false, importRoots: [$work/seed]}
seeder: {uploadLimit: $seeder_limit, listenPort: $seeder_port}
EOF
inns "$repo/bin/boottorrent" serve --services catalog,tracker,seeder --config "$work/server/boottorrent.yaml" \
  --data-dir "$work/server/data" >"$out/server.log" 2>&1 & pids+=($!)
for _ in $(seq 1 240); do
  inns curl -sf -o /dev/null http://127.0.0.1:8080/api/v1/images && break
  sleep 0.5
done
token=$work/server/data/catalog/admin.token
# --piece-length, 1 MiB by default (as the issue's trial and StreamingBootTest); auto: the agent streams it by size.
inns "$repo/bin/boottorrent" image add --catalog http://127.0.0.1:8080 --token-file "$token" --name disk --kind qemu \
  --disk "$work/seed/disk.img" --piece-length "$piece" --description "streaming-boot bench disk" >>"$out/server.log" 2>&1
inns curl -sf -H "Authorization: Bearer $(cat "$token")" -o "$work/disk.torrent" http://127.0.0.1:8080/api/v1/images/disk/torrent
for _ in $(seq 1 120); do grep -q "seeding disk" "$out/server.log" && break; sleep 0.5; done
grep -q "seeding disk" "$out/server.log" || { echo "streaming-boot: the seeder never seeded the disk; see $out/server.log" >&2; exit 1; }

lo_bytes() { inns awk '$1 == "lo:" { print $2 }' /proc/net/dev; }
now() { date +%s.%N; }
# Boots DRIVE in QEMU (in the namespace); prints the seconds since START when the marker appears, and
# the lo bytes since LO0 at that moment.
boot_to_marker() {
  local drive=$1 start=$2 lo0=$3 log=$4 line
  # the qemu launcher's own command line (Launchers.qemu), so that every row boots the same machine
  inns qemu-system-x86_64 -accel tcg -m 1024 -nographic -snapshot -drive "file=$drive,format=raw,if=virtio" \
    </dev/null 2>&1 | tee "$log" | while IFS= read -r line; do
      case $line in *"$marker"*)
        echo "$(echo "$(now) - $start" | bc) $(( $(lo_bytes) - lo0 ))" ;;
      esac
    done
}

# (0) the floor: the file is already here.
run_local() {
  boot_to_marker "$work/seed/disk.img" "$(now)" "$(lo_bytes)" "$out/local-$1.qemu.log"
}

# (0') the floor under a download's load: the local file again, while aria2c downloads the disk from
# the seeder at the capped rate (what every streaming contender's background costs this 2-core machine:
# the seeder's upload, the client's hashing, beside QEMU's TCG). Bytes are aria2c's, not the boot's.
run_loaded() {
  local n=$1 dir=$work/loaded-$n result
  mkdir -p "$dir"
  inns aria2c --enable-dht=false --enable-dht6=false --bt-enable-lpd=false --seed-time=0 --listen-port=6892 \
    --summary-interval=0 --file-allocation=none -d "$dir" "$work/disk.torrent" >"$out/loaded-$n.aria2c.log" 2>&1 &
  sleep 3 # at the cap by then
  result=$(boot_to_marker "$work/seed/disk.img" "$(now)" "$(lo_bytes)" "$out/loaded-$n.qemu.log")
  pkill -f -- "-d $dir" 2>/dev/null || true
  wait 2>/dev/null || true
  rm -rf "$dir"
  echo "$result"
}

# (a) today's path: the whole disk, then boot the file.
run_full() {
  local n=$1 dir=$work/full-$n start lo0
  mkdir -p "$dir"; start=$(now); lo0=$(lo_bytes)
  inns aria2c --enable-dht=false --enable-dht6=false --bt-enable-lpd=false --seed-time=0 --listen-port=6891 \
    --summary-interval=0 --file-allocation=none -d "$dir" "$work/disk.torrent" >"$out/full-$n.aria2c.log" 2>&1
  boot_to_marker "$(find "$dir" -name disk.img)" "$start" "$lo0" "$out/full-$n.qemu.log"
  rm -rf "$dir"
}

# (b) nbdkit's torrent plugin + QEMU on its export.
run_nbdkit() {
  local n=$1 dir=$work/nbdkit-$n start lo0 sock pid
  mkdir -p "$dir/cache"; sock=$dir/nbd.sock; start=$(now); lo0=$(lo_bytes)
  inns nbdkit -f -r -P "$dir/nbdkit.pid" -U "$sock" torrent "$work/disk.torrent" cache="$dir/cache" >"$out/nbdkit-$n.log" 2>&1 &
  pid=$!
  while [ ! -S "$sock" ] || [ ! -s "$dir/nbdkit.pid" ]; do sleep 0.05; done
  boot_to_marker "nbd+unix:///?socket=$sock" "$start" "$lo0" "$out/nbdkit-$n.qemu.log"
  # $pid is ip's (it forks): nbdkit itself by the pid it wrote.
  kill "$(cat "$dir/nbdkit.pid")" 2>/dev/null || true; wait "$pid" 2>/dev/null || true
  rm -rf "$dir"
}

# Our agent (MAC 02:00:00:00:<NN>), product defaults but no seeding after the boot and no menu;
# PROFILE: agent.bootProfile (on, the default: use the image's; record: the image's first boot).
# QEMU inherits the agent's stdout, so its -nographic console (the guest's serial) is in the agent's log.
agent() {
  local id=$1 dir=$2 profile=${3:-on}
  inns env BOOTTORRENT_AGENT_QEMUACCEL=tcg BOOTTORRENT_AGENT_BOOTPROFILE="$profile" "$repo/bin/boottorrent" agent --catalog http://127.0.0.1:8080 \
    --mac "02:00:00:00:00:$(printf %02x "$id")" --image disk --launcher qemu --work-dir "$dir" --seed-seconds 0 \
    --non-interactive </dev/null 2>&1
}

# (c) ours: prints the marker line at the marker; the run (wall) ends once the agent verified the image.
# ROW ours: the image's first boot (agent.bootProfile record); profiled: the profile known (on).
run_agent() {
  local row=$1 n=$2 dir=$work/$1-$2 start lo0 line id=$2 profile=record
  if [ "$row" = profiled ]; then id=$(( 8 + n )) profile=on; fi
  mkdir -p "$dir"; start=$(now); lo0=$(lo_bytes)
  agent "$id" "$dir" "$profile" | tee "$out/$row-$n.log" | while IFS= read -r line; do
    case $line in *"$marker"*) echo "$(echo "$(now) - $start" | bc) $(( $(lo_bytes) - lo0 ))" ;; esac
  done
  grep -q " verified: " "$out/$row-$n.log" || { echo "streaming-boot: $row-$n did not verify; see $out/$row-$n.log" >&2; return 1; }
  if [ "$row" = profiled ] && ! grep -q "boot profile of disk" "$out/$row-$n.log"; then
    echo "streaming-boot: $row-$n had no boot profile (the catalog had none); see $out/$row-$n.log" >&2; return 1
  fi
  rm -rf "$dir"
}
run_ours() { run_agent ours "$1"; }
run_profiled() { run_agent profiled "$1"; }

# K of our agents on the same image, GAP s apart: "agent I START_OFFSET SECONDS_TO_MARKER VERIFIED_AFTER".
run_swarm() {
  local k=$1 gap=$2 i t0 agents=()
  t0=$(now)
  for (( i = 1; i <= k; i++ )); do
    (
      local dir=$work/swarm-$i start line
      as_machine "swarm-$i"
      mkdir -p "$dir"; start=$(now)
      agent "$(( 16 + i ))" "$dir" "$( (( i == 1 )) && echo record || echo on)" | tee "$out/swarm-$i.log" | while IFS= read -r line; do
        case $line in *"$marker"*) echo "$(echo "$(now) - $start" | bc)" >"$work/swarm-$i.marker" ;; esac
      done
      echo "$(echo "$(now) - $start" | bc)" >"$work/swarm-$i.end"
      echo "$(echo "$start - $t0" | bc)" >"$work/swarm-$i.offset"
    ) &
    agents+=($!)
    if (( i < k )); then sleep "$gap"; fi
  done
  wait "${agents[@]}"
  for (( i = 1; i <= k; i++ )); do
    echo "agent $i $(cat "$work/swarm-$i.offset") $(cat "$work/swarm-$i.marker" 2>/dev/null || echo n/a) $(cat "$work/swarm-$i.end")" \
      "$(grep -o ' downloaded: .*' "$out/swarm-$i.log" | head -1)"
  done
}

# Each contender under `time`: wall and CPU (user+sys of its child processes) per run.
measure() {
  local what=$1 n=$2 timing result
  TIMEFORMAT='%R %U %S'
  if timing=$( { time ( as_machine "$what-$n" && "run_$what" "$n" ) >"$work/result" ; } 2>&1 ) && result=$(tail -n1 "$work/result") \
      && [ -n "$result" ]; then
    read -r wall user sys <<<"$(tail -n1 <<<"$timing")"
    echo "$what $n $result $wall $(echo "$user + $sys" | bc)" | tee -a "$out/runs.txt"
  else
    echo "$what $n n/a" | tee -a "$out/runs.txt"
  fi
}
: > "$out/runs.txt"
for n in $(seq 1 "$runs"); do
  for what in ${only//,/ }; do measure "$what" "$n"; done
done
if [ "$swarm" -gt 0 ]; then
  echo "swarm: $swarm agents, $gap s apart" | tee "$out/swarm.txt"
  run_swarm "$swarm" "$gap" | tee -a "$out/swarm.txt"
fi

{ [ -z "$machine_cpu" ] || echo "each machine (a row's client and QEMU, a swarm agent) in a cgroup of $machine_cpu cores"; } | tee "$out/table.md"
python3 - "$out/runs.txt" "$disk_bytes" "$rate" "$piece" "$cap" <<'PY' | tee -a "$out/table.md"
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
size = int(sys.argv[2])
by = {}
for r in rows:
    if r[2] != "n/a":
        by.setdefault(r[0], []).append((float(r[2]), int(r[3]), float(r[4]), float(r[5])))
names = {"local": "(0) local file (no network)", "loaded": "(0') local file, a download alongside", "full": "(a) full download, then boot", "nbdkit": "(b) nbdkit torrent plugin", "ours": "(c) ours, the image's first boot", "profiled": "(c') ours, its boot profile known"}
med = {k: statistics.median(t for t, *_ in v) for k, v in by.items()}
cap = "by libtorrent's limiter" if sys.argv[5] == "libtorrent" else "by an htb-shaped link"
print(f"disk {size} bytes in {sys.argv[4]}-byte pieces, seeder capped at {sys.argv[3]}/s {cap}\n")
print("| contender | runs | time to marker (s) | wall (s) | CPU (s) | bytes on lo at marker | % of disk | vs (a) | vs (b) |")
print("|---|---|---|---|---|---|---|---|---|")
for k in ("local", "loaded", "full", "nbdkit", "ours", "profiled"):
    v = by.get(k)
    if not v:
        print(f"| {names[k]} | 0 | n/a | | | | | | |"); continue
    ts = ", ".join(f"{t:.1f}" for t, *_ in v); wall = ", ".join(f"{w:.1f}" for *_, w, _ in v)
    cpu = ", ".join(f"{c:.1f}" for *_, c in v); b = ", ".join(f"{x/1e6:.0f} MB" for _, x, *_ in v)
    pct = ", ".join(f"{100*x/size:.1f}" for _, x, *_ in v)
    ra = f"{med[k]/med['full']:.2f}" if "full" in med else ""
    rb = f"{med[k]/med['nbdkit']:.2f}" if "nbdkit" in med else ""
    print(f"| {names[k]} | {len(v)} | {ts} | {wall} | {cpu} | {b} | {pct} | {ra} | {rb} |")
# Ratios within one run (the machine's speed moves between runs; within a run every row saw the same).
per = {}
for r in rows:
    if r[2] != "n/a":
        per.setdefault(int(r[1]), {})[r[0]] = float(r[2])
print("\n| run | ours / full download | ours / nbdkit | profiled / full download | profiled / nbdkit | ours / local | nbdkit / full download |")
print("|---|---|---|---|---|---|---|")
q = lambda a, b: f"{a/b:.2f}" if a is not None and b else "n/a"
for n in sorted(per):
    t = per[n]
    print(f"| {n} | {q(t.get('ours'), t.get('full'))} | {q(t.get('ours'), t.get('nbdkit'))} | {q(t.get('profiled'), t.get('full'))} | {q(t.get('profiled'), t.get('nbdkit'))} | {q(t.get('ours'), t.get('local'))} | {q(t.get('nbdkit'), t.get('full'))} |")
PY
echo "streaming-boot: results in $out"
