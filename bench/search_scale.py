"""Search at scale: bulk indexing rate and search, aggregation and similar-case latency.

    .venv/bin/python bench/search_scale.py --cases 100000 [--heap 1g] [--json out.json]
        [--opensearch-url URL | --elasticsearch-url URL] [--skip-engine] [--skip-database]

What it runs, in order:

1. the database (``--database-url``, default ``postgres://postgres@127.0.0.1:5432/
   petitions_bench_search``): created if missing, migrated, units loaded; cases are added with
   ``bench/generate.py`` until there are ``--cases`` of them (nothing is added if there are enough;
   into an empty database with ``defer_indexes``), so a database filled once is reused;
2. without a URL, the project's search engine, OpenSearch in one JVM (``search.engine.launch``,
   built with Maven the first time), is started on a free port with ``--heap`` (default 1g up to
   200,000 cases, 4g above) and its data in ``--engine-home`` (default a temporary folder,
   removed afterwards); ``--opensearch-url`` or ``--elasticsearch-url`` measure a running
   cluster instead, as it is. Either way the index lives behind the alias ``--alias`` (default
   ``bench-search-scale``), never ``cases``;
3. indexing, split in phases: reading the cases (the query of ``search.documents``), building
   the documents, serialising them to JSON, a pure bulk of the prebuilt documents into a
   scratch index (then dropped), and the real ``ElasticBackend().reindex()`` (database read +
   documents + bulk + refresh + alias swap), each in documents per second, with the CPU
   seconds per 1,000 documents of this process, of the PostgreSQL backend serving it and of
   the engine (its process when local, its node stats otherwise) and the engine's own indexing,
   refresh and merge times. Bulk requests get ``--bulk-timeout`` (120 s);
4. latency (median, p90, p95, p99, max) of ``ElasticBackend().search`` (a toneless full-text
   query with every facet, as ``/office/search/`` asks it) in the scope of a commune officer
   (the busiest commune), a province leader (the busiest province) and central, and without
   text for central (newest first); of ``monitor`` (30 days) for that province and for
   central; of ``similar`` for cases of that commune and of that province; after a warm-up,
   cycling through toneless queries, each scenario for ``--runs`` (``--monitor-runs``) calls
   or ``--time-limit`` seconds, whichever comes first; monitoring again with the engine's shard
   request cache off (a portal taking petitions refreshes the index, and so empties that
   cache, every second). Searches use the project's client as
   the pages do: a call that raises ``SearchUnavailable`` (its 5 s timeout) is counted as an
   error, and three in a row end the scenario. Each scenario is marked against the project's
   goals (search p95 ≤ 200 ms, monitoring ≤ 300 ms, similar ≤ 100 ms);
5. the same for ``DatabaseBackend`` on the same PostgreSQL, with ``--db-runs`` calls or
   ``--db-time-limit`` seconds per scenario (``--skip-database`` leaves it out).

``--skip-engine`` leaves out the engine and the indexing: only the database backend is
measured.

It prints a table and, with ``--json``, writes every number with the machine, the load
average, the versions (git revision, digests of the search sources at the start and the end:
they may change under a long run), the engine's memory (resident and heap) and the database
and index sizes.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import platform
import random
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _path in (str(ROOT), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")  # not a line per request from elastic_transport

import generate as bench_generate  # noqa: E402 - bench/generate.py, next to this file
from common import (  # noqa: E402 - bench/common.py, next to this file
    cpu_seconds,
    git_revision,
    loadavg,
    memory_gib,
    percentile,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/petitions_bench_search"
#: A scenario stops after this many SearchUnavailable in a row (the client's 5 s timeout): the
#: server goes on working on abandoned requests, which would slow every later measurement.
MAX_ERRORS_IN_A_ROW = 3
DEFAULT_ALIAS = "bench-search-scale"
#: The engine's JVM heap when none is given: enough for the index at this size, leaving the
#: machine's memory to PostgreSQL, the page cache and whoever else shares the machine.
SMALL_HEAP, LARGE_HEAP, LARGE_FROM = "1g", "4g", 200_000
#: The sources whose digests are recorded at the start and the end (others may edit them meanwhile).
SEARCH_SOURCES = ("search/elastic.py", "search/documents.py", "search/monitoring.py", "search/client.py")
#: The project's goals: p95 in milliseconds, by scenario (the search engine's figures).
GOALS_P95_MS = {
    "search commune officer": 200.0,
    "search province leader": 200.0,
    "search central": 200.0,
    "monitor province 30 d": 300.0,
    "monitor central 30 d": 300.0,
    "monitor province 30 d, uncached": 300.0,
    "monitor central 30 d, uncached": 300.0,
    "similar commune officer": 100.0,
    "similar province leader": 100.0,
}
#: The project's goal for a full reindex, documents per second.
GOAL_REINDEX_DOCS_PER_SECOND = 5000

#: What officers type: without tone marks, one to six words, from the topics of the generated petitions.
QUERIES = (
    "ngap lut",
    "duong xuong cap",
    "rac thai",
    "tieng on karaoke",
    "dat dai",
    "mat dien",
    "nuoc sach",
    "truong hoc",
    "benh vien",
    "o nhiem",
    "lan chiem via he",
    "trom cap xe may",
    "giay chung nhan quyen su dung dat",
    "cay xanh",
    "sat lo",
    "ho ngheo",
    "mot cua",
    "cong thoat nuoc",
    "den chieu sang",
    "cho tha rong",
)


@dataclass
class Latency:
    scenario: str
    backend: str
    runs: int
    median_ms: float
    p90_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    mean_ms: float
    #: What the scenario returned on average (hits total, places, similar cases).
    mean_result: float
    note: str = ""
    #: Calls that raised SearchUnavailable (e.g. the client's 5 s timeout), left out of the times.
    errors: int = 0
    #: The project's p95 goal for this scenario, and whether it was met (None: no goal).
    goal_p95_ms: float | None = None
    goal_met: bool | None = None
    #: The machine's 1-minute load average when the scenario ended (the machine is shared).
    load_1m: float = 0.0


@dataclass
class Results:
    started_at: str
    cases: int
    machine: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    scopes: dict[str, Any] = field(default_factory=dict)
    generate: dict[str, Any] = field(default_factory=dict)
    indexing: dict[str, Any] = field(default_factory=dict)
    latency: list[Latency] = field(default_factory=list)
    sizes: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


def machine() -> dict[str, Any]:
    return {
        "cpus": os.cpu_count(),
        "memory": f"{memory_gib():.1f} GiB",
        "platform": platform.platform(),
        "python": platform.python_version(),
        "load_at_start": loadavg(),
    }


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        return None
    return None


def measure(
    name: str,
    backend: str,
    call: Callable[[int], float],
    *,
    runs: int,
    warmup: int,
    time_limit: float | None = None,
    note: str = "",
) -> Latency:
    """Run ``call(i)`` ``warmup`` times untimed, then up to ``runs`` times (or until ``time_limit`` s)."""
    from search.base import SearchUnavailable

    samples: list[float] = []
    results: list[float] = []
    errors = failed_in_a_row = 0
    try:
        for i in range(warmup):
            with suppress(SearchUnavailable):
                call(i)
    except Exception as exc:  # a bug in the code measured: recorded, the other scenarios still run
        print(f"  {backend:<9} {name:<32} FAILED: {type(exc).__name__}: {exc}", flush=True)
        runs, note = 0, f"{note}; failed: {type(exc).__name__}: {str(exc)[:200]}"
        errors = 1
    started = time.perf_counter()
    for i in range(runs):
        clock = time.perf_counter()
        try:
            results.append(call(warmup + i))
        except SearchUnavailable:
            errors += 1
            failed_in_a_row += 1
        except Exception as exc:  # as above
            print(f"  {backend:<9} {name:<32} FAILED: {type(exc).__name__}: {exc}", flush=True)
            note = f"{note}; failed: {type(exc).__name__}: {str(exc)[:200]}"
            errors += 1
            break
        else:
            samples.append((time.perf_counter() - clock) * 1000)
            failed_in_a_row = 0
        if failed_in_a_row >= MAX_ERRORS_IN_A_ROW:
            note = f"{note}; stopped after {failed_in_a_row} failures in a row"
            break
        if time_limit is not None and time.perf_counter() - started > time_limit and len(samples) >= 5:
            break
        if time_limit is not None and time.perf_counter() - started > 2 * time_limit:
            break  # mostly failures: enough
    if not samples:
        print(f"  {backend:<9} {name:<32} no call succeeded ({errors} failed)", flush=True)
        goal = GOALS_P95_MS.get(name) if backend == "engine" else None
        return Latency(
            name, backend, 0, 0, 0, 0, 0, 0, 0, 0, note, errors,
            goal_p95_ms=goal, goal_met=None if goal is None else False, load_1m=loadavg()[0],
        )  # fmt: skip
    goal = GOALS_P95_MS.get(name) if backend == "engine" else None
    p95 = round(percentile(samples, 0.95), 2)
    latency = Latency(
        scenario=name,
        backend=backend,
        runs=len(samples),
        median_ms=round(statistics.median(samples), 2),
        p90_ms=round(percentile(samples, 0.9), 2),
        p95_ms=p95,
        p99_ms=round(percentile(samples, 0.99), 2),
        max_ms=round(max(samples), 2),
        mean_ms=round(statistics.fmean(samples), 2),
        mean_result=round(statistics.fmean(results), 1),
        note=note,
        errors=errors,
        goal_p95_ms=goal,
        goal_met=None if goal is None else (p95 <= goal and not errors),
        load_1m=loadavg()[0],
    )
    print(
        f"  {backend:<9} {name:<32} {latency.runs:>4} runs  median {latency.median_ms:>8.1f} ms  "
        f"p95 {latency.p95_ms:>8.1f}  p99 {latency.p99_ms:>8.1f}  max {latency.max_ms:>8.1f}  "
        f"(mean result {latency.mean_result:,.0f}{f', {errors} errors' if errors else ''}){_goal(latency)}",
        flush=True,
    )
    return latency


def _goal(latency: Latency) -> str:
    if latency.goal_p95_ms is None:
        return ""
    return f"  goal p95 <= {latency.goal_p95_ms:.0f} ms: {'met' if latency.goal_met else 'MISSED'}"


# --- phases --------------------------------------------------------------------------------------


def ensure_cases(target: int, *, seed: int, batch: int, results: Results) -> None:
    """Add generated cases until there are ``target``; into an empty database with deferred indexes."""
    from routing.models import Case

    present = Case.objects.count()
    if present >= target:
        print(f"{present:,} cases present (wanted {target:,}): nothing generated")
        results.generate = {"generated": 0, "present": present}
        return
    missing = target - present
    print(f"{present:,} cases present: generating {missing:,} with bench/generate.py")
    # Into an empty database (the benchmark's own): indexes are built once after the load.
    defer = present == 0
    report = bench_generate.generate(
        missing, seed=seed, batch=batch, progress=bench_generate.print_progress, defer_indexes=defer
    )
    print(f"  {report.created:,} cases in {report.seconds:.1f} s ({report.per_second:,.0f} cases/s)")
    if report.indexes_rebuilt:
        print(
            f"  of which the load {report.load_seconds:.1f} s ({report.created / report.load_seconds:,.0f}/s) "
            f"and {report.indexes_rebuilt} indexes built afterwards in {report.index_seconds:.1f} s"
        )
    results.generate = {
        "generated": report.created,
        "present_before": present,
        "seconds": round(report.seconds, 2),
        "cases_per_second": round(report.per_second),
        "method": report.method,
        "deferred_indexes": report.indexes_rebuilt,
        "load_seconds": round(report.load_seconds, 2),
        "index_build_seconds": round(report.index_seconds, 2),
        "states": dict(report.states),
        "levels": dict(report.levels),
        "overdue": report.overdue,
    }


def _every(step: int) -> Callable[[Any], Any]:
    """A reindex progress wrapper printing the documents read and the rate every ``step``."""

    def wrap(docs: Any) -> Any:
        clock = time.perf_counter()
        for number, doc in enumerate(docs, 1):
            if number % step == 0:
                seconds = time.perf_counter() - clock
                print(
                    f"    reindex: {number:,} documents in {seconds:.0f} s ({number / seconds:,.0f}/s)",
                    flush=True,
                )
            yield doc

    return wrap


class Clocks:
    """Wall time and CPU seconds of this process, the PostgreSQL backend serving it and the engine.

    The engine's CPU is read from its process when this script started it (or ``--engine-pid``),
    otherwise from its nodes' stats (``process.cpu.total_in_millis``, summed over the nodes).
    """

    def __init__(self, client: Any, engine_pid: int | None) -> None:
        from django.db import connection

        self.client = client
        self.engine_pid = engine_pid
        self.postgres_pid: int | None = None
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                row = cursor.fetchone()
            pid = int(row[0]) if row else 0
            self.postgres_pid = pid if Path(f"/proc/{pid}/stat").exists() else None

    def engine_cpu(self) -> float | None:
        if self.client is None:
            return None
        if self.engine_pid is not None:
            return cpu_seconds(self.engine_pid)
        try:
            nodes = self.client.raw.nodes.stats(metric="process")["nodes"].values()
            return sum(node["process"]["cpu"]["total_in_millis"] for node in nodes) / 1000
        except Exception:
            return None

    def read(self) -> dict[str, float | None]:
        return {
            "wall": time.perf_counter(),
            "python": time.process_time(),
            "postgresql": cpu_seconds(self.postgres_pid) if self.postgres_pid else None,
            "engine": self.engine_cpu(),
        }

    @staticmethod
    def per_thousand(
        start: dict[str, float | None], end: dict[str, float | None], documents: int
    ) -> dict[str, float | None]:
        """CPU seconds per 1,000 documents of each process between two readings, and their wall time."""
        found: dict[str, float | None] = {}
        for key in ("python", "postgresql", "engine"):
            first, last = start[key], end[key]
            found[f"{key}_cpu_s_per_1000"] = (
                round((last - first) * 1000 / documents, 3)
                if first is not None and last is not None and documents
                else None
            )
        wall_start, wall_end = start["wall"], end["wall"]
        assert wall_start is not None and wall_end is not None
        found["wall_s_per_1000"] = round((wall_end - wall_start) * 1000 / documents, 3) if documents else None
        return found


def _cpu_line(cpu: dict[str, float | None]) -> str:
    parts = [
        f"{label} {value:.2f}"
        for label, value in (
            ("python", cpu.get("python_cpu_s_per_1000")),
            ("postgresql", cpu.get("postgresql_cpu_s_per_1000")),
            ("engine", cpu.get("engine_cpu_s_per_1000")),
            ("wall", cpu.get("wall_s_per_1000")),
        )
        if value is not None
    ]
    return f"      CPU s per 1,000 documents: {', '.join(parts)}"


def engine_index_stats(client: Any, index: str) -> dict[str, Any]:
    """The engine's own account of an index: time spent indexing, refreshing and merging, segments, size."""
    try:
        primaries = client.stats(index)["_all"]["primaries"]
    except Exception as exc:
        return {"error": str(exc)[:200]}
    store = primaries.get("store", {}).get("size_in_bytes")
    return {
        "docs": primaries.get("docs", {}).get("count"),
        "store_mib": round(store / 2**20, 1) if store else None,
        "indexing_seconds": round(primaries.get("indexing", {}).get("index_time_in_millis", 0) / 1000, 1),
        "refresh_seconds": round(primaries.get("refresh", {}).get("total_time_in_millis", 0) / 1000, 1),
        "merge_seconds": round(primaries.get("merges", {}).get("total_time_in_millis", 0) / 1000, 1),
        "merge_throttled_seconds": round(
            primaries.get("merges", {}).get("total_throttled_time_in_millis", 0) / 1000, 1
        ),
        "segments": primaries.get("segments", {}).get("count"),
    }


