"""Daily rollups of the leader pages' numbers: what they read for past days instead of the cases.

One ``DailyRollup`` row holds one local day's numbers of one group of cases, for the pages of
one *scope*: the central committee (``dim`` ``u``: per province subtree and the central unit's
own cases, ``c``: per topic, ``p``: per petition's province, the public figures) or a
province (``u``: per commune and the province's own cases, ``c``). The
``measure`` says which cases and which day:

- ``received``: cases by the day they were submitted, with what became of them since
  (answered, on time, ratings, and a histogram of their response times): the public
  statistics' cohorts and the dashboard's "received";
- ``triaged``: cases by the day they were triaged, with a histogram of the time to triage;
- ``responded``: cases by the day of their (current) response, on time, with a histogram of
  the time to response.

The rows are never edited one by one: a set of days is rebuilt with one ``DELETE`` and one
``INSERT … SELECT … GROUP BY`` from the cases, the same statement on PostgreSQL and SQLite
(``rollups_rebuild``). The job ``routing.rollups`` (``rollups_catch_up``) rolls up each day
that has ended and rebuilds every earlier day that the case events since its last run may
have changed; days after ``RollupState.through`` are counted live from the cases by the
readers (``rollup_totals``), so a page is exact up to the last catch-up for past days and
exact for today. Nothing on the intake path or in the sweep writes here.

Counts are exact. Percentiles of durations come from the histograms: 60 buckets, the first
under a minute, then three per doubling (each 26 % wider than the one before), so an estimate
falls in the true value's bucket (at most 26 % off; a few per cent on the benchmark's data); the
pages mark them "≈".
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
from django.db.models import Max, Min, Q
from django.utils import timezone

from config.reference import ProcessCache
from routing.histograms import (  # noqa: F401 - the rollups' API: tests and readers import them here
    BOUNDS,
    LN2,
    Totals,
    bucket_bounds,
    duration_bucket,
    histogram_percentile,
)
from routing.models import (
    HISTOGRAM_BUCKETS,
    Case,
    CaseEvent,
    CaseState,
    DailyRollup,
    Level,
    MonthlyRollup,
    RollupState,
    Unit,
)

logger = logging.getLogger(__name__)

HISTOGRAM_COLUMNS = tuple(f"h{k:02d}" for k in range(HISTOGRAM_BUCKETS))
MEASURES = ("received", "triaged", "responded")
#: A rebuild's statement covers at most this many days (one transaction each).
REBUILD_CHUNK_DAYS = 31
#: Events this much older than the previous run are read again: a transaction that was still
#: open when that run read the events (its ids below the mark) has committed since.
EVENT_OVERLAP = dt.timedelta(minutes=15)
#: … looked for among this many ids below the mark (the id index, not a scan by time).
EVENT_ID_OVERLAP = 20_000

#: (scope kind, dim): ``N`` the central committee, ``P`` the case's province.
DIMS = (("N", "u"), ("N", "c"), ("N", "p"), ("P", "u"), ("P", "c"))


# --- the statement ---------------------------------------------------------------------------


def _q(name: str) -> str:
    return connection.ops.quote_name(name)


def _seconds_sql(end: str, start: str) -> str:
    if connection.vendor == "postgresql":
        return f"CAST(EXTRACT(EPOCH FROM ({end} - {start})) AS DOUBLE PRECISION)"
    return f"((julianday({end}) - julianday({start})) * 86400.0)"


def _bucket_sql(seconds: str) -> str:
    # Three buckets per doubling from a minute; constants of this module, not input.
    return (
        f"CASE WHEN {seconds} IS NULL THEN NULL WHEN {seconds} < 60.0 THEN 0 "
        f"WHEN {seconds} >= {BOUNDS[-1]!r} THEN {HISTOGRAM_BUCKETS - 1} "
        f"ELSE CAST(FLOOR(3 * LN({seconds} / 60.0) / {LN2!r}) AS INTEGER) + 1 END"
    )


def _day_sql(column: str) -> tuple[str, tuple[Any, ...]]:
    sql, params = connection.ops.datetime_cast_date_sql(column, (), timezone.get_current_timezone_name())
    return sql, tuple(params)


def day_bounds(first: dt.date, last: dt.date) -> tuple[Any, Any]:
    """Local-time bounds ``[first 00:00, last+1 00:00)`` as parameters of raw SQL: SQLite
    compares the stored UTC text, so an aware bound must be turned into it first."""
    from routing.metrics import day_bounds as aware_bounds

    start, end = aware_bounds(first, last)
    return connection.ops.adapt_datetimefield_value(start), connection.ops.adapt_datetimefield_value(end)


def _central_id() -> int:
    unit = Unit.objects.filter(level=Level.CENTRAL).order_by("pk").values_list("pk", flat=True).first()
    return int(unit or 0)


def source_sql(
    first: dt.date, last: dt.date, *, scope: Unit | None = None, measures: Sequence[str] = MEASURES
) -> tuple[str, list[Any]]:
    """The rollup rows of the days ``[first, last]`` counted from the cases, one per
    (day, scope, dim, key, measure): the ``SELECT`` of a rebuild, of ``--check`` and of the
    readers' live part (``scope``: only that scope's rows, from its subtree's cases)."""
    start, end = day_bounds(first, last)
    level = "u.level"
    province = (
        f"CASE WHEN {level} = %s THEN u.parent_id WHEN {level} = %s THEN u.id END",
        [Level.COMMUNE, Level.PROVINCE],
    )
    where_scope, scope_params = "", []
    kinds: tuple[str, ...] = ("N", "P")
    if scope is not None and scope.level == Level.PROVINCE:
        where_scope, scope_params, kinds = (
            " AND (u.id = %s OR u.parent_id = %s)",
            [scope.pk, scope.pk],
            ("P",),
        )
    elif scope is not None:
        kinds = ("N",)
    on_time = "CASE WHEN c.responded_at <= c.resolution_due_at THEN 1 ELSE 0 END"
    facts: list[str] = []
    params: list[Any] = []
    for measure in measures:
        column = {"received": "submitted_at", "triaged": "triaged_at", "responded": "responded_at"}[measure]
        day, day_params = _day_sql(f"c.{column}")
        if measure == "received":
            answered = "CASE WHEN c.responded_at IS NOT NULL THEN 1 ELSE 0 END"
            timely, rating, place = on_time, "c.rating", "p.province_id"
            duration = _bucket_sql(_seconds_sql("c.responded_at", "c.submitted_at"))
            join = f"JOIN {_q('petitions_petition')} p ON p.id = c.petition_id"
        else:
            answered = "1" if measure == "responded" else "0"
            timely = on_time if measure == "responded" else "0"
            rating = place = "CAST(NULL AS INTEGER)"
            join = ""
            duration = _bucket_sql(_seconds_sql(f"c.{column}", "c.submitted_at"))
        facts.append(
            # Fixed SQL and constants of this module: every value is a parameter.
            f"SELECT '{measure}' AS measure, {day} AS day, c.unit_id AS unit_id, "  # noqa: S608
            f"{province[0]} AS province_id, c.category_id AS category_id, "
            f"{place} AS place_id, {answered} AS answered, {timely} AS on_time, {rating} AS rating, "
            f"{duration} AS bucket "
            f"FROM {_q('routing_case')} c JOIN {_q('routing_unit')} u ON u.id = c.unit_id {join} "
            f"WHERE c.{column} >= %s AND c.{column} < %s{where_scope}"
        )
        params += [*day_params, *province[1], start, end, *scope_params]
    dims = " UNION ALL ".join(f"SELECT '{kind}' AS sk, '{dim}' AS dim" for kind, dim in DIMS if kind in kinds)
    histogram = ", ".join(f"SUM(CASE WHEN f.bucket = {k} THEN 1 END)" for k in range(HISTOGRAM_BUCKETS))
    fence = " OFFSET 0" if connection.vendor == "postgresql" else ""
    sql = (
        "SELECT f.day, CASE d.sk WHEN 'N' THEN %s ELSE f.province_id END, d.dim, "  # noqa: S608
        "CASE d.dim WHEN 'u' THEN (CASE d.sk WHEN 'N' THEN COALESCE(f.province_id, f.unit_id) "
        "ELSE f.unit_id END) WHEN 'c' THEN COALESCE(f.category_id, 0) "
        "ELSE COALESCE(f.place_id, 0) END, f.measure, "
        "COUNT(*), SUM(f.answered), SUM(f.on_time), COUNT(f.rating), COALESCE(SUM(f.rating), 0), "
        f"{histogram} "
        # OFFSET 0 keeps the facts a subquery of their own on PostgreSQL: pulled up, each of the
        # 60 sums would compute the bucket again.
        f"FROM ({' UNION ALL '.join(facts)}{fence}) f JOIN ({dims}) d "
        "ON (d.sk = 'N' OR f.province_id IS NOT NULL) AND (d.dim <> 'p' OR f.measure = 'received') "
        "GROUP BY 1, 2, 3, 4, 5"
    )
    # The central unit's id names the national scope's rows (none when reading a province's).
    central = _central_id() if scope is None else scope.pk if scope.level == Level.CENTRAL else 0
    return sql, [central, *params]


