#!/bin/sh
# Re-captures the fixtures of this folder (root; Debian: isc-dhcp-client, udhcpc, python3, iproute2).
# A server and a client network namespace joined by a veth pair; a dummy UDP listener on port 67 in
# the server namespace saves the first datagram it receives. Nothing leaves the two namespaces.
set -eu
cd "$(dirname "$0")"
ip netns add capsrv
ip netns add capcli
trap 'ip netns del capcli; ip netns del capsrv' EXIT
ip link add capv0 type veth peer name capv1
ip link set capv0 netns capsrv
ip link set capv1 netns capcli
ip -n capcli link set capv1 address 02:42:0a:d5:63:02
ip -n capsrv addr add 10.213.99.1/24 brd + dev capv0
ip -n capsrv link set capv0 up
ip -n capcli link set capv1 up

capture() { # capture FILE COMMAND...
  out=$1; shift
  ip netns exec capsrv python3 capture-listener.py "$out" &
  sleep 1
  timeout 8 ip netns exec capcli "$@" >/dev/null 2>&1 || true
  wait
}
capture dhclient-discover.bin dhclient -d -v -1 -cf capture-dhclient.conf -lf /tmp/capture.leases \
  -pf /tmp/capture.pid -sf /bin/true capv1
capture udhcpc-discover.bin udhcpc -f -q -n -t 1 -T 1 -i capv1 -s /bin/true
capture udhcpc-pxe-efi64-discover.bin udhcpc -f -q -n -t 1 -T 1 -i capv1 -s /bin/true \
  -V PXEClient:Arch:00007:UNDI:003016 -x 0x5d:0007 -x 0x5e:010310 \
  -x 0x61:00a1b2c3d4e5f60718293a4b5c6d7e8f90 -O 0x42 -O 0x43