def engine_memory(client: Any, pid: int | None) -> dict[str, Any]:
    """The engine's resident memory (its process, when local) and JVM heap (node stats)."""
    found: dict[str, Any] = {}
    if pid is not None:
        found["rss_mib"] = rss_mib(pid)
    try:
        nodes = list(client.raw.nodes.stats(metric="jvm,process")["nodes"].values())
        jvm = nodes[0]["jvm"]["mem"]
        found["heap_used_mib"] = round(jvm["heap_used_in_bytes"] / 2**20, 1)
        found["heap_max_mib"] = round(jvm["heap_max_in_bytes"] / 2**20, 1)
        found["non_heap_used_mib"] = round(jvm.get("non_heap_used_in_bytes", 0) / 2**20, 1)
        if pid is None:
            resident = nodes[0]["process"].get("mem", {}).get("total_virtual_in_bytes")
            found["virtual_mib"] = round(resident / 2**20, 1) if resident else None
    except Exception as exc:
        found["error"] = str(exc)[:200]
    return found


def _serializer(client: Any) -> Callable[[Any], Any]:
    """The JSON serialiser the engine's client uses for bulk bodies."""
    if client.engine == "opensearch":
        dumps: Callable[[Any], Any] = client.raw.transport.serializer.dumps
        return dumps
    from elastic_transport import JsonSerializer

    return JsonSerializer().dumps


