#!/usr/bin/env python3
"""Summarises benchmark runs (one JSON object a line, from bench-run -out):
prints a table and the ratios, writes {"runs": [...]} as JSON (every run)
and a chart as SVG. Runs repeated (RUNS=k) are summarised by their median.
Standard library only.

usage: report.py RUNS.jsonl OUT.json OUT.svg
BENCH_NOTE, when set, is written into the JSON as "note" (e.g. how busy the host was).
"""
import json
import os
import sys
from html import escape

SYSTEMS = ["limit", "gonnect", "gonnect-sasl_ssl", "gonnect-smt", "gonnect-scraped", "datastax", "datastax-tuned"]
COLOURS = {"limit": "#9e9e9e", "gonnect": "#00add8", "gonnect-sasl_ssl": "#5e60ce", "gonnect-smt": "#5dc9e2",
           "gonnect-scraped": "#007d9c", "datastax": "#e76f00", "datastax-tuned": "#f4a261"}
LABELS = {"limit": "limit (gocql loader)", "gonnect": "gonnect", "gonnect-sasl_ssl": "gonnect, Kafka over SASL_SSL",
          "gonnect-smt": "gonnect, transformation chain", "gonnect-scraped": "gonnect, /metrics scraped",
          "datastax": "Apache Connect + DataStax 1.5.0 (defaults)",
          "datastax-tuned": "Apache Connect + DataStax 1.5.0 (tuned to gonnect)"}
# What each system is, written into the JSON beside the runs.
DESCRIPTIONS = {
    "limit": "gocql loader writing the decoded rows, best batching; no Kafka, no decoding",
    "gonnect": "bin/gonnect distributed, its Cassandra sink with the DataStax settings' defaults, tasks.max=6",
    "gonnect-smt": "gonnect with transforms TimestampConverter$Value (created_at to Timestamp), InsertField$Value "
                   "(a static field and the topic) and ReplaceField$Value (quantity renamed qty), scenario A only",
    "gonnect-scraped": "gonnect with its /metrics read while it runs (scrapes and metrics_bytes in the run), scenario A only",
    "gonnect-sasl_ssl": "the same worker reaching Kafka only through the SASL_SSL listener (SCRAM-SHA-512 over TLS)",
    "datastax": "Apache Kafka Connect 4.3.1 with the DataStax Apache Kafka Connector 1.5.0, its defaults "
                "(maxConcurrentRequests=500, maxNumberOfRecordsInBatch=32, connectionPoolLocalSize=4), tasks.max=6",
    "datastax-tuned": "the same with maxConcurrentRequests=3000 (one request per record of the six puts in flight, "
                      "as gonnect's packed batches allow), maxNumberOfRecordsInBatch=32, connectionPoolLocalSize=4, tasks.max=6",
}
# The DataStax configurations gonnect's ratios and targets are taken against.
REFERENCES = ["datastax", "datastax-tuned"]


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def mib(b):
    return b / 2**20