ROW_COLUMNS = (
    "day",
    "scope_id",
    "dim",
    "key",
    "measure",
    "count",
    "answered",
    "on_time",
    "rated",
    "rating_sum",
    *HISTOGRAM_COLUMNS,
)


# --- writing ---------------------------------------------------------------------------------


@dataclass
class RebuildReport:
    days: int = 0
    rows: int = 0
    statements: int = 0
    seconds: float = 0.0


@dataclass
class CatchUpReport:
    through: dt.date | None = None
    events: int = 0
    cases: int = 0
    days: int = 0
    rows: int = 0
    seconds: float = 0.0
    full_rebuild: bool = False


def _runs(days: Iterable[dt.date], chunk: int = REBUILD_CHUNK_DAYS) -> Iterator[tuple[dt.date, dt.date]]:
    """Contiguous runs ``(first, last)`` of the days, none longer than ``chunk`` days."""
    first = last = None
    for day in sorted(set(days)):
        if (
            first is not None
            and last is not None
            and day == last + dt.timedelta(days=1)
            and (day - first).days < chunk
        ):
            last = day
            continue
        if first is not None and last is not None:
            yield first, last
        first = last = day
    if first is not None and last is not None:
        yield first, last


def _rebuild_run(first: dt.date, last: dt.date, measures: Sequence[str] = MEASURES) -> int:
    """Replace the ``measures`` rows of ``[first, last]`` with a recount, in one transaction:
    readers see the old rows or the new ones (PostgreSQL's snapshots; SQLite has one writer)."""
    select, params = source_sql(first, last, measures=measures)
    columns = ", ".join(_q(c) for c in ROW_COLUMNS)
    with transaction.atomic():
        _state()  # one rebuild at a time: a second waits here, then sees the first one's rows
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # group in memory, not in sorted runs on disk
                cursor.execute("SET LOCAL work_mem = '64MB'")
        # Scope by scope: the index leads with the scope (what the pages read by).
        scopes = Unit.objects.filter(level__in=[Level.CENTRAL, Level.PROVINCE]).values_list("pk", flat=True)
        DailyRollup.objects.filter(
            scope_id__in=list(scopes), day__gte=first, day__lte=last, measure__in=measures
        ).delete()
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {_q(DailyRollup._meta.db_table)} ({columns}) {select}", params)
            return max(cursor.rowcount, 0)


