#!/usr/bin/env python3
"""A lossy, jittery link for the fault tests: the kernel here has no netem, so iptables hands each
packet to this program (NFQUEUE), which drops it with probability LOSS or gives it back to the kernel
after a delay drawn uniformly from 0..JITTER_MS, independently per packet (packets overtake each
other, as with netem's jitter). The kernel splits GSO super-packets before queueing them (no
NFQA_CFG_F_GSO), so every decision is about one wire-sized packet.

Usage: lossy-link.py LOSS JITTER_MS SEED QUEUE[:HOPS] ...
  QUEUE: an NFQUEUE number the iptables rules send packets to; HOPS (default 1): how many links a
  packet of that queue crosses (2: agent to agent through a switch, both client links) — a packet is
  then dropped or delayed once per hop.
Prints "ready" once bound, then "stats queue=Q seen=N dropped=D delay_ms_sum=S" for each queue
every second while packets flow, for every line read on standard input, and once more when it ends
(SIGTERM or end of input).

Only the Python standard library: the netlink messages are packed by hand (linux/netfilter/nfnetlink*.h).
"""
import heapq
import os
import random
import select
import signal
import socket
import stat
import struct
import sys
import time

NETLINK_NETFILTER = 12
NFNL_SUBSYS_QUEUE = 3
NFQNL_MSG_PACKET, NFQNL_MSG_VERDICT, NFQNL_MSG_CONFIG = 0, 1, 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4
NLMSG_ERROR, NLMSG_DONE = 2, 3
NFQA_PACKET_HDR, NFQA_VERDICT_HDR = 1, 2
NFQA_CFG_CMD, NFQA_CFG_PARAMS, NFQA_CFG_QUEUE_MAXLEN = 1, 2, 3
NFQNL_CFG_CMD_BIND = 1
NFQNL_COPY_META = 1
NF_DROP, NF_ACCEPT = 0, 1
SO_RCVBUFFORCE = 33


def attr(kind, data):
    pad = (4 - len(data) % 4) % 4
    return struct.pack("=HH", 4 + len(data), kind) + data + b"\0" * pad


def message(kind, queue, payload, flags=NLM_F_REQUEST, seq=0):
    body = struct.pack("=BBH", socket.AF_UNSPEC, 0, socket.htons(queue)) + payload
    return struct.pack("=IHHII", 16 + len(body), (NFNL_SUBSYS_QUEUE << 8) | kind, flags, seq, 0) + body


def configure(sock, queue, seq):
    for payload in (attr(NFQA_CFG_CMD, struct.pack("!BBH", NFQNL_CFG_CMD_BIND, 0, 0)),
                    attr(NFQA_CFG_PARAMS, struct.pack("!IB", 0, NFQNL_COPY_META)),
                    attr(NFQA_CFG_QUEUE_MAXLEN, struct.pack("!I", 65536))):
        seq += 1
        sock.send(message(NFQNL_MSG_CONFIG, queue, payload, NLM_F_REQUEST | NLM_F_ACK, seq))
        reply = sock.recv(65536)
        length, kind = struct.unpack_from("=IH", reply)
        if kind == NLMSG_ERROR:
            error = struct.unpack_from("=i", reply, 16)[0]
            if error != 0:
                raise OSError(-error, "NFQUEUE config of queue %d: %s" % (queue, os.strerror(-error)))
    return seq


def main(argv):
    if len(argv) < 5:
        sys.exit(__doc__)
    loss = float(argv[1])
    jitter = float(argv[2]) / 1000.0
    rng = random.Random(int(argv[3]))
    hops = {}
    for spec in argv[4:]:
        queue, _, n = spec.partition(":")
        hops[int(queue)] = int(n or "1")
    sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    sock.setsockopt(socket.SOL_SOCKET, SO_RCVBUFFORCE, 16 << 20)
    sock.bind((0, 0))
    seq = 0
    for queue in hops:
        seq = configure(sock, queue, seq)
    seen = {q: 0 for q in hops}
    dropped = {q: 0 for q in hops}
    delay_sum = {q: 0.0 for q in hops}
    pending = []  # (release time, packet id, queue)
    stop = []
    signal.signal(signal.SIGTERM, lambda *_: stop.append(1))
    inputs = [sock] + ([sys.stdin] if stat.S_ISFIFO(os.fstat(0).st_mode) else [])  # a pipe: watch for EOF
    print("ready", flush=True)
    last_report, changed = time.monotonic(), False

    def report():
        for q in hops:
            print("stats queue=%d seen=%d dropped=%d delay_ms_sum=%.0f" % (q, seen[q], dropped[q], delay_sum[q] * 1000),
                  flush=True)

    def verdict(queue, packet_id, what):
        sock.send(message(NFQNL_MSG_VERDICT, queue, attr(NFQA_VERDICT_HDR, struct.pack("!II", what, packet_id))))

    while not stop:
        now = time.monotonic()
        while pending and pending[0][0] <= now:
            _, packet_id, queue = heapq.heappop(pending)
            verdict(queue, packet_id, NF_ACCEPT)
        if changed and now - last_report >= 1.0:
            report()
            last_report, changed = now, False
        timeout = max(0.0, pending[0][0] - now) if pending else 1.0
        try:
            readable, _, _ = select.select(inputs, [], [], timeout)
        except InterruptedError:
            continue
        if sys.stdin in readable:
            line = os.read(0, 4096)
            if not line:
                break  # the test closed our input: it ended or died
            report()  # any input asks for the counts now
            last_report, changed = time.monotonic(), False
        if sock not in readable:
            continue
        try:
            data = sock.recv(1 << 20)
        except OSError as e:  # ENOBUFS: the kernel dropped queue messages; counted by /proc/net/netfilter
            print("recv: %s" % e, flush=True)
            continue
        offset = 0
        while offset + 16 <= len(data):
            length, kind = struct.unpack_from("=IH", data, offset)
            if length < 16:
                break
            if kind == (NFNL_SUBSYS_QUEUE << 8) | NFQNL_MSG_PACKET:
                queue = socket.ntohs(struct.unpack_from("=H", data, offset + 18)[0])
                a = offset + 20
                while a + 4 <= offset + length:
                    alen, akind = struct.unpack_from("=HH", data, a)
                    if alen < 4:
                        break
                    if (akind & 0x7fff) == NFQA_PACKET_HDR:
                        packet_id = struct.unpack_from("!I", data, a + 4)[0]
                        seen[queue] += 1
                        changed = True
                        delay, lost = 0.0, False
                        for _ in range(hops[queue]):
                            if rng.random() < loss:
                                lost = True
                                break
                            delay += rng.random() * jitter
                        if lost:
                            dropped[queue] += 1
                            verdict(queue, packet_id, NF_DROP)
                        elif delay <= 0:
                            verdict(queue, packet_id, NF_ACCEPT)
                        else:
                            delay_sum[queue] += delay
                            heapq.heappush(pending, (time.monotonic() + delay, packet_id, queue))
                        break
                    a += (alen + 3) & ~3
            offset += (length + 3) & ~3
    while pending:  # let go of what is held, so no packet stays queued after us
        _, packet_id, queue = heapq.heappop(pending)
        verdict(queue, packet_id, NF_ACCEPT)
    report()


if __name__ == "__main__":
    main(sys.argv)
