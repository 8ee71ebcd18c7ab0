#!/usr/bin/env bash
# Builds the BootTorrent client image: OUT/vmlinuz (Debian's stock kernel) and OUT/initrd (busybox,
# kexec, NIC modules, a jlink-trimmed Java runtime and the agent-only jar; optionally QEMU), the pair
# the catalog serves at /boot/vmlinuz and /boot/initrd. Uses only Debian packages (see README.md) and
# the agent jar Maven built (`make client-image` builds it first); nothing is installed on this machine.
#
# Usage: client-image/build.sh
# Environment:
#   QEMU=1            also put qemu-system-x86_64 (+ libraries, SeaBIOS, iPXE ROMs, kvm modules) in,
#                     for the agent's qemu launcher
#   COMPRESS=zstd     initrd compression: zstd (default), xz, gzip or none
#   OUT_DIR=DIR       default client-image/out
#   INSTALL_DIR=DIR   also copy vmlinuz + initrd there (e.g. <dataDir>/client-image, the catalog's
#                     default catalog.clientImageDir)
#   BOOTTORRENT_JAR   the agent-only jar, default client-image/agent/target/boottorrent-agent.jar (not the
#                     full boottorrent.jar: the image's Java runtime has only the modules the agent needs)
#   JAVA_HOME         the JDK whose jlink and jmods build the runtime (default: the one javac is from)
#   SOURCE_DATE_EPOCH timestamps inside the initrd (default: the last commit's time)
#   KERNEL_PACKAGE, BOOTTORRENT_KERNEL_CACHE: passed on to fetch-kernel.sh
#   TRUSTED_KEYS=FILE a PEM file of public keys (`boottorrent keys show --pem`) baked in as
#                     /etc/boottorrent/trusted-keys.pem: the agent then launches only images signed by
#                     one of them, whatever the kernel command line says
set -euo pipefail
umask 022
export LC_ALL=C
export PATH=$PATH:/usr/sbin:/sbin # depmod and kexec, for users whose PATH lacks them

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=${OUT_DIR:-$here/out}
work=$here/build
root=$work/rootfs
cache=${BOOTTORRENT_KERNEL_CACHE:-$here/cache}
jar=${BOOTTORRENT_JAR:-$repo/client-image/agent/target/boottorrent-agent.jar}
qemu=${QEMU:-0}
compress=${COMPRESS:-zstd}
epoch=${SOURCE_DATE_EPOCH:-$(git -C "$repo" log -1 --format=%ct 2>/dev/null || echo 0)}
started=$(date +%s)

# Java modules the agent needs: jdeps on the agent jar, then trimmed by running the agent. java.xml and
# java.naming for logback (logback.xml; its JNDI support is loaded while it reads the config) and
# netty's DNS resolver, jdk.unsupported for netty, jdk.crypto.ec for an https:// catalog. Left out
# although jdeps names them: java.desktop (only snakeyaml's bean introspection, which BtConfig avoids),
# java.compiler (Vert.x's Java-source verticles), jdk.jfr (netty's optional events).
jre_modules=java.base,java.logging,java.naming,java.xml,jdk.crypto.ec,jdk.unsupported

step() { printf '\n== %s\n' "$*"; }
die() { printf 'client-image: %s\n' "$*" >&2; exit 1; }
need() { # need COMMAND DEBIAN-PACKAGE
  command -v "$1" >/dev/null || die "$1 not found: apt-get install $2"
}
human() { numfmt --to=iec-i --suffix=B --format=%.1f "$1"; }

# --- tools --------------------------------------------------------------------------------------------
need cpio cpio
need depmod kmod
need dpkg-deb dpkg
need apt-get apt
case "$compress" in
  zstd) need zstd zstd; compressor=(zstd -19 -T0 -q -c) ;;
  xz) need xz xz-utils; compressor=(xz -9 -T0 --check=crc32 -c) ;; # the kernel's xz has no CRC64
  gzip) compressor=(gzip -9 -n -c) ;;
  none) compressor=(cat) ;;
  *) die "COMPRESS=$compress: use zstd, xz, gzip or none" ;;
