#!/usr/bin/env python3
"""Parsing and reporting for bench/pxe-bench.sh (standard library only).

Subcommands:
  perfdhcp FILE             key=value lines from one perfdhcp run's output
  leases-ours FILE          address uniqueness in our lease journal (<dataDir>/dhcp/leases)
  leases-dnsmasq FILE       address uniqueness in a dnsmasq lease file
  table DHCP_CSV TFTP_CSV [--markdown]
                            the side-by-side tables with ratios (either CSV may be missing)
"""
import csv
import os
import re
import sys


def perfdhcp(path):
    text = open(path, encoding="utf-8", errors="replace").read()
    out = {}
    m = re.search(r"Rate: ([0-9.]+) 4-way exchanges/second", text)
    out["leases_per_s"] = m.group(1) if m else "0"
    sections = {"do": "DISCOVER-OFFER", "ra": "REQUEST-ACK"}
    for key, name in sections.items():
        m = re.search(r"Statistics for: " + name + r"\*+\n(.*?)(?:\n\*\*\*|\Z)", text, re.S)
        block = m.group(1) if m else ""

        def field(label, default="0"):
            f = re.search(r"^" + label + r": ([0-9.]+)", block, re.M)
            return f.group(1) if f else default

        out[key + "_sent"] = field("sent packets")
        out[key + "_received"] = field("received packets")
        out[key + "_drops"] = field("drops")
        out[key + "_non_unique"] = field("non unique addresses")
        out[key + "_avg_ms"] = field("avg delay", "")
    for k, v in out.items():
        print(f"{k}={v}")


def _report(pairs):
    """pairs: (ip, mac) for every lease the server granted."""
    holders, addresses = {}, {}
    for ip, mac in pairs:
        holders.setdefault(ip, set()).add(mac)
        addresses.setdefault(mac, set()).add(ip)
    print(f"bound={len(holders)}")
    print(f"dup_ips={sum(1 for s in holders.values() if len(s) > 1)}")
    print(f"dup_macs={sum(1 for s in addresses.values() if len(s) > 1)}")


def leases_ours(path):
    # "ip state mac expiresAtMs", one record per change, the last for an address winning. Every BOUND
    # record counts: an address bound to two MACs within the run is a duplicate, even if a later
    # record replaced it.
    pairs = []
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            parts = line.split()
            if len(parts) >= 4 and not line.startswith("#") and parts[1] == "BOUND":
                pairs.append((parts[0], parts[2].lower()))
    _report(pairs)


def leases_dnsmasq(path):
    # "expiry mac ip hostname client-id", one line per lease (dnsmasq records a lease at the ACK).
    pairs = []
    if os.path.exists(path):
        for line in open(path, encoding="utf-8"):
            parts = line.split()
            if len(parts) >= 3 and parts[0].isdigit():
                pairs.append((parts[2], parts[1].lower()))
    _report(pairs)


def _read(path):
    if not path or not os.path.exists(path):
        return []
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _ratio(a, b):
    try:
        a, b = float(a), float(b)
    except (TypeError, ValueError):
        return "n/a"
    return f"{a / b:.2f}x" if b > 0 else "n/a"