def medians(runs):
    """One run per system, mode and scenario: the median by records/s (by
    p99 for latency runs) when RUNS repeated it; spread says how far the
    repeats ranged."""
    groups = {}
    for r in runs:
        groups.setdefault((r["system"], r.get("mode", "throughput"), r["scenario"]), []).append(r)
    out, spread = [], []
    for (system, mode, sc), rs in groups.items():
        key = (lambda r: r.get("p99_ms", 0)) if mode == "latency" else (lambda r: r["records_per_sec"])
        rs = sorted(rs, key=key)
        out.append(rs[(len(rs) - 1) // 2])
        if len(rs) > 1:
            what = f"p99 {rs[0].get('p99_ms', 0):.1f}-{rs[-1].get('p99_ms', 0):.1f} ms" if mode == "latency" else \
                f"rec/s {rs[0]['records_per_sec']:,.0f}-{rs[-1]['records_per_sec']:,.0f}"
            spread.append(f"{system} {mode} {sc}: median of {len(rs)} runs, {what}, peak RSS "
                          f"{mib(min(r['peak_rss_bytes'] for r in rs)):.0f}-{mib(max(r['peak_rss_bytes'] for r in rs)):.0f} MiB")
    return out, spread


def table(runs, spread=()):
    head = f"{'system':16} {'mode':10} {'scen':4} {'records':>8} {'rec/s':>9} {'cpu s':>7} {'peak RSS MiB':>12} {'p50 ms':>8} {'p99 ms':>8}"
    lines = [head, "-" * len(head)]
    for r in runs:
        p50 = f"{r['p50_ms']:.1f}" if r.get("p50_ms") else "-"
        p99 = f"{r['p99_ms']:.1f}" if r.get("p99_ms") else "-"
        lines.append(f"{r['system']:16} {r.get('mode', 'throughput'):10} {r['scenario']:4} {r['records']:>8} "
                     f"{r['records_per_sec']:>9.0f} {r['cpu_seconds']:>7.2f} {mib(r['peak_rss_bytes']):>12.0f} {p50:>8} {p99:>8}")
    lines.append("")
    if spread:
        lines += list(spread) + [""]
    lines += ["ratios (median runs; target in brackets)"] + [format_ratio(r) for r in ratios(runs)]
    return "\n".join(lines)


def ratios(runs):
    """The ratios gonnect/other with their targets: records/s, CPU seconds
    and peak RSS per throughput scenario against the limit and each DataStax
    configuration, p50 and p99 of the latency run against each DataStax one."""
    out = []

    def add(what, sc, other, g, o, target=None, of="gonnect"):
        """target is ">= x" or "<= x" with x a number or a fraction."""
        if not o:
            return
        v = g / o
        r = {"what": what, "scenario": sc, "other": other, "ratio": round(v, 3)}
        if of != "gonnect":
            r["of"] = of
        if target:
            op, x = target.split()
            num, _, den = x.partition("/")
            bound = float(num) / float(den or 1)
            r["target"], r["met"] = target, v >= bound if op == ">=" else v <= bound
        out.append(r)

    for sc in sorted({r["scenario"] for r in runs if r.get("mode", "throughput") == "throughput"}):
        by = {r["system"]: r for r in runs if r["scenario"] == sc and r.get("mode", "throughput") == "throughput"}
        g = by.get("gonnect")
        if not g:
            continue
        # The variants' cost: a transformation chain, and scraping /metrics
        # (its CPU stays within 2% of the worker's).
        if "gonnect-smt" in by:
            for what, k in (("records/s", "records_per_sec"), ("CPU s", "cpu_seconds")):
                add(what, sc, "gonnect", by["gonnect-smt"][k], g[k], of="gonnect-smt")
        if "gonnect-scraped" in by:
            add("CPU s", sc, "gonnect", by["gonnect-scraped"]["cpu_seconds"], g["cpu_seconds"], "<= 1.02", of="gonnect-scraped")
            add("records/s", sc, "gonnect", by["gonnect-scraped"]["records_per_sec"], g["records_per_sec"], of="gonnect-scraped")
        if "limit" in by:
            add("records/s", sc, "limit", g["records_per_sec"], by["limit"]["records_per_sec"], ">= 0.85" if sc == "A" else None)
        for ref in REFERENCES:
            if ref in by:
                o = by[ref]
                add("records/s", sc, ref, g["records_per_sec"], o["records_per_sec"], ">= 3")
                add("CPU s", sc, ref, g["cpu_seconds"], o["cpu_seconds"], "<= 1/10")
                add("peak RSS", sc, ref, g["peak_rss_bytes"], o["peak_rss_bytes"], "<= 1/15")
        if "gonnect-sasl_ssl" in by:
            s = by["gonnect-sasl_ssl"]
            for what, key in (("records/s", "records_per_sec"), ("CPU s", "cpu_seconds"), ("peak RSS", "peak_rss_bytes")):
                add(what, sc, "gonnect", s[key], g[key], of="gonnect-sasl_ssl")
    lat = {r["system"]: r for r in runs if r.get("mode") == "latency"}
    if "gonnect" in lat:
        g = lat["gonnect"]
        for ref in REFERENCES:
            if ref in lat:
                for q in ("p50_ms", "p99_ms"):
                    add(q.removesuffix("_ms") + f" at {g['records_per_sec']:.0f} rec/s", "latency", ref,
                        g.get(q, 0), lat[ref].get(q, 0), "<= 1/4")
    return out


def format_ratio(r):
    target = f" [{r['target']}: {'met' if r['met'] else 'MISSED'}]" if "target" in r else ""
    return f"  {r['scenario']:7} {r.get('of', 'gonnect') + '/' + r['other']:31} {r['what']:22} {r['ratio']:7.3f}{target}"


def panel(x0, width, height, title, groups, fmt):
    """Grouped bars: groups is a list of (label, {system: value})."""
    out = [f'<text x="{x0 + width / 2}" y="68" text-anchor="middle" font-weight="bold">{escape(title)}</text>']
    top, bottom = 90, height - 40
    vmax = max([v for _, vs in groups for v in vs.values()] + [1e-9])
    out.append(f'<line x1="{x0}" y1="{bottom}" x2="{x0 + width}" y2="{bottom}" stroke="#444"/>')
    gw = width / max(len(groups), 1)
    for gi, (label, vs) in enumerate(groups):
        present = [s for s in SYSTEMS if s in vs]
        bw = min(40, (gw - 20) / max(len(present), 1))
        start = x0 + gi * gw + (gw - bw * len(present)) / 2
        for si, s in enumerate(present):
            v = vs[s]
            h = (bottom - top) * v / vmax
            x = start + si * bw
            out.append(f'<rect x="{x:.1f}" y="{bottom - h:.1f}" width="{bw - 3:.1f}" height="{h:.1f}" fill="{COLOURS[s]}"/>')
            out.append(f'<text x="{x + (bw - 3) / 2:.1f}" y="{bottom - h - 4:.1f}" text-anchor="middle" font-size="10">{escape(fmt(v))}</text>')
        out.append(f'<text x="{x0 + gi * gw + gw / 2:.1f}" y="{bottom + 16}" text-anchor="middle" font-size="12">{escape(label)}</text>')
    return out


def chart(runs, title):
    thr = [r for r in runs if r.get("mode", "throughput") == "throughput"]
    lat = [r for r in runs if r.get("mode") == "latency"]
    scen = sorted({r["scenario"] for r in thr})

    def by(rs, key):
        return {r["system"]: key(r) for r in rs}

    panels = []
    if thr:
        panels.append(("records/s (higher is better)",
                       [(f"scenario {sc}", by([r for r in thr if r["scenario"] == sc], lambda r: r["records_per_sec"])) for sc in scen],
                       lambda v: f"{v:,.0f}"))
    rss = [(f"scenario {sc}", by([r for r in thr if r["scenario"] == sc], lambda r: mib(r["peak_rss_bytes"]))) for sc in scen]
    if lat:
        rss.append(("latency run", by(lat, lambda r: mib(r["peak_rss_bytes"]))))
    panels.append(("peak RSS MiB (lower is better)", rss, lambda v: f"{v:.0f}"))
    if lat:
        rate = lat[0]["records_per_sec"]
        panels.append((f"latency ms at {rate:,.0f} rec/s (lower is better)",
                       [("p50", by(lat, lambda r: r.get("p50_ms", 0))), ("p99", by(lat, lambda r: r.get("p99_ms", 0)))],
                       lambda v: f"{v:.0f}" if v >= 10 else f"{v:.1f}"))
    pw, height = 320, 360
    width = pw * len(panels) + 40
    svg = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" font-family="sans-serif" font-size="12">',
           f'<rect width="{width}" height="{height}" fill="white"/>',
           f'<text x="{width / 2}" y="22" text-anchor="middle" font-size="15" font-weight="bold">{escape(title)}</text>']
    lx, ly = 20, 32
    for s in SYSTEMS:
        if any(r["system"] == s for r in runs):
            w = 28 + 6.5 * len(LABELS[s])
            if lx > 20 and lx + w > width:  # the legend wraps to a second row
                lx, ly = 20, ly + 16
            svg.append(f'<rect x="{lx}" y="{ly}" width="12" height="12" fill="{COLOURS[s]}"/>')
            svg.append(f'<text x="{lx + 16}" y="{ly + 10}">{escape(LABELS[s])}</text>')
            lx += w
    for i, (t, groups, fmt) in enumerate(panels):
        svg += panel(20 + i * pw, pw - 30, height, t, groups, fmt)
    svg.append("</svg>")
    return "\n".join(svg)


def main():
    runs_path, json_path, svg_path = sys.argv[1:4]
    runs = [{k: round(v, 3) if isinstance(v, float) else v for k, v in r.items()} for r in load(runs_path)]
    n = max((r["records"] for r in runs if r.get("mode", "throughput") == "throughput"), default=0)
    day = json_path.rsplit("/", 1)[-1].removesuffix(".json")
    med, spread = medians(runs)
    present = [s for s in SYSTEMS if any(r["system"] == s for r in runs)]
    with open(json_path, "w") as f:
        note = {"note": os.environ["BENCH_NOTE"]} if os.environ.get("BENCH_NOTE") else {}
        json.dump({**note, "systems": {s: DESCRIPTIONS[s] for s in present},
                   "created_at": sorted({r.get("created_at", "timestamp-millis") for r in runs}),
                   "ratios_of_medians": ratios(med), "runs": runs}, f, indent=2)
        f.write("\n")
    repeats = " (medians)" if spread else ""
    with open(svg_path, "w") as f:
        f.write(chart(med, f"gonnect benchmark {day}: {n:,} records, tasks.max=6{repeats}"))
    print(table(med, spread))
    print("wrote", json_path, "and", svg_path)


if __name__ == "__main__":
    main()
