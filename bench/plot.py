#!/usr/bin/env python3
"""Boot-storm report: tables, CSV and an SVG chart from the raw files bench/boot-storm.sh writes.

usage: plot.py RESULTS_DIR            summary.csv, table.txt, table.md, boot-storm.svg; prints the tables
       plot.py --last RESULTS_DIR     one line about the contender run recorded last (progress)

Inputs in RESULTS_DIR: params.env (size, link rates), runs.csv (one line per contender run: t0, server
link byte counters, web-seed and seeder bytes), nodes.csv (one line per client: start, end, exit code,
and for BootTorrent the agent's DOWNLOAD_STARTED time). Python standard library only.
"""
import csv
import math
import os
import sys
from collections import OrderedDict

ORDER = ["boottorrent", "boottorrent (from download start)", "boottorrent-striped",
         "boottorrent-striped (from download start)", "http-catalog", "http-nginx", "tftp-hpa",
         "tftp-boottorrent", "multicast", "lower bound"]
LABELS = {
    "boottorrent": "BootTorrent (from launch)",
    "boottorrent (from download start)": "BootTorrent (from download start)",
    "boottorrent-striped": "BootTorrent, piece stripes (from launch)",
    "boottorrent-striped (from download start)": "BootTorrent, piece stripes (from download start)",
    "http-catalog": "HTTP, our catalog's web seed",
    "http-nginx": "HTTP, nginx",
    "tftp-hpa": "TFTP, tftpd-hpa (atftp)",
    "tftp-boottorrent": "TFTP, our service (atftp)",
    "multicast": "multicast, udpcast",
    "lower bound": "lower bound",
}
COLORS = {
    "boottorrent": "#1f77b4", "boottorrent (from download start)": "#6baed6", "boottorrent-striped": "#9467bd",
    "boottorrent-striped (from download start)": "#c5b0d5", "http-catalog": "#d62728",
    "http-nginx": "#ff7f0e", "tftp-hpa": "#8c564b", "tftp-boottorrent": "#e377c2", "multicast": "#2ca02c",
    "lower bound": "#000000",
}


# BootTorrent runs: agents report DOWNLOAD_STARTED, so they also get a "from download start" row.
SWARMS = ("boottorrent", "boottorrent-striped")


def params(out):
    p = {}
    with open(os.path.join(out, "params.env")) as f:
        for line in f:
            if "=" in line:
                k, v = line.rstrip("\n").split("=", 1)
                p[k] = v
    return p


def lower_bound(n, size, bs, bc, bup, stagger=0.0):
    """max(S/B_s, S/B_c, N*S/(B_s + N*B_up)) seconds; rates in Mbit/s. A staggered run cannot end
    before the last client arrived and fetched the image over its own link."""
    bits = size * 8.0
    lb = max(bits / (bs * 1e6), bits / (bc * 1e6), n * bits / ((bs + n * bup) * 1e6))
    return max(lb, stagger + bits / (bc * 1e6)) if stagger else lb


