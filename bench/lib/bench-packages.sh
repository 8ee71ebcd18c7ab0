# Debian packages a benchmark drives, installed without starting their system services. Sourced by
# bench/pxe-bench.sh and bench/tracker-bench.sh, which set: bench_name (for messages), packages (the
# list), install (0: only check, and stop naming what is missing).
policy_rc_created=0

install_packages() {
  local missing="" p
  for p in $packages; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
  done
  [ -n "$missing" ] || return 0
  if [ "$install" = 0 ]; then
    echo "$bench_name: missing packages:$missing (run without --no-install, or apt-get install -y$missing)" >&2
    exit 1
  fi
  echo "$bench_name: installing:$missing"
  # tftpd-hpa and opentracker ship system services listening on all interfaces: keep apt from starting
  # them (policy-rc.d 101 = "action forbidden", Debian's own mechanism; removed again right after).
  if [ ! -e /usr/sbin/policy-rc.d ]; then
    printf '#!/bin/sh\n# temporary, from BootTorrent bench/%s\nexit 101\n' "$bench_name" > /usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    policy_rc_created=1
  fi
  # shellcheck disable=SC2086
  if ! DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null; then
    echo "$bench_name: install failed; apt-get update, then retrying"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing >/dev/null
  fi
  remove_policy_rc
}

remove_policy_rc() {
  if [ "$policy_rc_created" = 1 ]; then
    rm -f /usr/sbin/policy-rc.d
    policy_rc_created=0
  fi
}
