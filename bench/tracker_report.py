#!/usr/bin/env python3
"""The table of bench/tracker-bench.sh (standard library only).

Usage: tracker_report.py TRACKER_CSV MALFORMED_CSV [--markdown]

One row per run and server, then per run the ratio ours / opentracker of announces/s (both measured in
that run, right after each other), and the spread over the runs (min, median, max).
"""
import csv
import statistics
import sys


def rows(path):
    with open(path, encoding="utf-8") as f:
        return list(csv.DictReader(f))


def table(header, body, markdown):
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|" + "|".join("---" if i == 0 else "---:" for i in range(len(header))) + "|"]
        out += ["| " + " | ".join(r) + " |" for r in body]
        return "\n".join(out)
    widths = [max(len(str(x)) for x in col) for col in zip(header, *body)]
    fmt = "  ".join("{:<%d}" % w if i == 0 else "{:>%d}" % w for i, w in enumerate(widths))
    return "\n".join(fmt.format(*r) for r in [header] + body)


def main(argv):
    markdown = "--markdown" in argv
    paths = [a for a in argv if not a.startswith("--")]
    data = rows(paths[0])
    # wrk's read errors are left out of "errors": opentracker resets each connection after its answer,
    # which wrk counts as a read error per announce although it read and checked the whole answer ("bad")
    header = ["run", "server", "announces/s", "p50 ms", "p90 ms", "p99 ms", "p99.9 ms", "bad", "errors",
              "read resets", "server CPU s", "server CPU %", "machine busy %"]
    body = []
    for r in data:
        errors = sum(int(r[k]) for k in ("connect_errors", "write_errors", "status_errors", "timeouts"))
        body.append([r["run"], r["server"], r["announces_per_s"], r["p50_ms"], r["p90_ms"], r["p99_ms"], r["p999_ms"],
                     r["bad"], str(errors), r["read_errors"], r["server_cpu_s"], r["server_cpu_pct"],
                     r["machine_busy_pct"]])
    print("Announces (HTTP, a new connection each):")
    print(table(header, body, markdown))
    print()
    by_run = {}
    for r in data:
        by_run.setdefault(r["run"], {})[r["server"]] = r
    ratio_rows, ratios, cpu_ratios = [], [], []
    for run, servers in sorted(by_run.items(), key=lambda kv: int(kv[0])):
        if "ours" not in servers or "opentracker" not in servers:
            continue
        o, t = servers["ours"], servers["opentracker"]
        ratio = float(o["announces_per_s"]) / max(1.0, float(t["announces_per_s"]))
        # announces per CPU second of the server: what each costs, independent of how busy the machine was
        eff_o = float(o["announces_per_s"]) * float(o["seconds"]) / max(0.01, float(o["server_cpu_s"]))
        eff_t = float(t["announces_per_s"]) * float(t["seconds"]) / max(0.01, float(t["server_cpu_s"]))
        ratios.append(ratio)
        cpu_ratios.append(eff_o / eff_t)
        ratio_rows.append([run, o["announces_per_s"], t["announces_per_s"], "%.2f" % ratio,
                           "%.0f" % eff_o, "%.0f" % eff_t, "%.2f" % (eff_o / eff_t)])
    print("Ours / opentracker, per run:")
    print(table(["run", "ours/s", "opentracker/s", "ratio", "ours per CPU s", "opentracker per CPU s", "ratio per CPU s"],
                ratio_rows, markdown))
    if ratios:
        print()
        print("ratio of announces/s over %d run(s): min %.2f, median %.2f, max %.2f; per server CPU second: "
              "min %.2f, median %.2f, max %.2f" % (len(ratios), min(ratios), statistics.median(ratios), max(ratios),
                                                   min(cpu_ratios), statistics.median(cpu_ratios), max(cpu_ratios)))
    if len(paths) > 1:
        print()
        print("A malformed announce (/announce?info_hash=zz&port=1):")
        m = rows(paths[1])
        print(table(["server", "HTTP status", "body (first 120 bytes)"],
                    [[r["server"], r["http_status"], r["body"]] for r in m], markdown))


if __name__ == "__main__":
    main(sys.argv[1:])