def read_csv(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return list(csv.DictReader(f))


def summarize(out):
    p = params(out)
    size = int(p["size_bytes"])
    bs, bc, bup = float(p["server_mbit"]), float(p["client_mbit"]), float(p.get("uplink_mbit") or p["client_mbit"])
    runs = read_csv(os.path.join(out, "runs.csv"))
    nodes = read_csv(os.path.join(out, "nodes.csv"))
    rows = []
    for r in runs:
        key = (r["run"], r["contender"], r["n"])
        mine = [x for x in nodes if (x["run"], x["contender"], x["n"]) == key]
        n, t0, stagger = int(r["n"]), int(r["t0_ms"]), float(r["stagger_s"] or 0)
        ok = [x for x in mine if x["rc"] == "0" and int(x["end_ms"]) > 0]
        lb = lower_bound(n, size, bs, bc, bup, stagger)
        base = {
            "run": r["run"], "n": n, "stagger_s": stagger, "lower_bound_s": lb,
            "server_tx_bytes": int(r["server_tx_bytes"] or 0), "server_rx_bytes": int(r["server_rx_bytes"] or 0),
            "webseed_bytes": r.get("webseed_bytes", ""), "seeder_payload_bytes": r.get("seeder_payload_bytes", ""),
            "peer_payload_bytes": r.get("peer_payload_bytes", ""), "failed": n - len(ok),
            "note": r.get("note", ""),
        }
        if not ok:
            rows.append(dict(base, contender=r["contender"], time_all_s=float("nan"), mean_node_s=float("nan")))
            continue
        last_end = max(int(x["end_ms"]) for x in ok)
        row = dict(base, contender=r["contender"], time_all_s=(last_end - t0) / 1000.0,
                   mean_node_s=sum(int(x["end_ms"]) - int(x["start_ms"]) for x in ok) / len(ok) / 1000.0)
        rows.append(row)
        dl = [x for x in ok if x.get("dl_start_ms")]
        if r["contender"] in SWARMS and dl:
            first_dl = min(int(x["dl_start_ms"]) for x in dl)
            gate = [int(t[len("gate-at-ms-"):]) for t in r.get("note", "").split(";") if t.startswith("gate-at-ms-")]
            if gate:
                # start barrier: every agent was up and waiting; the download began when the gate opened
                first_dl = gate[0]
                row["gate_s"] = (gate[0] - t0) / 1000.0
            startup = [int(x["dl_start_ms"]) - int(x["start_ms"]) for x in dl]
            row["startup_mean_s"] = sum(startup) / len(startup) / 1000.0
            row["startup_max_s"] = max(startup) / 1000.0
            row["dl_start_spread_s"] = (max(int(x["dl_start_ms"]) for x in dl) - first_dl) / 1000.0
            # "from download start": the storm begins when the first agent starts downloading; per node,
            # DOWNLOAD_STARTED..VERIFIED. Not for staggered arrivals: there the window is the point.
            if stagger == 0:
                rows.append(dict(base, contender=r["contender"] + " (from download start)",
                                 time_all_s=(last_end - first_dl) / 1000.0,
                                 mean_node_s=sum(int(x["end_ms"]) - int(x["dl_start_ms"]) for x in dl) / len(dl) / 1000.0,
                                 startup_mean_s=row["startup_mean_s"], startup_max_s=row["startup_max_s"],
                                 dl_start_spread_s=row["dl_start_spread_s"], gate_s=row.get("gate_s", "")))
    # ratio to BootTorrent (from launch) of the same run and N
    bt = {(x["run"], x["n"]): x["time_all_s"] for x in rows if x["contender"] == "boottorrent"}
    for x in rows:
        x["ratio_lb"] = x["time_all_s"] / x["lower_bound_s"]
        b = bt.get((x["run"], x["n"]))
        x["ratio_bt"] = x["time_all_s"] / b if b and b == b else float("nan")
    rows.sort(key=lambda x: (run_rank(x["run"]), x["n"], rank(x["contender"])))
    return p, rows


def run_rank(run):
    return (0 if run.startswith("main") else 1 if run == "stagger" else 2, run)


def rank(contender):
    return ORDER.index(contender) if contender in ORDER else len(ORDER)


def fmt(v, digits=1):
    if v == "" or v is None:
        return ""
    if isinstance(v, float) and v != v:
        return "—"
    return f"{v:.{digits}f}"


def mib(b):
    return "" if b in ("", None) else f"{int(b) / 1048576:.1f}"


HEAD = ["contender", "N", "time to all complete (s)", "mean per-node (s)", "server sent (MiB)",
        "× image", "÷ lower bound", "÷ BootTorrent"]


def table_rows(rows, size, run):
    out = []
    for x in [x for x in rows if x["run"] == run]:
        fails = f" ({x['failed']} failed)" if x["failed"] else ""
        out.append([LABELS.get(x["contender"], x["contender"]) + fails, str(x["n"]), fmt(x["time_all_s"]),
                    fmt(x["mean_node_s"]), mib(x["server_tx_bytes"]), fmt(x["server_tx_bytes"] / size, 2),
                    fmt(x["ratio_lb"], 2), fmt(x["ratio_bt"], 2)])
    ns = sorted({x["n"] for x in rows if x["run"] == run})
    for n in ns:
        lb = next(x["lower_bound_s"] for x in rows if x["run"] == run and x["n"] == n)
        out.append([LABELS["lower bound"], str(n), fmt(lb), "", "", "", "1.00", ""])
    return out


def pivot(rows, run):
    """contender x N -> time to all complete, for the scaling curve."""
    data = [x for x in rows if x["run"] == run]
    ns = sorted({x["n"] for x in data})
    head = ["contender"] + [f"N={n}" for n in ns]
    body = []
    for c in ORDER[:-1]:
        cells = {x["n"]: fmt(x["time_all_s"]) + ("*" if x["failed"] else "") for x in data if x["contender"] == c}
        if cells:
            body.append([LABELS.get(c, c)] + [cells.get(n, "") for n in ns])
    body.append([LABELS["lower bound"]] + [fmt(next(x["lower_bound_s"] for x in data if x["n"] == n)) for n in ns])
    return head, body


def text_table(head, body):
    widths = [max(len(h), *(len(r[i]) for r in body)) if body else len(h) for i, h in enumerate(head)]
    lines = ["  ".join(h.ljust(w) if i == 0 else h.rjust(w) for i, (h, w) in enumerate(zip(head, widths)))]
    for r in body:
        lines.append("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in enumerate(zip(r, widths))))
    return "\n".join(lines)


def md_table(head, body):
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(head))) + "|"]
    lines += ["| " + " | ".join(r) + " |" for r in body]
    return "\n".join(lines)


