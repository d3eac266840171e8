"""The weekly synthesis at national scale: the database's against the real engine's, timed and compared.

    .venv/bin/python bench/synthesis_scale.py [--db petitions_bench_search] [--repeat 5] [--json out.json]

What it runs, in order:

1. the database ``--db`` on the local PostgreSQL (or ``--database-url``): created if missing,
   migrated, units loaded; an empty one is filled with ``bench/generate.py`` (``--cases``,
   default 100,000; a database that already has cases is used as it is);
2. OpenSearch in one JVM (``search.engine.launch``, heap ``--heap``: 1g up to 200,000 cases, 4g
   above), unless ``--opensearch-url`` names a running one; every case is indexed into a fresh
   index behind the alias ``--alias`` (``ElasticBackend.reindex()``, which segments each title
   into its ``topics``), timed;
3. the period: the busiest Monday-to-Sunday week of the last 13 whose trailing 8 weeks
   (``search.synthesis.BASELINE_WEEKS``) are all within the data (``--week`` gives its Monday);
   two scopes: central (``Scope(path_prefix="/")``, places "province") and the province with the
   most cases (its unit path, places "commune");
4. per scope, one untimed round and then ``--repeat`` rounds, each of: ``synthesis_database``
   cold (the segmented-title cache, ``search.monitoring._title_topics``, emptied first: a fresh
   process with underthesea already loaded; its load is timed once apart), the same warm (cache
   filled by the call before), ``synthesis_engine`` with the engine's shard request cache cleared
   before (a portal taking petitions refreshes the index every second, which empties that cache)
   and again without clearing it, and once more after writing one document and refreshing (a
   portal taking petitions refreshes every second: a new reader, whose ``topics`` global ordinals
   the first aggregation builds again). Medians of wall time, of this process's CPU time
   (``time.process_time``) and of the CPU time of the PostgreSQL backend and of the engine's JVM
   (when started here): the machine is shared, CPU time is the steadier number. The engine's own
   ``took`` of each of its requests is recorded too;
5. the two results compared: topic labels and their order, counts, statuses, the joined words,
   baselines, places, answered/on time, ratings, examples, weekly counts, the falling topics.

Prints a table; ``--json`` writes every number.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _path in (str(ROOT), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")

import generate as bench_generate  # noqa: E402 - bench/generate.py, next to this file
from common import cpu_seconds, git_revision, loadavg, memory_gib  # noqa: E402 - bench/common.py

DEFAULT_DB = "petitions_bench_search"
DEFAULT_ALIAS = "bench-synthesis-scale"
SMALL_HEAP, LARGE_HEAP, LARGE_FROM = "1g", "4g", 200_000
#: "Recent": the period is the busiest of this many last weeks.
RECENT_WEEKS = 13
#: Sources whose digests are recorded at the start and the end (others may edit them meanwhile).
SOURCES = (
    "search/synthesis.py",
    "search/synthesis_engine.py",
    "search/monitoring.py",
    "search/segment.py",
    "search/documents.py",
    "search/elastic.py",
)
#: The synthesis's three engine requests (``synthesis_engine``'s actions), as the table names them.
TOOK_NAMES = {
    "read the synthesis's topics": "words",
    "read the synthesis's baselines": "baselines",
    "count the synthesis's topics": "numbers",
}
VARIANTS = ("database cold", "database warm", "engine", "engine cached", "engine after write")
#: The document "engine after write" writes before its call (outside every period; removed after).
PROBE_ID = "bench-synthesis-probe"


@dataclass
class Timing:
    variant: str
    wall_ms: list[float] = field(default_factory=list)
    python_cpu_ms: list[float] = field(default_factory=list)
    postgresql_cpu_ms: list[float] = field(default_factory=list)
    engine_cpu_ms: list[float] = field(default_factory=list)
    #: The engine's own ``took`` per request (engine variants): action → milliseconds per run.
    took_ms: dict[str, list[float]] = field(default_factory=dict)
    #: The untimed first round's wall time.
    first_ms: float | None = None
    note: str = ""

    def median(self, name: str) -> float | None:
        values: list[float] = getattr(self, name)
        return round(statistics.median(values), 1) if values else None


@dataclass
class ScopeResult:
    name: str
    path: str
    places: str
    cases_in_scope: int
    rows_period: int = 0
    rows_trailing: int = 0
    timings: dict[str, Timing] = field(default_factory=dict)
    ratios: dict[str, float | None] = field(default_factory=dict)
    cache_info: dict[str, Any] = field(default_factory=dict)
    agreement: dict[str, Any] = field(default_factory=dict)
    database_topics: list[dict[str, Any]] = field(default_factory=list)
    engine_topics: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Results:
    started_at: str
    database: str
    cases: int = 0
    machine: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    indexing: dict[str, Any] = field(default_factory=dict)
    period: dict[str, Any] = field(default_factory=dict)
    segmenter_load_s: float | None = None
    scopes: list[ScopeResult] = field(default_factory=list)
    seconds: float = 0.0


def source_digests() -> dict[str, str]:
    found: dict[str, str] = {}
    for name in SOURCES:
        try:
            found[name] = hashlib.sha256((ROOT / name).read_bytes()).hexdigest()[:12]
        except OSError:
            found[name] = "missing"
    return found


# --- the engine ----------------------------------------------------------------------------------


@dataclass
class _Server:
    url: str
    kind: str
    pid: int | None = None


@contextmanager
def search_engine(args: argparse.Namespace, heap: str) -> Iterator[_Server]:
    """A given OpenSearch, or one started here in a temporary folder (stopped and removed after)."""
    if args.opensearch_url:
        yield _Server(url=args.opensearch_url, kind="given OpenSearch")
        return
    from search.engine import launch

    home = args.engine_home or Path(tempfile.mkdtemp(prefix="bench-synthesis-engine-"))
    print(f"starting OpenSearch (search.engine.launch, heap {heap}) in {home}", flush=True)
    engine = launch.start(home=home, heap=heap, timeout=300)
    print(f"  started in {engine.seconds_to_start:.1f} s at {engine.url}", flush=True)
    try:
        yield _Server(url=engine.url, kind=f"OpenSearch in one JVM, heap {heap}", pid=engine.pid)
    finally:
        engine.stop()
        if args.engine_home is None:
            shutil.rmtree(home, ignore_errors=True)


def timed_backend(alias: str) -> Any:
    """``ElasticBackend`` recording the engine's ``took`` of each request the synthesis sends."""
    from search.elastic import ElasticBackend

    class Timed(ElasticBackend):
        took: dict[str, int]

        def _send(self, search: Any, action: str) -> dict[str, Any]:
            answer = super()._send(search, action)
            self.took[action] = int(answer.get("took", 0))
            return answer

    backend = Timed(alias=alias)
    backend.took = {}
    return backend


