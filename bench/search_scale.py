"""Search at scale: bulk indexing rate and search, aggregation and similar-case latency.

    .venv/bin/python bench/search_scale.py --cases 100000 [--elasticsearch-url URL] [--json out.json]

What it runs, in order:

1. the database (``--database-url``, default ``postgres://postgres@127.0.0.1:5432/
   petitions_bench_search``): created if missing, migrated, units loaded; cases are added with
   ``bench/generate.py`` until there are ``--cases`` of them (nothing is added if there are enough;
   into an empty database with ``defer_indexes``);
2. without ``--elasticsearch-url``, osmem-server (the in-memory Elasticsearch-compatible server
   of the test suite) is started on a free port, with the plain-JSON client
   (``SEARCH_ES_PLAIN_JSON``); with a URL, that cluster is used as it is. Either way the index
   lives behind the alias ``--alias`` (default ``bench-search-scale``), never ``cases``;
3. indexing, split in phases: reading the cases (the query of ``search.documents``), building
   the documents, serialising them to JSON, a pure bulk of the prebuilt documents into a
   scratch index (then dropped), and the real ``ElasticBackend().reindex()`` (database read +
   documents + bulk + refresh + alias swap), each in documents per second. Bulk requests get
   ``--bulk-timeout`` (120 s) instead of the project's 5 s request timeout;
4. latency (median, p90, p99, max) of ``ElasticBackend().search`` (a toneless full-text
   query with every facet, as ``/office/search/`` asks it) in the scope of a commune officer
   (the busiest commune), a province leader (the busiest province) and central, and without
   text for central (newest first); of ``monitor`` (30 days) for that province and for
   central; of ``similar`` for cases of that commune and of that province; after a warm-up,
   cycling through toneless queries, each scenario for ``--runs`` (``--monitor-runs``) calls
   or ``--time-limit`` seconds, whichever comes first. Searches use the project's client as
   the pages do: a call that raises ``SearchUnavailable`` (its 5 s timeout) is counted as an
   error, and three in a row end the scenario;
5. the same for ``DatabaseBackend`` on the same PostgreSQL, with ``--db-runs`` calls or
   ``--db-time-limit`` seconds per scenario.

``--skip-elasticsearch`` leaves out the server and the indexing: only the database backend is
measured (where no search server can hold the documents, e.g. osmem-server past about 900,000
on 24 GiB).

It prints a table and, with ``--json``, writes every number with the machine, the versions and
the database and index sizes. Runs against a real Elasticsearch unchanged (give its URL).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import random
import signal
import statistics
import sys
import time
from collections import Counter
from collections.abc import Callable, Generator
from contextlib import suppress
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
from common import git_revision, loadavg, memory_gib, percentile  # noqa: E402 - bench/common.py, next to this file

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/petitions_bench_search"
#: A scenario stops after this many SearchUnavailable in a row (the client's 5 s timeout): the
#: server goes on working on abandoned requests, which would slow every later measurement.
MAX_ERRORS_IN_A_ROW = 3
DEFAULT_ALIAS = "bench-search-scale"

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
    p99_ms: float
    max_ms: float
    mean_ms: float
    #: What the scenario returned on average (hits total, places, similar cases).
    mean_result: float
    note: str = ""
    #: Calls that raised SearchUnavailable (e.g. the client's 5 s timeout), left out of the times.
    errors: int = 0


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

    for i in range(warmup):
        with suppress(SearchUnavailable):
            call(i)
    samples: list[float] = []
    results: list[float] = []
    errors = failed_in_a_row = 0
    started = time.perf_counter()
    for i in range(runs):
        clock = time.perf_counter()
        try:
            results.append(call(warmup + i))
        except SearchUnavailable:
            errors += 1
            failed_in_a_row += 1
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
        print(f"  {backend:<9} {name:<26} every call failed ({errors})", flush=True)
        return Latency(name, backend, 0, 0, 0, 0, 0, 0, 0, note, errors)
    latency = Latency(
        scenario=name,
        backend=backend,
        runs=len(samples),
        median_ms=round(statistics.median(samples), 2),
        p90_ms=round(percentile(samples, 0.9), 2),
        p99_ms=round(percentile(samples, 0.99), 2),
        max_ms=round(max(samples), 2),
        mean_ms=round(statistics.fmean(samples), 2),
        mean_result=round(statistics.fmean(results), 1),
        note=note,
        errors=errors,
    )
    print(
        f"  {backend:<9} {name:<26} {latency.runs:>4} runs  median {latency.median_ms:>8.1f} ms  "
        f"p90 {latency.p90_ms:>8.1f}  p99 {latency.p99_ms:>8.1f}  max {latency.max_ms:>8.1f}  "
        f"(mean result {latency.mean_result:,.0f}{f', {errors} errors' if errors else ''})",
        flush=True,
    )
    return latency


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


def index_phases(backend: Any, *, pure_bulk: int, bulk_timeout: float, results: Results) -> None:
    """Read, build, serialise, pure bulk (of the first ``pure_bulk`` documents), then the real reindex.

    Indexing uses the project's client with ``bulk_timeout`` instead of its 5 s request timeout
    (``client.options(request_timeout=...)``): a bulk of 1,000 documents can take longer than
    that on a slow or busy server; searches below keep the project's own client and timeout.
    """
    from elastic_transport import JsonSerializer
    from elasticsearch import helpers

    from search import elastic as elastic_module
    from search.documents import case_document, cases_for_documents
    from search.elastic import BULK_CHUNK, INDEX_SETTINGS, MAPPINGS, ElasticBackend

    print("indexing")
    docs: list[tuple[dict[str, Any], int]] = []
    build = 0.0
    count = 0
    clock = time.perf_counter()
    for case in cases_for_documents().iterator(chunk_size=2000):
        started = time.perf_counter()
        doc = case_document(case)
        build += time.perf_counter() - started
        count += 1
        if len(docs) < pure_bulk:
            docs.append((doc, getattr(case, "index_version", None) or 0))
    read_and_build = time.perf_counter() - clock
    read = read_and_build - build
    phases: dict[str, Any] = {
        "documents": count,
        "read_seconds": round(read, 2),
        "read_docs_per_second": round(count / read) if read else None,
        "build_seconds": round(build, 2),
        "build_docs_per_second": round(count / build) if build else None,
        "bulk_chunk": BULK_CHUNK,
        "bulk_request_timeout": bulk_timeout,
    }
    print(f"  read cases (ORM, select_related)  {read:7.1f} s  {count / read:>9,.0f} docs/s")
    print(f"  build documents (case_document)   {build:7.1f} s  {count / build:>9,.0f} docs/s")
    client = backend.client.options(request_timeout=bulk_timeout)

    if docs:
        serializer = JsonSerializer()
        clock = time.perf_counter()
        size = sum(len(serializer.dumps(doc)) for doc, _version in docs)
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

        scratch = f"{backend.alias}-pure-bulk"
        client.indices.delete(index=scratch, ignore_unavailable=True)
        client.indices.create(
            index=scratch, settings={**INDEX_SETTINGS, "index": {"refresh_interval": "-1"}}, mappings=MAPPINGS
        )
        try:
            # As the reindex writes them (search.elastic._write: external versions), if it does.
            write = getattr(elastic_module, "_write", None)
            actions = (
                write(scratch, doc, version)
                if write is not None
                else {"_index": scratch, "_id": str(doc["case_id"]), "_source": doc}
                for doc, version in docs
            )
            written = 0
            clock = time.perf_counter()
            for ok, _item in helpers.streaming_bulk(
                client, actions, chunk_size=BULK_CHUNK, raise_on_error=False, max_retries=3
            ):
                written += ok
            bulk = time.perf_counter() - clock
            clock = time.perf_counter()
            client.indices.refresh(index=scratch)
            refresh = time.perf_counter() - clock
        finally:
            client.indices.delete(index=scratch, ignore_unavailable=True)
        phases.update(
            pure_bulk_docs=len(docs),
            pure_bulk_written=written,
            pure_bulk_seconds=round(bulk, 2),
            pure_bulk_docs_per_second=round(written / bulk),
            pure_bulk_refresh_seconds=round(refresh, 2),
        )
        print(
            f"  pure bulk of {len(docs):,} prebuilt docs   {bulk:7.1f} s  {written / bulk:>9,.0f} docs/s"
            f"  (refresh {refresh:.1f} s)"
        )
    docs.clear()

    # The real reindex, with ``bulk_timeout`` for its bulk requests too (the project's is 60 s;
    # osmem-server's bulks slow down as its in-memory index grows past several 100,000 documents).
    import search.elastic

    project_bulk_timeout = search.elastic.BULK_TIMEOUT
    search.elastic.BULK_TIMEOUT = max(project_bulk_timeout, bulk_timeout)
    clock = time.perf_counter()
    try:
        report = ElasticBackend(client=client, alias=backend.alias).reindex(progress=_every(100_000))
    finally:
        search.elastic.BULK_TIMEOUT = project_bulk_timeout
    seconds = time.perf_counter() - clock
    phases.update(
        reindex_documents=report.documents,
        reindex_caught_up=report.caught_up,
        reindex_seconds=round(seconds, 2),
        reindex_docs_per_second=round(report.documents / seconds),
        index=report.index,
    )
    print(
        f"  ElasticBackend().reindex()        {seconds:7.1f} s  {report.documents / seconds:>9,.0f} docs/s"
        f"  ({report.documents:,} documents, {report.caught_up} caught up)"
    )
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
        for scenario, call, count, note in scenarios:
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
    try:
        stats = backend.client.indices.stats(index=backend.alias)
        total = stats["_all"]["primaries"]
        found["index_docs"] = total.get("docs", {}).get("count")
        store = total.get("store", {}).get("size_in_bytes")
        found["index_store_mib"] = round(store / 1024 / 1024, 1) if store else None
    except Exception as exc:  # not every compatible server has _stats
        found["index_stats_error"] = str(exc)[:200]
    return found


def print_table(results: Results) -> None:
    print()
    print(
        f"{'backend':<9} {'scenario':<26} {'runs':>5} {'median':>9} {'p90':>9} {'p99':>9} {'max':>9}  result"
    )
    for row in results.latency:
        print(
            f"{row.backend:<9} {row.scenario:<26} {row.runs:>5} {row.median_ms:>7.1f}ms {row.p90_ms:>7.1f}ms "
            f"{row.p99_ms:>7.1f}ms {row.max_ms:>7.1f}ms  {row.mean_result:,.0f} {row.note}"
        )


@dataclass
class _Server:
    url: str
    kind: str
    pid: int | None = None
    close: Callable[[], None] | None = None


def start_server(url: str | None, *, none: bool = False) -> Generator[_Server, None, None]:
    if none:
        yield _Server(url="", kind="none (--skip-elasticsearch)")
        return
    if url:
        yield _Server(url=url, kind="given")
        return
    from osmem_server import OsmemServer

    server = OsmemServer.start(japanese=False)
    try:
        yield _Server(url=server.url, kind=f"osmem-server {server.version}", pid=server.pid)
    finally:
        server.close()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"default {DEFAULT_DATABASE_URL} (created if missing)",
    )
    parser.add_argument("--elasticsearch-url", help="a real cluster; default: start osmem-server")
    parser.add_argument(
        "--plain-json",
        action="store_true",
        help="send plain application/json (OpenSearch-compatible servers); always on for osmem-server",
    )
    parser.add_argument("--alias", default=DEFAULT_ALIAS, help=f"index alias (default {DEFAULT_ALIAS})")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--runs", type=int, default=300, help="timed searches per Elasticsearch scenario")
    parser.add_argument("--monitor-runs", type=int, default=100, help="timed monitor calls per scenario")
    parser.add_argument("--db-runs", type=int, default=30, help="timed calls per database scenario")
    parser.add_argument(
        "--time-limit",
        type=float,
        default=30.0,
        help="seconds per Elasticsearch scenario (fewer runs if over)",
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
        "--bulk-timeout", type=float, default=120.0, help="request timeout of the bulk requests, seconds"
    )
    parser.add_argument("--skip-database", action="store_true", help="no DatabaseBackend comparison")
    parser.add_argument(
        "--skip-elasticsearch",
        action="store_true",
        help="no search server, no indexing: only the DatabaseBackend (e.g. where no server holds the documents)",
    )
    args = parser.parse_args(argv)
    if args.skip_elasticsearch and args.skip_database:
        parser.error("--skip-elasticsearch and --skip-database leave nothing to measure")
    if args.alias in ("cases", "") or args.alias.startswith("cases-"):
        parser.error("choose an alias of the benchmark's own: reindex drops the indices behind it")

    # A plain kill still stops the search server this started (the finally below).
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    results = Results(started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), cases=args.cases)
    results.machine = machine()
    servers = start_server(args.elasticsearch_url, none=args.skip_elasticsearch)
    server = next(servers)
    try:
        if args.skip_elasticsearch:
            os.environ.pop("ELASTICSEARCH_URL", None)
        else:
            os.environ["ELASTICSEARCH_URL"] = server.url
        os.environ["SEARCH_ES_PLAIN_JSON"] = "1" if (args.plain_json or not args.elasticsearch_url) else "0"
        os.environ["SEARCH_INDEX_ALIAS"] = args.alias
        bench_generate.prepare_database(args.database_url)
        from django.conf import settings
        from django.db import connection

        assert args.skip_elasticsearch or settings.SEARCH_BACKEND == "elasticsearch", (
            "ELASTICSEARCH_URL was not taken"
        )
        from search.database import DatabaseBackend
        from search.elastic import ElasticBackend

        elastic = None if args.skip_elasticsearch else ElasticBackend()
        info: Any = elastic.client.info() if elastic is not None else {}
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            row = cursor.fetchone()
        results.versions = {
            "search_server": server.kind,
            "search_server_reports": {
                "name": info.get("version", {}).get("distribution", "elasticsearch"),
                "number": info.get("version", {}).get("number"),
            },
            "postgresql": row[0] if row else None,
            "database": connection.settings_dict.get("NAME"),
            "search_text_indexes": search_text_indexes(),
            "git": git_revision(),
        }
        print(f"search server: {server.kind} at {server.url}; PostgreSQL {results.versions['postgresql']}")

        ensure_cases(args.cases, seed=args.seed, batch=args.batch, results=results)
        if elastic is not None:
            index_phases(
                elastic, pure_bulk=args.pure_bulk_docs, bulk_timeout=args.bulk_timeout, results=results
            )
        if server.pid:
            results.sizes["search_server_rss_mib"] = rss_mib(server.pid)
        print("scopes")
        scopes = busiest_scopes(results)
        backends: dict[str, Any] = {"elastic": elastic} if elastic is not None else {}
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
        if elastic is not None:
            results.sizes.update(sizes(elastic))
        if server.pid:
            results.sizes["search_server_rss_mib_end"] = rss_mib(server.pid)
    finally:
        servers.close()
    results.seconds = round(time.perf_counter() - started, 1)
    results.machine["load_at_end"] = loadavg()
    print_table(results)
    print(f"\nsizes: {results.sizes}")
    print(
        f"total {results.seconds:.0f} s; load average at start {results.machine['load_at_start']}, end {loadavg()}"
    )
    if args.json:
        args.json.write_text(json.dumps(asdict(results), indent=2, ensure_ascii=False, default=str) + "\n")
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