def run_title(run, rows, p):
    x = next(x for x in rows if x["run"] == run)
    size = int(p["size_bytes"]) / 1048576
    links = f"B_s = {p['server_mbit']} Mbit/s, B_c = {p['client_mbit']} Mbit/s, image {size:g} MiB"
    if run == "stagger":
        return f"staggered arrivals over {x['stagger_s']:g} s, N = {x['n']}, {links}"
    if run == "sweep":
        return f"scaling sweep, {links}"
    return f"{run}: all clients at once, N = {x['n']}, {links}"


def boottorrent_details(rows, run):
    lines = []
    for x in [x for x in rows if x["run"] == run and x["contender"] in SWARMS]:
        if x.get("gate_s", "") != "":
            parts = [f"{LABELS[x['contender']].split(' (')[0]}, N={x['n']}: start barrier opened {fmt(x['gate_s'])} s after launch (the slowest agent's start-up:"
                     f" JVM, Vert.x, catalog requests, libtorrent session); DOWNLOAD_STARTED spread after it"
                     f" {fmt(x.get('dl_start_spread_s'))} s"]
        else:
            parts = [f"{LABELS[x['contender']].split(' (')[0]}, N={x['n']}: agent start-up (launch → DOWNLOAD_STARTED) mean {fmt(x.get('startup_mean_s'))} s,"
                     f" max {fmt(x.get('startup_max_s'))} s; DOWNLOAD_STARTED spread {fmt(x.get('dl_start_spread_s'))} s"]
        if x["seeder_payload_bytes"] not in ("", None):
            parts.append(f"payload from the seeder {mib(x['seeder_payload_bytes'])} MiB, between agents"
                         f" {mib(x['peer_payload_bytes'])} MiB, web seed {mib(x['webseed_bytes'] or 0)} MiB")
        notes = [t for t in x["note"].split(";") if t and not t.startswith("gate-at-ms-")]
        if notes:
            parts.append(", ".join(t.replace("-", " ") for t in notes))
        lines.append("; ".join(parts))
    return lines


# ------------------------------------------------------------------------------------------ SVG chart

