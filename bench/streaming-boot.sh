#!/usr/bin/env bash
# Streaming boot baselines (issue 15, docs/BENCHMARKS.md "Streaming boot"): time from start to the
# test disk's marker on QEMU's serial console, and BitTorrent bytes on the wire by then, for
#   (a) full download first: aria2c downloads the whole disk, then QEMU boots the file;
#   (b) nbdkit's torrent plugin: QEMU boots from its NBD export while it downloads;
#   (c) ours: run_ours below, for the lead to fill once the agent's streaming path exists.
# One seeder (aria2c, upload capped at --rate, default 16M/s, so a 1 GiB download takes >= 60 s) and
# opentracker, all in a network namespace with loopback only (the plugin turns on DHT, LSD, UPnP and
# NAT-PMP with no way to turn them off). Bytes = the namespace's lo rx counter (both directions of
# every peer connection; NBD runs on a Unix socket and is not counted), so it is an upper bound on
# what the client fetched. CPU = user+sys of the contender's processes (client + QEMU), not the seeder.
#
# Usage: bench/streaming-boot.sh [--runs N (2)] [--size SIZE (1G)] [--rate BYTES_PER_S (16M)] [--out DIR]
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
runs=2 size=1G rate=16M out=""
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --rate) rate=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "usage: $0 [--runs N] [--size SIZE] [--rate BYTES_PER_S] [--out DIR]" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "streaming-boot: needs root (network namespace)" >&2; exit 1; }
for tool in aria2c opentracker transmission-create nbdkit qemu-system-x86_64 cpio ip; do
  command -v "$tool" >/dev/null || { echo "streaming-boot: $tool missing (apt-get install aria2 opentracker transmission-cli nbdkit qemu-system-x86 cpio iproute2)" >&2; exit 1; }
done
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
  rm -rf "$work"
}
trap cleanup EXIT
inns() { ip netns exec "$ns" "$@"; }

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
transmission-create -o "$work/disk.torrent" -s 1024 -t http://127.0.0.1:6969/announce "$work/seed/disk.img" >/dev/null
disk_bytes=$(stat -c %s "$work/seed/disk.img")

ip netns add "$ns"
inns ip link set lo up
# Debian builds opentracker with its whitelist compiled in (README.Debian): the one torrent goes on it.
# It chroots to tracker.rootdir before reading the whitelist, hence the path inside that root.
mkdir -p "$work/tracker"
transmission-show "$work/disk.torrent" | sed -n 's/^ *Hash v1: *\([0-9a-f]\{40\}\)$/\1/p; s/^ *Hash: *\([0-9a-f]\{40\}\)$/\1/p' \
  > "$work/tracker/whitelist.txt"
[ -s "$work/tracker/whitelist.txt" ] || { echo "streaming-boot: no info hash from transmission-show" >&2; exit 1; }
printf 'listen.tcp 127.0.0.1:6969\nlisten.udp 127.0.0.1:6969\naccess.whitelist /whitelist.txt\ntracker.rootdir %s\ntracker.user nobody\n' \
  "$work/tracker" > "$work/tracker/opentracker.conf"
