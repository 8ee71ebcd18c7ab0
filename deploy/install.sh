#!/usr/bin/env bash
# Installs, upgrades or uninstalls BootTorrent on a systemd host (docs/DEPLOY.md). --help says how.
set -euo pipefail
# Installed files are world-readable whatever the caller's umask: the units run as user boottorrent.
umask 022

usage() {
  cat <<'EOF'
Usage: deploy/install.sh [--upgrade | --uninstall] [options]

Installs BootTorrent from this checkout (after `make build`):
  PREFIX/boottorrent.jar, PREFIX/bin/boottorrent, PREFIX/docs/DEPLOY.md
  /usr/local/bin/boottorrent            symlink to PREFIX/bin/boottorrent
  /etc/boottorrent/boottorrent.yaml     from deploy/boottorrent.yaml; an existing one is never
                                        replaced: the shipped version is written beside it as .new
  /etc/boottorrent/secrets.env          secrets as BOOTTORRENT_* variables (0640 root:boottorrent;
                                        an existing one is never touched)
  /etc/boottorrent/tls/                 TLS certificates and keys (0750 root:boottorrent)
  /var/lib/boottorrent (0750), its catalog/ (0700: keys.pb, tokens.pb, admin.token),
  /var/log/boottorrent, /srv/boottorrent/import
  UNITDIR/boottorrent*.service          systemd units (deploy/systemd), PREFIX written into them
  /usr/lib/sysusers.d/boottorrent.conf  the system user `boottorrent`
  /usr/lib/tmpfiles.d/boottorrent.conf  the directories above, owned by that user

Without DESTDIR (as root) it also creates the user, owns the directories and, when systemd runs,
reloads it. It never enables or starts a unit; an upgrade restarts the BootTorrent units that run.
With DESTDIR it only stages files (for a package or image): no user, no chown, no systemctl.

Modes:
  (none)           install; upgrades in place when PREFIX/boottorrent.jar exists already
  --upgrade        upgrade; fails when nothing is installed. Keeps config, data and logs
  --uninstall      removes what the install put in PREFIX, UNITDIR, sysusers.d and tmpfiles.d;
                   keeps /etc/boottorrent, /var/lib/boottorrent, /var/log/boottorrent and the user
Options:
  --jar FILE       the jar to install (default: services/cli/target/boottorrent.jar)
  --prefix DIR     install directory (default: $PREFIX or /opt/boottorrent)
  --destdir DIR    stage into DIR instead of / (default: $DESTDIR)
  --unit-dir DIR   where the units go (default: $UNITDIR or /lib/systemd/system)
  --no-restart     upgrade without restarting running units
  -h, --help       this text
EOF
}

die() {
  echo "install.sh: error: $*" >&2
  exit 1
}
say() {
  echo "install.sh: $*"
}

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
args=("$@")
PREFIX=${PREFIX:-/opt/boottorrent}
DESTDIR=${DESTDIR:-}
UNITDIR=${UNITDIR:-/lib/systemd/system}
jar=$repo/services/cli/target/boottorrent.jar
mode=auto
restart=yes

need_value() {
  [ "$2" -ge 2 ] || die "$1 needs a value (see --help)"
}
while [ $# -gt 0 ]; do
  case $1 in
    -h | --help) usage; exit 0 ;;
    --upgrade) mode=upgrade ;;
    --uninstall) mode=uninstall ;;
    --no-restart) restart=no ;;
    --jar) need_value "$1" $#; jar=$2; shift ;;
    --jar=*) jar=${1#*=} ;;
    --prefix) need_value "$1" $#; PREFIX=$2; shift ;;
    --prefix=*) PREFIX=${1#*=} ;;
    --destdir) need_value "$1" $#; DESTDIR=$2; shift ;;
    --destdir=*) DESTDIR=${1#*=} ;;
    --unit-dir) need_value "$1" $#; UNITDIR=$2; shift ;;
    --unit-dir=*) UNITDIR=${1#*=} ;;
    *) die "unknown argument '$1' (see --help)" ;;
  esac
  shift
done