def svg_chart(rows, p, path):
    """Time to all complete vs N, log-log, one line per contender (sweep runs, else every run at stagger 0)."""
    data = [x for x in rows if x["run"] == "sweep"] or [x for x in rows if x["stagger_s"] == 0]
    size = int(p["size_bytes"])
    bs, bc = float(p["server_mbit"]), float(p["client_mbit"])
    bup = float(p.get("uplink_mbit") or bc)
    series = OrderedDict()
    failed = set()
    for c in ORDER[:-1]:
        pts = {}
        for x in data:
            if x["contender"] == c and x["time_all_s"] == x["time_all_s"]:
                pts.setdefault(x["n"], []).append(x["time_all_s"])
                if x["failed"]:
                    failed.add((c, x["n"]))
        if pts:
            series[c] = sorted((n, sum(v) / len(v)) for n, v in pts.items())
    ns = sorted({x["n"] for x in data}) or [1]
    nmin, nmax = min(ns), max(ns)
    if nmin == nmax:
        nmin, nmax = max(1, nmin // 2), nmax * 2
    series["lower bound"] = [(n, lower_bound(n, size, bs, bc, bup)) for n in range(nmin, nmax + 1)]
    values = [t for s in series.values() for _, t in s if t > 0]
    ymin = 10 ** math.floor(math.log10(min(values) * 0.8))
    ymax = 10 ** math.ceil(math.log10(max(values) * 1.25))
    W, H, L, R, T, B = 900, 560, 80, 300, 50, 60
    pw, ph = W - L - R, H - T - B

    def X(n):
        return L + pw * (math.log2(n) - math.log2(nmin)) / max(1e-9, (math.log2(nmax) - math.log2(nmin)))

    def Y(t):
        return T + ph * (1 - (math.log10(t) - math.log10(ymin)) / (math.log10(ymax) - math.log10(ymin)))

    o = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}" '
         f'font-family="Helvetica, Arial, sans-serif" font-size="13">',
         f'<rect width="{W}" height="{H}" fill="white"/>',
         f'<text x="{L}" y="28" font-size="16" font-weight="bold">Boot storm: time until all N clients have the '
         f'{size / 1048576:g} MiB image</text>',
         f'<text x="{L}" y="44" font-size="12" fill="#555">links shaped to B_s = {bs:g} Mbit/s (server), '
         f'B_c = {bc:g} Mbit/s (clients), both directions; log-log</text>']
    decade = ymin
    while decade <= ymax * 1.0001:
        for m in (1, 2, 5):
            t = decade * m
            if ymin <= t <= ymax:
                y = Y(t)
                o.append(f'<line x1="{L}" y1="{y:.1f}" x2="{L + pw}" y2="{y:.1f}" stroke="#e5e5e5"/>')
                o.append(f'<text x="{L - 8}" y="{y + 4:.1f}" text-anchor="end">{t:g}</text>')
        decade *= 10
    n = 1
    while n <= nmax:
        if n >= nmin:
            x = X(n)
            o.append(f'<line x1="{x:.1f}" y1="{T}" x2="{x:.1f}" y2="{T + ph}" stroke="#e5e5e5"/>')
            o.append(f'<text x="{x:.1f}" y="{T + ph + 18}" text-anchor="middle">{n}</text>')
        n *= 2
    o.append(f'<rect x="{L}" y="{T}" width="{pw}" height="{ph}" fill="none" stroke="#333"/>')
    o.append(f'<text x="{L + pw / 2}" y="{H - 15}" text-anchor="middle">N (clients booting at once)</text>')
    o.append(f'<text transform="translate(22 {T + ph / 2}) rotate(-90)" text-anchor="middle">'
             f'time to all complete (s)</text>')
    ly = T + 10
    for c, pts in series.items():
        color = COLORS.get(c, "#999")
        dash = ' stroke-dasharray="6 4"' if c == "lower bound" or c.endswith("(from download start)") else ""
        if len(pts) > 1:
            d = " ".join(f"{'M' if i == 0 else 'L'}{X(n):.1f},{Y(t):.1f}" for i, (n, t) in enumerate(pts))
            o.append(f'<path d="{d}" fill="none" stroke="{color}" stroke-width="2"{dash}/>')
        if c != "lower bound":
            for n, t in pts:
                # hollow: some clients of that run failed; the time is the slowest successful one
                fill, note = ("white", " (some clients failed)") if (c, n) in failed else (color, "")
                o.append(f'<circle cx="{X(n):.1f}" cy="{Y(t):.1f}" r="3.5" fill="{fill}" stroke="{color}" '
                         f'stroke-width="1.5"><title>{LABELS.get(c, c)}, N={n}: {t:.1f} s{note}</title></circle>')
        o.append(f'<line x1="{L + pw + 15}" y1="{ly}" x2="{L + pw + 40}" y2="{ly}" stroke="{color}" '
                 f'stroke-width="2"{dash}/>')
        o.append(f'<text x="{L + pw + 46}" y="{ly + 4}">{LABELS.get(c, c)}</text>')
        ly += 22
    if failed:
        o.append(f'<text x="{L + pw + 15}" y="{ly + 10}" font-size="12" fill="#555">hollow marker: some clients')
        o.append(f'<tspan x="{L + pw + 15}" dy="15">failed; time of the slowest</tspan>')
        o.append(f'<tspan x="{L + pw + 15}" dy="15">successful one</tspan></text>')
    o.append("</svg>")
    with open(path, "w") as f:
        f.write("\n".join(o) + "\n")