def clear_request_cache(backend: Any) -> None:
    backend.client.raw.indices.clear_cache(index=backend.alias, request=True)


def write_probe(backend: Any, number: int) -> None:
    """Write one document and refresh, as a portal taking petitions does every second.

    A refresh opens a new reader: the request cache is emptied and the ``topics`` field's global
    ordinals are built again by the first aggregation over it. The document is a copy of one of
    the index's, submitted in 2000 (outside every period), written again each round.
    """
    raw = backend.client.raw
    hit = raw.search(index=backend.alias, body={"size": 1, "query": {"match_all": {}}})["hits"]["hits"][0]
    source = dict(hit["_source"], submitted_at=f"2000-01-{1 + number % 28:02d}T00:00:00+07:00")
    raw.index(index=backend.alias, id=PROBE_ID, body=source, refresh="true")


def remove_probe(backend: Any) -> None:
    raw = backend.client.raw
    if raw.exists(index=backend.alias, id=PROBE_ID):
        raw.delete(index=backend.alias, id=PROBE_ID, refresh="true")


def index_all(alias: str, *, server: _Server) -> dict[str, Any]:
    """Every case into a fresh index behind ``alias`` (``ElasticBackend.reindex``), timed."""
    from search_scale import reindex_client  # bench/search_scale.py: a client with long timeouts

    import search.elastic
    from search.elastic import ElasticBackend
    from search.monitoring import _title_topics

    _title_topics.cache_clear()  # as in `manage.py search_reindex`: a fresh process
    project = ElasticBackend(alias=alias)
    slow = reindex_client(project.client, 300.0)
    bulk_timeout = search.elastic.BULK_TIMEOUT
    search.elastic.BULK_TIMEOUT = 300.0  # a shared machine: the final refresh of a large index
    engine_cpu = cpu_seconds(server.pid) if server.pid else None
    cpu, clock = time.process_time(), time.perf_counter()
    try:
        report = ElasticBackend(client=slow, alias=alias).reindex(progress=_progress)
    finally:
        search.elastic.BULK_TIMEOUT = bulk_timeout
    seconds = time.perf_counter() - clock
    found = {
        "documents": report.documents,
        "seconds": round(seconds, 1),
        "documents_per_second": round(report.documents / seconds),
        "python_cpu_s": round(time.process_time() - cpu, 1),
        "engine_cpu_s": round(cpu_seconds(server.pid) - engine_cpu, 1) if server.pid and engine_cpu else None,
        "refresh_seconds": slow.refresh_seconds,
        "index": report.index,
        "title_cache": _title_topics.cache_info()._asdict(),
    }
    stats = project.client.raw.indices.stats(index=report.index, metric="store,docs")["_all"]["primaries"]
    found["index_mib"] = round(stats["store"]["size_in_bytes"] / 2**20, 1)
    print(
        f"  {report.documents:,} documents in {seconds:.1f} s ({found['documents_per_second']:,}/s); "
        f"CPU: this process {found['python_cpu_s']} s, engine {found['engine_cpu_s']} s; "
        f"index {found['index_mib']} MiB; refreshes {slow.refresh_seconds} s",
        flush=True,
    )
    return found


