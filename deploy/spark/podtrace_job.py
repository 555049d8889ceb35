#!/usr/bin/env python3
"""podtrace on Apache Spark: the map (`podtrace extract`) in parallel tasks, the build split in
partitions (`podtrace build --partition-facts`, then `--facts`), their results merged.

    spark-submit --master MASTER --files /path/to/podtrace deploy/spark/podtrace_job.py \\
        --input s3a://bucket/bundles/2026-11-30 --output s3a://bucket/podtrace/2026-11-30

1. Lists the bundle's files with Spark's own file sources (`binaryFile`, recursive: local paths,
   HDFS, s3a://, gs://, abfss://, whatever the cluster's Hadoop reads), or with pyarrow's file
   systems (`--list-with arrow`: s3://, gs://, abfs:// on a cluster without Hadoop's connectors
   for them; names starting with `_` or `.` are listed, as analyze reads them).
2. Groups the paths (not the contents) by their first path component under the input (a
   node's folder, or a top-level file): each group is one task that links (local files) or
   streams (object storage, through pyarrow's file systems) its files into a scratch folder and
   runs `podtrace extract` on them with one thread (`applyInArrow`: the events come back as
   Arrow record batches).
3. The events of every group are one DataFrame, written as Parquet (`OUTPUT/events/`) for Spark
   SQL, DuckDB or polars (schema: docs/events.md, plus `shard` and `seq`).
4. The build, in `--partitions` partitions (docs/scale.md, "The build in partitions"): the
   events' routes are grouped in Spark SQL and planned by `podtrace partition --plan` on the
   driver (a pod's rows, its node's and those linked to them stay together); each row goes to
   its partition, and every partition gets the rows all need (each stream's, endpoint writes).
   Each partition's task writes its rows, shard by shard, and runs `podtrace build
   --partition-facts`; the facts of all (each node's skew, the logs' time range, each node's
   kube-proxy syncs as a digest) are broadcast, and each partition's task runs `podtrace build
   --facts`. One task merges the partitions' results (`podtrace build` and `podtrace report` of
   them) into timelines (`OUTPUT/timelines/`, JSON Lines, and `OUTPUT/pods/`, Parquet) and the
   report (`OUTPUT/report/`, JSON).

The result is `podtrace analyze --format json` on the same files, byte for byte: the shards are
given to each build in the order of analyze's walk (top-level names sorted), and each shard's
files are named as analyze names them (`--display-root`, default: the input's last component).

Remote files are read through pyarrow's file systems (s3://, gs://, abfs://; `s3a://` and
`abfss://` are read as those), which take their credentials from the environment, not from the
cluster's Hadoop settings; hdfs:// needs libhdfs on the executors. `OUTPUT/events` is a dataset
for SQL (its `shard` and `seq` columns say where each row came from; `podtrace build` needs one
file per shard, as the partitions' tasks write them).

Limits (docs/scale.md): a node's pods, and the pods of one name, are never split, so a
partition holds at least a node's day; the merge holds every pod's timeline (about 5 KiB a
pod) in one task; every partition reads the facts of all (their kube-proxy digests grow with
syncs × nodes). Hadoop's listing skips names starting with `_` or `.`, which analyze would
read, and follows directory symlinks, which analyze does not: a bundle with either gives
another file table.
"""

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from pyspark import SparkFiles, StorageLevel
from pyspark.sql import SparkSession
from pyspark.sql import functions as F

# docs/events.md, as Spark types (no unsigned integers), plus where each row came from.
EVENTS = (
    "shard string, seq long, version long, record string, stream long, file string, "
    "line long, component string, host string, kind string, time_ns long, "
    "local_time string, precision string, namespace string, pod string, uid string, "
    "route string, links string, payload string"
)
OUTPUTS = "output string, seq long, text string"
PART_OUT = "part long, text string"


def arrow_uri(uri: str) -> str:
    """The URI as pyarrow's file systems name it (`s3a://` is s3://, `abfss://` abfs://)."""
    return uri.replace("s3a://", "s3://", 1).replace("abfss://", "abfs://", 1)


def arrow_root(root: str):
    """pyarrow's file system for `root` and the root's path in it (local paths made absolute)."""
    from pyarrow import fs as pafs
    if "://" not in root:
        root = os.path.abspath(root)
    filesystem, base = pafs.FileSystem.from_uri(arrow_uri(root))
    return filesystem, base.rstrip("/")


def plain(rel: str) -> bool:
    """A path under the input that stays under it: an object store's key can hold `..`."""
    return not rel.startswith("/") and all(p not in ("", ".", "..") for p in rel.split("/"))