def rollups_rebuild_days(days: Iterable[dt.date], measures: Sequence[str] = MEASURES) -> RebuildReport:
    """Rebuild the ``measures`` rows of the given days from the cases (a statement per run of days)."""
    report = RebuildReport()
    clock = time.perf_counter()
    for first, last in _runs(days):
        report.rows += _rebuild_run(first, last, measures)
        report.days += (last - first).days + 1
        report.statements += 1
    report.seconds = round(time.perf_counter() - clock, 2)
    return report


def month_of(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return following - dt.timedelta(days=1)


def _month_select() -> str:
    """The ``INSERT`` of a month's rows: its days' rows summed per group (NULL stays NULL)."""
    columns = ", ".join(_q(c) for c in ("month", *ROW_COLUMNS[1:]))
    groups = ", ".join(_q(c) for c in ROW_COLUMNS[1:5])
    sums = ", ".join(f"SUM({_q(c)})" for c in ROW_COLUMNS[5:])
    return (
        f"INSERT INTO {_q(MonthlyRollup._meta.db_table)} ({columns}) "  # noqa: S608 - fixed SQL
        f"SELECT %s, {groups}, {sums} FROM {_q(DailyRollup._meta.db_table)} "
        f"WHERE day >= %s AND day <= %s GROUP BY {groups}"
    )


def rollups_roll_months(months: Iterable[dt.date], *, through: dt.date) -> int:
    """Rebuild the monthly rows of the given months that have ended by ``through`` from their
    days' rows, a month per transaction (readers see its old rows or its new ones); the rows
    written. A month that has not ended keeps no rows: the readers take its days."""
    rows = 0
    for month in sorted({month_of(m) for m in months}):
        last = month_end(month)
        if last > through:
            continue
        with transaction.atomic():
            MonthlyRollup.objects.filter(month=month).delete()
            with connection.cursor() as cursor:
                cursor.execute(_month_select(), [month, month, last])
                rows += max(cursor.rowcount, 0)
    return rows


def _state() -> RollupState:
    state = RollupState.objects.select_for_update().order_by("pk").first()
    if state is None:
        RollupState.objects.create()
        state = RollupState.objects.select_for_update().order_by("pk").get()
    return state


def _months(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], month_of(first)
    while month <= last:
        months.append(month)
        month = month_end(month) + dt.timedelta(days=1)
    return months


def rollup_state_through() -> dt.date | None:
    """``RollupState.through`` read now (the pages use a copy held in the process)."""
    return RollupState.objects.order_by("pk").values_list("through", flat=True).first()


def _first_case_day() -> dt.date | None:
    first = Case.objects.order_by().aggregate(first=Min("submitted_at"))["first"]
    return timezone.localdate(first) if first else None


def rollups_rebuild(*, since: dt.date | None = None, until: dt.date | None = None) -> RebuildReport:
    """Rebuild every day from ``since`` (the first case's) to ``until`` (yesterday); without
    ``since``, mark the rollup complete through ``until`` (``manage.py rollups --rebuild``; the
    job's first run)."""
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    until = min(until or yesterday, yesterday)
    mark = CaseEvent.objects.aggregate(mark=Max("pk"))["mark"] or 0
    started = timezone.now()
    first = since or _first_case_day() or until
    report = rollups_rebuild_days(first + dt.timedelta(days=n) for n in range((until - first).days + 1))
    if since is None:  # complete from the first case through ``until``; a partial rebuild leaves the state
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:  # the planner's figures of a table just rewritten
                cursor.execute(f"ANALYZE {_q(DailyRollup._meta.db_table)}")
        with transaction.atomic():
            state = _state()
            MonthlyRollup.objects.filter(month__lt=month_of(first)).delete()
            # Before ``through`` moves, in its transaction: readers take a month past ``through``
            # from its monthly rows, which must be there when they see the new ``through``.
            report.rows += rollups_roll_months(_months(first, until), through=until)
            state.through, state.event_mark, state.updated_at = until, mark, started
            state.save()
    else:
        through = rollup_state_through()
        if through is not None:
            report.rows += rollups_roll_months(_months(first, min(until, through)), through=through)
    logger.info("rollups rebuilt: %s", report)
    return report


def _touched_days(state: RollupState, mark: int) -> tuple[dict[str, set[dt.date]], int, int]:
    """Per measure, the local days whose rows the events since the last run may have changed,
    with the number of events and cases read.

    Every event may change its case's cohort (the submission day: answered, on time, rating)
    and counts on the day it happened (a late commit). An event that moves the case to another
    unit, or takes back its response (a reopening clears ``responded_at``), also changes the
    days the case was triaged or answered before: those are the days of its earlier events.
    """
    since = state.updated_at - EVENT_OVERLAP
    events = list(
        CaseEvent.objects.filter(
            Q(pk__gt=state.event_mark) | Q(pk__gt=state.event_mark - EVENT_ID_OVERLAP, created_at__gte=since),
            pk__lte=mark,
        )
        .order_by()
        .values_list("case_id", "created_at", "from_state", "to_state", "from_unit_id", "to_unit_id")
    )
    days: dict[str, set[dt.date]] = {measure: set() for measure in MEASURES}
    moved: set[int] = set()
    for case_id, created, from_state, to_state, from_unit, to_unit in events:
        day = timezone.localdate(created)
        days["triaged"].add(day)
        days["responded"].add(day)
        if (to_unit is not None and to_unit != from_unit) or (
            from_state == CaseState.RESPONDED and to_state != CaseState.CLOSED
        ):
            moved.add(case_id)
    case_ids = sorted({event[0] for event in events})
    for offset in range(0, len(case_ids), 5000):
        chunk = case_ids[offset : offset + 5000]
        for submitted, triaged, responded in Case.objects.filter(pk__in=chunk).values_list(
            "submitted_at", "triaged_at", "responded_at"
        ):
            days["received"].add(timezone.localdate(submitted))
            if triaged is not None:
                days["triaged"].add(timezone.localdate(triaged))
            if responded is not None:
                days["responded"].add(timezone.localdate(responded))
    moved_ids = sorted(moved)
    for offset in range(0, len(moved_ids), 5000):
        for created in (
            CaseEvent.objects.filter(case_id__in=moved_ids[offset : offset + 5000])
            .order_by()
            .values_list("created_at", flat=True)
        ):
            days["triaged"].add(timezone.localdate(created))
            days["responded"].add(timezone.localdate(created))
    return days, len(events), len(case_ids)


def rollups_catch_up() -> CatchUpReport:
    """The periodic job: roll up the days that have ended since the last run, and rebuild every
    earlier day touched by case events since then (late entries, responses to old cases,
    reopenings, escalations). The first run rebuilds everything."""
    clock = time.perf_counter()
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    days: dict[str, set[dt.date]] = {}
    events = cases = 0
    with transaction.atomic():
        state = _state()
        through = state.through
        mark = CaseEvent.objects.aggregate(mark=Max("pk"))["mark"] or 0
        started = timezone.now()
        if through is not None:
            days, events, cases = _touched_days(state, mark)
    if through is None:
        rebuilt = rollups_rebuild()
        return CatchUpReport(
            through=yesterday,
            days=rebuilt.days,
            rows=rebuilt.rows,
            seconds=round(time.perf_counter() - clock, 2),
            full_rebuild=True,
        )
    new_days = {through + dt.timedelta(days=n) for n in range(1, (yesterday - through).days + 1)}
    # Days rebuilt for every measure in one statement, then each measure's other days.
    everything = set(new_days)
    for measure in MEASURES:
        everything |= {
            day for day in days[measure] if day <= through and all(day in days[m] for m in MEASURES)
        }
    total = rollups_rebuild_days(everything)
    for measure in MEASURES:
        rebuilt = rollups_rebuild_days({d for d in days[measure] if d <= through} - everything, (measure,))
        total.days += rebuilt.days
        total.rows += rebuilt.rows
    touched = everything.union(*(days[m] for m in MEASURES)) if days else everything
    with transaction.atomic():
        state = _state()
        new_through = max(yesterday, state.through or yesterday)
        # The months first, in the transaction that moves ``through`` (see rollups_rebuild).
        total.rows += rollups_roll_months({day for day in touched if day <= new_through}, through=new_through)
        state.through = new_through
        state.event_mark = max(mark, state.event_mark)
        state.updated_at = started
        state.save()
    report = CatchUpReport(
        through=state.through,
        events=events,
        cases=cases,
        days=total.days,
        rows=total.rows,
        seconds=round(time.perf_counter() - clock, 2),
    )
    logger.info("rollups caught up: %s", report)
    return report


def rollups_job() -> None:
    """The job engine's entry (``config.jobs.JOBS['routing.rollups']``)."""
    rollups_catch_up()


# --- checking --------------------------------------------------------------------------------


@dataclass
class Mismatch:
    key: tuple[Any, ...]
    stored: tuple[int, ...] | None
    counted: tuple[int, ...] | None


def rollups_check(*, since: dt.date | None = None, until: dt.date | None = None) -> list[Mismatch]:
    """Recount the rolled-up days (``since`` … ``until``, default all through ``through``) from
    the cases and compare every row; the differences (none when the rollup is right)."""
    state = RollupState.objects.order_by("pk").first()
    if state is None or state.through is None:
        return []
    last = min(until or state.through, state.through)
    first = since or _first_case_day() or last
    mismatches: list[Mismatch] = []
    for run_first, run_last in _runs(
        (first + dt.timedelta(days=n) for n in range((last - first).days + 1)), chunk=REBUILD_CHUNK_DAYS
    ):
        select, params = source_sql(run_first, run_last)
        with connection.cursor() as cursor:
            cursor.execute(select, params)
            counted = {_row_key(row): _row_numbers(row) for row in cursor.fetchall()}
        stored = {
            _row_key(row): _row_numbers(row)
            for row in DailyRollup.objects.filter(day__gte=run_first, day__lte=run_last).values_list(
                *ROW_COLUMNS
            )
        }
        for key in sorted(set(counted) | set(stored), key=repr):
            if counted.get(key) != stored.get(key):
                mismatches.append(Mismatch(key, stored.get(key), counted.get(key)))
    return mismatches + _check_months(first, last, through=state.through)


def _check_months(first: dt.date, last: dt.date, *, through: dt.date) -> list[Mismatch]:
    """Each ended month's rows against the sum of its days' rows (keys start with ``"month"``)."""
    mismatches: list[Mismatch] = []
    groups = ", ".join(_q(c) for c in ROW_COLUMNS[1:5])
    sums = ", ".join(f"SUM({_q(c)})" for c in ROW_COLUMNS[5:])
    for month in _months(first, last):
        if month_end(month) > through:
            continue
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT %s, {groups}, {sums} FROM {_q(DailyRollup._meta.db_table)} "  # noqa: S608 - fixed SQL
                f"WHERE day >= %s AND day <= %s GROUP BY {groups}",
                [month, month, month_end(month)],
            )
            summed = {_row_key(row): _row_numbers(row) for row in cursor.fetchall()}
        stored = {
            _row_key(row): _row_numbers(row)
            for row in MonthlyRollup.objects.filter(month=month).values_list("month", *ROW_COLUMNS[1:])
        }
        for key in sorted(set(summed) | set(stored), key=repr):
            if summed.get(key) != stored.get(key):
                mismatches.append(Mismatch(("month", *key), stored.get(key), summed.get(key)))
    return mismatches


