#!/usr/bin/env python3
"""End-to-end: deploy/spark/podtrace_job.py on Apache Spark (PySpark from PyPI, Debian's
OpenJDK 17) in `local-cluster[2,1,1024]` mode: a master, two workers, two executor JVMs.

On a generated 2,000-pod bundle (4 workers, skewed clocks, a UTC+2 kubelet, failures), the job's
timelines must equal `podtrace analyze --format json` on the same files (as sorted lines, and in
fact in the same order), its report `podtrace report --format json`, its pods Parquet one row
per pod, and its events dataset must be readable by Spark SQL with one creation per pod.

usage: spark_job.py PODTRACE_BIN WORKDIR [MASTER]
Exit status 0 when every check passes.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, **kw) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def main() -> int:
    bin_ = str(Path(sys.argv[1]).resolve())
    work = Path(sys.argv[2]).resolve()
    master = sys.argv[3] if len(sys.argv) > 3 else "local-cluster[2,1,1024]"
    work.mkdir(parents=True, exist_ok=True)
    bundle = work / "bundle"
    run(bin_, "simulate", str(bundle), "--pods", "2000", "--nodes", "4", "--skew-ms", "200",
        "--timezone", "2", "--failures", "--noise", "1", "--force")
    out = work / "out"
    env = dict(os.environ)
    venv_bin = str(Path(sys.executable).parent)
    # spark-submit finds its SPARK_HOME through the python on PATH: the venv's.
    env["PATH"] = venv_bin + os.pathsep + env.get("PATH", "")
    env["PYSPARK_PYTHON"] = sys.executable
    started = time.monotonic()
    job = subprocess.run(
        [os.path.join(venv_bin, "spark-submit"), "--master", master,
         "--conf", "spark.ui.enabled=false", "--files", bin_,
         str(REPO / "deploy/spark/podtrace_job.py"),
         "--input", str(bundle), "--output", str(out), "--podtrace", Path(bin_).name],
        capture_output=True, text=True, env=env, cwd=work)
    took = time.monotonic() - started
    said = [line for line in job.stdout.splitlines() if line.startswith("podtrace-spark:")]
    if job.returncode != 0:
        print(job.stdout[-3000:], job.stderr[-6000:], sep="\n")
        print(f"FAIL the job exited {job.returncode}")
        return 1
    print(f"job on {master}: {took:.1f} s; {' '.join(said)}")

    failures = []

    def check(what: str, ok: bool, detail: str = "") -> None:
        print(("ok   " if ok else "FAIL ") + what + (f": {detail}" if detail and not ok else ""))
        if not ok:
            failures.append(what)

    def part_lines(name: str) -> list:
        parts = sorted((out / name).glob("part-*"))
        return [line for p in parts for line in p.read_text().splitlines()]

    analyze = run(bin_, "analyze", "bundle", "--format", "json", cwd=work).splitlines()
    timelines = part_lines("timelines")
    pods = [json.loads(line) for line in analyze if line.startswith('{"type":"pod"')]
    check(f"timelines: {len(analyze)} lines, sorted, equal to analyze --format json",
          sorted(timelines) == sorted(analyze) and len(pods) >= 2000,
          f"{len(timelines)} vs {len(analyze)} lines")
    check("timelines in analyze's order too", timelines == analyze)
    report = run(bin_, "report", "bundle", "--format", "json", "-q", cwd=work).splitlines()
    check("report equal to podtrace report --format json", part_lines("report") == report)

    from pyspark.sql import SparkSession
    spark = (SparkSession.builder.master("local[1]").config("spark.ui.enabled", "false")
             .getOrCreate())
    n_pods = spark.read.parquet(str(out / "pods")).count()
    check(f"pods Parquet: {n_pods} rows, one per pod", n_pods == len(pods))
    events = spark.read.parquet(str(out / "events"))
    events.createOrReplaceTempView("events")
    created = spark.sql(
        "select count(distinct namespace, pod) from events where kind = 'AuditPodCreate'"
    ).collect()[0][0]
    from_audit = sum(1 for p in pods
                     if p["milestones"].get("created", {}).get("source") == "audit")
    check(f"events read by Spark SQL: {created} pods created in the audit log",
          created == from_audit and created >= 2000, f"{created} vs {from_audit}")
    shards = spark.sql("select count(distinct shard) from events").collect()[0][0]
    check(f"{shards} shards extracted in parallel tasks (a top-level file, 5 node folders)",
          shards == 6)
    spark.stop()

    print(f"{len(failures)} failed" if failures else "all Spark checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
