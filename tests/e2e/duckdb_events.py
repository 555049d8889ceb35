#!/usr/bin/env python3
"""End-to-end: `podtrace extract`'s events file read by DuckDB (PyPI `duckdb`), as it is.

On a simulated bundle (clocks skewed, a UTC+2 kubelet, failures), extracted in two shards (the
control plane, then the workers), DuckDB reads both files with one glob and must agree with
`podtrace analyze --format json` on the same bundle:

- the schema's version (column and key-value metadata) and column types;
- one `stream` row per file `analyze` lists, and per file as many `event` rows as it says;
- the pods created in the audit log: the same set as the pods whose `created` milestone comes
  from the audit log, and each one's `time_ns` equal to that milestone to the nanosecond;
- kubelet lines keep their local, yearless stamp (`--MM-DD…`), and their `time_ns` is null.

usage: duckdb_events.py PODTRACE_BIN WORKDIR
Exit status 0 when every check passes.
"""

import json
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import duckdb


def run(*args: str) -> str:
    out = subprocess.run(args, check=True, capture_output=True, text=True)
    return out.stdout


def ns(rfc3339: str) -> int:
    """`2025-03-17T10:00:00.123456789Z` as UTC ns since 1970, exactly."""
    head, frac = rfc3339.rstrip("Z").split(".")
    secs = datetime.fromisoformat(head).replace(tzinfo=timezone.utc).timestamp()
    return int(secs) * 1_000_000_000 + int(frac.ljust(9, "0"))


def main() -> int:
    bin_, work = sys.argv[1], Path(sys.argv[2])
    work.mkdir(parents=True, exist_ok=True)
    bundle = work / "bundle"
    run(bin_, "simulate", str(bundle), "--pods", "300", "--nodes", "3", "--skew-ms", "200",
        "--timezone", "2", "--failures", "--noise", "1", "--force")
    top = sorted(bundle.iterdir())
    cp = [p for p in top if p.is_file() or p.name.endswith("control-plane")]
    workers = [p for p in top if p not in cp]
    ev = work / "events"
    ev.mkdir(exist_ok=True)
    run(bin_, "extract", "-q", *map(str, cp), "-o", str(ev / "0-control-plane.parquet"))
    run(bin_, "extract", "-q", *map(str, workers), "-o", str(ev / "1-workers.parquet"))

    lines = run(bin_, "analyze", str(bundle), "--format", "json").splitlines()
    records = [json.loads(line) for line in lines]
    summary = records[-1]
    pods = [r for r in records if r["type"] == "pod"]

    con = duckdb.connect()
    glob = str(ev / "*.parquet")
    failures = []

    def check(what: str, ok: bool, detail: str = "") -> None:
        print(("ok   " if ok else "FAIL ") + what + (f": {detail}" if detail and not ok else ""))
        if not ok:
            failures.append(what)

    kv = con.execute(f"select key, value from parquet_kv_metadata('{glob}')").fetchall()
    versions = {v.decode() for k, v in kv if k == b"podtrace.events.version"}
    check("key-value metadata says version 1 in both files", versions == {"1"}, str(kv))
    types = {r[0]: r[1] for r in
             con.execute(f"describe select * from read_parquet('{glob}')").fetchall()}
    check("column types", types.get("time_ns") == "BIGINT" and types.get("line") == "UINTEGER"
          and types.get("version") == "UINTEGER" and types.get("payload") == "VARCHAR",
          str(types))
    (bad,) = con.execute(f"select count(*) from read_parquet('{glob}') where version <> 1").fetchone()
    check("every row is version 1", bad == 0, str(bad))

    streams = con.execute(
        f"select file, (select count(*) from read_parquet('{glob}') e "
        f" where e.record = 'event' and e.file = s.file) "
        f"from read_parquet('{glob}') s where s.record = 'stream' order by file").fetchall()
    expected = sorted((f["path"], f["events"]) for f in summary["files"])
    check(f"{len(expected)} streams, events per file as analyze counts them",
          sorted(streams) == expected,
          f"duckdb {sorted(streams)[:3]} … analyze {expected[:3]} …")

    created = dict(
        ((ns_, name), t) for ns_, name, t in con.execute(
            f"select namespace, pod, min(time_ns) from read_parquet('{glob}') "
            f"where kind = 'AuditPodCreate' group by 1, 2").fetchall())
    from_audit = {(p["namespace"], p["name"]): ns(p["milestones"]["created"]["t"])
                  for p in pods
                  if p["milestones"].get("created", {}).get("source") == "audit"}
    check(f"{len(from_audit)} pods created in the audit log, the same set",
          set(created) == set(from_audit) and len(created) >= 300,
          f"{len(created)} vs {len(from_audit)}")
    wrong = [k for k in from_audit if created.get(k) != from_audit[k]]
    check("each creation's time_ns equals its created milestone to the ns", not wrong,
          str(wrong[:3]))

    (n, nulls, yearless) = con.execute(
        f"select count(*), count(*) filter (where time_ns is null), "
        f"count(*) filter (where local_time like '--__-__T%') "
        f"from read_parquet('{glob}') where component = 'kubelet'").fetchone()
    check(f"{n} kubelet events: local, yearless stamps kept as written",
          n > 0 and nulls == n and yearless == n, f"{nulls} null, {yearless} yearless")

    built = run(bin_, "build", str(ev), "--format", "json")
    check("build over the folder of events equals analyze of the bundle",
          built.splitlines() == lines, "outputs differ")

    print(f"{len(failures)} failed" if failures else "all DuckDB checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
