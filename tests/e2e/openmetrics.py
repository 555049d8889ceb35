#!/usr/bin/env python3
"""End-to-end: `podtrace report --emit openmetrics=DIR` read by a real parser.

The file is parsed by both of prometheus_client's parsers (PyPI `prometheus-client`): the
OpenMetrics one (strict: `# EOF`, canonical `le`, cumulative buckets, `_count` = `+Inf`) and the
Prometheus text one (the format node_exporter's textfile collector and the Pushgateway read).
For the bundled demo, a simulated run and a bundle whose node name is hostile, it checks the
families and their types, every histogram's buckets (ascending `le`, counts non-decreasing,
`+Inf` = `_count`), `podtrace_pods` against the pods `analyze` finds, and each phase's count,
sum and buckets against the per-pod values of `report --pods-csv` (another output, same run).

usage: openmetrics.py PODTRACE_BIN WORKDIR
Exit status 0 when every check passes.
"""

import csv
from decimal import Decimal
import json
import math
import subprocess
import sys
from pathlib import Path

from prometheus_client.openmetrics.parser import (
    text_string_to_metric_families as openmetrics_families,
)
from prometheus_client.parser import text_string_to_metric_families as text_families

FAMILIES = {
    "podtrace_pods": "gauge",
    "podtrace_phase_duration_seconds": "histogram",
    "podtrace_node_phase_duration_seconds": "histogram",
}


def run(bin_, *args):
    r = subprocess.run([bin_, *args], capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(f"podtrace {' '.join(args)}: exit {r.returncode}\n{r.stderr}")
    return r.stdout


def check_histograms(fams, where):
    """Buckets per series: le ascending, counts non-decreasing, +Inf = _count."""
    series = {}
    for fam in fams:
        if fam.type != "histogram":
            continue
        for s in fam.samples:
            key = tuple(sorted((k, v) for k, v in s.labels.items() if k != "le"))
            series.setdefault((fam.name, key), {"buckets": []})
            entry = series[(fam.name, key)]
            if s.name.endswith("_bucket"):
                entry["buckets"].append((float(s.labels["le"]), s.value))
            elif s.name.endswith("_count"):
                entry["count"] = s.value
            elif s.name.endswith("_sum"):
                entry["sum"] = s.value
    for (name, key), e in series.items():
        les = [le for le, _ in e["buckets"]]
        counts = [c for _, c in e["buckets"]]
        assert les == sorted(les) and les[-1] == math.inf, f"{where} {name}{key}: le {les}"
        assert all(a <= b for a, b in zip(counts, counts[1:])), f"{where} {name}{key}: {counts}"
        assert counts[-1] == e["count"], f"{where} {name}{key}: +Inf {counts[-1]} != {e['count']}"
        assert e["sum"] >= 0, f"{where} {name}{key}: sum {e['sum']}"
    return series


def check(bin_, work, name, inputs):
    out = work / name
    args = ["report", "-q", *inputs, "--emit", f"openmetrics={out}",
            "--pods-csv", str(work / f"{name}.csv")]
    run(bin_, *args)
    text = (out / "podtrace.prom").read_text()
    by_parser = {}
    for parser, parse in (("openmetrics", openmetrics_families), ("text", text_families)):
        fams = list(parse(text))
        got = {f.name: f.type for f in fams}
        assert got == FAMILIES, f"{name} ({parser}): families {got}"
        by_parser[parser] = (fams, check_histograms(fams, f"{name} ({parser})"))
    fams, series = by_parser["openmetrics"]
    # Both parsers read the same samples.
    a = sorted((s.name, sorted(s.labels.items()), s.value) for f in fams for s in f.samples)
    b = sorted((s.name, sorted(s.labels.items()), s.value)
               for f in by_parser["text"][0] for s in f.samples)
    assert a == b, f"{name}: the two parsers disagree"

    pods = sum(1 for line in run(bin_, "analyze", "-q", "--format", "json", *inputs).splitlines()
               if json.loads(line).get("type") == "pod")
    gauge = next(f for f in fams if f.name == "podtrace_pods").samples[0].value
    assert gauge == pods, f"{name}: podtrace_pods {gauge}, analyze found {pods}"

    rows = list(csv.DictReader(open(work / f"{name}.csv", newline="")))
    assert len(rows) == pods, f"{name}: {len(rows)} CSV rows, {pods} pods"
    phases = {dict(k)["phase"]: e for (fam, k), e in series.items()
              if fam == "podtrace_phase_duration_seconds"}
    for phase, e in phases.items():
        # The per-pod CSV gives seconds with nine decimals (`<phase>_s`): exact nanoseconds.
        col = f"{phase}_s"
        values = [int(Decimal(r[col]) * 10**9) for r in rows if r[col] != ""]
        assert e["count"] == len(values), f"{name} {phase}: count {e['count']} != {len(values)}"
        assert e["count"] <= pods
        assert abs(e["sum"] - sum(values) / 1e9) <= 1e-9 * max(1.0, e["sum"]), \
            f"{name} {phase}: sum {e['sum']} != {sum(values) / 1e9}"
        for le, c in e["buckets"]:
            want = sum(1 for v in values if v <= le * 1e9 + 0.5)
            assert c == want, f"{name} {phase} le={le}: {c} != {want}"
        per_node = sum(e2["count"] for (fam, k), e2 in series.items()
                       if fam == "podtrace_node_phase_duration_seconds"
                       and dict(k)["phase"] == phase)
        with_node = sum(1 for r in rows if r[col] != "" and r["node"] != "unknown")
        assert per_node == with_node, f"{name} {phase}: nodes add to {per_node}, not {with_node}"
    nodes = sorted({dict(k)["node"] for (fam, k) in series
                    if fam == "podtrace_node_phase_duration_seconds"})
    print(f"ok  {name}: {pods} pods, {len(phases)} phases, nodes {nodes}")
    return nodes


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    bin_, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)

    check(bin_, work, "demo", [])

    sim = work / "sim"
    run(bin_, "simulate", str(sim), "--pods", "300", "--nodes", "5", "--failures",
        "--init-containers", "--restarts")
    check(bin_, work, "sim", [str(sim)])

    # A node named with a quote, a brace, a newline, a forged `# EOF` and an escape sequence:
    # the kubelet's own startup line, in a directory of that name (the node it is read as).
    hostile = "evil\"} 1\n# EOF\x1b[2J"
    bundle = work / "hostile"
    (bundle / hostile).mkdir(parents=True, exist_ok=True)
    (bundle / hostile / "kubelet.log").write_text(
        'I1129 10:15:05.944032     247 pod_startup_latency_tracker.go:104] "Observed pod startup'
        ' duration" pod="default/pod-demo" podStartSLOduration=1.423788244'
        ' podStartE2EDuration="5.943981402s" podCreationTimestamp="2024-11-29 10:15:00 +0000 UTC"'
        ' firstStartedPulling="2024-11-29 10:15:00.404927316 +0000 UTC m=+1210.531208622"'
        ' lastFinishedPulling="2024-11-29 10:15:04.925120474 +0000 UTC m=+1215.051401780"'
        ' observedRunningTime="2024-11-29 10:15:05.930148127 +0000 UTC m=+1216.056429433"'
        ' watchObservedRunningTime="2024-11-29 10:15:05.943981402 +0000 UTC m=+1216.070262708"\n'
    )
    nodes = check(bin_, work, "hostile", [str(bundle), "--year", "2024"])
    # The exposition has no escape for ESC: it is a visible `\x1b`, the rest is the name.
    assert nodes == ["evil\"} 1\n# EOF\\x1b[2J"], nodes


if __name__ == "__main__":
    main()