def _progress(docs: Iterable[Any]) -> Iterator[Any]:
    clock = time.perf_counter()
    for number, doc in enumerate(docs, 1):
        if number % 50_000 == 0:
            seconds = time.perf_counter() - clock
            print(f"    {number:,} documents in {seconds:.0f} s ({number / seconds:,.0f}/s)", flush=True)
        yield doc


# --- the period and the scopes -------------------------------------------------------------------


def busiest_week(weeks_back: int = RECENT_WEEKS) -> tuple[dt.date, Counter[dt.date]]:
    """The busiest week of the last ``weeks_back`` whose trailing weeks are all within the data."""
    from django.db.models import Count, Max, Min
    from django.db.models.functions import TruncWeek
    from django.utils import timezone

    from routing.models import Case
    from search.synthesis import BASELINE_WEEKS

    zone = timezone.get_current_timezone()
    bounds = Case.objects.aggregate(first=Min("submitted_at"), last=Max("submitted_at"))
    if bounds["first"] is None:
        raise SystemExit("the database has no cases")
    first = timezone.localtime(bounds["first"], zone).date()
    # The first whole week of data: its Monday, unless the data begins on a Monday.
    first_monday = first + dt.timedelta(days=(7 - first.weekday()) % 7)
    per_week: Counter[dt.date] = Counter(
        {
            row["week"]: row["n"]
            for row in Case.objects.annotate(week=TruncWeek("submitted_at", tzinfo=zone))
            .values("week")
            .annotate(n=Count("pk"))
            .values("week", "n")
            .order_by()
        }
    )
    per_week = Counter({(w.date() if isinstance(w, dt.datetime) else w): n for w, n in per_week.items()})
    eligible = sorted(w for w in per_week if w - dt.timedelta(weeks=BASELINE_WEEKS) >= first_monday)
    if not eligible:
        raise SystemExit(f"no week has {BASELINE_WEEKS} trailing weeks of data (data from {first})")
    recent = eligible[-weeks_back:]
    return max(recent, key=lambda w: (per_week[w], w)), per_week


def largest_province() -> tuple[str, str, int]:
    """The path, name and case count of the province whose subtree holds the most cases."""
    from django.db.models import Count

    from routing.models import Case, Unit

    provinces: Counter[str] = Counter()
    for path, n in Case.objects.values_list("unit__path").annotate(n=Count("pk")).order_by():
        parts = [p for p in (path or "").split("/") if p]
        if len(parts) >= 2:
            provinces[f"/{parts[0]}/{parts[1]}/"] += n
    path, cases = provinces.most_common(1)[0]
    name = Unit.objects.filter(path=path).values_list("name", flat=True).first() or path
    return path, name, cases