chmod 755 "$work" "$work/tracker"; chmod 644 "$work/tracker"/*
inns opentracker -f "$work/tracker/opentracker.conf" >"$out/opentracker.log" 2>&1 & pids+=($!)
# The seeder: the complete file, no hashing at start (it is the file the torrent was made from).
inns aria2c --enable-dht=false --enable-dht6=false --bt-enable-lpd=false --enable-peer-exchange=false \
  --seed-ratio=0 --bt-seed-unverified=true --check-integrity=false --listen-port=6881 \
  --max-overall-upload-limit="$rate" --summary-interval=0 -d "$work/seed" "$work/disk.torrent" \
  >"$out/seeder.log" 2>&1 & pids+=($!)
sleep 3

lo_bytes() { inns awk '$1 == "lo:" { print $2 }' /proc/net/dev; }
now() { date +%s.%N; }
# Boots DRIVE in QEMU (in the namespace); prints the seconds since START when the marker appears, and
# the lo bytes since LO0 at that moment.
boot_to_marker() {
  local drive=$1 start=$2 lo0=$3 log=$4 line
  inns qemu-system-x86_64 -accel tcg -m 512 -nographic -no-reboot -nic none \
    -drive "file=$drive,format=raw,snapshot=on" </dev/null 2>&1 | tee "$log" | while IFS= read -r line; do
      case $line in *"$marker"*)
        echo "$(echo "$(now) - $start" | bc) $(( $(lo_bytes) - lo0 ))" ;;
      esac
    done
}

# (a) today's path: the whole disk, then boot the file.
run_full() {
  local n=$1 dir=$work/full-$n start lo0
  mkdir -p "$dir"; start=$(now); lo0=$(lo_bytes)
  inns aria2c --enable-dht=false --enable-dht6=false --bt-enable-lpd=false --seed-time=0 --listen-port=6891 \
    --summary-interval=0 --file-allocation=none -d "$dir" "$work/disk.torrent" >"$out/full-$n.aria2c.log" 2>&1
  boot_to_marker "$dir/disk.img" "$start" "$lo0" "$out/full-$n.qemu.log"
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

# (c) ours — SLOT FOR THE LEAD: start the agent's streaming path (agent + QEMU on its NBD export) against
# this seeder and tracker ($work/disk.torrent, http://127.0.0.1:6969/announce, in namespace $ns),
# then print "SECONDS_TO_MARKER LO_BYTES" like run_full and run_nbdkit (boot_to_marker does it).
# Returns 1 while it does not exist; the table then says n/a.
run_ours() {
  return 1
}

# Each contender under `time`: wall and CPU (user+sys of its child processes) per run.
measure() {
  local what=$1 n=$2 timing result
  TIMEFORMAT='%R %U %S'
  if timing=$( { time "run_$what" "$n" >"$work/result" ; } 2>&1 ) && result=$(tail -n1 "$work/result") \
      && [ -n "$result" ]; then
    read -r wall user sys <<<"$(tail -n1 <<<"$timing")"
    echo "$what $n $result $wall $(echo "$user + $sys" | bc)" | tee -a "$out/runs.txt"
  else
    echo "$what $n n/a" | tee -a "$out/runs.txt"
  fi
}
: > "$out/runs.txt"
for n in $(seq 1 "$runs"); do
  for what in full nbdkit ours; do measure "$what" "$n"; done
done

python3 - "$out/runs.txt" "$disk_bytes" "$rate" <<'PY' | tee "$out/table.md"
import sys, statistics
rows = [l.split() for l in open(sys.argv[1])]
size = int(sys.argv[2])
by = {}
for r in rows:
    if r[2] != "n/a":
        by.setdefault(r[0], []).append((float(r[2]), int(r[3]), float(r[4]), float(r[5])))
names = {"full": "(a) full download, then boot", "nbdkit": "(b) nbdkit torrent plugin", "ours": "(c) ours"}
med = {k: statistics.median(t for t, *_ in v) for k, v in by.items()}
print(f"disk {size} bytes, seeder capped at {sys.argv[3]}/s\n")
print("| contender | runs | time to marker (s) | wall (s) | CPU (s) | bytes on lo at marker | % of disk | vs (a) | vs (b) |")
print("|---|---|---|---|---|---|---|---|---|")
for k in ("full", "nbdkit", "ours"):
    v = by.get(k)
    if not v:
        print(f"| {names[k]} | 0 | n/a | | | | | | |"); continue
    ts = ", ".join(f"{t:.1f}" for t, *_ in v); wall = ", ".join(f"{w:.1f}" for *_, w, _ in v)
    cpu = ", ".join(f"{c:.1f}" for *_, c in v); b = ", ".join(f"{x/1e6:.0f} MB" for _, x, *_ in v)
    pct = ", ".join(f"{100*x/size:.1f}" for _, x, *_ in v)
    ra = f"{med[k]/med['full']:.2f}" if "full" in med else ""
    rb = f"{med[k]/med['nbdkit']:.2f}" if "nbdkit" in med else ""
    print(f"| {names[k]} | {len(v)} | {ts} | {wall} | {cpu} | {b} | {pct} | {ra} | {rb} |")
PY
echo "streaming-boot: results in $out"
