"""Back office at scale: inbox, dashboard and weekly-report latency, and the deadline sweep.

    .venv/bin/python bench/backoffice_scale.py [--cases 100000] [--database-url URL] [--json out.json]

What it runs, in order:

1. the database (``--database-url``, default ``postgres://postgres@127.0.0.1:5432/
   petitions_bench_office``): created if missing (psycopg, autocommit), migrated, units loaded;
   cases are added with ``bench/generate.py`` until there are ``--cases`` of them (into an empty
   database with deferred indexes). Only databases whose name contains ``bench_office`` are
   accepted (``--any-database`` to override): the sweep phase rewrites every case for a while;
2. four staff accounts (``bench-office-*``, created once; memberships as ``tests/conftest.py``
   ``make_staff`` and ``bench/generate.py`` read them): an officer and a leader of the busiest
   commune (most cases at the unit), the leader of the busiest province (most cases in its
   subtree) and a leader of the central committee. The unit's working cases without an assignee
   are given to the commune officer (what ``generate.py`` does when a unit has staff), so the
   "mine" tab is not empty;
3. page latency through Django's test ``Client`` (``force_login``, no HTTP server; the whole
   middleware stack, views and templates run), ``DEBUG`` off: ``/office/`` (the default tab,
   the "all open" tab page 1 and its last page) for the officer, the province leader and the
   central leader; ``/office/dashboard/`` (last 30 days, the default) for the province and central
   leaders; ``/office/reports/weekly/`` (the last complete week) for the commune leader (a
   commune officer is refused the report by design), the province and central leaders. Each
   scenario: ``--warmup`` untimed calls, then ``--runs`` timed calls (or ``--time-limit``
   seconds, at least 5 calls): median, p90, p99, max; then one more call under
   ``CaptureQueriesContext`` for the number of queries and the slowest one, which is run again
   under ``EXPLAIN (ANALYZE, BUFFERS)`` (its plan is kept, with its slowest node as the key line);
4. the deadline sweep: the whole ``routing_case`` table is copied (``bench_office_case_copy``),
   then one set-based ``UPDATE`` makes every case (``--sweep-share``: that fraction, by id) open, in
   five buckets by id: 5 % submitted past
   the triage deadline (escalated), 70 % in progress past the deadline (marked overdue), 10 % in
   progress due within the next working day (reminded), 10 % responded past the feedback window
   (closed automatically), 5 % in progress due in ten days (left alone). Then
   ``routing.sweep.sweep_deadlines(now=...)`` runs once, with the project's default in-process
   jobs (the notification drain runs after each batch commits, SMS and email to in-memory
   transports); each pass, each batch's locking ``SELECT``, the events' outbox receivers, the
   after-commit live pushes and the drains are timed separately (``--no-live-push`` disconnects
   the per-event push of ``notifications.live`` to measure the sweep without it). Afterwards the
   cases are restored from the copy (``VACUUM FULL`` of the cases) and the rows the sweep added
   (events, notifications) are deleted, so the database is ready for the next run; a copy left by
   a killed run is restored first. ``--skip-sweep`` leaves the sweep out.

Prints a table and, with ``--json``, writes every number, the plans, the machine and the load.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import signal
import statistics
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
for _path in (str(ROOT), str(BENCH)):
    if _path not in sys.path:
        sys.path.insert(0, _path)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LOG_LEVEL", "WARNING")
# In-memory transports for the drain, no catch-up timers, the drains inline after each commit
# (timed with the sweep, not on the job thread), the database search backend (no index queue)
# and the in-memory channel layer: nothing leaves this process.
os.environ["SMS_BACKEND"] = "notifications.transports.sms.LocmemSmsBackend"
os.environ["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
os.environ["JOBS_INPROCESS_CATCH_UP"] = "0"
os.environ["JOBS_INPROCESS_THREAD"] = "0"
os.environ.pop("ELASTICSEARCH_URL", None)
os.environ.pop("REDIS_URL", None)

import generate as bench_generate  # noqa: E402 - bench/generate.py, next to this file
from common import git_revision, loadavg, percentile  # noqa: E402
from search_scale import machine  # noqa: E402

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/petitions_bench_office"
COPY_TABLE = "bench_office_case_copy"
USERNAMES = {
    "commune_officer": "bench-office-commune-officer",
    "commune_leader": "bench-office-commune-leader",
    "province_leader": "bench-office-province-leader",
    "central_leader": "bench-office-central-leader",
}


@dataclass
class Page:
    scenario: str
    role: str
    url: str
    runs: int = 0
    median_ms: float = 0.0
    p90_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    queries: int = 0
    queries_ms: float = 0.0
    slowest_query_ms: float = 0.0
    slowest_query: str = ""
    plan_key_line: str = ""
    plan_execution_ms: float | None = None
    plan: list[str] = field(default_factory=list)
    bytes: int = 0
    load: list[float] = field(default_factory=list)


@dataclass
class Results:
    started_at: str
    cases: int
    database: str = ""
    machine: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    generate: dict[str, Any] = field(default_factory=dict)
    states: dict[str, int] = field(default_factory=dict)
    staff: dict[str, Any] = field(default_factory=dict)
    pages: list[Page] = field(default_factory=list)
    sweep: dict[str, Any] = field(default_factory=dict)
    rollups: dict[str, Any] = field(default_factory=dict)
    sizes: dict[str, Any] = field(default_factory=dict)
    seconds: float = 0.0


# --- data and staff -------------------------------------------------------------------------------


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
    report = bench_generate.generate(
        missing,
        seed=seed,
        batch=batch,
        progress=bench_generate.print_progress,
        defer_indexes=present == 0,
    )
    print(f"  {report.created:,} cases in {report.seconds:.1f} s ({report.per_second:,.0f} cases/s)")
    results.generate = {
        "generated": report.created,
        "present_before": present,
        "seconds": round(report.seconds, 2),
        "cases_per_second": round(report.per_second),
        "load_seconds": round(report.load_seconds, 2),
        "index_build_seconds": round(report.index_seconds, 2),
        "overdue": report.overdue,
    }


def create_staff(results: Results) -> dict[str, Any]:
    """The four accounts, at the busiest commune, the busiest province and central."""
    from django.contrib.auth.models import User
    from django.db.models import Count

    from routing.models import Case, CaseState, Level, Membership, Role, Unit

    per_unit = list(
        Case.objects.order_by().values("unit_id", "unit__path", "unit__level").annotate(n=Count("pk"))
    )
    commune_row = max((r for r in per_unit if r["unit__level"] == Level.COMMUNE), key=lambda r: r["n"])
    provinces: dict[str, int] = {}
    for row in per_unit:
        parts = [p for p in row["unit__path"].split("/") if p]
        if len(parts) >= 2:
            prefix = f"/{parts[0]}/{parts[1]}/"
            provinces[prefix] = provinces.get(prefix, 0) + row["n"]
    province_path = max(provinces, key=lambda p: provinces[p])
    commune = Unit.objects.get(pk=commune_row["unit_id"])
    province = Unit.objects.get(path=province_path)
    central = Unit.objects.get(level=Level.CENTRAL)
    places = {
        "commune_officer": (commune, Role.OFFICER),
        "commune_leader": (commune, Role.LEADER),
        "province_leader": (province, Role.LEADER),
        "central_leader": (central, Role.LEADER),
    }
    users: dict[str, Any] = {}
    for key, (unit, role) in places.items():
        user, _created = User.objects.get_or_create(
            username=USERNAMES[key], defaults={"first_name": "Bench", "last_name": key.replace("_", " ")}
        )
        if not user.has_usable_password():
            user.set_unusable_password()
        Membership.objects.update_or_create(user=user, defaults={"unit": unit, "role": role})
        users[key] = User.objects.select_related("membership__unit").get(pk=user.pk)
    working = (CaseState.IN_PROGRESS, CaseState.AWAITING_AGENCY, CaseState.PENDING_APPROVAL)
    assigned = Case.objects.filter(unit=commune, state__in=working, assignee__isnull=True).update(
        assignee=users["commune_officer"]
    )
    counts = {
        "commune": (commune, Case.objects.filter(unit=commune).count()),
        "province": (province, provinces[province_path]),
        "central": (central, sum(r["n"] for r in per_unit)),
    }
    results.staff = {
        key: {
            "unit": unit.name,
            "code": unit.code,
            "cases_in_scope": n,
            "cases_at_unit": Case.objects.filter(unit=unit).count(),
            "open_at_unit": Case.objects.filter(unit=unit, state__in=_open_states()).count(),
        }
        for key, (unit, n) in counts.items()
    }
    results.staff["assigned_to_officer"] = assigned
    for key, info in results.staff.items():
        if isinstance(info, dict):
            print(
                f"  {key:<9} {info['unit']:<28} {info['cases_in_scope']:>9,} cases in scope, "
                f"{info['cases_at_unit']:,} at the unit ({info['open_at_unit']:,} open)"
            )
    return users


def ensure_sweep_staff(every: int) -> dict[str, int]:
    """Staff for the sweep's staff messages: a leader at every province and at every ``every``-th
    commune (by id), an officer there too at every ``2 * every``-th, given that unit's cases.

    Accounts ``bench-sweep-*`` with an e-mail, created once (the same set for a run of the code
    before and after a change, which the database keeps). Without staff no one gets an overdue
    alert or a digest, and the staff side of the sweep goes unmeasured.
    """
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import User
    from django.db import connection

    from routing.models import Case, Level, Membership, Role, Unit

    if every <= 0:
        return {}
    existing = set(
        User.objects.filter(username__startswith="bench-sweep-").values_list("username", flat=True)
    )
    places: list[tuple[str, int, str]] = []
    for unit_id, level in Unit.objects.filter(level__in=[Level.PROVINCE, Level.COMMUNE]).values_list(
        "pk", "level"
    ):
        if level == Level.PROVINCE or unit_id % every == 0:
            places.append((f"bench-sweep-leader-{unit_id}", unit_id, Role.LEADER))
        if level == Level.COMMUNE and unit_id % (2 * every) == 0:
            places.append((f"bench-sweep-officer-{unit_id}", unit_id, Role.OFFICER))
    missing = [p for p in places if p[0] not in existing]
    if missing:
        users = User.objects.bulk_create(
            [
                User(username=name, email=f"{name}@bench.invalid", password=make_password(None))
                for name, _u, _r in missing
            ]
        )
        by_name = {u.username: u.pk for u in users}
        if None in by_name.values():
            by_name = dict(
                User.objects.filter(username__in=[p[0] for p in missing]).values_list("username", "pk")
            )
        Membership.objects.bulk_create(
            [Membership(user_id=by_name[name], unit_id=unit_id, role=role) for name, unit_id, role in missing]
        )
        with connection.cursor() as cursor:
            # Each officer handles every case of the unit (cases with an assignee hear of it by name).
            cursor.execute(
                "UPDATE routing_case c SET assignee_id = m.user_id FROM routing_membership m "
                "JOIN auth_user u ON u.id = m.user_id "
                "WHERE m.unit_id = c.unit_id AND m.role = 'officer' AND u.username LIKE 'bench-sweep-%%' "
                "AND c.assignee_id IS NULL"
            )
    counts = {
        "leaders": sum(1 for p in places if p[2] == Role.LEADER),
        "officers": sum(1 for p in places if p[2] == Role.OFFICER),
        "created": len(missing),
        "assigned_cases": Case.objects.filter(assignee__username__startswith="bench-sweep-").count(),
    }
    print(
        f"  sweep staff (every {every}th commune): {counts['leaders']:,} leaders, {counts['officers']:,} "
        f"officers ({counts['created']:,} created), {counts['assigned_cases']:,} cases assigned to them"
    )
    return counts


def _open_states() -> tuple[str, ...]:
    from routing.models import OPEN_STATES

    return tuple(str(s) for s in OPEN_STATES)


# --- pages ----------------------------------------------------------------------------------------

_TIME = re.compile(r"actual time=([\d.]+)\.\.([\d.]+) rows=(\d+) loops=(\d+)")


def plan_key_line(plan: list[str]) -> str:
    """The plan node with the most time of its own (its total × loops, less its children's)."""
    nodes: list[tuple[int, float, str]] = []  # (indent, total ms, line)
    for number, line in enumerate(plan):
        match = _TIME.search(line)
        if not match or not (number == 0 or "->" in line):
            continue
        indent = line.index("->") if "->" in line else -1
        nodes.append(
            (indent, float(match.group(2)) * int(match.group(4)), line.strip().removeprefix("->").strip())
        )
    best, best_own = "", -1.0
    for i, (indent, total, line) in enumerate(nodes):
        children: list[float] = []
        child_indent: int | None = None
        for other_indent, other_total, _line in nodes[i + 1 :]:
            if other_indent <= indent:
                break
            if child_indent is None:
                child_indent = other_indent
            if other_indent == child_indent:
                children.append(other_total)
        own = total - sum(children)
        if own > best_own:
            best, best_own = line, own
    return best


def explain(sql: str | Callable[[], tuple[str, Any]], params: Any = None) -> tuple[list[str], float | None]:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of one query, in a transaction that is rolled back.

    ``sql`` may be a callable returning ``(sql, params)``, compiled inside that transaction
    (a ``select_for_update`` query compiles only in one).
    """
    from django.db import connection, transaction

    lines: list[str] = []
    try:
        with transaction.atomic():
            if callable(sql):
                sql, params = sql()
            with connection.cursor() as cursor:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}", params)
                lines = [row[0] for row in cursor.fetchall()]
            transaction.set_rollback(True)
    except Exception as exc:  # a plan is a bonus: never fail the benchmark for it
        return [f"EXPLAIN failed: {type(exc).__name__}: {exc}"[:300]], None
    execution = next(
        (float(line.split(":")[1].split()[0]) for line in lines if line.startswith("Execution Time")), None
    )
    return lines, execution


def measure_page(
    client: Any,
    scenario: str,
    role: str,
    url: str,
    *,
    runs: int,
    warmup: int,
    time_limit: float,
    before: Callable[[], Any] | None = None,
) -> Page:
    """Time ``url``; ``before`` (untimed) runs before every call, e.g. to empty a cache."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    prepare = before or (lambda: None)
    page = Page(scenario=scenario, role=role, url=url, load=loadavg()[:1])
    for _ in range(warmup):
        prepare()
        response = client.get(url)
        if response.status_code != 200:
            raise SystemExit(f"{scenario}: {url} answered {response.status_code}")
    samples: list[float] = []
    started = time.perf_counter()
    for _ in range(runs):
        prepare()
        clock = time.perf_counter()
        response = client.get(url)
        # A streamed export (CSV) is written while it is read: read it within the time.
        body = b"".join(response.streaming_content) if response.streaming else response.content
        samples.append((time.perf_counter() - clock) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"{scenario}: {url} answered {response.status_code}")
        if time.perf_counter() - started > time_limit and len(samples) >= 5:
            break
    page.bytes = len(body)
    page.runs = len(samples)
    page.median_ms = round(statistics.median(samples), 1)
    page.p90_ms = round(percentile(samples, 0.9), 1)
    page.p95_ms = round(percentile(samples, 0.95), 1)
    page.p99_ms = round(percentile(samples, 0.99), 1)
    page.max_ms = round(max(samples), 1)
    prepare()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
        if response.streaming:
            b"".join(response.streaming_content)
    queries = [(float(q["time"]) * 1000, q["sql"]) for q in captured.captured_queries]
    page.queries = len(queries)
    page.queries_ms = round(sum(t for t, _sql in queries), 1)
    # The slowest query on the cases (a session or user look-up can be slower by chance).
    on_cases = [q for q in queries if "routing_case" in q[1] and q[1].lstrip().upper().startswith("SELECT")]
    slowest_ms, slowest_sql = max(on_cases or queries, key=lambda q: q[0]) if queries else (0.0, "")
    page.slowest_query_ms = round(slowest_ms, 1)
    page.slowest_query = slowest_sql
    if slowest_sql.lstrip().upper().startswith("SELECT"):
        page.plan, page.plan_execution_ms = explain(slowest_sql)
        page.plan_key_line = plan_key_line(page.plan)
    page.load.append(loadavg()[0] if loadavg() else 0.0)
    print(
        f"  {scenario:<34} {page.runs:>3} runs  median {page.median_ms:>8.1f} ms  p95 {page.p95_ms:>8.1f}  "
        f"p99 {page.p99_ms:>8.1f}  {page.queries:>3} queries ({page.queries_ms:.0f} ms, slowest "
        f"{page.slowest_query_ms:.0f} ms)  load {page.load[0]:.1f}",
        flush=True,
    )
    print(f"      slowest query: {' '.join(slowest_sql.split())[:150]}", flush=True)
    print(f"      its plan's key node: {page.plan_key_line[:170]}", flush=True)
    return page


def run_pages(
    users: dict[str, Any],
    *,
    runs: int,
    warmup: int,
    time_limit: float,
    results: Results,
    only: str | None = None,
) -> None:
    """Time every page; ``only``: a regular expression the scenario's name must match."""
    from django.core.cache import cache
    from django.test import Client

    from backoffice.views import PAGE_SIZE
    from routing.selectors import inbox_counts

    print("pages (Django test client, force_login)")
    clients: dict[str, Any] = {"public": Client()}
    for key, user in users.items():
        client = Client()
        client.force_login(user)
        clients[key] = client

    scenarios: list[tuple[str, str, str]] = []
    for key, label in (
        ("commune_officer", "commune officer"),
        ("province_leader", "province leader"),
        ("central_leader", "central"),
    ):
        counts = inbox_counts(users[key])
        last = max(1, -(-counts["open"] // PAGE_SIZE))
        scenarios += [
            (f"inbox default tab, {label}", key, "/office/"),
            (f"inbox all open p1, {label}", key, "/office/?tab=open"),
            (f"inbox all open p{last}, {label}", key, f"/office/?tab=open&page={last}"),
        ]
    scenarios += [
        ("dashboard 30 d, province leader", "province_leader", "/office/dashboard/"),
        ("dashboard 30 d, central", "central_leader", "/office/dashboard/"),
    ]
    # The other periods of the dashboard ("any period"): the longest reads the most days.
    for days in ("7", "90", "365"):
        for key, label in (("province_leader", "province leader"), ("central_leader", "central")):
            scenarios.append((f"dashboard {days} d, {label}", key, f"/office/dashboard/?period={days}"))
    scenarios += [
        ("dashboard live refresh, central", "central_leader", "/office/dashboard/live.json"),
        ("weekly report, commune leader", "commune_leader", "/office/reports/weekly/"),
        ("weekly report, province leader", "province_leader", "/office/reports/weekly/"),
        ("weekly report, central", "central_leader", "/office/reports/weekly/"),
        ("weekly report csv, central", "central_leader", "/office/reports/weekly/?format=csv"),
        ("monitoring 30 d (database), province", "province_leader", "/office/monitoring/"),
        ("monitoring 30 d (database), central", "central_leader", "/office/monitoring/"),
        ("public statistics (cold cache)", "public", "/statistics/"),
        ("public statistics (cached)", "public", "/statistics/"),
    ]
    pattern = re.compile(only) if only else None
    for scenario, key, url in scenarios:
        if pattern and not pattern.search(scenario):
            continue
        # The public statistics are cached for minutes: "cold" is what a visitor after expiry waits.
        before = cache.clear if "cold cache" in scenario else None
        results.pages.append(
            measure_page(
                clients[key],
                scenario,
                key,
                url,
                runs=runs,
                warmup=warmup,
                time_limit=time_limit,
                before=before,
            )
        )


def build_rollups(results: Results) -> None:
    """Bring the daily rollups up to date (``routing.rollups``), if this checkout has them.

    The generator writes cases without running the job engine, so the rollup is built once,
    in full, as ``manage.py rollups --rebuild`` would; then the catch-up (nothing left to do).
    """
    try:
        from routing import rollups
    except ImportError:
        results.rollups = {"present": False}
        return
    clock = time.perf_counter()
    rebuilt = rollups.rollups_rebuild()
    seconds = time.perf_counter() - clock
    clock = time.perf_counter()
    caught_up = rollups.rollups_catch_up()
    catch_up_seconds = time.perf_counter() - clock
    results.rollups = {
        "present": True,
        "rebuild_seconds": round(seconds, 1),
        "rebuild": asdict(rebuilt),
        "catch_up_seconds": round(catch_up_seconds, 2),
        "catch_up": asdict(caught_up),
        "rows": rollups.DailyRollup.objects.count(),
    }
    print(
        f"rollups rebuilt in {seconds:.1f} s ({results.rollups['rows']:,} rows); "
        f"catch-up after it {catch_up_seconds:.2f} s"
    )


# --- the sweep ------------------------------------------------------------------------------------


def _case_columns() -> list[str]:
    from routing.models import Case

    return [f.column for f in Case._meta.concrete_fields if not f.primary_key]


def restore_cases(results: dict[str, Any] | None = None) -> bool:
    """Put ``routing_case`` back from the copy and drop the rows a sweep added; False if no copy."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s)", [COPY_TABLE])
        row = cursor.fetchone()
        if not row or row[0] is None:
            return False
        cursor.execute(f"SELECT max_event, max_notification FROM {COPY_TABLE}_marks")  # noqa: S608
        marks = cursor.fetchone()
    clock = time.perf_counter()
    columns = _case_columns()
    quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
    copied = ", ".join(f"k.{connection.ops.quote_name(c)}" for c in columns)
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE routing_case c SET ({quoted}) = ({copied}) FROM {COPY_TABLE} k "  # noqa: S608
            "WHERE c.id = k.id AND ROW(c.*) IS DISTINCT FROM ROW(k.*)"
        )
        restored = cursor.rowcount
        cursor.execute("DELETE FROM notifications_notification WHERE id > %s", [marks[1] if marks else 0])
        notifications = cursor.rowcount
        cursor.execute("DELETE FROM routing_caseevent WHERE id > %s", [marks[0] if marks else 0])
        events = cursor.rowcount
        cursor.execute(f"DROP TABLE {COPY_TABLE}")
        cursor.execute(f"DROP TABLE {COPY_TABLE}_marks")
    with connection.cursor() as cursor:
        # FULL: the staging and the sweep rewrote many rows; later page timings should not read the bloat.
        cursor.execute("VACUUM (FULL, ANALYZE) routing_case")
        cursor.execute("VACUUM ANALYZE routing_caseevent")
        cursor.execute("VACUUM ANALYZE notifications_notification")
    seconds = time.perf_counter() - clock
    print(
        f"  restored {restored:,} cases, deleted {events:,} events and {notifications:,} "
        f"notifications in {seconds:.1f} s (with VACUUM FULL of the cases)"
    )
    if results is not None:
        results["restore"] = {
            "cases": restored,
            "events_deleted": events,
            "notifications_deleted": notifications,
            "seconds": round(seconds, 1),
        }
    return True


def stage_sweep(now: dt.datetime, share: float = 1.0) -> dict[str, Any]:
    """Copy the cases, then make ``share`` of them open and (most) past a deadline, in one UPDATE.

    The share is taken by id (``mod(id, 1000)``); the other cases keep their generated state.
    """
    from django.db import connection

    from routing.deadlines import add_working_days

    clock = time.perf_counter()
    soon = now + min(dt.timedelta(hours=1), (add_working_days(now, 1) - now) / 2)
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TABLE {COPY_TABLE} AS TABLE routing_case")
        cursor.execute(
            f"CREATE TABLE {COPY_TABLE}_marks AS SELECT "  # noqa: S608
            "(SELECT coalesce(max(id), 0) FROM routing_caseevent) AS max_event, "
            "(SELECT coalesce(max(id), 0) FROM notifications_notification) AS max_notification"
        )
        copied = time.perf_counter() - clock
        cursor.execute(
            """
            UPDATE routing_case SET
              state = CASE WHEN mod(id, 100) < 5 THEN 'submitted'
                           WHEN mod(id, 100) BETWEEN 85 AND 94 THEN 'responded'
                           ELSE 'in_progress' END,
              due_at = CASE WHEN mod(id, 100) < 75 THEN %(now)s - (1 + mod(id, 30)) * interval '1 day'
                            WHEN mod(id, 100) < 85 THEN %(soon)s
                            WHEN mod(id, 100) < 95 THEN NULL
                            ELSE %(now)s + interval '10 days' END,
              triage_due_at = CASE WHEN mod(id, 100) < 5 THEN %(now)s - interval '1 day' ELSE triage_due_at END,
              triaged_at = CASE WHEN mod(id, 100) < 5 THEN NULL ELSE coalesce(triaged_at, submitted_at) END,
              feedback_due_at = CASE WHEN mod(id, 100) BETWEEN 85 AND 94 THEN %(now)s - interval '1 day'
                                     ELSE NULL END,
              responded_at = CASE WHEN mod(id, 100) BETWEEN 85 AND 94
                                  THEN coalesce(responded_at, submitted_at) ELSE NULL END,
              closed_at = NULL,
              is_overdue = false,
              overdue_since = NULL,
              reminded_due_at = NULL,
              paused_at = NULL
            WHERE mod(id, 1000) < %(share)s
            """,
            {"now": now, "soon": soon, "share": round(share * 1000)},
        )
        staged = cursor.rowcount
        cursor.execute("ANALYZE routing_case")
        cursor.execute(
            "SELECT state, count(*) FROM routing_case GROUP BY state ORDER BY 2 DESC",
        )
        states = {state: n for state, n in cursor.fetchall()}
    seconds = time.perf_counter() - clock
    print(
        f"  copied the cases in {copied:.1f} s, made {staged:,} open in {seconds - copied:.1f} s: "
        + ", ".join(f"{s} {n:,}" for s, n in states.items())
    )
    return {
        "staged": staged,
        "states": states,
        "copy_seconds": round(copied, 1),
        "update_seconds": round(seconds - copied, 1),
    }


class Timers:
    """Wall time and call counts of named pieces, nested pieces counted in both."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = {}
        self.calls: dict[str, int] = {}
        self.samples: dict[str, list[float]] = {}

    def wrap(self, name: str, function: Callable[..., Any], *, keep: bool = False) -> Callable[..., Any]:
        def timed(*args: Any, **kwargs: Any) -> Any:
            clock = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                spent = time.perf_counter() - clock
                self.seconds[name] = self.seconds.get(name, 0.0) + spent
                self.calls[name] = self.calls.get(name, 0) + 1
                if keep:
                    self.samples.setdefault(name, []).append(spent)

        return timed


@contextmanager
def instrumented_sweep(
    timers: Timers, *, defer_drain: bool = False, deferred: set[str] | None = None
) -> Iterator[dict[str, list[float]]]:
    """Patch timers around the sweep's passes, its locking SELECTs and what runs after its events."""
    import config.jobs
    import notifications.receivers
    import search.receivers
    from routing import signals, sweep

    batches: dict[str, list[float]] = {}
    deferred = deferred if deferred is not None else set()
    current = {"phase": ""}
    saved: list[tuple[Any, str, Any]] = []

    def patch(owner: Any, name: str, replacement: Any) -> None:
        saved.append((owner, name, getattr(owner, name)))
        setattr(owner, name, replacement)

    for phase in (
        "escalate_untriaged",
        "mark_overdue",
        "record_reminders",
        "auto_close_responded",
        "remind_citizens",
        "return_unanswered",
    ):
        original = getattr(sweep, phase)

        def run_phase(*args: Any, _original: Any = original, _phase: str = phase, **kwargs: Any) -> Any:
            current["phase"] = _phase
            return _original(*args, **kwargs)

        patch(sweep, phase, timers.wrap(f"pass {phase}", run_phase))

    locked = sweep._locked_batch

    def locked_batch(*args: Any, **kwargs: Any) -> Any:
        clock = time.perf_counter()
        rows = locked(*args, **kwargs)
        batches.setdefault(current["phase"], []).append(time.perf_counter() - clock)
        return rows

    patch(sweep, "_locked_batch", timers.wrap("locking SELECT of a batch", locked_batch))
    # The sweep's receivers: per event before the set-based sweep, per batch and per run after it.
    for name, label in (
        ("enqueue_for_events", "notification outbox rows (in the batch)"),
        ("enqueue_for_swept", "notification outbox rows and digest entries (in the batch)"),
        ("digests_send", "staff digests (end of the run)"),
    ):
        if hasattr(notifications.receivers, name):
            patch(notifications.receivers, name, timers.wrap(label, getattr(notifications.receivers, name)))
    patch(search.receivers, "enqueue", timers.wrap("search outbox (in the batch)", search.receivers.enqueue))
    patch(
        signals.case_event_committed,
        "send_robust",
        timers.wrap("live push per event (after commit)", signals.case_event_committed.send_robust),
    )
    if defer_drain:
        # The drains wait until the sweep is over (as with the job thread or Celery): run_sweep times them.
        patch(config.jobs, "run", lambda name: deferred.add(name))
    else:
        patch(
            config.jobs, "run", timers.wrap("notification drain (in-process, after commit)", config.jobs.run)
        )
    try:
        yield batches
    finally:
        for owner, name, value in reversed(saved):
            setattr(owner, name, value)


def sweep_explains(now: dt.datetime, batch_size: int) -> dict[str, Any]:
    """The plan of each pass's first locking SELECT (in a rolled-back transaction)."""
    from django.db.models import F, Q

    from routing.deadlines import add_working_days
    from routing.models import CLOCKED_STATES, Case, CaseState

    horizon = add_working_days(now, 1)
    candidates = {
        "escalate_untriaged": (
            Case.objects.filter(state=CaseState.SUBMITTED, due_at__lt=now, unit__parent__isnull=False),
            ("pk", "version", "unit_id", "unit__parent_id", "unit__parent__level", "petition__category_id"),
        ),
        "mark_overdue": (
            Case.objects.filter(state__in=CLOCKED_STATES, due_at__lt=now, is_overdue=False),
            ("pk", "version", "state", "unit_id", "due_at"),
        ),
        "record_reminders": (
            Case.objects.filter(
                state__in=CLOCKED_STATES, is_overdue=False, due_at__gte=now, due_at__lte=horizon
            ).filter(Q(reminded_due_at__isnull=True) | ~Q(reminded_due_at=F("due_at"))),
            ("pk", "version", "state", "unit_id", "due_at", "assignee_id"),
        ),
        "auto_close_responded": (
            Case.objects.filter(state=CaseState.RESPONDED, feedback_due_at__lt=now),
            ("pk", "version", "unit_id"),
        ),
    }
    plans: dict[str, Any] = {}
    for phase, (queryset, fields) in candidates.items():
        query = (
            queryset.select_for_update(skip_locked=True, of=("self",))
            .order_by("pk")
            .values(*fields)[:batch_size]
        )
        plan, execution = explain(query.query.sql_with_params)
        plans[phase] = {"key_line": plan_key_line(plan), "execution_ms": execution, "plan": plan}
    return plans


def _backend_pid() -> int:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        row = cursor.fetchone()
    return int(row[0]) if row else 0


def _process_cpu(pid: int) -> float:
    """User + system CPU seconds of a local process (the PostgreSQL backend), 0 if unreadable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def sweep_notifications() -> dict[str, Any]:
    """The notification rows the sweep wrote (after the staging's mark): staff e-mails, digests, citizens'."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT max_notification FROM {COPY_TABLE}_marks")  # noqa: S608
        row = cursor.fetchone()
        mark = row[0] if row else 0
        cursor.execute(
            "SELECT template, channel, user_id IS NOT NULL, count(*), count(DISTINCT user_id) "
            "FROM notifications_notification WHERE id > %s GROUP BY 1, 2, 3 ORDER BY 1, 2",
            [mark],
        )
        rows = cursor.fetchall()
    by_template = {f"{t}/{c}": n for t, c, _staff, n, _users in rows}
    staff = sum(n for _t, _c, is_staff, n, _u in rows if is_staff)
    return {
        "total": sum(r[3] for r in rows),
        "staff_emails": staff,
        "staff_recipients_max": max((u for *_x, u in rows), default=0),
        "citizen_messages": sum(n for _t, _c, is_staff, n, _u in rows if not is_staff),
        "by_template": by_template,
    }


def deferred_drain(jobs: list[str]) -> dict[str, Any]:
    """The drains the sweep queued, run after it until nothing is left: time and CPU, messages sent."""
    from notifications.sending import drain

    clock, cpu = time.perf_counter(), time.process_time()
    sent = claimed = 0
    if "notifications.drain" in jobs:
        while True:
            report = drain(max_batches=100)
            sent += report.sent
            claimed += report.claimed
            if not report.claimed:
                break
    done = {
        "jobs": jobs,
        "claimed": claimed,
        "sent": sent,
        "seconds": round(time.perf_counter() - clock, 1),
        "cpu_seconds": round(time.process_time() - cpu, 1),
    }
    print(
        f"  deferred drain: {sent:,} messages sent in {done['seconds']} s ({done['cpu_seconds']} s CPU), "
        "after the sweep"
    )
    return done


def run_sweep(
    *,
    batch_size: int,
    share: float,
    live_push: bool,
    results: Results,
    defer_drain: bool = False,
    skip_drain: bool = False,
) -> None:
    from django.utils import timezone

    from notifications.transports.sms import LocmemSmsBackend
    from routing.models import Case
    from routing.sweep import sweep_deadlines

    print("deadline sweep")
    if restore_cases():
        print("  (a copy left by an interrupted run was restored first)")
    now = timezone.now()
    info: dict[str, Any] = {"now": now.isoformat(), "batch_size": batch_size}
    info["share"] = share
    info["live_push"] = live_push
    info["defer_drain"] = defer_drain
    info["stage"] = stage_sweep(now, share)
    open_cases = Case.objects.filter(state__in=_open_states()).count()
    info["open_cases"] = open_cases
    try:
        info["first_batch_plans"] = sweep_explains(now, batch_size)
        for phase, plan in info["first_batch_plans"].items():
            print(f"  plan of {phase}'s first batch ({plan['execution_ms']} ms): {plan['key_line'][:150]}")
        timers = Timers()
        load_before = loadavg()
        if not live_push:  # what the sweep costs without its per-event push (a proposed fix)
            from notifications.live import publish_case_changed
            from routing.signals import case_event_committed

            case_event_committed.disconnect(publish_case_changed, dispatch_uid="notifications.live.case")
            # The sweep's push is one per batch (``case_events_committed``): measured without it too.
            from routing.signals import case_events_committed

            case_events_committed.disconnect(dispatch_uid="notifications.live.cases")
        backend = _backend_pid()
        cpu_before = (time.process_time(), _process_cpu(backend))
        deferred: set[str] = set()
        with instrumented_sweep(timers, defer_drain=defer_drain, deferred=deferred) as batches:
            clock = time.perf_counter()
            report = sweep_deadlines(now=now, batch_size=batch_size)
            seconds = time.perf_counter() - clock
        info["cpu_seconds"] = {
            "script": round(time.process_time() - cpu_before[0], 1),
            "postgresql_backend": round(_process_cpu(backend) - cpu_before[1], 1),
        }
        print(
            f"  CPU: script {info['cpu_seconds']['script']} s, "
            f"its PostgreSQL backend {info['cpu_seconds']['postgresql_backend']} s"
        )
        changed = report.escalated + report.overdue + report.reminded + report.auto_closed
        info.update(
            seconds=round(seconds, 1),
            report=asdict(report),
            changed=changed,
            changed_per_second=round(changed / seconds),
            open_cases_per_second=round(open_cases / seconds),
            load=[load_before[:1], loadavg()[:1]],
            sms_sent=len(LocmemSmsBackend.outbox),
            pieces={
                name: {"seconds": round(spent, 2), "calls": timers.calls[name]}
                for name, spent in timers.seconds.items()
            },
            batches={
                phase: {
                    "batches": len(times),
                    "first_ms": round(times[0] * 1000, 1),
                    "median_ms": round(statistics.median(times) * 1000, 1),
                    "last_full_ms": round(times[-2] * 1000, 1) if len(times) > 1 else None,
                    "final_empty_ms": round(times[-1] * 1000, 1),
                    "sum_s": round(sum(times), 2),
                }
                for phase, times in batches.items()
            },
        )
        info["notifications"] = sweep_notifications()
        if defer_drain and not skip_drain:
            info["deferred_drain"] = deferred_drain(sorted(deferred))
        print(
            "  notifications written: "
            + ", ".join(f"{k} {v:,}" for k, v in info["notifications"].items() if not isinstance(v, dict))
        )
        LocmemSmsBackend.outbox.clear()
        print(
            f"  sweep_deadlines: {seconds:.1f} s over {open_cases:,} open cases "
            f"({open_cases / seconds:,.0f} open cases/s; {changed:,} changed, {changed / seconds:,.0f}/s); "
            f"{report}"
        )
        for name, piece in info["pieces"].items():
            print(f"    {name:<48} {piece['seconds']:>8.1f} s  {piece['calls']:>9,} calls")
        for phase, b in info["batches"].items():
            print(
                f"    batches of {phase:<22} {b['batches']:>4}: first {b['first_ms']} ms, median "
                f"{b['median_ms']} ms, last full {b['last_full_ms']} ms, final empty {b['final_empty_ms']} ms"
            )
    finally:
        restore_cases(info)
    results.sweep = info


# --- main -----------------------------------------------------------------------------------------


def sizes() -> dict[str, Any]:
    from django.db import connection

    found: dict[str, Any] = {}
    with connection.cursor() as cursor:
        for table in (
            "petitions_petition",
            "routing_case",
            "routing_caseevent",
            "notifications_notification",
        ):
            cursor.execute("SELECT pg_total_relation_size(%s)", [table])
            row = cursor.fetchone()
            found[f"{table}_mib"] = round(row[0] / 1024 / 1024, 1) if row else None
        cursor.execute("SELECT pg_database_size(current_database())")
        row = cursor.fetchone()
        found["database_mib"] = round(row[0] / 1024 / 1024, 1) if row else None
    return found


def print_table(results: Results) -> None:
    print()
    print(f"{'scenario':<40} {'runs':>4} {'median':>9} {'p95':>9} {'p99':>9} {'queries':>7} {'slowest q':>9}")
    for p in results.pages:
        print(
            f"{p.scenario:<40} {p.runs:>4} {p.median_ms:>7.1f}ms {p.p95_ms:>7.1f}ms {p.p99_ms:>7.1f}ms "
            f"{p.queries:>7} {p.slowest_query_ms:>7.1f}ms"
        )


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument(
        "--database-url",
        default=os.environ.get("BENCH_OFFICE_DATABASE_URL", DEFAULT_DATABASE_URL),
        help=f"default {DEFAULT_DATABASE_URL} (created if missing)",
    )
    parser.add_argument("--any-database", action="store_true", help="accept a name without bench_office")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--runs", type=int, default=30, help="timed calls per page")
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per page (at least 5 calls)")
    parser.add_argument("--batch-size", type=int, default=2000, help="the sweep's batch size (its default)")
    parser.add_argument(
        "--sweep-share",
        type=float,
        default=1.0,
        help="fraction of the cases made open and due for the sweep (by id; default all)",
    )
    parser.add_argument(
        "--no-live-push",
        action="store_true",
        help="disconnect the per-event live push (notifications.live) during the sweep",
    )
    parser.add_argument(
        "--sweep-staff-every",
        type=int,
        default=4,
        help="a leader at every province and every Nth commune, an officer at every 2Nth (0: none)",
    )
    parser.add_argument(
        "--defer-drain",
        action="store_true",
        help="run the notification drains the sweep queues after it, timed apart (as on a job thread)",
    )
    parser.add_argument(
        "--skip-drain",
        action="store_true",
        help="with --defer-drain: leave the messages the sweep queued unsent (the restore deletes them)",
    )
    parser.add_argument("--skip-pages", action="store_true")
    parser.add_argument("--only", help="time only the pages whose scenario matches this regular expression")
    parser.add_argument(
        "--skip-rollups", action="store_true", help="do not (re)build the daily rollups before the pages"
    )
    parser.add_argument("--skip-sweep", action="store_true")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--batch", type=int, default=5000, help="generator batch")
    args = parser.parse_args(argv)
    parts = urlsplit(args.database_url)
    if parts.scheme not in ("postgres", "postgresql"):
        parser.error("a PostgreSQL URL is needed (EXPLAIN, COPY, the sweep's SKIP LOCKED)")
    name = parts.path.lstrip("/")
    if "bench_office" not in name and not args.any_database:
        parser.error(f"{name!r} does not look like this benchmark's database (the sweep rewrites every case)")

    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started = time.perf_counter()
    results = Results(started_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"), cases=args.cases)
    results.machine = machine()
    results.database = name
    bench_generate.prepare_database(args.database_url)

    from django.conf import settings
    from django.db import connection
    from django.test.utils import override_settings

    # As in production: no query log, no debug pages; the test client's host accepted.
    override_settings(DEBUG=False, ALLOWED_HOSTS=[*settings.ALLOWED_HOSTS, "testserver"]).enable()
    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        row = cursor.fetchone()
    results.versions = {"postgresql": row[0] if row else None, "git": git_revision()}
    if restore_cases():
        print("restored the cases from a copy an interrupted sweep left")
    ensure_cases(args.cases, seed=args.seed, batch=args.batch, results=results)
    from django.db.models import Count

    from routing.models import Case

    results.states = dict(Case.objects.order_by().values_list("state").annotate(n=Count("pk")))
    print("staff")
    users = create_staff(results)
    results.staff["sweep_staff"] = ensure_sweep_staff(args.sweep_staff_every)
    if not args.skip_pages:
        if not args.skip_rollups:
            build_rollups(results)
        run_pages(
            users,
            runs=args.runs,
            warmup=args.warmup,
            time_limit=args.time_limit,
            results=results,
            only=args.only,
        )
    if not args.skip_sweep:
        run_sweep(
            batch_size=args.batch_size,
            share=args.sweep_share,
            live_push=not args.no_live_push,
            results=results,
            defer_drain=args.defer_drain or args.skip_drain,
            skip_drain=args.skip_drain,
        )
    results.sizes = sizes()
    results.seconds = round(time.perf_counter() - started, 1)
    results.machine["load_at_end"] = loadavg()
    print_table(results)
    print(f"\nsizes: {results.sizes}")
    print(
        f"total {results.seconds:.0f} s; load average at start {results.machine['load_at_start']}, "
        f"end {results.machine['load_at_end']}"
    )
    if args.json:
        args.json.write_text(json.dumps(asdict(results), indent=2, ensure_ascii=False, default=str) + "\n")
        print(f"results written to {args.json}")


if __name__ == "__main__":
    main()