esac
busybox=${BUSYBOX:-/bin/busybox}
# ldd fails on a static executable
[ -x "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 || die "a static busybox is needed: apt-get install busybox-static"
kexec=$(command -v kexec || echo /sbin/kexec)
[ -x "$kexec" ] || die "kexec not found: apt-get install kexec-tools"
if [ -z "${JAVA_HOME:-}" ]; then
  javac=$(command -v javac) || die "no JDK: apt-get install openjdk-17-jdk-headless"
  JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$javac")")")
fi
[ -x "$JAVA_HOME/bin/jlink" ] || die "$JAVA_HOME/bin/jlink missing: apt-get install openjdk-17-jdk-headless"
[ -d "$JAVA_HOME/jmods" ] || die "$JAVA_HOME/jmods missing (jlink needs it; Debian 12 ships them in openjdk-17-jdk-headless)"
[ -f "$jar" ] || die "$jar not built yet: run 'make client-image', or './mvnw -DskipTests package -pl client-image/agent -am' before this script"
if [ "$qemu" = 1 ]; then
  need qemu-system-x86_64 qemu-system-x86
  [ -f /usr/share/seabios/bios-256k.bin ] || die "SeaBIOS missing: apt-get install seabios"
  [ -f /usr/lib/ipxe/qemu/efi-e1000.rom ] || die "iPXE ROMs for QEMU missing: apt-get install ipxe-qemu"
  [ -f /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so ] || die "QEMU's TCG module missing: apt-get install qemu-system-common"
fi

# a /proc an interrupted AppCDS training run left mounted (rm must not walk into it)
if mountpoint -q "$root/proc" 2>/dev/null; then umount "$root/proc"; fi
rm -rf "$work"
mkdir -p "$work" "$root" "$out"
(cd "$work" && "$JAVA_HOME/bin/jar" xf "$jar" META-INF/MANIFEST.MF)
grep -q '^Main-Class: io.boottorrent.agent.cli.AgentMain' "$work/META-INF/MANIFEST.MF" 2>/dev/null ||
  die "$jar is not the agent-only jar (Main-Class io.boottorrent.agent.cli.AgentMain): the image's Java runtime ($jre_modules) is trimmed for that one"
rm -rf "$work/META-INF"