def _render(title, header, rows, markdown):
    lines = []
    if markdown:
        lines.append(f"**{title}**")
        lines.append("")
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|")
        for r in rows:
            lines.append("| " + " | ".join(r) + " |")
    else:
        widths = [max(len(str(x)) for x in col) for col in zip(header, *rows)] if rows else [len(h) for h in header]
        lines.append(title)
        lines.append("  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(header, widths))))
        lines.append("  ".join("-" * w for w in widths))
        for r in rows:
            lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    lines.append("")
    return "\n".join(lines)


def _pct(drop, sent):
    try:
        return f"{100.0 * float(drop) / float(sent):.1f}%" if float(sent) > 0 else "n/a"
    except ValueError:
        return "n/a"


def _f(x, fmt="{:.0f}"):
    try:
        return fmt.format(float(x))
    except (TypeError, ValueError):
        return "n/a"


def table(dhcp_csv, tftp_csv, markdown):
    out = []
    dhcp = _read(dhcp_csv)
    if dhcp:
        by = {(r["server"], r["rate_target"]): r for r in dhcp}
        rates = sorted({r["rate_target"] for r in dhcp}, key=float)
        header = ["target/s", "ours leases/s", "dnsmasq leases/s", "ratio ours/dnsmasq",
                  "ours not completed", "dnsmasq not completed", "ours dup offers/leases",
                  "dnsmasq dup offers/leases", "server CPU s ours/dnsmasq", "others' CPU s ours/dnsmasq run"]
        rows = []
        for rate in rates:
            o, d = by.get(("ours", rate), {}), by.get(("dnsmasq", rate), {})

            def dup(r):
                if not r:
                    return "n/a"
                leases = int(r["ra_non_unique"]) + int(r["dup_ips"]) + int(r["dup_macs"])
                return f"{r['do_non_unique']}/{leases}"

            def not_completed(r):
                return _pct(int(r["do_sent"]) - int(r["ra_received"]), r["do_sent"]) if r else "n/a"

            rows.append([rate, _f(o.get("leases_per_s")), _f(d.get("leases_per_s")),
                         _ratio(o.get("leases_per_s"), d.get("leases_per_s")),
                         not_completed(o), not_completed(d), dup(o), dup(d),
                         f"{o.get('server_cpu_s', 'n/a')} / {d.get('server_cpu_s', 'n/a')}",
                         f"{o.get('others_cpu_s', 'n/a')} / {d.get('others_cpu_s', 'n/a')}"])
        seconds = dhcp[0]["seconds"]
        out.append(_render(f"DHCP: perfdhcp DORA, {seconds} s per target rate. leases/s = completed 4-way "
                           "exchanges/s; not completed = DISCOVERs sent that got no ACK; dup offers = an address "
                           "offered to two clients (perfdhcp), dup leases = an address acknowledged to two "
                           "clients (perfdhcp) or bound twice in the server's lease file", header, rows, markdown))
        header2 = ["server", "target/s", "DISCOVER sent", "OFFER", "REQUEST sent", "ACK", "drops D-O", "drops R-A",
                   "avg D-O ms", "avg R-A ms", "leases in file", "full-buffer drops server/perfdhcp",
                   "server CPU s", "perfdhcp CPU s", "others' CPU s", "machine busy"]
        rows2 = [[r["server"], r["rate_target"], r["do_sent"], r["do_received"], r["ra_sent"], r["ra_received"],
                  r["do_drops"], r["ra_drops"], r["do_avg_ms"] or "-", r["ra_avg_ms"] or "-", r["bound"],
                  f"{r.get('server_rcvbuf_drops', '?')}/{r.get('client_rcvbuf_drops', '?')}", r["server_cpu_s"], r["clients_cpu_s"], r["others_cpu_s"], r["machine_busy_pct"] + "%"]
                 for r in sorted(dhcp, key=lambda r: (float(r["rate_target"]), r["server"] != "ours"))]
        out.append(_render("DHCP detail (perfdhcp counters; CPU seconds during the measured run)", header2, rows2,
                           markdown))
    tftp = _read(tftp_csv)
    if tftp:
        by = {(r["server"], r["scenario"], r["client"]): r for r in tftp}
        keys = []
        for r in tftp:
            k = (r["scenario"], r["client"])
            if k not in keys:
                keys.append(k)
        header = ["transfer", "client", "ours s", "tftpd-hpa s", "ours MiB/s", "tftpd-hpa MiB/s",
                  "ratio ours/tftpd-hpa", "sha256 ours, tftpd-hpa", "server CPU s ours/tftpd-hpa",
                  "others' CPU s ours/tftpd-hpa run"]
        rows = []
        for scenario, client in keys:
            o, t = by.get(("ours", scenario, client), {}), by.get(("tftpd-hpa", scenario, client), {})
            label = client
            r0 = o or t
            if r0:
                label = f"{client} ({r0['blksize']} B" + (f", window {r0['windowsize']})" if r0["windowsize"] != "1" else ")")

            def ok(r):
                if not r:
                    return "n/a"
                return f"{r['sha256_ok']}/{r['transfers']}" + ("" if r["failures"] == "0" else f" ({r['failures']} failed)")

            rows.append([scenario, label, o.get("wall_s", "n/a"), t.get("wall_s", "n/a"),
                         o.get("mib_per_s", "n/a"), t.get("mib_per_s", "n/a"),
                         _ratio(o.get("mib_per_s"), t.get("mib_per_s")),
                         f"{ok(o)}, {ok(t)}",
                         f"{o.get('server_cpu_s', 'n/a')} / {t.get('server_cpu_s', 'n/a')}",
                         f"{o.get('others_cpu_s', 'n/a')} / {t.get('others_cpu_s', 'n/a')}"])
        out.append(_render("TFTP: wall time until every transfer completed, aggregate MiB/s; ratio > 1: ours faster; "
                           "sha256 = byte-identical copies", header, rows, markdown))
    print("\n".join(out), end="")


def main(argv):
    if len(argv) >= 2 and argv[0] == "perfdhcp":
        perfdhcp(argv[1])
    elif len(argv) >= 2 and argv[0] == "leases-ours":
        leases_ours(argv[1])
    elif len(argv) >= 2 and argv[0] == "leases-dnsmasq":
        leases_dnsmasq(argv[1])
    elif len(argv) >= 3 and argv[0] == "table":
        table(argv[1], argv[2], "--markdown" in argv[3:])
    else:
        print(__doc__, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