def forget_caches() -> None:
    """Empty the search modules' in-process caches (e.g. the segmented title words) before a timed phase."""
    import functools

    import search.documents
    import search.monitoring

    for module in (search.documents, search.monitoring):
        for value in vars(module).values():
            if isinstance(value, functools._lru_cache_wrapper):
                value.cache_clear()


def reindex_client(client: Any, timeout: float) -> Any:
    """The project's client with ``timeout`` for every request, timing the refreshes it sends.

    ``ElasticBackend.reindex`` gives its final refresh (and settings) ``search.elastic.BULK_TIMEOUT``;
    the benchmark gives every request ``--bulk-timeout`` instead (a loaded machine may need more)
    and records how long the refreshes took.
    """
    from search.client import EngineClient

    if client.engine == "opensearch":
        import opensearchpy

        raw: Any = opensearchpy.OpenSearch(
            client.raw.transport.hosts, timeout=timeout, max_retries=1, retry_on_timeout=False, pool_maxsize=4
        )
    else:
        raw = client.raw.options(request_timeout=timeout)

    class Timed(EngineClient):
        refresh_seconds: list[float]

        def refresh(self, index: str, *, timeout: float | None = None) -> None:
            clock = time.perf_counter()
            super().refresh(index, timeout=timeout)
            self.refresh_seconds.append(round(time.perf_counter() - clock, 2))

    timed = Timed(raw, engine=client.engine)
    timed.refresh_seconds = []
    return timed