# --- timing --------------------------------------------------------------------------------------


class Clocks:
    """CPU seconds of this process, of the PostgreSQL backend serving it and of the engine's JVM."""

    def __init__(self, engine_pid: int | None) -> None:
        from django.db import connection

        connection.ensure_connection()
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            row = cursor.fetchone()
        pid = int(row[0]) if row else 0
        self.postgres_pid = pid if Path(f"/proc/{pid}/stat").exists() else None
        self.engine_pid = engine_pid

    def read(self) -> tuple[float, float, float | None, float | None]:
        return (
            time.perf_counter(),
            time.process_time(),
            cpu_seconds(self.postgres_pid) if self.postgres_pid else None,
            cpu_seconds(self.engine_pid) if self.engine_pid else None,
        )


def run_once(timing: Timing, clocks: Clocks, call: Callable[[], Any], *, record: bool) -> Any:
    before = clocks.read()
    answer = call()
    after = clocks.read()
    wall = (after[0] - before[0]) * 1000
    if not record:
        timing.first_ms = round(wall, 1)
        return answer
    timing.wall_ms.append(round(wall, 1))
    timing.python_cpu_ms.append(round((after[1] - before[1]) * 1000, 1))
    if before[2] is not None and after[2] is not None:
        timing.postgresql_cpu_ms.append(round((after[2] - before[2]) * 1000, 1))
    if before[3] is not None and after[3] is not None:
        timing.engine_cpu_ms.append(round((after[3] - before[3]) * 1000, 1))
    return answer


def measure_scope(
    result: ScopeResult, query: Any, *, backend: Any, clocks: Clocks, repeat: int
) -> tuple[Any, Any]:
    """One untimed round, then ``repeat`` rounds of the four variants, interleaved (noise falls on all)."""
    from search.base import SearchUnavailable
    from search.monitoring import _title_topics
    from search.synthesis import synthesis_database
    from search.synthesis_engine import synthesis_engine

    timings = {variant: Timing(variant) for variant in VARIANTS}
    database = engine = None
    for round_ in range(repeat + 1):
        record = round_ > 0
        _title_topics.cache_clear()
        database = run_once(
            timings["database cold"], clocks, lambda: synthesis_database(query), record=record
        )
        if record:
            result.cache_info["after cold"] = _title_topics.cache_info()._asdict()
        database = run_once(
            timings["database warm"], clocks, lambda: synthesis_database(query), record=record
        )
        if record:
            result.cache_info["after warm"] = _title_topics.cache_info()._asdict()
        for variant in ("engine", "engine cached", "engine after write"):
            if variant == "engine":
                clear_request_cache(backend)
            elif variant == "engine after write":
                write_probe(backend, round_)
            backend.took.clear()
            try:
                engine = run_once(
                    timings[variant], clocks, lambda: synthesis_engine(query, backend=backend), record=record
                )
            except SearchUnavailable as exc:  # e.g. the client's 5 s timeout
                timings[variant].note = f"SearchUnavailable: {exc}"
                print(f"    {variant}: {exc}", flush=True)
                continue
            if record:
                for action, took in backend.took.items():
                    timings[variant].took_ms.setdefault(action, []).append(float(took))
        if record:
            print(
                f"    round {round_}: "
                + ", ".join(
                    f"{v} {timings[v].wall_ms[-1]:,.0f} ms"
                    for v in VARIANTS
                    if len(timings[v].wall_ms) == round_
                ),
                flush=True,
            )
    remove_probe(backend)
    result.timings = timings
    warm, cold, eng = (timings[v].median("wall_ms") for v in ("database warm", "database cold", "engine"))
    cached = timings["engine cached"].median("wall_ms")
    result.ratios = {
        "engine / database warm": round(eng / warm, 3) if eng and warm else None,
        "engine / database cold": round(eng / cold, 3) if eng and cold else None,
        "engine cached / database warm": round(cached / warm, 3) if cached and warm else None,
    }
    written = timings["engine after write"].median("wall_ms")
    result.ratios["engine after write / database warm"] = (
        round(written / warm, 3) if written and warm else None
    )
    py = {v: timings[v].median("python_cpu_ms") for v in VARIANTS}
    if py["engine"] and py["database warm"]:
        result.ratios["python CPU engine / database warm"] = round(py["engine"] / py["database warm"], 3)
    if py["engine"] and py["database cold"]:
        result.ratios["python CPU engine / database cold"] = round(py["engine"] / py["database cold"], 3)
    return database, engine