def scratch_path(tmp: str, display_root: str, rel: str) -> str:
    """Where a listed file goes in a task's scratch folder; a name that would leave it is an
    error that names it."""
    if not plain(rel):
        raise ValueError(f"not a plain path under the input: {rel!r}")
    return os.path.join(tmp, display_root, rel)


def list_arrow(root: str) -> list:
    """Every file under `root` as (path under root, path under root, shard), through pyarrow.

    Only paths under the root travel to the tasks: each task opens the root URI itself (its
    account, host, credentials or query kept as written) and joins the relative path to the
    root's path in that file system, so no file's URI is ever rebuilt or re-parsed (names with
    spaces, `%` or `#` stay names).
    """
    from pyarrow import fs as pafs
    filesystem, base = arrow_root(root)
    infos = filesystem.get_file_info(pafs.FileSelector(base, recursive=True))
    rows = []
    refused = []
    for info in sorted(infos, key=lambda i: i.path):
        if info.type != pafs.FileType.File:
            continue
        rel = info.path[len(base) + 1:]
        if not plain(rel):
            refused.append(rel)
            continue
        rows.append((rel, rel, rel.split("/", 1)[0]))
    if refused:
        print(f"podtrace-spark: {len(refused)} names not read (not a plain path under the "
              f"input: '', '.' or '..' parts): {refused[:5]!r}", file=sys.stderr)
    return rows


def podtrace_binary(name: str) -> str:
    """The binary shipped with `--files` (SparkFiles), or a path that exists on every node."""
    if os.path.isabs(name) and os.path.exists(name):
        return name
    path = SparkFiles.get(os.path.basename(name))
    os.chmod(path, 0o755)
    return path


def open_uri(uri: str):
    """A listed file as (local path, None) or (None, readable stream) for other file systems.

    Local files (`file:`) are linked where extract reads them, never copied; others (s3a://,
    gs://, abfss://, hdfs://) are streamed through pyarrow's file systems.
    """
    if uri.startswith("file:"):
        return "/" + uri[len("file:"):].lstrip("/"), None
    from pyarrow import fs as pafs
    filesystem, path = pafs.FileSystem.from_uri(arrow_uri(uri))
    return None, filesystem.open_input_stream(path)


def extract_task(binary: str, display_root: str, listed_root=None):
    """The map. `listed_root`: the input as given to `--list-with arrow` (paths are relative to
    it); otherwise paths are the URIs Spark's listing wrote."""
    def extract(key, table):
        shard = key[0].as_py()
        env = dict(os.environ, RAYON_NUM_THREADS="1")  # one task, one core
        if listed_root is not None:
            from pyarrow import fs as pafs
            filesystem, base = arrow_root(listed_root)
            local = isinstance(filesystem, pafs.LocalFileSystem)
        with tempfile.TemporaryDirectory(prefix="podtrace-extract-") as tmp:
            # The group's files, named under `display_root` as analyze names them.
            for uri, rel in zip(table.column("path").to_pylist(),
                                table.column("rel").to_pylist()):
                dest = scratch_path(tmp, display_root, rel)
                os.makedirs(os.path.dirname(dest), exist_ok=True)
                if listed_root is None:
                    path, stream = open_uri(uri)
                elif local:
                    path, stream = f"{base}/{rel}", None
                else:
                    path, stream = None, filesystem.open_input_stream(f"{base}/{rel}")
                if path is not None:
                    os.symlink(path, dest)
                    continue
                with stream, open(dest, "wb") as f:
                    while chunk := stream.read(8 << 20):
                        f.write(chunk)
            run = subprocess.run(
                [podtrace_binary(binary), "extract", "-q", "-o", "-",
                 os.path.join(display_root, shard)],
                cwd=tmp, capture_output=True, env=env)
        # 2: no log in this group (its walk's findings are still in the file).
        if run.returncode not in (0, 2):
            raise RuntimeError(f"podtrace extract {shard}: {run.stderr.decode(errors='replace')}")
        t = pq.read_table(io.BytesIO(run.stdout))
        n = t.num_rows
        cols = {"shard": pa.array([shard] * n, pa.string()),
                "seq": pa.array(range(n), pa.int64())}
        for name in t.column_names:
            c = t.column(name)
            if pa.types.is_unsigned_integer(c.type):
                c = c.cast(pa.int64())
            elif pa.types.is_string_view(c.type):
                # polars writes Arrow's string views; Spark's Arrow reader takes plain strings.
                c = c.cast(pa.string())
            cols[name] = c
        return pa.table(cols)

    return extract