def _as_date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


def _row_key(row: Sequence[Any]) -> tuple[Any, ...]:
    return (_as_date(row[0]), int(row[1]), row[2], int(row[3]), row[4])


def _row_numbers(row: Sequence[Any]) -> tuple[int, ...]:
    return tuple(int(n or 0) for n in row[5:])


# --- reading ---------------------------------------------------------------------------------


#: Held in each process: a page must not pay a query for it. A copy a little old is safe: the
#: day moves only forward, and the days after an old ``through`` are counted live (exact).
THROUGH = ProcessCache("rollup-through", rollup_state_through, models=("routing.RollupState",))


def rollup_through() -> dt.date | None:
    """The last day the rollup holds complete (days after it are counted live); None before the first run."""
    return THROUGH.get()


def _split_months(
    first: dt.date, last: dt.date
) -> tuple[tuple[dt.date, dt.date], tuple[dt.date, dt.date], tuple[dt.date, dt.date]]:
    """``[first, last]`` as the days before its first whole month, its whole months (first days)
    and the days after them; an empty part as a range that ends before it starts."""
    start = first if first.day == 1 else month_end(first) + dt.timedelta(days=1)
    end = month_of(last) if month_end(last) == last else month_of(last) - dt.timedelta(days=1)
    end = month_of(end)
    if start > end:  # no whole month: the days alone
        nothing = (last + dt.timedelta(days=1), last)
        return (first, last), (start, start - dt.timedelta(days=1)), nothing
    return (
        (first, start - dt.timedelta(days=1)),
        (start, end),
        (month_end(end) + dt.timedelta(days=1), last),
    )


