#!/bin/sh
# Runs the BootTorrent agent of the client image on every console at once: its output goes to each
# console, and keys typed on any console reach its menu (raw-ish mode: arrow keys and digits arrive
# without Enter). /init runs it once the network is up; the rescue shell can run it again.
# Settings: /run/boottorrent/env (written by /init). Exit code: the agent's.

. /run/boottorrent/env || exit 1
BT=/opt/boottorrent
WORK=/run/boottorrent/work
# The keystroke pipe (the pinned key fingerprints are PINNED_KEYS, from /run/boottorrent/env).
KEYPIPE=/run/boottorrent/keys
export PATH=/usr/sbin:/usr/bin:$BT/jre/bin TMPDIR=/tmp

# The image is downloaded into RAM; this tmpfs may take most of it (the JVM needs ~200 MiB).
mkdir -p "$WORK"
grep -q " $WORK " /proc/mounts || mount -t tmpfs -o size=90%,mode=0700 boottorrent-work "$WORK" || exit 1

set -- agent --catalog "$CATALOG" --mac "$MAC" --work-dir "$WORK"
[ -n "$LAUNCHER" ] && set -- "$@" --launcher "$LAUNCHER"
[ -n "$IMAGE" ] && set -- "$@" --image "$IMAGE"
[ -n "$SEED" ] && set -- "$@" --seed-seconds "$SEED"
[ -n "${STREAMING:-}" ] && set -- "$@" --streaming "$STREAMING"
[ -n "${STRIPE:-}" ] && set -- "$@" --piece-stripe "$STRIPE"
[ -n "${CATALOG_CERT:-}" ] && set -- "$@" --catalog-cert-sha256 "$CATALOG_CERT"
# Keys pinned on the command line and keys baked into the image are both trusted; with either, the
# agent launches only signed images.
trusted=${PINNED_KEYS:-}
[ -f /etc/boottorrent/trusted-keys.pem ] && trusted=${trusted:+$trusted,}/etc/boottorrent/trusted-keys.pem
[ -n "$trusted" ] && set -- "$@" --trusted-keys "$trusted"

# libjsig: JVM signal chaining, or libtorrent's signal handlers crash the JVM mid-transfer.
# UTF-8: the menu draws arrows and dashes; there is no locale in the image. SerialGC: one small heap.
# Logging: warnings on the consoles, everything in /run/boottorrent/agent.log (etc/boottorrent/logback.xml).
# The agent's class-data sharing archive (build.sh, "AppCDS"): its classes come mapped, not parsed.
CDS=
[ -f $BT/agent.jsa ] && CDS=-XX:SharedArchiveFile=$BT/agent.jsa
JAVA_OPTS="-XX:+UseSerialGC -XX:-UsePerfData -XX:ErrorFile=/run/boottorrent/hs_err_%p.log $CDS
  -Djava.io.tmpdir=/tmp -Dfile.encoding=UTF-8 -Dsun.stdout.encoding=UTF-8 -Dsun.stderr.encoding=UTF-8
  -Dlogback.configurationFile=/etc/boottorrent/logback.xml ${BT_JAVA_OPTS:-}"

rm -f "$KEYPIPE"
mkfifo "$KEYPIPE" || exit 1
readers=
outputs=
for c in $CONSOLES; do
  stty -F "/dev/$c" -icanon -echo -isig min 1 time 0 2>/dev/null
  # dd, not cat: busybox cat copies with sendfile(), which hands a tty's keys on to the pipe late
  # or never; dd read()s and writes each key as it comes
  dd if="/dev/$c" bs=64 2>/dev/null > "$KEYPIPE" &
  readers="$readers $!"
  outputs="$outputs /dev/$c"
done

rm -f /run/boottorrent/agent.exit
{
  # shellcheck disable=SC2086 # JAVA_OPTS is a list of options
  LD_PRELOAD=$BT/jre/lib/libjsig.so java $JAVA_OPTS -jar $BT/boottorrent-agent.jar "$@" < "$KEYPIPE" 2>&1
  echo $? > /run/boottorrent/agent.exit
} | tee $outputs > /dev/null

# shellcheck disable=SC2086
kill $readers 2>/dev/null
for c in $CONSOLES; do
  stty -F "/dev/$c" sane 2>/dev/null
done
rm -f "$KEYPIPE"
exit "$(cat /run/boottorrent/agent.exit 2>/dev/null || echo 1)"
