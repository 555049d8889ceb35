#!/usr/bin/env python3
"""End-to-end: podtrace's traces land in a real, independent OTLP receiver (Arize Phoenix).

For each case, `podtrace trace` sends the bundle's traces over one transport and, in the same
run, writes the same spans as OTLP JSON (the expectation). The spans are then read back from
Phoenix's REST API and compared: span count per trace, names, parent links, start and end times
(Phoenix keeps microseconds: 1 us tolerance) and every attribute's value.

usage: phoenix.py PODTRACE_BIN PHOENIX_HTTP_URL PHOENIX_GRPC_ENDPOINT WORKDIR
Only the standard library is used. Exit status 0 when every case matches.
"""

import json
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def attr_value(v):
    """An OTLP JSON AnyValue (camelCase) or a Phoenix one (snake_case) as a plain value."""
    if v is None:
        return None
    for k in ("stringValue", "string_value"):
        if v.get(k) is not None:
            return v[k]
    for k in ("intValue", "int_value"):
        if v.get(k) is not None:
            return int(v[k])
    for k in ("boolValue", "bool_value"):
        if v.get(k) is not None:
            return bool(v[k])
    for k in ("doubleValue", "double_value"):
        if v.get(k) is not None:
            return float(v[k])
    for k in ("arrayValue", "array_value"):
        if v.get(k) is not None:
            return [attr_value(x) for x in (v[k].get("values") or [])]
    return None


def expected_spans(otlp_json):
    """trace id -> span id -> (service, span) from podtrace's OTLP JSON lines."""
    out = {}
    for line in otlp_json.read_text().splitlines():
        req = json.loads(line)
        for rs in req["resourceSpans"]:
            svc = {a["key"]: attr_value(a["value"]) for a in rs["resource"]["attributes"]}[
                "service.name"
            ]
            for ss in rs["scopeSpans"]:
                for s in ss["spans"]:
                    out.setdefault(s["traceId"], {})[s["spanId"]] = (svc, s)
    return out


def phoenix_spans(base, trace_id, want, deadline):
    """Spans of one trace from Phoenix, polling until `want` have arrived or time runs out."""
    url = f"{base}/v1/projects/default/spans/otlpv1?trace_id={trace_id}&limit=1000"
    got = []
    while True:
        with urllib.request.urlopen(url, timeout=10) as r:
            got = json.load(r)["data"]
        if len(got) >= want or time.time() > deadline:
            return got
        time.sleep(0.5)


def compare(case, expected, base):
    errors = []
    deadline = time.time() + 60
    n_spans = 0
    n_attrs = 0
    for trace_id, spans in expected.items():
        got = phoenix_spans(base, trace_id, len(spans), deadline)
        if len(got) != len(spans):
            errors.append(f"{case}: trace {trace_id}: {len(got)} spans, expected {len(spans)}")
            continue
        for g in got:
            sid = g["span_id"]
            if sid not in spans:
                errors.append(f"{case}: unexpected span {sid} {g['name']}")
                continue
            _, e = spans[sid]
            n_spans += 1
            where = f"{case}: {trace_id}/{sid} {e['name']}"
            if g["name"] != e["name"]:
                errors.append(f"{where}: name {g['name']!r}")
            if (g.get("parent_span_id") or "") != e.get("parentSpanId", ""):
                errors.append(f"{where}: parent {g.get('parent_span_id')!r} != {e.get('parentSpanId')!r}")
            for gk, ek in (("start_time_unix_nano", "startTimeUnixNano"), ("end_time_unix_nano", "endTimeUnixNano")):
                if abs(int(g[gk]) - int(e[ek])) > 1000:
                    errors.append(f"{where}: {gk} {g[gk]} != {e[ek]} (more than 1 us)")
            got_attrs = {a["key"]: attr_value(a["value"]) for a in (g.get("attributes") or [])}
            for a in e.get("attributes", []):
                want = attr_value(a["value"])
                have = got_attrs.get(a["key"])
                n_attrs += 1
                ok = abs(have - want) < 1e-9 * max(1.0, abs(want)) if isinstance(want, float) and isinstance(have, (int, float)) else have == want
                if not ok:
                    errors.append(f"{where}: attribute {a['key']} = {have!r}, expected {want!r}")
            want_error = e.get("status", {}).get("code", 0) == 2
            have_error = (g.get("status") or {}).get("code") in (2, "STATUS_CODE_ERROR")
            if want_error != have_error:
                errors.append(f"{where}: status {g.get('status')}, expected {e.get('status')}")
    print(f"{case}: {len(expected)} traces, {n_spans} spans and {n_attrs} attributes compared, {len(errors)} differences")
    return errors


def main():
    podtrace, base, grpc, work = sys.argv[1], sys.argv[2].rstrip("/"), sys.argv[3], Path(sys.argv[4])
    work.mkdir(parents=True, exist_ok=True)
    gen = work / "generated"
    subprocess.run(
        [podtrace, "simulate", str(gen), "--pods", "150", "--nodes", "3", "--seed", "11", "--failures"],
        check=True,
    )
    repo = Path(__file__).resolve().parents[2]
    demo = repo / "samples" / "seed-demo"
    cases = [
        # (name, bundle, protocol, endpoint, cluster): the cluster name keeps each case's trace
        # ids apart in the one receiver.
        ("demo/grpc", demo, "grpc", grpc, "e2e-demo-grpc"),
        ("demo/http", demo, "http/protobuf", f"{base}/v1/traces", "e2e-demo-http"),
        ("generated/grpc", gen, "grpc", grpc, "e2e-gen-grpc"),
        ("generated/http", gen, "http/protobuf", f"{base}/v1/traces", "e2e-gen-http"),
    ]
    errors = []
    for name, bundle, protocol, endpoint, cluster in cases:
        exp_file = work / (name.replace("/", "-") + ".otlp.jsonl")
        r = subprocess.run(
            [podtrace, "trace", "-q", "--send", "--protocol", protocol, "--endpoint", endpoint,
             "--cluster", cluster, "--batch-size", "500", "--otlp-file", str(exp_file), str(bundle)],
            capture_output=True, text=True,
        )
        print(r.stdout.strip())
        if r.returncode != 0:
            errors.append(f"{name}: podtrace exited {r.returncode}: {r.stderr.strip()}")
            continue
        exp = expected_spans(exp_file)
        if not exp:
            errors.append(f"{name}: no spans written")
            continue
        errors += compare(name, exp, base)
    for e in errors[:50]:
        print("DIFF", e)
    if errors:
        print(f"{len(errors)} differences")
        return 1
    print("all cases match")
    return 0


if __name__ == "__main__":
    sys.exit(main())
