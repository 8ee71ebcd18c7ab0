#!/usr/bin/env python3
"""Sends an IPv6 Router Advertisement on one interface every 0.5 s, for the PXE boot tests.

iPXE configures IPv4 (DHCP) and IPv6 (router solicitation) together and only reports "ok" when both
are done; on a network without an IPv6 router it waits ~13 s for a router advertisement that never
comes. This RA has the M and O flags clear (no DHCPv6), no prefix and a router lifetime of 0 (not a
default router): iPXE's IPv6 autoconfiguration completes at once and nothing else changes.
Usage: ipv6-ra.py IFNAME (run inside the test's network namespace).
"""
import socket
import struct
import sys
import time

ifname = sys.argv[1]
index = socket.if_nametoindex(ifname)
sock = socket.socket(socket.AF_INET6, socket.SOCK_RAW, socket.IPPROTO_ICMPV6)
sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_HOPS, 255)  # RFC 4861 6.1.2: hop limit 255
sock.setsockopt(socket.IPPROTO_IPV6, socket.IPV6_MULTICAST_IF, index)
# type 134, code 0, checksum (the kernel fills it in for ICMPv6 raw sockets), cur hop limit 64,
# flags 0, router lifetime 0, reachable time 0, retrans timer 0
advertisement = struct.pack("!BBHBBHII", 134, 0, 0, 64, 0, 0, 0, 0)
print("sending router advertisements on", ifname, flush=True)
sent = 0
while True:
    try:
        sock.sendto(advertisement, ("ff02::1", 0, 0, index))
        sent += 1
        if sent == 1:
            print("first router advertisement sent", flush=True)
    except OSError:
        pass  # no link-local address yet (the tap is down until QEMU opens it)
    time.sleep(0.5)
