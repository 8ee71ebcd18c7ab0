#!/usr/bin/env python3
"""Turns the catalog's boot events of one BootTorrent boot storm into per-node lines of nodes.csv.

usage: bs_events.py EVENTS_JSON LAUNCH_CSV RUN N T0_MS SERVER_IP IMAGE NODES_CSV [CONTENDER]

EVENTS_JSON is GET /api/v1/events?limit=10000; LAUNCH_CSV holds "mac,node,launch_ms" written by the
harness just before each agent process was started. Appends
    run,contender,n,node,launch_ms,verified_ms,rc,download_started_ms   (contender: boottorrent by default)
to NODES_CSV (rc 0: VERIFIED reported; 1: FAILED or nothing) and prints
    seeder_payload_bytes peer_payload_bytes note
where the byte counts sum every agent's DOWNLOAD_COMPLETE bytes_from_peers split into the server's
address (the seeder) and everything else (other agents), and note says how many nodes used the web seed.
"""
import csv
import json
import sys


def main(argv):
    events_path, launch_path, run, n, t0, server_ip, image, nodes_path = argv[1:9]
    contender = argv[9] if len(argv) > 9 else "boottorrent"
    n, t0 = int(n), int(t0)
    launches = {}
    with open(launch_path) as f:
        for mac, node, ms in csv.reader(f):
            launches[mac] = (int(node), int(ms))
    try:
        with open(events_path) as f:
            events = json.load(f).get("events", [])
    except (OSError, ValueError):
        events = []
    started, verified, failed = {}, {}, set()
    seeder = peers = 0
    web_nodes = 0
    for e in events:
        mac, stage, ts = e.get("mac"), e.get("stage"), int(e.get("timestampMs", 0))
        if mac not in launches or ts < t0 - 1000:
            continue  # another run's events (the catalog keeps the latest 10,000)
        if e.get("image") not in (None, "", image):
            continue
        if stage == "DOWNLOAD_STARTED":
            started[mac] = min(ts, started.get(mac, ts))
        elif stage == "VERIFIED":
            verified[mac] = min(ts, verified.get(mac, ts))
        elif stage == "FAILED":
            failed.add(mac)
        elif stage == "DOWNLOAD_COMPLETE":
            for peer, count in e.get("bytesFromPeers", {}).items():
                if peer.startswith("web:"):
                    continue
                if peer.rsplit(":", 1)[0] == server_ip:
                    seeder += int(count)
                else:
                    peers += int(count)
            if int(e.get("bytesFromWebSeed", 0)) > 0:
                web_nodes += 1
    with open(nodes_path, "a") as out:
        for mac, (node, launch) in sorted(launches.items(), key=lambda kv: kv[1][0]):
            ok = mac in verified and mac not in failed
            end = verified.get(mac, 0)
            out.write(f"{run},{contender},{n},{node},{launch},{end},{0 if ok else 1},{started.get(mac, '')}\n")
    note = f"web-seed-used-by-{web_nodes}-nodes" if web_nodes else ""
    print(seeder, peers, note)


if __name__ == "__main__":
    main(sys.argv)
