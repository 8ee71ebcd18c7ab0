#!/usr/bin/env bash
# Scale-out benchmark (issue 11): ScaleOutStormTest's storms — catalog, two trackers, three seeders and
# telemetry each in its own JVM, 16 agents — with a bigger image, so that seeders started mid-storm have
# time to fetch it and serve. Each run prints the storms' download times and their ratios to the
# one-seeder storm of the same run, with the run's CPU time beside its wall time.
#   bench/scale-out.sh [--runs N] [--mib M] [--seeder-delay-ms D] [--no-web-seed]
#   (defaults: 3 runs, 64 MiB, 3000 ms; torrents with the catalog's web seed, as the product makes them,
#   the catalog capped as a seeder is; --no-web-seed: seeders fetch only from the swarm)
set -euo pipefail
cd "$(dirname "$0")/.."
runs=3 mib=64 delay=3000 webseed=true
while [ $# -gt 0 ]; do
  case $1 in
    --runs) runs=$2; shift 2 ;;
    --mib) mib=$2; shift 2 ;;
    --seeder-delay-ms) delay=$2; shift 2 ;;
    --web-seed) webseed=true; shift ;;
    --no-web-seed) webseed=false; shift ;;
    *) echo "scale-out.sh: unknown argument '$1' (known: --runs N, --mib M, --seeder-delay-ms D, --no-web-seed)" >&2; exit 2 ;;
  esac
done
out=results/scale-out-$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
echo "scale-out: $runs run(s), ${mib} MiB image, seeders 2 and 3 start ${delay} ms into storm 2, web seed $webseed; output in $out"
for run in $(seq 1 "$runs"); do
  log=$out/run-$run.log
  /usr/bin/time -f "run $run: %e s wall, %U s user + %S s sys CPU" -a -o "$out/cpu.txt" \
    ./mvnw -B -ntp -o install -DskipITs -pl services/cli -Dtest=ScaleOutStormTest -Dsurefire.failIfNoSpecifiedTests=false \
      -Dscaleout.imageMiB="$mib" -Dscaleout.seederDelayMs="$delay" -Dscaleout.webSeed="$webseed" > "$log" 2>&1 || {
    echo "run $run failed; see $log" >&2; exit 1; }
  echo "== run $run"
  grep -E '^(storm|mid-storm|seeder-[0-9] uploaded|tracker A killed|catalog killed)' "$log" | tee "$out/run-$run.txt"
  tail -1 "$out/cpu.txt"
done