# ------------------------------------------------------------------------------------------ main

CSV_FIELDS = ["run", "contender", "n", "stagger_s", "time_all_s", "mean_node_s", "server_tx_bytes",
              "server_rx_bytes", "lower_bound_s", "ratio_lb", "ratio_bt", "failed", "startup_mean_s",
              "startup_max_s", "dl_start_spread_s", "gate_s", "webseed_bytes", "seeder_payload_bytes",
              "peer_payload_bytes", "note"]


def report(out):
    p, rows = summarize(out)
    size = int(p["size_bytes"])
    with open(os.path.join(out, "summary.csv"), "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(CSV_FIELDS)
        for x in rows:
            w.writerow([round(v, 3) if isinstance(v, float) and v == v else ("" if isinstance(v, float) else v)
                        for v in (x.get(k, "") for k in CSV_FIELDS)])
    runs = list(OrderedDict.fromkeys(x["run"] for x in rows))
    text, md = [], []
    for run in runs:
        body = table_rows(rows, size, run)
        text += [run_title(run, rows, p), text_table(HEAD, body)] + ["  " + s for s in boottorrent_details(rows, run)] + [""]
        md += [f"**{run_title(run, rows, p)}**", "", md_table(HEAD, body), ""]
        md += [f"- {s}" for s in boottorrent_details(rows, run)] + [""]
    if "sweep" in runs:
        ph, pb = pivot(rows, "sweep")
        text += ["scaling sweep, time to all complete (s) by N", text_table(ph, pb), ""]
        md += ["**scaling sweep: time to all complete (s) by N** (* = some clients failed)", "", md_table(ph, pb), ""]
    with open(os.path.join(out, "table.txt"), "w") as f:
        f.write("\n".join(text))
    with open(os.path.join(out, "table.md"), "w") as f:
        f.write("\n".join(md))
    svg_chart(rows, p, os.path.join(out, "boot-storm.svg"))
    print("\n".join(text))
    print(f"written: {out}/summary.csv, table.txt, table.md, boot-storm.svg")


def last(out):
    p, rows = summarize(out)
    runs = read_csv(os.path.join(out, "runs.csv"))
    if not runs:
        return
    r = runs[-1]
    for x in rows:
        if (x["run"], x["contender"], str(x["n"])) == (r["run"], r["contender"], r["n"]) or (
                r["contender"] in SWARMS and x["contender"].startswith(r["contender"] + " (")
                and (x["run"], str(x["n"])) == (r["run"], r["n"])):
            print(f"    {LABELS.get(x['contender'], x['contender'])}: N={x['n']} all done in {fmt(x['time_all_s'])} s, "
                  f"mean {fmt(x['mean_node_s'])} s, server sent {mib(x['server_tx_bytes'])} MiB, "
                  f"{fmt(x['ratio_lb'], 2)}× the lower bound {fmt(x['lower_bound_s'])} s"
                  + (f", {x['failed']} failed" if x["failed"] else ""))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--last":
        last(sys.argv[2])
    elif len(sys.argv) == 2:
        report(sys.argv[1])
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)