# --- kernel -------------------------------------------------------------------------------------------
step "kernel"
"$here/fetch-kernel.sh" "$out"
kver=$(cat "$out/vmlinuz.version")
ktree=
for d in "$cache"/*/lib/modules/"$kver"; do
  [ -d "$d/kernel" ] && ktree=$d
done
[ -n "$ktree" ] || die "fetch-kernel.sh left no unpacked lib/modules/$kver under $cache"
echo "modules from $ktree"

# --- root file system skeleton ---------------------------------------------------------------------------
step "skeleton"
# merged /usr, as in Debian 12
mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib/x86_64-linux-gnu,usr/lib64,usr/share,etc/boottorrent}
mkdir -p "$root"/{dev,proc,sys,run,tmp,root,mnt,var,opt/boottorrent}
for d in bin sbin lib lib64; do ln -s "usr/$d" "$root/$d"; done
ln -s /tmp "$root/var/tmp"
ln -s /run "$root/var/run"
chmod 1777 "$root/tmp"
chmod 0700 "$root/root"
cp -a "$here/rootfs/." "$root/"
chmod 0755 "$root/init" "$root/opt/boottorrent/agent.sh" "$root/usr/share/udhcpc/default.script"
# the kernel's built-in initramfs has /dev/console too; make it explicit where we can
if [ "$(id -u)" = 0 ]; then
  mknod -m 600 "$root/dev/console" c 5 1
  mknod -m 666 "$root/dev/null" c 1 3
fi

# Copies the shared libraries ELF files need into the image (same paths under merged /usr).
copy_libs() {
  local f line lib
  for f in "$@"; do
    while read -r line; do
      case "$line" in
        *"not found"*)
          case "$line" in libjvm.so*) continue ;; esac # the java launcher loads it by path
          die "$f: $line" ;;
        *"=> /"*) lib=${line#*=> }; lib=${lib%% (*} ;;
        /*) lib=${line%% (*} ;;
        *) continue ;;
      esac
      case "$lib" in
        /lib64/*|/usr/lib64/*) dest=$root/usr/lib64/${lib##*/} ;;
        /lib/*) dest=$root/usr$lib ;;
        *) dest=$root$lib ;;
      esac
      [ -e "$dest" ] || install -D -m 0755 "$(readlink -f "$lib")" "$dest"
    done < <(ldd "$f" 2>&1 || true)
  done
}

# --- busybox ----------------------------------------------------------------------------------------------
step "busybox ($busybox)"
install -m 0755 "$busybox" "$root/usr/bin/busybox"
while read -r applet; do
  case "$applet" in
    */*) ;;
    *) continue ;; # linuxrc
  esac
  dest=$root/usr/${applet#usr/}
  [ -e "$dest" ] || [ -L "$dest" ] || ln -s /usr/bin/busybox "$dest"
done < <("$busybox" --list-full)

# --- kexec ------------------------------------------------------------------------------------------------
step "kexec ($kexec)"
install -m 0755 "$(readlink -f "$kexec")" "$root/usr/sbin/kexec"
copy_libs "$root/usr/sbin/kexec"

# --- kernel modules ------------------------------------------------------------------------------------------
step "kernel modules"
# depmod on a hard-linked copy of Debian's module tree: modules.dep and modules.softdep, without
# writing into fetch-kernel.sh's cache.
index=$work/kernel-index
mkdir -p "$index/lib/modules"
cp -al "$ktree" "$index/lib/modules/$kver" 2>/dev/null || cp -a "$ktree" "$index/lib/modules/$kver"
depmod -b "$index" "$kver"
declare -A path_of=() deps_of=() soft_of=() picked=()
while IFS= read -r line; do
  p=${line%%:*}
  n=${p##*/}; n=${n%.ko*}; n=${n//-/_}
  path_of[$n]=$p
  deps_of[$n]=${line#*:}
done < "$index/lib/modules/$kver/modules.dep"
while read -r word name rest; do
  [ "$word" = softdep ] || continue
  soft_of[${name//-/_}]=$(echo "$rest" | tr ' ' '\n' | grep -v ':$' | tr '\n' ' ')
done < "$index/lib/modules/$kver/modules.softdep"
builtin=$(sed 's|.*/||; s|\.ko$||; s|-|_|g' "$ktree/modules.builtin")
aliases=$index/lib/modules/$kver/modules.alias
pick() { # pick NAME [soft]: the module, its dependencies and soft dependencies
  local n=${1//-/_} d a
  [ -n "${picked[$n]:-}" ] && return
  if [ -z "${path_of[$n]:-}" ]; then
    if grep -qx "$n" <<< "$builtin"; then
      echo "  $n: built into the kernel"
      picked[$n]=builtin
      return
    fi
    # a soft dependency may name an alias (libcrc32c → "crc32c": crc32c_generic, crc32c_intel)
    a=$(awk -v n="$1" '$1 == "alias" && $2 == n {print $3}' "$aliases")
    if [ -n "$a" ]; then
      picked[$n]=alias
      for d in $a; do pick "$d"; done
      return
    fi
    [ "${2:-}" = soft ] && { echo "  soft dependency $n: no such module, skipped"; return; }
    die "module $n not in kernel $kver (client-image/modules.txt)"
  fi
  picked[$n]=${path_of[$n]}
  for d in ${deps_of[$n]}; do
    d=${d##*/}; pick "${d%.ko*}"
  done
  for d in ${soft_of[$n]:-}; do
    pick "$d" soft
  done
}
mapfile -t wanted < <(sed 's/#.*//' "$here/modules.txt" | tr -s ' \t' '\n' | grep -v '^$')
[ "$qemu" = 1 ] && wanted+=(kvm_intel kvm_amd tun)
for m in "${wanted[@]}"; do pick "$m"; done
mdir=$root/usr/lib/modules/$kver
count=0
for n in "${!picked[@]}"; do
  p=${picked[$n]}
  case "$p" in builtin|alias) continue ;; esac
  install -D -m 0644 "$ktree/$p" "$mdir/$p"
  count=$((count + 1))
done
cp "$ktree"/modules.order "$ktree"/modules.builtin "$ktree"/modules.builtin.modinfo "$mdir/"
depmod -b "$root" "$kver"
printf '%s\n' "${wanted[@]}" > "$root/etc/boottorrent/modules.txt"
echo "$count modules ($(du -sh "$mdir" | cut -f1)) for ${#wanted[@]} requested drivers"

# --- Java runtime --------------------------------------------------------------------------------------------
step "Java runtime (jlink from $JAVA_HOME)"
# --compress=0: the initrd is compressed as a whole, and zstd/xz do much better on uncompressed
# class files than on jlink's zip-compressed ones (see README.md for the numbers).
# --generate-cds-archive: the runtime's own class-data-sharing archive (lib/server/classes.jsa, as a
# JDK has): without it every JDK class the agent loads is parsed and verified at each start, which
# under TCG emulation costs seconds (README.md, "Start-up").
"$JAVA_HOME/bin/jlink" --add-modules "$jre_modules" \
  --strip-debug --no-header-files --no-man-pages --compress=0 --generate-cds-archive \
  --output "$root/opt/boottorrent/jre"
# the agent's heap is small: compressed oops, classes.jsa; the archive for a 32 GiB+ heap is 10 MiB for nothing
rm -f "$root/opt/boottorrent/jre/lib/server/classes_nocoops.jsa"
copy_libs "$root"/opt/boottorrent/jre/bin/java $(find "$root/opt/boottorrent/jre/lib" -name '*.so')
"$root/opt/boottorrent/jre/bin/java" -version 2>&1 | head -1

# --- agent jar -----------------------------------------------------------------------------------------------
step "agent ($jar)"
# Re-packed without compression (same entries, fixed order and dates): compressing the initrd then
# shrinks it to about half of what the deflated jar takes.
x=$work/jar
mkdir -p "$x"
(cd "$x" && "$JAVA_HOME/bin/jar" xf "$jar")
(cd "$x" && find . -type f ! -path ./META-INF/MANIFEST.MF | sort > "$work/jar.list")
(cd "$x" && "$JAVA_HOME/bin/jar" --create --no-compress --date="$(date -u -d "@$epoch" +%Y-%m-%dT%H:%M:%SZ)" \
  --manifest META-INF/MANIFEST.MF --file "$root/opt/boottorrent/boottorrent-agent.jar" "@$work/jar.list")
# libtorrent4j's native library is extracted from the jar at run time; it needs these libraries.
[ -f "$x/lib/x86_64/libtorrent4j.so" ] || die "$jar has no lib/x86_64/libtorrent4j.so"
copy_libs "$x/lib/x86_64/libtorrent4j.so"

# --- QEMU (option) -------------------------------------------------------------------------------------------
if [ "$qemu" = 1 ]; then
  step "QEMU"
  install -m 0755 "$(readlink -f "$(command -v qemu-system-x86_64)")" "$root/usr/bin/qemu-system-x86_64"
  # Debian builds TCG as a loadable module (needed without /dev/kvm); the display/audio/UI modules
  # are not: the launcher runs -nographic.
  install -D -m 0644 /usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so \
    "$root/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so"
  copy_libs "$root/usr/bin/qemu-system-x86_64" "$root/usr/lib/x86_64-linux-gnu/qemu/accel-tcg-x86_64.so"
  # The firmware a default pc machine with -nographic loads (Debian's QEMU searches these folders).
  for f in /usr/share/seabios/bios-256k.bin /usr/share/seabios/vgabios-stdvga.bin \
    /usr/share/qemu/kvmvapic.bin /usr/share/qemu/linuxboot_dma.bin /usr/share/qemu/linuxboot.bin \
    /usr/lib/ipxe/qemu/efi-e1000.rom /usr/lib/ipxe/qemu/efi-virtio.rom; do
    install -D -m 0644 "$(readlink -f "$f")" "$root$f"
  done
fi

if [ -n "${TRUSTED_KEYS:-}" ]; then
  step "trusted keys ($TRUSTED_KEYS)"
  grep -q -- '-----BEGIN PUBLIC KEY-----' "$TRUSTED_KEYS" 2>/dev/null \
    || die "TRUSTED_KEYS=$TRUSTED_KEYS is not a PEM file of public keys (boottorrent keys show --pem)"
  install -m 0644 "$TRUSTED_KEYS" "$root/etc/boottorrent/trusted-keys.pem"
fi

# --- class-data sharing archive of the agent (AppCDS) ---------------------------------------------------------
# The runtime's own archive (classes.jsa) covers JDK classes only; every class of the agent jar (Vert.x,
# Netty, protobuf, picocli, logback, ours) was still parsed and verified at each start, which under TCG
# costs seconds (README.md, "Start-up"). A dynamic archive of the classes one start loads, dumped by a
# training run inside the image's root: the archive records the jar's path, size and mtime, and the JVM
# maps it only when all three match at boot, so the jar gets the image's timestamp first. The training
# agent asks a catalog that is not there (127.0.0.1:9), which loads the start-up path up to the catalog
# request; it is stopped (SIGTERM, the JVM still writes the archive as it exits) once it has failed,
# rather than after ~30 s of retrying its boot events. bin/agent-cds-training does the same for the host's
# jar; this one runs the image's own JRE and jar under busybox in the chroot, so it cannot share it.
# chroot needs root: without it the image has no archive (agent.sh then starts the JVM without one).
cds=/opt/boottorrent/agent.jsa
in_root() { # command line run inside the image's root, /proc mounted
  mount -t proc proc "$root/proc"
  trap 'umount "$root/proc" 2>/dev/null' EXIT
  local rc=0
  chroot "$root" /bin/sh -c "$1" || rc=$?
  umount "$root/proc"
  trap - EXIT
  return $rc
}
if [ "$(id -u)" = 0 ]; then
  step "AppCDS archive ($cds)"
  touch -d "@$epoch" "$root/opt/boottorrent/boottorrent-agent.jar"
  mkdir -p "$root/tmp/cds-training" "$root/run/boottorrent"
  printf 'agent:\n  catalogRetrySeconds: 1\n' > "$root/tmp/cds-training/agent.yaml"
  # agent.sh's GC and JVM flags (a dynamic archive maps only under compatible ones)
  in_root "LD_PRELOAD=/opt/boottorrent/jre/lib/libjsig.so /opt/boottorrent/jre/bin/java -XX:ArchiveClassesAtExit=$cds \
    -XX:+UseSerialGC -XX:-UsePerfData -Djava.io.tmpdir=/tmp -Dfile.encoding=UTF-8 \
    -Dlogback.configurationFile=/etc/boottorrent/logback.xml -jar /opt/boottorrent/boottorrent-agent.jar agent \
    --config /tmp/cds-training/agent.yaml --catalog http://127.0.0.1:9 --mac 02:00:00:00:00:00 \
    --work-dir /tmp/cds-training/work --launcher none --non-interactive > /tmp/cds-training/out.log 2>&1 &
    pid=\$!; n=0
    while [ \$n -lt 120 ] && kill -0 \$pid 2>/dev/null && ! grep -q 'boot failed' /tmp/cds-training/out.log; do
      sleep 1; n=\$((n + 1)); done
    kill -TERM \$pid 2>/dev/null; wait \$pid" || true
  [ -s "$root$cds" ] || die "the AppCDS training run left no $cds; its output: $(cat "$root/tmp/cds-training/out.log")"
  rm -rf "$root/tmp/cds-training" "$root/run/boottorrent"
  echo "$(human "$(stat -c %s "$root$cds")") archive"
else
  step "AppCDS archive: skipped (not root: the training run needs chroot); the agent starts without one"
fi

# --- version, timestamps, archive ------------------------------------------------------------------------------
step "initrd ($compress)"
version="$(git -C "$repo" describe --always --dirty 2>/dev/null || echo dev)"
echo "$version" > "$root/etc/boottorrent/version"
cat > "$root/etc/boottorrent/build-info" <<EOF
version=$version
kernel=$kver ($(cat "$cache"/*/.from-deb 2>/dev/null | grep -F "$kver" | head -1))
java=$("$JAVA_HOME/bin/java" -version 2>&1 | head -1)
jre_modules=$jre_modules
busybox=$("$busybox" 2>&1 | head -1 | cut -d' ' -f2)
kexec=$("$kexec" --version 2>&1 | head -1)
jar=${jar##*/}
jar_sha256=$(sha256sum "$jar" | cut -d' ' -f1)
qemu=$([ "$qemu" = 1 ] && qemu-system-x86_64 --version | head -1 || echo no)
compress=$compress
EOF
find "$root" -exec touch -h -d "@$epoch" {} +
if [ -f "$root$cds" ]; then
  # -Xshare:on fails instead of starting without the archive: what agent.sh runs at boot, maps it
  in_root "/opt/boottorrent/jre/bin/java -Xshare:on -XX:SharedArchiveFile=$cds -XX:+UseSerialGC -XX:-UsePerfData \
    -jar /opt/boottorrent/boottorrent-agent.jar --version > /dev/null" \
    || die "the JVM of the image does not map $cds (-Xshare:on): see the message above"
fi
cpio_file=$work/initrd.cpio
(cd "$root" && find . -mindepth 1 | sort | cpio -o -H newc -R 0:0 --reproducible --quiet) > "$cpio_file"
"${compressor[@]}" < "$cpio_file" > "$out/initrd.tmp"
mv "$out/initrd.tmp" "$out/initrd"
cp "$root/etc/boottorrent/build-info" "$out/build-info.txt"

# --- report -----------------------------------------------------------------------------------------------------
sizes() { du -sb "$@" 2>/dev/null | awk '{s += $1} END {print s + 0}'; }
{
  echo "uncompressed contents:"
  printf '  %-34s %10s\n' \
    "Java runtime (jlink)" "$(human "$(sizes "$root/opt/boottorrent/jre")")" \
    "boottorrent-agent.jar (stored)" "$(human "$(sizes "$root/opt/boottorrent/boottorrent-agent.jar")")" \
    "agent.jsa (AppCDS)" "$(human "$(sizes "$root$cds")")" \
    "kernel modules ($count)" "$(human "$(sizes "$root/usr/lib/modules")")" \
    "shared libraries" "$(human "$(find "$root/usr/lib/x86_64-linux-gnu" "$root/usr/lib64" -maxdepth 1 -type f \
      -printf '%s\n' | awk '{s += $1} END {print s + 0}')")" \
    "busybox" "$(human "$(sizes "$root/usr/bin/busybox")")" \
    "kexec" "$(human "$(sizes "$root/usr/sbin/kexec")")"
  if [ "$qemu" = 1 ]; then
    printf '  %-34s %10s\n' "qemu-system-x86_64 + firmware" \
      "$(human "$(sizes "$root/usr/bin/qemu-system-x86_64" "$root/usr/share/seabios" "$root/usr/share/qemu" "$root/usr/lib/ipxe" "$root/usr/lib/x86_64-linux-gnu/qemu")")"
  fi
  printf '  %-34s %10s\n' "total (cpio)" "$(human "$(stat -c %s "$cpio_file")")"
  echo "output ($out):"
  printf '  %-34s %10s\n' "vmlinuz ($kver)" "$(human "$(stat -c %s "$out/vmlinuz")")" \
    "initrd ($compress)" "$(human "$(stat -c %s "$out/initrd")")"
} | tee -a "$out/build-info.txt"
if [ -n "${INSTALL_DIR:-}" ]; then
  mkdir -p "$INSTALL_DIR"
  for f in vmlinuz initrd; do
    cp "$out/$f" "$INSTALL_DIR/.$f.tmp" && mv "$INSTALL_DIR/.$f.tmp" "$INSTALL_DIR/$f"
  done
  echo "installed into $INSTALL_DIR"
fi
# keep build/rootfs (inspect it, or chroot into it); the rest is scratch
rm -rf "$index" "$x" "$cpio_file"
echo "client image built in $(($(date +%s) - started)) s"