# --- comparison ----------------------------------------------------------------------------------


def topic_summary(topic: Any) -> dict[str, Any]:
    return {
        "label": topic.label,
        "other_words": list(topic.other_words),
        "count": topic.count,
        "baseline": topic.baseline,
        "status": topic.status,
        "places": [list(p) for p in topic.places],
        "responded": topic.responded,
        "on_time": topic.on_time,
        "rated": topic.rated,
        "rating": topic.rating,
        "category_id": topic.category_id,
        "examples": [e.tracking_code for e in topic.examples],
        "weekly": list(topic.weekly),
    }


def ties_only(ours: list[list[Any]], theirs: list[list[Any]]) -> bool:
    """The same counts, and the same places at each count but the last shown (a tie cut short)."""
    if [n for _, n in ours] != [n for _, n in theirs]:
        return False
    last = ours[-1][1] if ours else None
    for count in {n for _, n in ours} - {last}:
        if {p for p, n in ours if n == count} != {p for p, n in theirs if n == count}:
            return False
    return True


def compare(database: Any, engine: Any) -> dict[str, Any]:
    """Where the engine's synthesis differs from the database's (the database's is the reference)."""
    found: dict[str, Any] = {"differences": []}
    differences: list[str] = found["differences"]
    for name in ("total", "baseline_total", "weeks"):
        a, b = getattr(database, name), getattr(engine, name)
        if a != b:
            differences.append(f"{name}: database {a}, engine {b}")
    for kind in ("topics", "falling"):
        ours, theirs = getattr(database, kind), getattr(engine, kind)
        labels_db, labels_engine = [t.label for t in ours], [t.label for t in theirs]
        found[f"{kind}_same_labels"] = set(labels_db) == set(labels_engine)
        found[f"{kind}_same_order"] = labels_db == labels_engine
        if labels_db != labels_engine:
            differences.append(f"{kind} labels: database {labels_db}, engine {labels_engine}")
        by_label = {t.label: t for t in theirs}
        equal_counts = equal_status = True
        for topic in ours:
            other = by_label.get(topic.label)
            if other is None:
                continue
            a, b = topic_summary(topic), topic_summary(other)
            if a["count"] != b["count"]:
                equal_counts = False
            if a["status"] != b["status"]:
                equal_status = False
            for key in a:
                if a[key] != b[key]:
                    tie = (
                        " (order of tied places only)"
                        if key == "places" and ties_only(a[key], b[key])
                        else ""
                    )
                    differences.append(
                        f"{kind} {topic.label!r} {key}: database {a[key]}, engine {b[key]}{tie}"
                    )
        found[f"{kind}_equal_counts"] = equal_counts
        found[f"{kind}_equal_statuses"] = equal_status
    found["identical"] = not differences
    return found


# --- output --------------------------------------------------------------------------------------