def pure_bulk(
    client: Any,
    scratch: str,
    docs: list[tuple[dict[str, Any], int]],
    *,
    streams: int,
    versioned: bool,
    timeout: float,
    clocks: Clocks,
) -> dict[str, Any]:
    """Bulk prebuilt documents into a scratch index (then dropped), in ``streams`` parallel streams.

    ``versioned``: as the reindex writes them (``search.elastic._write``: external versions, which
    cost the engine a version lookup per document); otherwise plain index actions with the same ids.
    """
    import threading

    import search.elastic
    from search.elastic import BULK_CHUNK, index_body

    def action(doc: dict[str, Any], version: int) -> dict[str, Any]:
        if versioned:
            return search.elastic._write(scratch, doc, version)
        return {"_op_type": "index", "_index": scratch, "_id": str(doc["case_id"]), "_source": doc}

    client.delete_index(scratch)
    client.create_index(scratch, index_body(refresh_interval="-1"))
    written = [0] * streams
    failures: list[BaseException] = []

    def stream(number: int) -> None:
        try:
            part = docs[number::streams]
            for ok, _item in client.bulk(
                (action(doc, version) for doc, version in part),
                timeout=timeout,
                chunk_size=BULK_CHUNK,
                max_retries=3,
            ):
                written[number] += ok
        except BaseException as exc:
            failures.append(exc)

    try:
        before = clocks.read()
        threads = [threading.Thread(target=stream, args=(n,)) for n in range(streams)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        after = clocks.read()
        if failures:
            raise failures[0]
        clock = time.perf_counter()
        client.refresh(scratch)
        refresh = time.perf_counter() - clock
        stats = engine_index_stats(client, scratch)
    finally:
        client.delete_index(scratch)
    seconds = float(after["wall"] or 0) - float(before["wall"] or 0)
    total = sum(written)
    return {
        "streams": streams,
        "external_versions": versioned,
        "written": total,
        "seconds": round(seconds, 2),
        "docs_per_second": round(total / seconds),
        "refresh_seconds": round(refresh, 2),
        "cpu": Clocks.per_thousand(before, after, total),
        "engine": stats,
    }


def index_phases(
    backend: Any,
    *,
    pure_bulk_docs: int,
    variant_runs: bool,
    bulk_timeout: float,
    engine_pid: int | None,
    results: Results,
) -> None:
    """Read, build, serialise, pure bulk (of the first ``pure_bulk_docs`` documents), then the real reindex.

    Bulk requests get ``bulk_timeout`` (the pure bulk through ``EngineClient.bulk``, the reindex
    through ``search.elastic.BULK_TIMEOUT``); searches below keep the project's client and its 5 s.
    """
    import search.elastic
    from search.documents import document_rows, row_document
    from search.elastic import BULK_CHUNK, ElasticBackend

    client = backend.client
    clocks = Clocks(client, engine_pid)
    forget_caches()
    print("indexing")
    docs: list[tuple[dict[str, Any], int]] = []
    build = 0.0
    count = 0
    before = clocks.read()
    for row in document_rows().iterator(chunk_size=2000):
        started = time.perf_counter()
        doc = row_document(row)
        build += time.perf_counter() - started
        count += 1
        if len(docs) < pure_bulk_docs:
            docs.append((doc, row["index_version"] or 0))
    after = clocks.read()
    read_and_build = float(after["wall"] or 0) - float(before["wall"] or 0)
    read = read_and_build - build
    phases: dict[str, Any] = {
        "documents": count,
        "read_seconds": round(read, 2),
        "read_docs_per_second": round(count / read) if read else None,
        "build_seconds": round(build, 2),
        "build_docs_per_second": round(count / build) if build else None,
        "read_and_build_cpu": Clocks.per_thousand(before, after, count),
        "bulk_chunk": BULK_CHUNK,
        "bulk_request_timeout": bulk_timeout,
    }
    print(f"  read cases (ORM values() rows)    {read:7.1f} s  {count / read:>9,.0f} docs/s")
    print(f"  build documents (row_document)    {build:7.1f} s  {count / build:>9,.0f} docs/s")
    print(_cpu_line(phases["read_and_build_cpu"]))

    if docs:
        dumps = _serializer(client)
        clock = time.perf_counter()
        size = sum(len(dumps(doc)) for doc, _version in docs)
        serialise = time.perf_counter() - clock
        phases.update(
            serialise_docs=len(docs),
            serialise_seconds=round(serialise, 2),
            serialise_docs_per_second=round(len(docs) / serialise),
            mean_document_bytes=round(size / len(docs)),
        )
        print(
            f"  serialise to JSON (client)        {serialise:7.1f} s  {len(docs) / serialise:>9,.0f} docs/s"
        )

        slow = reindex_client(client, bulk_timeout)
        variants: dict[str, Any] = {}
        for variant, streams, versioned in (
            ("as the reindex writes (external versions, one stream)", 1, True),
            ("without external versions", 1, False),
            ("two streams in parallel", 2, True),
        ):
            found = pure_bulk(
                slow,
                f"{backend.alias}-pure-bulk",
                docs,
                streams=streams,
                versioned=versioned,
                timeout=bulk_timeout,
                clocks=clocks,
            )
            variants[variant] = found
            print(
                f"  pure bulk of {found['written']:,} prebuilt docs   {found['seconds']:7.1f} s  "
                f"{found['docs_per_second']:>9,} docs/s  (refresh {found['refresh_seconds']:.1f} s): {variant}"
            )
            print(_cpu_line(found["cpu"]))
            if not variant_runs:
                break
        first = next(iter(variants.values()))
        phases.update(
            pure_bulk_docs=len(docs),
            pure_bulk_written=first["written"],
            pure_bulk_seconds=first["seconds"],
            pure_bulk_docs_per_second=first["docs_per_second"],
            pure_bulk_refresh_seconds=first["refresh_seconds"],
            pure_bulk_cpu=first["cpu"],
            pure_bulk_engine_stats=first["engine"],
            pure_bulk_variants=variants,
        )
    docs.clear()

    # The real reindex, with ``bulk_timeout`` for its bulk requests too (the project's is 60 s).
    project_bulk_timeout = search.elastic.BULK_TIMEOUT
    search.elastic.BULK_TIMEOUT = max(project_bulk_timeout, bulk_timeout)
    step = 100_000 if count >= 300_000 else max(count // 4, 1000)
    slow = reindex_client(client, bulk_timeout)
    # A reindex runs in a fresh process (manage.py search_reindex): no cache of the phases above.
    forget_caches()
    before = clocks.read()
    try:
        report = ElasticBackend(client=slow, alias=backend.alias).reindex(progress=_every(step))
    finally:
        search.elastic.BULK_TIMEOUT = project_bulk_timeout
    after = clocks.read()
    seconds = float(after["wall"] or 0) - float(before["wall"] or 0)
    rate = report.documents / seconds
    phases.update(
        reindex_documents=report.documents,
        reindex_caught_up=report.caught_up,
        reindex_seconds=round(seconds, 2),
        reindex_docs_per_second=round(rate),
        reindex_goal_docs_per_second=GOAL_REINDEX_DOCS_PER_SECOND,
        reindex_goal_met=rate >= GOAL_REINDEX_DOCS_PER_SECOND,
        reindex_cpu=Clocks.per_thousand(before, after, report.documents),
        reindex_refresh_seconds=slow.refresh_seconds,
        reindex_engine_stats=engine_index_stats(client, report.index),
        engine_memory_after_reindex=engine_memory(client, engine_pid),
        index=report.index,
    )
    print(
        f"  ElasticBackend().reindex()        {seconds:7.1f} s  {rate:>9,.0f} docs/s"
        f"  ({report.documents:,} documents, {report.caught_up} caught up, refreshes {slow.refresh_seconds} s; goal "
        f">= {GOAL_REINDEX_DOCS_PER_SECOND:,}/s: {'met' if rate >= GOAL_REINDEX_DOCS_PER_SECOND else 'MISSED'})"
    )
    print(_cpu_line(phases["reindex_cpu"]))
    print(f"      engine: {phases['reindex_engine_stats']}; memory {phases['engine_memory_after_reindex']}")
    results.indexing = phases


def busiest_scopes(results: Results) -> dict[str, Any]:
    """The busiest commune (cases at that unit) and province (cases in its subtree), and central."""
    from django.db.models import Count

    from routing.models import Case, Level, Unit
    from search.base import Scope

    per_unit = list(Case.objects.values("unit__path", "unit__level").annotate(n=Count("pk")).order_by("-n"))
    commune = next(row for row in per_unit if row["unit__level"] == Level.COMMUNE)
    provinces: Counter[str] = Counter()
    for row in per_unit:
        parts = [p for p in row["unit__path"].split("/") if p]
        if len(parts) >= 2:
            provinces[f"/{parts[0]}/{parts[1]}/"] += row["n"]
    province_path, province_cases = provinces.most_common(1)[0]
    names = dict(
        Unit.objects.filter(path__in=[commune["unit__path"], province_path]).values_list("path", "name")
    )
    total = sum(row["n"] for row in per_unit)
    scopes = {
        "commune": Scope(exact_path=commune["unit__path"]),
        "province": Scope(path_prefix=province_path),
        "central": Scope(path_prefix="/"),
    }
    results.scopes = {
        "commune": {
            "path": commune["unit__path"],
            "name": names.get(commune["unit__path"]),
            "cases": commune["n"],
        },
        "province": {"path": province_path, "name": names.get(province_path), "cases": province_cases},
        "central": {"path": "/", "cases": total},
    }
    for key, scope in results.scopes.items():
        print(f"  scope {key:<9} {scope.get('name') or scope['path']:<32} {scope['cases']:>9,} cases")
    return scopes


def case_sample(scope: Any, *, size: int, seed: int) -> list[int]:
    """Cases a reader of ``scope`` would open on the desk (open or recent ones first)."""
    from search.database import scoped_cases

    ids = list(scoped_cases(scope).order_by("-submitted_at").values_list("pk", flat=True)[: size * 20])
    random.Random(seed).shuffle(ids)  # noqa: S311 - sampling, not secrets
    return ids[:size]


def run_latency(
    backends: dict[str, Any],
    scopes: dict[str, Any],
    *,
    runs: dict[str, int],
    warmup: int,
    time_limit: float,
    db_time_limit: float,
    seed: int,
    results: Results,
) -> None:
    from django.utils import timezone

    from search.base import Scope, SearchQuery
    from search.monitoring import MonitorQuery

    today = timezone.localdate()
    since = today - dt.timedelta(days=29)
    samples = {
        "commune": case_sample(scopes["commune"], size=50, seed=seed),
        "province": case_sample(scopes["province"], size=50, seed=seed),
    }

    def searcher(backend: Any, scope: Scope, text: bool = True) -> Callable[[int], float]:
        def call(i: int) -> float:
            query = SearchQuery(
                scope=scope,
                text=QUERIES[i % len(QUERIES)] if text else "",
                sort="relevance" if text else "newest",
                page=1,
                page_size=25,
            )
            return float(backend.search(query).total)

        return call

    def monitor(backend: Any, scope: Scope, places: str) -> Callable[[int], float]:
        def call(i: int) -> float:
            result = backend.monitor(MonitorQuery(scope=scope, since=since, until=today, places=places))
            return float(sum(result.volume_by_place.values()))

        return call

    def similar(backend: Any, scope: Scope, ids: list[int]) -> Callable[[int], float]:
        def call(i: int) -> float:
            return float(len(backend.similar(case_id=ids[i % len(ids)], scope=scope, limit=5)))

        return call

    province = scopes["province"]
    for name, backend in backends.items():
        print(f"latency: {name}")
        database = name == "database"
        limit = db_time_limit if database else time_limit
        n = runs["database"] if database else runs["search"]
        m = runs["database"] if database else runs["monitor"]
        scenarios: list[tuple[str, Callable[[int], float], int, str]] = [
            ("search commune officer", searcher(backend, scopes["commune"]), n, "total hits"),
            ("search province leader", searcher(backend, province), n, "total hits"),
            ("search central", searcher(backend, scopes["central"]), n, "total hits"),
            ("monitor province 30 d", monitor(backend, province, "commune"), m, "cases in period"),
            (
                "monitor central 30 d",
                monitor(backend, Scope(path_prefix="/"), "province"),
                m,
                "cases in period",
            ),
            (
                "similar commune officer",
                similar(backend, scopes["commune"], samples["commune"]),
                n,
                "similar",
            ),
            ("similar province leader", similar(backend, province, samples["province"]), n, "similar"),
            # Last: on a slow server it may time out, and abandoned requests keep the server busy.
            ("browse central (no text)", searcher(backend, scopes["central"], text=False), n, "total hits"),
        ]
        if not database:
            # A monitoring request (size 0) repeats exactly, so the engine answers it from its shard
            # request cache; every refresh that brought a change empties that cache, and a portal
            # taking petitions refreshes every second: measured again with the cache off.
            scenarios += [
                (
                    "monitor province 30 d, uncached",
                    monitor(backend, province, "commune"),
                    m,
                    "cases in period",
                ),
                (
                    "monitor central 30 d, uncached",
                    monitor(backend, Scope(path_prefix="/"), "province"),
                    m,
                    "cases in period",
                ),
            ]
        for scenario, call, count, note in scenarios:
            if scenario.endswith("uncached"):
                request_cache(backend, enabled=False)
            try:
                results.latency.append(
                    measure(
                        scenario,
                        name,
                        call,
                        runs=count,
                        warmup=min(warmup, max(count // 10, 2)),
                        time_limit=limit,
                        note=note,
                    )
                )
            finally:
                if scenario.endswith("uncached"):
                    request_cache(backend, enabled=True)


def request_cache(backend: Any, *, enabled: bool) -> None:
    """Turn the shard request cache of the index behind the alias on or off (a dynamic setting)."""
    for index in backend.indices():
        backend.client.put_settings(index, {"index": {"requests": {"cache": {"enable": enabled}}}})


def search_text_indexes() -> list[str]:
    """Indexes on petitions_petition.search_text (the database backend's LIKE '%word%' matching)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE tablename = 'petitions_petition' AND indexdef LIKE %s",
            ["%search_text%"],
        )
        return [row[0] for row in cursor.fetchall()]


def sizes(backend: Any) -> dict[str, Any]:
    from django.db import connection

    found: dict[str, Any] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for table in ("petitions_petition", "routing_case", "routing_caseevent"):
                cursor.execute("SELECT pg_total_relation_size(%s)", [table])
                row = cursor.fetchone()
                found[f"{table}_mib"] = round(row[0] / 1024 / 1024, 1) if row else None
    if backend is not None:
        stats = engine_index_stats(backend.client, backend.alias)
        found.update({f"index_{key}": value for key, value in stats.items()})
    return found


def source_digests() -> dict[str, str]:
    """Short digests of the search sources (another engineer may change them during a long run)."""
    found: dict[str, str] = {}
    for name in SEARCH_SOURCES:
        try:
            found[name] = hashlib.sha256((ROOT / name).read_bytes()).hexdigest()[:12]
        except OSError:
            found[name] = "missing"
    return found


def print_table(results: Results) -> None:
    print()
    print(
        f"{'backend':<9} {'scenario':<32} {'runs':>5} {'median':>9} {'p95':>9} {'p99':>9} {'max':>9}  "
        "load  result"
    )
    for row in results.latency:
        print(
            f"{row.backend:<9} {row.scenario:<32} {row.runs:>5} {row.median_ms:>7.1f}ms {row.p95_ms:>7.1f}ms "
            f"{row.p99_ms:>7.1f}ms {row.max_ms:>7.1f}ms  {row.load_1m:4.1f}  {row.mean_result:,.0f} "
            f"{row.note}{_goal(row)}"
        )


@dataclass
class _Server:
    url: str
    kind: str
    engine: str = ""
    pid: int | None = None
    seconds_to_start: float | None = None


def default_heap(cases: int) -> str:
    return LARGE_HEAP if cases > LARGE_FROM else SMALL_HEAP


@contextmanager
def search_engine(args: argparse.Namespace) -> Iterator[_Server]:
    """The engine to measure: none, a given cluster, or OpenSearch started here (and stopped after)."""
    if args.skip_engine:
        yield _Server(url="", kind="none (--skip-engine)")
        return
    if args.opensearch_url:
        yield _Server(
            url=args.opensearch_url, kind="given OpenSearch", engine="opensearch", pid=args.engine_pid
        )
        return
    if args.elasticsearch_url:
        yield _Server(
            url=args.elasticsearch_url,
            kind="given Elasticsearch",
            engine="elasticsearch",
            pid=args.engine_pid,
        )
        return
    from search.engine import launch

    heap = args.heap or default_heap(args.cases)
    home = args.engine_home or Path(tempfile.mkdtemp(prefix="bench-search-engine-"))
    print(f"starting OpenSearch (search.engine.launch, heap {heap}) in {home}", flush=True)
    engine = launch.start(home=home, heap=heap, timeout=300)
    print(f"  started in {engine.seconds_to_start:.1f} s at {engine.url}", flush=True)
    try:
        yield _Server(
            url=engine.url,
            kind=f"OpenSearch in one JVM (search.engine.launch), heap {heap}",
            engine="opensearch",
            pid=engine.pid,
            seconds_to_start=round(engine.seconds_to_start, 1),
        )
    finally:
        engine.stop()
        if args.engine_home is None:
            shutil.rmtree(home, ignore_errors=True)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"default {DEFAULT_DATABASE_URL} (created if missing)",
    )
    given = parser.add_mutually_exclusive_group()
    given.add_argument(
        "--opensearch-url", help="a running OpenSearch; default: start one (search.engine.launch)"
    )
    given.add_argument("--elasticsearch-url", help="a running Elasticsearch 8 cluster")
    parser.add_argument(
        "--heap",
        help=f"JVM heap of the engine started here (default {SMALL_HEAP}, {LARGE_HEAP} above {LARGE_FROM:,} cases)",
    )
    parser.add_argument(
        "--engine-home",
        type=Path,
        help="data folder of the engine started here, kept afterwards (default: a temporary one, removed)",
    )
    parser.add_argument(
        "--engine-pid", type=int, help="process id of a given local engine (its CPU and resident memory)"
    )
    parser.add_argument(
        "--skip-indexing",
        action="store_true",
        help="measure the index already behind --alias (e.g. with --engine-home of an earlier run)",
    )
    parser.add_argument("--alias", default=DEFAULT_ALIAS, help=f"index alias (default {DEFAULT_ALIAS})")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--runs", type=int, default=300, help="timed searches per engine scenario")
    parser.add_argument("--monitor-runs", type=int, default=100, help="timed monitor calls per scenario")
    parser.add_argument("--db-runs", type=int, default=30, help="timed calls per database scenario")
    parser.add_argument(
        "--time-limit", type=float, default=30.0, help="seconds per engine scenario (fewer runs if over)"
    )
    parser.add_argument("--db-time-limit", type=float, default=20.0, help="seconds per database scenario")
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=5000)
    parser.add_argument(
        "--pure-bulk-docs",
        type=int,
        default=20_000,
        help="documents in the pure-bulk measurement (0: skip it; the rate does not depend on it)",
    )
    parser.add_argument(
        "--no-bulk-variants",
        action="store_true",
        help="only the pure bulk as the reindex writes (not also without versions and in two streams)",
    )
    parser.add_argument(
        "--bulk-timeout", type=float, default=120.0, help="request timeout of the bulk requests, seconds"
    )
    parser.add_argument("--skip-database", action="store_true", help="no DatabaseBackend comparison")
    parser.add_argument(
        "--skip-engine",
        "--skip-elasticsearch",
        dest="skip_engine",
        action="store_true",
        help="no search engine, no indexing: only the DatabaseBackend",
    )
    args = parser.parse_args(argv)
    if args.skip_engine and args.skip_database:
        parser.error("--skip-engine and --skip-database leave nothing to measure")
    if args.alias in ("cases", "") or args.alias.startswith("cases-"):
        parser.error("choose an alias of the benchmark's own: reindex drops the indices behind it")

    # A plain kill still stops the search engine this started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    results = Results(started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), cases=args.cases)
    results.machine = machine()
    with search_engine(args) as server:
        for name in ("ELASTICSEARCH_URL", "OPENSEARCH_URL"):
            os.environ.pop(name, None)
        if server.engine:
            os.environ[f"{server.engine.upper()}_URL"] = server.url
        os.environ["SEARCH_INDEX_ALIAS"] = args.alias
        bench_generate.prepare_database(args.database_url)
        from django.conf import settings
        from django.db import connection

        wanted = "engine" if server.engine else "database"
        assert wanted == settings.SEARCH_BACKEND, (
            f"the settings chose {settings.SEARCH_BACKEND}, not {wanted}"
        )
        from search.database import DatabaseBackend
        from search.elastic import ElasticBackend

        engine = ElasticBackend() if server.engine else None
        info: Any = engine.client.info() if engine is not None else {}
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            row = cursor.fetchone()
        results.versions = {
            "search_server": server.kind,
            "search_server_reports": {
                "name": info.get("version", {}).get("distribution", "elasticsearch") if info else None,
                "number": info.get("version", {}).get("number"),
            },
            "engine_seconds_to_start": server.seconds_to_start,
            "postgresql": row[0] if row else None,
            "database": connection.settings_dict.get("NAME"),
            "search_text_indexes": search_text_indexes(),
            "git": git_revision(),
            "search_sources_at_start": source_digests(),
        }
        reports = results.versions["search_server_reports"]
        print(
            f"search engine: {server.kind} ({reports['name']} {reports['number']}) at {server.url or '-'}; "
            f"PostgreSQL {results.versions['postgresql']}; git {results.versions['git']}"
        )

        ensure_cases(args.cases, seed=args.seed, batch=args.batch, results=results)
        if engine is not None:
            if args.skip_indexing:
                if not engine.indices():
                    raise SystemExit(f"--skip-indexing: no index behind the alias {args.alias}")
                print(f"indexing skipped: measuring {engine.indices()} as it is")
            else:
                index_phases(
                    engine,
                    pure_bulk_docs=args.pure_bulk_docs,
                    variant_runs=not args.no_bulk_variants,
                    bulk_timeout=args.bulk_timeout,
                    engine_pid=server.pid,
                    results=results,
                )
        print("scopes")
        scopes = busiest_scopes(results)
        backends: dict[str, Any] = {"engine": engine} if engine is not None else {}
        if not args.skip_database:
            backends["database"] = DatabaseBackend()
        run_latency(
            backends,
            scopes,
            runs={"search": args.runs, "monitor": args.monitor_runs, "database": args.db_runs},
            warmup=args.warmup,
            time_limit=args.time_limit,
            db_time_limit=args.db_time_limit,
            seed=args.seed,
            results=results,
        )
        results.sizes.update(sizes(engine))
        if engine is not None:
            results.sizes["engine_memory_end"] = engine_memory(engine.client, server.pid)
        results.versions["search_sources_at_end"] = source_digests()
        results.versions["git_at_end"] = git_revision()
    results.seconds = round(time.perf_counter() - started, 1)
    results.machine["load_at_end"] = loadavg()
    print_table(results)
    print(f"\nsizes: {results.sizes}")
    if results.versions["search_sources_at_start"] != results.versions["search_sources_at_end"]:
        print(
            f"note: search sources changed during the run: {results.versions['search_sources_at_start']} -> "
            f"{results.versions['search_sources_at_end']}"
        )
    print(
        f"total {results.seconds:.0f} s; load average at start {results.machine['load_at_start']}, end {loadavg()}"
    )
    if args.json:
        args.json.write_text(json.dumps(asdict(results), indent=2, ensure_ascii=False, default=str) + "\n")
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
