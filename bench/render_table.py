#!/usr/bin/env python3
"""bench/render_table.py: turns compare.sh's result lines into the Markdown table of RESULTS.md.

usage: render_table.py RESULTS.tsv [DNSPERF.tsv] [LOADGEN.log]
RESULTS.tsv lines: SERVER<TAB>WORKLOAD<TAB>ANSWERS_AS<TAB>result key=value ...
"""
import sys

WORKLOADS = [
    ("static", "(a) static A"),
    ("nxdomain", "(b) NXDOMAIN"),
    ("geo-ecs", "(c) geo + ECS"),
    ("failover", "(d) priority/failover"),
    ("tcp", "(e) TCP, static A"),
]
SERVERS = ["floor", "meridian", "knot", "nsd", "gdnsd"]
NAMES = {"floor": "floor (no DNS)", "meridian": "**Meridian**", "knot": "Knot 3.2", "nsd": "NSD 4.6",
         "gdnsd": "gdnsd 3.8"}
ANSWERS = {"echo": "echo", "zone": "zone", "geo": "geographic", "priority": "priority", "static": "static †",
           "geoip": "plugin_geoip", "metafo": "plugin_metafo"}


def parse(path):
    rows = {}
    with open(path) as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 4:
                continue
            server, workload, answers_as, result = parts[:4]
            values = {}
            for item in result.split()[1:]:
                key, _, value = item.partition("=")
                try:
                    values[key] = float(value)
                except ValueError:
                    values[key] = value
            values["answers_as"] = answers_as
            rows[(server, workload)] = values
    return rows


def kilo(qps):
    return f"{qps / 1000:.0f}k" if qps >= 10000 else f"{qps / 1000:.1f}k"


def ratio(value, base):
    if not value or not base:
        return ""
    return f"{value / base:.2f}×"


def limit_text(r):
    text = limit_reason(r)
    # Something else on the machine had a share of a core at that step: the peak is suspect.
    if (r.get("limit_server_core", 0) - r.get("limit_server_cpu", 0) > 0.10
            or r.get("limit_gen_core", 0) - r.get("limit_gen_cpu", 0) > 0.15):
        text += " ‡"
    return text


def limit_reason(r):
    limit = r.get("limit")
    server = r.get("limit_server_cpu", 0) * 100
    gen = r.get("limit_gen_cpu", 0) * 100
    if limit == "budget":
        return f"not reached in time (server {server:.0f}%, gen {gen:.0f}%)"
    if limit == "server":
        return f"server CPU {server:.0f}% (gen {gen:.0f}%)"
    if limit == "both":
        return f"both cores full: server {server:.0f}%, gen {gen:.0f}%"
    if limit == "loadgen":
        return f"load generator {gen:.0f}% (server {server:.0f}%)"
    if limit == "kernel":
        return f"loss/latency, neither core full (server {server:.0f}%, gen {gen:.0f}%)"
    return "?"


def main():
    rows = parse(sys.argv[1])
    noisy = []
    print("| Workload | Server | Answers | Peak q/s | Peak vs Meridian | Limit at peak | Peak per server core "
          "| p50 / p99 µs | User µs/q | User vs Meridian | Total µs/q | Total vs floor | RSS MiB | Wrong / lost |")
    print("|---|---|---|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for workload, title in WORKLOADS:
        floor = rows.get(("floor", workload), {})
        meridian = rows.get(("meridian", workload), {})
        for server in SERVERS:
            r = rows.get((server, workload))
            if r is None:
                continue
            if r.get("failed"):
                print(f"| {title} | {NAMES[server]} | failed to run | | | | | | | | | | | |")
                continue
            peak = r.get("peak_qps", 0)
            peak_text = kilo(peak) if r.get("peak_reached") else f"≥{kilo(peak)}"
            user = r.get("user_us_per_q", 0)
            user_text = f"{user:.2f} ±{r.get('user_us_err', 0):.2f}"
            total = r.get("total_us_per_q", 0)
            wrong = int(r.get("wrong", 0) + r.get("peak_wrong", 0))
            lost = r.get("lost", 0) / r["sent"] * 100 if r.get("sent") else 0
            other = r.get("server_core", 0) - r.get("server_cpu", 0)
            mark = ""
            if other > 0.10:
                mark = " ‡"
            limit_cell = limit_text(r)
            if mark or limit_cell.endswith("‡"):
                noisy.append(f"{server}/{workload}")
            is_meridian = server == "meridian"
            cells = [
                title, NAMES[server], ANSWERS.get(r["answers_as"], r["answers_as"]), peak_text,
                "" if is_meridian else ratio(peak, meridian.get("peak_qps")), limit_cell,
                kilo(r.get("peak_per_core", 0)),
                f"{r.get('p50_us', 0):.0f} / {r.get('p99_us', 0):.0f}", user_text,
                "" if is_meridian else ratio(user, meridian.get("user_us_per_q")),
                f"{total:.2f}{mark}", ratio(total, floor.get("total_us_per_q")),
                f"{r.get('rss_kib', 0) / 1024:.1f}", f"{wrong} / {lost:.2f}%",
            ]
            print("| " + " | ".join(cells) + " |")
    print()
    print("Peak q/s: correct answers per second at the highest offered rate with ≤1% loss, p99 ≤ 5 ms and the "
          "generator keeping up (≥ means the search ran out of time first); when both cores were full at the "
          "first failing step, the server's own peak may lie higher. Peak per server core: peak q/s ÷ the "
          "server's CPU share at that step. Latency, CPU, RSS and wrong/lost "
          "are from the fixed-rate window, the same offered load for every server. CPU is the server's whole "
          "process tree (all threads) from /proc/PID/stat over that window, per answered query; the ± is the "
          "sampling error of the kernel's tick-based user/system split. Ratios: peer ÷ Meridian, server ÷ floor.")
    print("† Knot and NSD have no geo routing or failover: they answer those names from a static A record "
          "(the same query load, ECS included, which they ignore).")
    if noisy:
        print(f"‡ Another process took a share of a core (more than 10% of the server's, in the fixed window or at "
              f"the failing step of the search) in: {', '.join(noisy)}; those figures are less trustworthy.")
    if len(sys.argv) > 2:
        perf = {}
        with open(sys.argv[2]) as f:
            for line in f:
                parts = line.split()
                if len(parts) == 2:
                    perf[parts[0]] = parts[1]
        if perf:
            print()
            print("Cross-check with dnsperf (static A, 8 clients, 500 in flight, 3 s, on the generator's core):")
            print()
            print("| Server | dnsperf q/s | meridian-loadgen peak q/s |")
            print("|---|---:|---:|")
            for server in SERVERS:
                if server in perf:
                    r = rows.get((server, "static"), {})
                    value = perf[server]
                    value = kilo(float(value)) if value.replace(".", "").isdigit() else value
                    print(f"| {NAMES[server]} | {value} | {kilo(r.get('peak_qps', 0))} |")


if __name__ == "__main__":
    main()