def print_scope(result: ScopeResult) -> None:
    print(
        f"\n{result.name} ({result.path}, places {result.places}): {result.cases_in_scope:,} cases in scope, "
        f"{result.rows_period:,} in the period, {result.rows_trailing:,} in the trailing weeks"
    )
    print(
        f"  {'variant':<18} {'runs':>4} {'first ms':>9} {'median ms':>10} {'min':>8} {'max':>8} "
        f"{'py CPU ms':>10} {'PG CPU ms':>10} {'JVM CPU ms':>10}  engine took (median ms)"
    )
    for variant, timing in result.timings.items():
        if not timing.wall_ms:
            print(f"  {variant:<18} no run succeeded {timing.note}")
            continue
        took = ", ".join(
            f"{TOOK_NAMES.get(action, action)} {statistics.median(values):.0f}"
            for action, values in timing.took_ms.items()
        )
        print(
            f"  {variant:<18} {len(timing.wall_ms):>4} {timing.first_ms or 0:>9,.0f} "
            f"{timing.median('wall_ms') or 0:>10,.1f} {min(timing.wall_ms):>8,.0f} {max(timing.wall_ms):>8,.0f} "
            f"{_num(timing.median('python_cpu_ms'))} {_num(timing.median('postgresql_cpu_ms'))} "
            f"{_num(timing.median('engine_cpu_ms'))}  {took}"
        )
    print("  ratios: " + ", ".join(f"{k} {v}" for k, v in result.ratios.items()))
    print(f"  title cache: {result.cache_info}")
    agreement = result.agreement
    print(
        f"  agreement: identical {agreement['identical']}; topics: same labels {agreement['topics_same_labels']}, "
        f"same order {agreement['topics_same_order']}, equal counts {agreement['topics_equal_counts']}, "
        f"equal statuses {agreement['topics_equal_statuses']}; falling: same labels "
        f"{agreement['falling_same_labels']}, equal counts {agreement['falling_equal_counts']}"
    )
    for line in agreement["differences"]:
        print(f"    - {line}")
    print("  topics (database | engine):")
    for n in range(max(len(result.database_topics), len(result.engine_topics))):
        a = result.database_topics[n] if n < len(result.database_topics) else None
        b = result.engine_topics[n] if n < len(result.engine_topics) else None
        print(f"    {_topic_line(a):<48} | {_topic_line(b)}")


def _num(value: float | None) -> str:
    return f"{value:>10,.1f}" if value is not None else f"{'-':>10}"


def _topic_line(topic: dict[str, Any] | None) -> str:
    if topic is None:
        return "-"
    return f"{topic['label']} {topic['count']} ({topic['status']}, baseline {topic['baseline']})"


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--db", default=DEFAULT_DB, help=f"PostgreSQL database on 127.0.0.1 (default {DEFAULT_DB})"
    )
    parser.add_argument("--database-url", help="instead of --db: any PostgreSQL URL")
    parser.add_argument(
        "--cases", type=int, default=100_000, help="cases generated into an empty database (default 100,000)"
    )
    parser.add_argument("--repeat", type=int, default=5, help="timed rounds per scope (default 5)")
    parser.add_argument(
        "--week", type=dt.date.fromisoformat, help="the period's Monday (default: the busiest)"
    )
    parser.add_argument(
        "--heap", help=f"engine heap (default {SMALL_HEAP}, {LARGE_HEAP} above {LARGE_FROM:,} cases)"
    )
    parser.add_argument("--opensearch-url", help="a running OpenSearch (default: start one)")
    parser.add_argument(
        "--engine-home", type=Path, help="the engine's data folder, kept (default: temporary)"
    )
    parser.add_argument("--alias", default=DEFAULT_ALIAS, help=f"index alias (default {DEFAULT_ALIAS})")
    parser.add_argument(
        "--skip-indexing",
        action="store_true",
        help="use the index already behind --alias (with --engine-home)",
    )
    parser.add_argument("--json", type=Path, help="write the results here")
    args = parser.parse_args(argv)
    if args.alias in ("cases", "") or args.alias.startswith("cases-"):
        parser.error("choose an alias of the benchmark's own: reindex drops the indices behind it")
    url = args.database_url or f"postgres://postgres@127.0.0.1:5432/{args.db}"

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    results = Results(started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), database=url)
    results.machine = {"cpus": os.cpu_count(), "memory_gib": memory_gib(), "load_at_start": loadavg()}
    print(f"database {url}: migrating (if needed)", flush=True)
    bench_generate.prepare_database(url)
    from routing.models import Case

    results.cases = Case.objects.count()
    if results.cases == 0:
        print(f"no cases: generating {args.cases:,} with bench/generate.py", flush=True)
        report = bench_generate.generate(
            args.cases, progress=bench_generate.print_progress, defer_indexes=True
        )
        print(f"  {report.created:,} cases in {report.seconds:.0f} s", flush=True)
        results.cases = Case.objects.count()
    print(f"  {results.cases:,} cases", flush=True)
    heap = args.heap or (LARGE_HEAP if results.cases > LARGE_FROM else SMALL_HEAP)

    with search_engine(args, heap) as server:
        # Settings are read already (prepare_database): the backend gets the URL through its client.
        from django.conf import settings

        settings.OPENSEARCH_URL = settings.SEARCH_URL = server.url
        settings.SEARCH_ENGINE, settings.SEARCH_BACKEND = "opensearch", "engine"
        settings.SEARCH_INDEX_ALIAS = args.alias
        backend = timed_backend(args.alias)
        info = backend.client.info()
        results.versions = {
            "engine": f"{server.kind}: {info.get('version', {}).get('distribution', '')} "
            f"{info.get('version', {}).get('number')}",
            "git": git_revision(),
            "sources_at_start": source_digests(),
        }
        print(f"engine: {results.versions['engine']}; git {results.versions['git']}", flush=True)

        from search.monitoring import _title_topics, title_topics

        _title_topics.cache_clear()
        clock = time.perf_counter()
        title_topics("Ngập lụt kéo dài ở đường Lê Lợi")  # loads underthesea's model, once per process
        results.segmenter_load_s = round(time.perf_counter() - clock, 2)
        print(f"segmenter loaded in {results.segmenter_load_s} s (once per process)", flush=True)

        if args.skip_indexing:
            if not backend.indices():
                raise SystemExit(f"--skip-indexing: no index behind {args.alias}")
            print(f"indexing skipped: {backend.indices()}")
        else:
            print(f"indexing {results.cases:,} cases behind {args.alias}", flush=True)
            results.indexing = index_all(args.alias, server=server)

        run_scopes(args, backend, server, results)
        results.versions["sources_at_end"] = source_digests()
    results.seconds = round(time.perf_counter() - started, 1)
    results.machine["load_at_end"] = loadavg()
    if results.versions["sources_at_start"] != results.versions["sources_at_end"]:
        print(f"note: sources changed during the run: {results.versions}")
    print(
        f"\ntotal {results.seconds:.0f} s; load average at start {results.machine['load_at_start']}, end {loadavg()}"
    )
    if args.json:
        args.json.write_text(json.dumps(asdict(results), indent=2, ensure_ascii=False, default=str) + "\n")
        print(f"results written to {args.json}")