def shard_files(t: pa.Table, shards: list, tmp: str) -> list:
    """One events file per shard, in the order of analyze's walk, each shard's rows in their
    order: the build numbers streams as one walk over the bundle would."""
    files = []
    for i, shard in enumerate(shards):
        part = t.filter(pc.equal(t.column("shard"), shard)).sort_by("seq")
        part = part.select([c for c in part.column_names if c not in ("shard", "seq", "part")])
        path = os.path.join(tmp, f"{i:06}.parquet")
        pq.write_table(part, path)
        files.append(path)
    return files


def partition_task(binary: str, shards: list, n: int, facts=None):
    """One partition's build: its facts (`facts` None), or its result given every partition's
    facts (a broadcast of their lines)."""
    def build(key, table):
        k = key[0].as_py()
        with tempfile.TemporaryDirectory(prefix="podtrace-part-") as tmp:
            files = shard_files(table, shards, tmp)
            argv = [podtrace_binary(binary), "build", *files, "--partition", f"{k}/{n}", "-q"]
            if facts is None:
                argv.append("--partition-facts")
            else:
                path = os.path.join(tmp, "facts.jsonl")
                with open(path, "w") as f:
                    f.write(facts.value)
                argv += ["--facts", path]
            run = subprocess.run(argv, capture_output=True,
                                 env=dict(os.environ, RAYON_NUM_THREADS="1"))
        if run.returncode != 0:
            raise RuntimeError(f"podtrace build, partition {k}/{n}: "
                               f"{run.stderr.decode(errors='replace')}")
        return pa.table({"part": pa.array([k], pa.int64()),
                         "text": pa.array([run.stdout.decode()], pa.string())})

    return build


def merge_task(binary: str):
    """The partitions' results merged: timelines (as `analyze --format json`) and the report."""
    def merge(batches):
        rows = [r for b in batches for r in b.to_pylist()]
        if not rows:
            return
        with tempfile.TemporaryDirectory(prefix="podtrace-merge-") as tmp:
            files = []
            for r in sorted(rows, key=lambda r: r["part"]):
                path = os.path.join(tmp, f"part-{r['part']:06}.json")
                with open(path, "w") as f:
                    f.write(r["text"])
                files.append(path)
            exe = podtrace_binary(binary)
            outputs = {
                "timelines": [exe, "build", *files, "--format", "json", "-q"],
                "report": [exe, "report", *files, "--format", "json", "-q"],
            }
            for name, argv in outputs.items():
                run = subprocess.run(argv, capture_output=True)
                # analyze's statuses: 0, or 1 when no pod was found or a gate failed.
                if run.returncode not in (0, 1):
                    raise RuntimeError(f"podtrace {name}: {run.stderr.decode(errors='replace')}")
                # Lines end at "\n" only: JSON leaves U+2028 and friends unescaped in names.
                lines = run.stdout.decode().split("\n")
                if lines and lines[-1] == "":
                    lines.pop()
                yield pa.RecordBatch.from_pydict({
                    "output": [name] * len(lines),
                    "seq": list(range(len(lines))),
                    "text": lines,
                })

    return merge