# PREFIX and UNITDIR are written into the units and sed expressions: plain absolute paths only.
check_dir() { # name value
  if [[ ! $2 =~ ^/[A-Za-z0-9._+/-]*[A-Za-z0-9._+-]$ ]] || [[ $2 =~ (^|/)\.\.?(/|$) ]]; then
    die "$1 '$2' must be an absolute path of letters, digits and ._+-/ (no spaces, no . or .., no trailing /)"
  fi
}
check_dir PREFIX "$PREFIX"
check_dir UNITDIR "$UNITDIR"
if [ -n "$DESTDIR" ]; then
  [[ $DESTDIR == /* ]] || DESTDIR=$PWD/$DESTDIR
  DESTDIR=${DESTDIR%/}
fi
if [ -z "$DESTDIR" ] && [ "$(id -u)" != 0 ]; then
  die "installing into / needs root: run 'sudo $0${args[*]:+ ${args[*]}}' (or set DESTDIR=DIR to stage the files into DIR)"
fi

D=$DESTDIR
prefix_dir=$D$PREFIX
etc_dir=$D/etc/boottorrent
config=$etc_dir/boottorrent.yaml
unit_dir=$D$UNITDIR
sysusers=$D/usr/lib/sysusers.d/boottorrent.conf
tmpfiles=$D/usr/lib/tmpfiles.d/boottorrent.conf
bin_link=$D/usr/local/bin/boottorrent
units=()
for u in "$repo"/deploy/systemd/*.service; do
  units+=("$(basename "$u")")
done
# systemd is PID 1 (sd_booted(3)); never for a staged install.
systemd_runs=no
if [ -z "$D" ] && [ -d /run/systemd/system ]; then
  systemd_runs=yes
fi

# Writes stdin to $1 with mode $2 through a temporary file and a rename: a running JVM keeps the
# old jar's inode (it reads classes from it lazily), so it never sees a half-written file.
put() {
  local dest=$1 mode=$2 tmp
  mkdir -p "$(dirname "$dest")"
  tmp=$(mktemp "$dest.XXXXXX")
  cat >"$tmp"
  chmod "$mode" "$tmp"
  mv -f "$tmp" "$dest"
}

# Our units that run now (systemd only).
running_units() {
  systemctl list-units --type=service --state=active --no-legend --plain 'boottorrent*' 2>/dev/null \
    | awk '{print $1}'
}

uninstall() {
  if [ "$systemd_runs" = yes ]; then
    local enabled
    enabled=$( (running_units; find /etc/systemd/system -name 'boottorrent*.service' -type l -printf '%f\n') | LC_ALL=C sort -u)
    if [ -n "$enabled" ]; then
      # shellcheck disable=SC2086 # one unit name per word
      systemctl disable --now $enabled
      say "stopped and disabled: ${enabled//$'\n'/ }"
    fi
  fi
  local f
  for f in "$prefix_dir/boottorrent.jar" "$prefix_dir/bin/boottorrent" "$prefix_dir/docs/DEPLOY.md" \
      "$sysusers" "$tmpfiles" "${units[@]/#/$unit_dir/}"; do
    rm -f "$f"
  done
  if [ -L "$bin_link" ] && [ "$(readlink "$bin_link")" = "$PREFIX/bin/boottorrent" ]; then
    rm -f "$bin_link"
  fi
  rmdir "$prefix_dir/bin" "$prefix_dir/docs" "$prefix_dir" 2>/dev/null || true
  if [ "$systemd_runs" = yes ]; then
    systemctl daemon-reload
  fi
  say "removed BootTorrent from $prefix_dir and $unit_dir"
  say "kept $etc_dir, $D/var/lib/boottorrent, $D/var/log/boottorrent and the user boottorrent;"
  say "  to remove them too: rm -rf $etc_dir $D/var/lib/boottorrent $D/var/log/boottorrent; userdel boottorrent"
}

if [ "$mode" = uninstall ]; then
  uninstall
  exit 0
fi

[ -f "$jar" ] || die "no jar at $jar: run 'make build' first (or pass --jar FILE)"
[ "$(head -c 4 "$jar" | od -An -tx1 | tr -d ' \n')" = 504b0304 ] || die "$jar is not a jar (zip) file"
for f in bin/boottorrent deploy/boottorrent.yaml docs/DEPLOY.md deploy/systemd/boottorrent.sysusers.conf \
    deploy/systemd/boottorrent.tmpfiles.conf; do
  [ -f "$repo/$f" ] || die "$repo/$f missing: run this script from a BootTorrent checkout"
done

upgrade=no
if [ -f "$prefix_dir/boottorrent.jar" ]; then
  upgrade=yes
elif [ "$mode" = upgrade ]; then
  die "--upgrade: nothing installed at $prefix_dir (no boottorrent.jar there); install without --upgrade first"
fi
if [ -z "$D" ]; then
  java_version=$(java -version 2>&1 | awk -F'"' '/version/ {print $2; exit}' || true)
  if [ -z "$java_version" ]; then
    say "warning: no java on the PATH; the units need Java 17+ (apt-get install openjdk-17-jre-headless)"
  elif [ "${java_version%%.*}" -lt 17 ] 2>/dev/null; then
    say "warning: java is version $java_version; the units need Java 17+ (apt-get install openjdk-17-jre-headless)"
  fi
fi

# Program files.
put "$prefix_dir/boottorrent.jar" 0644 <"$jar"
launcher=$(sed "s|\$here/services/cli/target/boottorrent.jar|$PREFIX/boottorrent.jar|" "$repo/bin/boottorrent")
grep -qF "$PREFIX/boottorrent.jar" <<<"$launcher" \
  || die "bin/boottorrent no longer names \$here/services/cli/target/boottorrent.jar: update install.sh"
put "$prefix_dir/bin/boottorrent" 0755 <<<"$launcher"
put "$prefix_dir/docs/DEPLOY.md" 0644 <"$repo/docs/DEPLOY.md"
if [ -L "$bin_link" ] || [ ! -e "$bin_link" ]; then
  mkdir -p "$(dirname "$bin_link")"
  ln -sfn "$PREFIX/bin/boottorrent" "$bin_link"
else
  say "warning: $bin_link exists and is not a symlink: left alone"
fi

# Units, user, directories.
for u in "${units[@]}"; do
  sed "s|/opt/boottorrent|$PREFIX|g" "$repo/deploy/systemd/$u" | put "$unit_dir/$u" 0644
done
for u in "${units[@]}"; do
  # e.g. copied there by hand before this script existed: it would hide the installed unit
  if [ "$D/etc/systemd/system" != "$unit_dir" ] && [ -f "$D/etc/systemd/system/$u" ] && [ ! -L "$D/etc/systemd/system/$u" ]; then
    say "warning: $D/etc/systemd/system/$u overrides the installed $unit_dir/$u: remove it (local changes: systemctl edit)"
  fi
done
put "$sysusers" 0644 <"$repo/deploy/systemd/boottorrent.sysusers.conf"
put "$tmpfiles" 0644 <"$repo/deploy/systemd/boottorrent.tmpfiles.conf"
install -d -m 0755 "$etc_dir" "$D/srv/boottorrent/import"
install -d -m 0750 "$D/var/lib/boottorrent" "$D/var/log/boottorrent" "$etc_dir/tls"
install -d -m 0700 "$D/var/lib/boottorrent/catalog"
# Secrets never go into the world-readable config: an owner-and-group-only file, created empty (with
# umask 077, so that it is never readable by others, not even between the write and the chmod).
if [ ! -e "$etc_dir/secrets.env" ]; then
  (umask 077; cat >"$etc_dir/secrets.env" <<'SECRETS'
# Secrets of this host's BootTorrent units as BOOTTORRENT_* variables (key a.bC.d <- BOOTTORRENT_A_BC_D),
# read by every unit (EnvironmentFile=). Mode 0640 root:boottorrent: keep it so. Uncomment to use, e.g.
#   BOOTTORRENT_CLUSTER_SECRET=<openssl rand -base64 32>   (cluster.secret: the same on every member)
SECRETS
  )
  chmod 0640 "$etc_dir/secrets.env"
fi

# Config: the operator's file is theirs.
if [ ! -e "$config" ]; then
  put "$config" 0644 <"$repo/deploy/boottorrent.yaml"
  say "installed $config: set publicHost (and dhcp, cluster) for this network"
elif cmp -s "$config" "$repo/deploy/boottorrent.yaml"; then
  rm -f "$config.new"
  say "kept $config (same as the shipped one)"
else
  put "$config.new" 0644 <"$repo/deploy/boottorrent.yaml"
  say "kept $config (yours); the shipped version is in $config.new: diff $config $config.new"
fi

if [ -z "$D" ]; then
  if ! getent passwd boottorrent >/dev/null; then
    if command -v systemd-sysusers >/dev/null; then
      systemd-sysusers "$sysusers"
    else
      useradd --system --user-group --home-dir /var/lib/boottorrent --no-create-home \
        --shell /usr/sbin/nologin --comment "BootTorrent services" boottorrent
    fi
    getent passwd boottorrent >/dev/null || die "could not create the system user boottorrent"
    say "created system user boottorrent"
  fi
  if command -v systemd-tmpfiles >/dev/null; then
    systemd-tmpfiles --create "$tmpfiles"
  else
    chown boottorrent:boottorrent /var/lib/boottorrent /var/lib/boottorrent/catalog /var/log/boottorrent
    chown root:boottorrent /etc/boottorrent/tls /etc/boottorrent/secrets.env
  fi
else
  say "staged into $D: no user or ownership set; on the target, systemd-sysusers and systemd-tmpfiles --create"
  say "  apply ${sysusers#"$D"} and ${tmpfiles#"$D"} (a package's postinst runs them)"
fi

if [ "$systemd_runs" = yes ]; then
  systemctl daemon-reload
  if [ "$upgrade" = yes ] && [ "$restart" = yes ]; then
    active=$(running_units)
    if [ -n "$active" ]; then
      # shellcheck disable=SC2086 # one unit name per word
      systemctl restart $active
      say "restarted: ${active//$'\n'/ }"
    fi
  fi
elif [ -z "$D" ]; then
  say "systemd is not running here: no daemon-reload, nothing restarted"
fi

if [ "$upgrade" = yes ]; then
  say "upgraded BootTorrent in $prefix_dir; config, data and logs kept"
else
  say "installed BootTorrent in $prefix_dir. Next (docs/DEPLOY.md):"
  say "  edit /etc/boottorrent/boottorrent.yaml, then: systemctl enable --now boottorrent"
fi