def run_scopes(args: argparse.Namespace, backend: Any, server: _Server, results: Results) -> None:
    from routing.metrics import day_bounds
    from search.base import Scope
    from search.database import scoped_cases
    from search.synthesis import BASELINE_WEEKS, SynthesisQuery

    monday, per_week = busiest_week()
    if args.week:
        monday = args.week - dt.timedelta(days=args.week.weekday())
    since, until = monday, monday + dt.timedelta(days=6)
    results.period = {
        "since": since.isoformat(),
        "until": until.isoformat(),
        "cases": per_week.get(monday, 0),
        "trailing_weeks": [
            per_week.get(monday - dt.timedelta(weeks=n), 0) for n in range(BASELINE_WEEKS, 0, -1)
        ],
    }
    print(
        f"period {since} – {until}: {results.period['cases']:,} cases; trailing weeks {results.period['trailing_weeks']}"
    )
    path, name, province_cases = largest_province()
    clocks = Clocks(server.pid)
    start, end = day_bounds(since, until)
    earliest = start - dt.timedelta(weeks=BASELINE_WEEKS)
    for label, scope, places, in_scope in (
        ("central", Scope(path_prefix="/"), "province", results.cases),
        (f"province {name}", Scope(path_prefix=path), "commune", province_cases),
    ):
        cases = scoped_cases(scope)
        result = ScopeResult(
            name=label,
            path=scope.path_prefix or "",
            places=places,
            cases_in_scope=in_scope,
            rows_period=cases.filter(submitted_at__gte=start, submitted_at__lt=end).count(),
            rows_trailing=cases.filter(submitted_at__gte=earliest, submitted_at__lt=start).count(),
        )
        print(f"\n{label}: {args.repeat} rounds", flush=True)
        query = SynthesisQuery(scope=scope, since=since, until=until, places=places)
        database, engine = measure_scope(result, query, backend=backend, clocks=clocks, repeat=args.repeat)
        if database is not None and engine is not None:
            result.agreement = compare(database, engine)
            result.database_topics = [topic_summary(t) for t in [*database.topics, *database.falling]]
            result.engine_topics = [topic_summary(t) for t in [*engine.topics, *engine.falling]]
        results.scopes.append(result)
        print_scope(result)


if __name__ == "__main__":
    main()