@dataclass
class Rolled:
    """A scope's numbers over a period: per (dim, key, measure), and per (day, measure) for ``u``."""

    groups: dict[tuple[str, int, str], Totals]
    daily: dict[tuple[dt.date, str], int]


def rollup_totals(
    *,
    scope: Unit,
    since: dt.date,
    until: dt.date,
    through: dt.date,
    dims: Sequence[str],
    measures: Sequence[str] = MEASURES,
    with_daily: bool = False,
) -> Rolled:
    """The scope's numbers over ``[since, until]``: the rollup rows up to ``through``, the days
    after it counted live from the cases (the same statement that builds the rows)."""
    groups: dict[tuple[str, int, str], Totals] = defaultdict(Totals)
    daily: dict[tuple[dt.date, str], int] = defaultdict(int)
    last_rolled = min(until, through)
    if since <= last_rolled:
        # Plain SQL: 65 sums a group, read as they come (no ORM converters per value). The whole
        # months of the period come from their monthly rows, the days around them from theirs.
        daily_table, monthly_table = _q(DailyRollup._meta.db_table), _q(MonthlyRollup._meta.db_table)
        numbers = ", ".join(_q(c) for c in ROW_COLUMNS[5:])
        sums = ", ".join(f"SUM({_q(c)})" for c in ROW_COLUMNS[5:])
        group = f"dim, {_q('key')}, measure"
        marks = ", ".join(["%s"] * len(measures))
        dim_marks = ", ".join(["%s"] * len(dims))
        where = f"scope_id = %s AND measure IN ({marks}) AND dim IN ({dim_marks})"
        chosen: list[Any] = [scope.pk, *measures, *dims]
        head, months, tail = _split_months(since, last_rolled)
        sql = (
            f"SELECT {group}, {sums} FROM ("  # noqa: S608 - fixed SQL
            f"SELECT {group}, {numbers} FROM {daily_table} WHERE {where} "
            "AND ((day >= %s AND day <= %s) OR (day >= %s AND day <= %s)) "
            f"UNION ALL SELECT {group}, {numbers} FROM {monthly_table} WHERE {where} "
            f"AND month >= %s AND month <= %s) r GROUP BY {group}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [*chosen, *head, *tail, *chosen, *months])
            for dim, key, measure, *values in cursor.fetchall():
                groups[(dim, key, measure)] = Totals.of(values)
            if with_daily:
                # Per day from the topics' rows: every case of the scope once, in fewer rows
                # than per unit (20 topics against a province's hundred communes).
                cursor.execute(
                    f"SELECT day, measure, SUM({_q('count')}) FROM {daily_table} "  # noqa: S608 - fixed SQL
                    f"WHERE scope_id = %s AND day >= %s AND day <= %s AND measure IN ({marks}) "
                    "AND dim = 'c' GROUP BY day, measure",
                    [scope.pk, since, last_rolled, *measures],
                )
                for day, measure, n in cursor.fetchall():
                    daily[(_as_date(day), measure)] += n
    live_first = max(since, through + dt.timedelta(days=1))
    if live_first <= until:
        select, params = source_sql(live_first, until, scope=scope, measures=measures)
        with connection.cursor() as cursor:
            cursor.execute(select, params)
            for day, _scope, dim, key, measure, *numbers in cursor.fetchall():
                if dim not in dims:
                    continue
                totals = Totals.of(numbers)
                groups[(dim, int(key), measure)].add(totals)
                if dim == "u":
                    daily[(_as_date(day), measure)] += totals.count
    return Rolled(dict(groups), dict(daily))
