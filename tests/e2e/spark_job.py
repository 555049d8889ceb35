#!/usr/bin/env python3
"""End-to-end: deploy/spark/podtrace_job.py on Apache Spark (PySpark from PyPI, Debian's
OpenJDK 17) in `local-cluster[2,1,1024]` mode: a master, two workers, two executor JVMs.

On a generated 2,000-pod bundle (4 workers, skewed clocks, a UTC+2 kubelet, failures), the job
builds in two partitions (one per executor), and its timelines must equal `podtrace analyze
--format json` on the same files (as sorted lines, and in fact in the same order), its report
`podtrace report --format json`, its pods Parquet one row per pod, and its events dataset must
be readable by Spark SQL with one creation per pod.

Remote reads: a smaller bundle is uploaded to a local S3 server (moto, from PyPI) and the job
runs in `local[2]` with `--input s3://…` and `--list-with arrow`, so every file is listed and
streamed through pyarrow's S3 client over HTTP; its timelines must equal analyze on the same
files read from disk.

usage: spark_job.py PODTRACE_BIN WORKDIR [MASTER]
Exit status 0 when every check passes.
"""

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def run(*args: str, **kw) -> str:
    return subprocess.run(args, check=True, capture_output=True, text=True, **kw).stdout


def remote(bin_: str, work: Path, env: dict, check) -> None:
    """The job on a bundle in S3 (a local moto server), against analyze of the same files."""
    import logging
    import socket

    import boto3
    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = f"http://127.0.0.1:{port}"
        # pyarrow's S3 client (driver and executors) reads the endpoint from the environment.
        s3_env = dict(env, AWS_ACCESS_KEY_ID="podtrace", AWS_SECRET_ACCESS_KEY="podtrace",
                      AWS_DEFAULT_REGION="us-east-1", AWS_ENDPOINT_URL=endpoint)
        here = work / "remote"
        bundle = here / "bundle"
        run(bin_, "simulate", str(bundle), "--pods", "150", "--nodes", "3", "--skew-ms", "150",
            "--timezone", "1", "--failures", "--noise", "1", "--force")
        # A name Hadoop's listing would skip (`_`) and that a URI would mangle (space, `%41`,
        # `#`): a copy of a node's kubelet log, so that its lines count only if it is read.
        node = sorted(p for p in bundle.iterdir() if p.is_dir() and "worker" in p.name)[0]
        odd = node / "_kubelet copy %41 #1.log"
        odd.write_bytes((node / "kubelet.log").read_bytes())
        s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                          aws_access_key_id="podtrace", aws_secret_access_key="podtrace")
        s3.create_bucket(Bucket="logs")
        files = sorted(f for f in bundle.rglob("*") if f.is_file())
        for f in files:
            s3.upload_file(str(f), "logs", f"2026-12-01/bundle/{f.relative_to(bundle)}")
        out = here / "out"
        job = subprocess.run(
            [os.path.join(str(Path(sys.executable).parent), "spark-submit"),
             "--master", "local[2]", "--conf", "spark.ui.enabled=false", "--files", bin_,
             str(REPO / "deploy/spark/podtrace_job.py"), "--input", "s3://logs/2026-12-01/bundle",
             "--list-with", "arrow", "--output", str(out), "--podtrace", Path(bin_).name],
            capture_output=True, text=True, env=s3_env, cwd=here)
        if job.returncode != 0:
            print(job.stdout[-3000:], job.stderr[-6000:], sep="\n")
        analyze = run(bin_, "analyze", "bundle", "--format", "json", cwd=here).splitlines()
        parts = sorted((out / "timelines").glob("part-*"))
        timelines = [line for p in parts for line in p.read_text().splitlines()]
        pods = sum(1 for line in analyze if line.startswith('{"type":"pod"'))
        check(f"remote: {len(files)} files listed and streamed from S3 (a local server), "
              f"{pods} pods, timelines equal to analyze of the same files on disk",
              job.returncode == 0 and timelines == analyze and pods >= 150,
              f"exit {job.returncode}, {len(timelines)} vs {len(analyze)} lines")
        summary = next((json.loads(line) for line in timelines
                        if line.startswith('{"type":"summary"')), {})
        read = [f for f in summary.get("files", []) if f.get("path", "").endswith(odd.name)]
        check(f"remote: {odd.name!r} listed and read ({read[0]['events'] if read else 0} events)",
              len(read) == 1 and read[0].get("events", 0) > 0)
        # A key holding `..` would write outside a task's scratch folder: refused by name.
        sys.path.insert(0, str(REPO / "deploy/spark"))
        from podtrace_job import scratch_path
        try:
            scratch_path("/scratch", "bundle", "node/../../../etc/cron.d/x")
            refused = False
        except ValueError as e:
            refused = "../../../etc/cron.d/x" in str(e)
        kept = scratch_path("/scratch", "bundle", "node/a b %41 #1.log")
        check("remote: a name with '..' refused by name, an odd plain name kept",
              refused and kept == "/scratch/bundle/node/a b %41 #1.log")
    finally:
        server.stop()


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

    # The build ran in two partitions (the default parallelism of two executors), each holding
    # some pods' rows: "rows per partition [a, b]".
    said_all = " ".join(said)
    m = re.search(r"rows per partition \[(\d+), (\d+)\]", said_all)
    check("the build split in 2 partitions, each with its own rows",
          "2 partitions" in said_all and m is not None and min(map(int, m.groups())) > 0,
          said_all)
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
    remote(bin_, work, env, check)

    print(f"{len(failures)} failed" if failures else "all Spark checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