def plan(spark, events, binary: str, n: int):
    """Each route key's partition: the routes grouped in Spark SQL (rows, linked keys), the
    plan made by `podtrace partition --plan` on the driver (a row per pod, UID and node)."""
    routes = (events.filter(F.col("route") != "*")
              .groupBy("route")
              .agg(F.count(F.lit(1)).alias("rows"),
                   F.array_distinct(F.flatten(F.collect_list(
                       F.from_json("links", "array<string>")))).alias("links")))
    lines = "\n".join(routes.toJSON().collect())
    run = subprocess.run([podtrace_binary(binary), "partition", "--plan", "-", "-n", str(n)],
                         input=lines.encode(), capture_output=True)
    if run.returncode != 0:
        raise RuntimeError(f"podtrace partition --plan: {run.stderr.decode(errors='replace')}")
    print(f"podtrace-spark: {run.stderr.decode().strip()}")
    rows = [json.loads(line) for line in run.stdout.decode().splitlines()]
    return spark.createDataFrame(rows, "route string, part long")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--input", required=True, help="the bundle's folder (any Hadoop path)")
    ap.add_argument("--output", required=True, help="where to write events/, timelines/, …")
    ap.add_argument("--podtrace", default="podtrace",
                    help="the binary: shipped with --files (its name), or an absolute path")
    ap.add_argument("--list-with", choices=("hadoop", "arrow"), default="hadoop",
                    help="list the input with Spark's Hadoop file systems (default) or "
                         "pyarrow's (s3://, gs://, abfs:// without Hadoop connectors)")
    ap.add_argument("--partitions", type=int, default=0,
                    help="partitions of the build (default: Spark's default parallelism)")
    ap.add_argument("--display-root", default=None,
                    help="how file names start (default: the input's last component)")
    args = ap.parse_args()
    if args.partitions < 0:
        ap.error("--partitions: 0 (Spark's default parallelism) or more")
    # A query (`?endpoint_override=…`) belongs to pyarrow's URI, not to the files' names.
    root = args.input.split("?", 1)[0].rstrip("/")
    display_root = args.display_root or root.rsplit("/", 1)[-1]
    # File names are made under a scratch folder: a relative path that stays inside it.
    parts = display_root.split("/")
    if display_root.startswith("/") or any(p in ("", ".", "..") for p in parts):
        ap.error(f"--display-root {display_root!r}: a relative path without '.' or '..' "
                 "(run analyze from the bundle's parent folder to compare)")

    spark = SparkSession.builder.appName("podtrace").getOrCreate()
    spark.conf.set("spark.sql.execution.arrow.maxRecordsPerBatch", "100000")
    started = time.monotonic()
    if args.list_with == "arrow":
        # Listed on the driver (object stores list by prefix, a page of names at a time).
        files = spark.createDataFrame(list_arrow(args.input), "path string, rel string, "
                                                              "shard string")
    else:
        # Paths only: the source reads no content unless asked, and each task reads its own
        # files.
        files = (spark.read.format("binaryFile").option("recursiveFileLookup", "true")
                 .load(root).select("path"))
        # The path under the input: the listing writes paths qualified as Hadoop qualifies the
        # input (`file:/…`, `s3a://bucket/…`).
        jpath = spark._jvm.org.apache.hadoop.fs.Path(root)
        fs = jpath.getFileSystem(spark._jsc.hadoopConfiguration())
        qualified = fs.makeQualified(jpath).toString().rstrip("/")
        files = (files
                 .withColumn("rel", F.expr(f"substring(path, {len(qualified) + 2})"))
                 .withColumn("shard", F.substring_index(F.col("rel"), "/", 1)))
    shards = sorted(r.shard for r in files.select("shard").distinct().collect())
    events = (files.groupBy("shard")
              .applyInArrow(extract_task(args.podtrace, display_root,
                                         args.input if args.list_with == "arrow" else None),
                            schema=EVENTS))
    events.write.mode("overwrite").parquet(f"{args.output}/events")
    mapped = time.monotonic()

    events = spark.read.parquet(f"{args.output}/events")
    n = args.partitions or spark.sparkContext.defaultParallelism
    parts = plan(spark, events, args.podtrace, n)
    # Every row to its route's partition; streams, skipped paths and endpoint writes (`*`) to
    # every partition.
    keyed = (events.join(F.broadcast(parts), "route", "left")
             .withColumn("part", F.explode(
                 F.when(F.col("part").isNull(), F.sequence(F.lit(0), F.lit(n - 1)))
                 .otherwise(F.array("part"))))
             .persist(StorageLevel.MEMORY_AND_DISK))
    facts = keyed.groupBy("part").applyInArrow(
        partition_task(args.podtrace, shards, n), schema=PART_OUT)
    facts_lines = "".join(r.text for r in facts.orderBy("part").collect())
    planned = time.monotonic()
    shared = spark.sparkContext.broadcast(facts_lines)
    results = keyed.groupBy("part").applyInArrow(
        partition_task(args.podtrace, shards, n, shared), schema=PART_OUT)
    out = (results.repartition(1)
           .mapInArrow(merge_task(args.podtrace), schema=OUTPUTS)
           .cache())
    for name in ("timelines", "report"):
        (out.filter(F.col("output") == name).repartition(1).sortWithinPartitions("seq")
         .select("text").write.mode("overwrite").text(f"{args.output}/{name}"))
    keyed.unpersist()
    pods = spark.read.json(f"{args.output}/timelines").filter(F.col("type") == "pod")
    pods.write.mode("overwrite").parquet(f"{args.output}/pods")
    done = time.monotonic()
    print(f"podtrace-spark: {len(shards)} shards, {n} partitions, map {mapped - started:.1f} s, "
          f"facts {planned - mapped:.1f} s, partitions and merge {done - planned:.1f} s")
    spark.stop()


if __name__ == "__main__":
    main()
