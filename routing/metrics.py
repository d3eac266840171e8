"""Response-time numbers for leaders: one unit's subtree, over a period, per unit and per topic.

Definitions (the same on the dashboard, the weekly report and their exports):

- *open*, *overdue*: the cases in the subtree now, whatever the period.
- *received*: cases submitted in the period.
- *time to triage*: from submission to acceptance, rejection or duplicate marking,
  for cases triaged in the period. An escalated case is triaged where it ends up,
  so the citizen's whole wait counts.
- *time to response*: from submission to the published response, for cases
  responded in the period. *On time*: responded by the resolution deadline in force
  (an extension moves it, a referral to an agency pauses it).
- percentiles interpolate linearly between ranks, like PostgreSQL's ``percentile_cont``;
  PostgreSQL computes them in the database, other databases (the embedded SQLite)
  in Python from the durations.

Rows are per child unit of the scope with its whole subtree rolled up (a province
row counts its communes' cases), plus the scope unit's own cases, so each level
sees the level below it the way the organisation reports weekly.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    ExpressionWrapper,
    F,
    FloatField,
    Func,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import Substr, TruncDate

from petitions.models import Category
from routing.models import OPEN_STATES, Case, CaseState, Level, Unit
from routing.reference import unit_table
from routing.units import unit_sort_key

QUANTILES = (0.5, 0.9)


class Seconds(Func):
    """``end - start`` in seconds, as a float, on PostgreSQL and SQLite."""

    output_field = FloatField()

    def __init__(self, end: str, start: str) -> None:
        super().__init__(F(end), F(start))

    def as_sql(self, compiler: Any, conn: Any, **extra: Any) -> Any:  # type: ignore[override]
        if conn.vendor == "postgresql":
            return super().as_sql(
                compiler, conn, template="EXTRACT(EPOCH FROM (%(expressions)s))", arg_joiner=" - "
            )
        return super().as_sql(
            compiler, conn, template="((julianday(%(expressions)s)) * 86400.0)", arg_joiner=") - julianday("
        )


class PercentileCont(Aggregate):
    """PostgreSQL's ordered-set aggregate ``percentile_cont(f) WITHIN GROUP (ORDER BY x)``."""

    function = "percentile_cont"
    output_field = FloatField()
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"

    def __init__(self, expression: Any, fraction: float, **extra: Any) -> None:
        if not 0 <= fraction <= 1:
            raise ValueError("fraction must be within [0, 1]")
        super().__init__(expression, fraction=float(fraction), **extra)


def percentile(sorted_values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks (``percentile_cont``)."""
    if not sorted_values:
        return None
    position = (len(sorted_values) - 1) * fraction
    low = math.floor(position)
    high = math.ceil(position)
    if low == high:
        return float(sorted_values[low])
    return float(sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (position - low))


@dataclass
class Row:
    """One line of a dashboard table; durations in seconds."""

    key: Any
    label: str = ""
    unit: Unit | None = None
    is_own: bool = False
    open: int = 0
    overdue: int = 0
    received: int = 0
    triaged: int = 0
    triage_p50: float | None = None
    triage_p90: float | None = None
    responded: int = 0
    on_time: int = 0
    response_p50: float | None = None
    response_p90: float | None = None
    #: The percentiles come from the rollups' histograms (``routing.rollups``): estimates.
    estimated: bool = False

    @property
    def is_idle(self) -> bool:
        """Nothing open, received, triaged or responded: a row the dashboard folds away."""
        return not (self.open or self.received or self.triaged or self.responded)

    @property
    def on_time_rate(self) -> float | None:
        return self.on_time / self.responded if self.responded else None


@dataclass
class Performance:
    scope: Unit
    since: dt.date
    until: dt.date  # inclusive
    total: Row
    units: list[Row]
    categories: list[Row]
    open_by_state_level: dict[str, dict[str, int]] = field(default_factory=dict)
    daily: list[tuple[dt.date, int, int]] = field(default_factory=list)  # (day, received, responded)
    #: Past days were read from the daily rollups: counts exact, percentiles estimated.
    estimated: bool = False


def subtree_cases(scope: Unit) -> QuerySet[Case]:
    """Every case handled in ``scope`` or below, unordered (grouped queries must not order by a column).

    The subtree's unit ids are read first (a province has a few hundred units): a
    ``LIKE 'P01%'`` join on the unit's path leaves PostgreSQL guessing how many cases
    match, and at a million cases it guessed a province's 200,000 as a handful.
    """
    if scope.level == Level.CENTRAL:
        return Case.objects.order_by()
    units = unit_table().by_id.values()  # held in the process (routing.reference): no query
    unit_ids = [unit.pk for unit in units if unit.path.startswith(scope.path)]
    return Case.objects.filter(unit_id__in=unit_ids).order_by()


def _children(scope: Unit) -> list[Unit]:
    """The units right below ``scope``, by name (the process's copy of the units: read-only)."""
    units = [unit for unit in unit_table().by_id.values() if unit.parent_id == scope.pk]
    return sorted(units, key=lambda unit: unit_sort_key(unit.name))


def day_bounds(since: dt.date, until: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local-time day bounds ``[since 00:00, until+1 00:00)``, aware."""
    from django.utils import timezone

    zone = timezone.get_current_timezone()
    start = dt.datetime.combine(since, dt.time.min, tzinfo=zone)
    end = dt.datetime.combine(until + dt.timedelta(days=1), dt.time.min, tzinfo=zone)
    return start, end


def _unit_bucket(scope: Unit, children: Sequence[Unit]) -> Any:
    """An expression naming the child of ``scope`` a case's unit lies under (or the scope itself).

    Codes of one level have one width (``P01``, ``W00070``), so the child's path is a
    fixed-length prefix of the case unit's path; the scope's own cases yield its path.
    """
    widths = {len(child.path) for child in children}
    if len(widths) > 1:  # pragma: no cover - the unit loader gives every level one code width
        raise ValueError(f"children of {scope.code} have paths of different lengths")
    width = widths.pop() if widths else len(scope.path)
    return Substr("unit__path", 1, width)


def _durations(
    cases: QuerySet[Case], key: Any, end_field: str, start: dt.datetime, end: dt.datetime, on_time: Q | None
) -> dict[Any, tuple[int, float | None, float | None, int]]:
    """Per group: (count, p50, p90, on time) of ``end_field - submitted_at`` for cases ending in range."""
    grouped = cases.filter(**{f"{end_field}__gte": start, f"{end_field}__lt": end}).annotate(g=key)
    seconds = Seconds(end_field, "submitted_at")
    if connection.vendor == "postgresql":
        rows = grouped.values("g").annotate(
            n=Count("pk"),
            p50=PercentileCont(seconds, 0.5),
            p90=PercentileCont(seconds, 0.9),
            ok=Count("pk", filter=on_time) if on_time is not None else Value(0),
        )
        return {r["g"]: (r["n"], r["p50"], r["p90"], r["ok"]) for r in rows}
    # No ordered-set aggregates: fetch the durations (one float per case) and rank them here.
    flag = ExpressionWrapper(on_time if on_time is not None else Q(pk__in=[]), output_field=BooleanField())
    samples: dict[Any, list[float]] = defaultdict(list)
    ok: dict[Any, int] = defaultdict(int)
    for g, value, is_ok in grouped.annotate(s=seconds, ok=flag).values_list("g", "s", "ok"):
        samples[g].append(max(0.0, round(float(value), 3)))
        ok[g] += bool(is_ok)
    result = {}
    for g, values in samples.items():
        values.sort()
        result[g] = (len(values), percentile(values, 0.5), percentile(values, 0.9), ok[g])
    return result


ON_TIME = Q(responded_at__lte=F("resolution_due_at"))


def _rows(cases: QuerySet[Case], key: Any, start: dt.datetime, end: dt.datetime) -> dict[Any, Row]:
    """Every number of one table, grouped by ``key`` (an expression), in three queries.

    Each query reads only the cases it counts: open ones or those received in the
    period, triaged in it, responded in it (never a subtree's whole history).
    """
    counts = (
        cases.filter(Q(state__in=OPEN_STATES) | Q(submitted_at__gte=start, submitted_at__lt=end))
        .annotate(g=key)
        .values("g")
        .annotate(
            open=Count("pk", filter=Q(state__in=OPEN_STATES)),
            overdue=Count("pk", filter=Q(state__in=OPEN_STATES, is_overdue=True)),
            received=Count("pk", filter=Q(submitted_at__gte=start, submitted_at__lt=end)),
        )
    )
    rows: dict[Any, Row] = {}
    for r in counts:
        rows[r["g"]] = Row(key=r["g"], open=r["open"], overdue=r["overdue"], received=r["received"])
    for g, (n, p50, p90, _ok) in _durations(cases, key, "triaged_at", start, end, None).items():
        row = rows.setdefault(g, Row(key=g))
        row.triaged, row.triage_p50, row.triage_p90 = n, p50, p90
    for g, (n, p50, p90, ok) in _durations(cases, key, "responded_at", start, end, ON_TIME).items():
        row = rows.setdefault(g, Row(key=g))
        row.responded, row.response_p50, row.response_p90, row.on_time = n, p50, p90, ok
    return rows


def _rows_in_one_pass(
    cases: QuerySet[Case], bucket: Any, start: dt.datetime, end: dt.datetime
) -> tuple[Row | None, dict[Any, Row], dict[Any, Row]]:
    """The total, per-unit and per-topic tables of ``_rows`` in one query (PostgreSQL).

    ``GROUPING SETS ((unit bucket), (category), ())`` over the cases that are open or were
    submitted, triaged or responded in the period, each read once: the same numbers as
    three ``_rows`` calls (nine queries), which read the subtree's cases nine times.
    """
    in_range = {
        f: Q(**{f"{f}__gte": start, f"{f}__lt": end}) for f in ("submitted_at", "triaged_at", "responded_at")
    }
    relevant = cases.filter(
        Q(state__in=OPEN_STATES)
        | in_range["submitted_at"]
        | in_range["triaged_at"]
        | in_range["responded_at"]
    )
    base_sql, base_params = (
        relevant.annotate(bucket=bucket)
        .values(
            "state",
            "is_overdue",
            "submitted_at",
            "triaged_at",
            "responded_at",
            "resolution_due_at",
            "category_id",
            "bucket",
        )
        .query.sql_with_params()
    )
    triaged = "b.triaged_at >= %s AND b.triaged_at < %s"
    responded = "b.responded_at >= %s AND b.responded_at < %s"
    triage_seconds = "EXTRACT(EPOCH FROM (b.triaged_at - b.submitted_at))"
    response_seconds = "EXTRACT(EPOCH FROM (b.responded_at - b.submitted_at))"
    open_states = ", ".join(["%s"] * len(OPEN_STATES))
    # Only fixed SQL and the subquery Django compiled: every value is a parameter.
    sql = f"""
        SELECT GROUPING(b.bucket), GROUPING(b.category_id), b.bucket, b.category_id,
            COUNT(*) FILTER (WHERE b.state IN ({open_states})),
            COUNT(*) FILTER (WHERE b.state IN ({open_states}) AND b.is_overdue),
            COUNT(*) FILTER (WHERE b.submitted_at >= %s AND b.submitted_at < %s),
            COUNT(*) FILTER (WHERE {triaged}),
            percentile_cont(0.5) WITHIN GROUP (ORDER BY {triage_seconds}) FILTER (WHERE {triaged}),
            percentile_cont(0.9) WITHIN GROUP (ORDER BY {triage_seconds}) FILTER (WHERE {triaged}),
            COUNT(*) FILTER (WHERE {responded}),
            percentile_cont(0.5) WITHIN GROUP (ORDER BY {response_seconds}) FILTER (WHERE {responded}),
            percentile_cont(0.9) WITHIN GROUP (ORDER BY {response_seconds}) FILTER (WHERE {responded}),
            COUNT(*) FILTER (WHERE {responded} AND b.responded_at <= b.resolution_due_at)
        FROM ({base_sql}) AS b
        GROUP BY GROUPING SETS ((b.bucket), (b.category_id), ())
    """  # noqa: S608
    # Placeholders in the order they appear: the open states twice, then received (one range),
    # triaged (three), responded (four); the subquery's own parameters come last.
    params: list[Any] = [*OPEN_STATES, *OPEN_STATES, *([start, end] * 8)]
    total: Row | None = None
    by_unit: dict[Any, Row] = {}
    by_category: dict[Any, Row] = {}
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *base_params])
        for no_bucket, no_category, key_bucket, key_category, *numbers in cursor.fetchall():
            open_, overdue, received, n_triaged, t50, t90, n_responded, r50, r90, on_time = numbers
            row = Row(
                key=None,
                open=open_,
                overdue=overdue,
                received=received,
                triaged=n_triaged,
                triage_p50=t50,
                triage_p90=t90,
                responded=n_responded,
                response_p50=r50,
                response_p90=r90,
                on_time=on_time,
            )
            if no_bucket and no_category:
                row.key = "all"
                total = row
            elif not no_bucket:
                row.key = key_bucket
                by_unit[key_bucket] = row
            else:
                row.key = key_category
                by_category[key_category] = row
    return total, by_unit, by_category


def _slowest_first(rows: Iterable[Row]) -> list[Row]:
    """Slowest first: units with missed deadlines and no response at all in the period, then by
    median time to response, then the rest by what they have overdue and open."""

    def order(row: Row) -> tuple[int, float, int, int, Any]:
        if row.response_p50 is None and row.overdue:
            group = 0
        elif row.response_p50 is not None:
            group = 1
        else:
            group = 2
        return (group, -(row.response_p50 or 0.0), -row.overdue, -row.open, unit_sort_key(row.label))

    return sorted(rows, key=order)


def _per_day(cases: QuerySet[Case], field: str, start: dt.datetime, end: dt.datetime) -> dict[dt.date, int]:
    """How many cases have ``field`` on each local day of the range."""
    return dict(
        cases.filter(**{f"{field}__gte": start, f"{field}__lt": end})
        .annotate(day=TruncDate(field))
        .values("day")
        .annotate(n=Count("pk"))
        .values_list("day", "n")
    )


def _uses_rollups(scope: Unit, since: dt.date) -> dt.date | None:
    """The day the rollups are complete through, when this page reads them; else None (live).

    A commune's few cases are counted live (its subtree is one indexed unit), and so is a
    period that starts after the last rolled-up day.
    """
    if scope.level == Level.COMMUNE:
        return None
    from routing.rollups import rollup_through

    through = rollup_through()
    return through if through is not None and since <= through else None


def _rolled_tables(
    scope: Unit,
    children: Sequence[Unit],
    since: dt.date,
    until: dt.date,
    through: dt.date,
    *,
    with_daily: bool,
    with_categories: bool = True,
) -> tuple[Row, dict[Any, Row], dict[Any, Row], dict[str, dict[str, int]], list[tuple[dt.date, int, int]]]:
    """``unit_performance``'s tables from the daily rollups (past days) and the cases (the days
    after ``through``, and what is open now): the same counts as the live path; percentiles
    from the histograms."""
    from routing.rollups import Totals, rollup_totals

    rolled = rollup_totals(
        scope=scope,
        since=since,
        until=until,
        through=through,
        dims=("u", "c") if with_categories else ("u",),
        with_daily=with_daily,
    )
    paths = {unit.pk: unit.path for unit in [scope, *children]}
    by_unit: dict[Any, Row] = {}
    by_category: dict[Any, Row] = {}
    sums: dict[str, Totals] = {measure: Totals() for measure in ("received", "triaged", "responded")}

    def row_of(table: dict[Any, Row], key: Any) -> Row:
        return table.setdefault(key, Row(key=key, estimated=True))

    for (dim, key, measure), totals in rolled.groups.items():
        if dim == "u":
            row = row_of(by_unit, paths.get(key, key))
            sums[measure].add(totals)
        else:
            row = row_of(by_category, key or None)
        _fill(row, measure, totals)
    total = Row(key="all", estimated=True)
    for measure, totals in sums.items():
        _fill(total, measure, totals)

    open_by: dict[str, dict[str, int]] = {state: {} for state in OPEN_STATES}
    for kind, key, state, level, overdue, n in _open_now(scope):
        if kind == "s":
            open_by[state][level] = n
            continue
        row = row_of(by_unit, paths.get(key, key)) if kind == "u" else row_of(by_category, key)
        for counted in (row, total) if kind == "u" else (row,):
            counted.open += n
            counted.overdue += n if overdue else 0
    daily: list[tuple[dt.date, int, int]] = []
    if with_daily:
        day = since
        while day <= until:
            daily.append(
                (day, rolled.daily.get((day, "received"), 0), rolled.daily.get((day, "responded"), 0))
            )
            day += dt.timedelta(days=1)
    return total, by_unit, by_category, open_by, daily


def _open_now(scope: Unit) -> list[tuple[Any, ...]]:
    """The open cases of ``scope``'s subtree now, in three groupings: ``("u", unit, None, None,
    overdue, n)`` per child unit they lie under (or the scope's own unit), ``("c", topic, None,
    None, overdue, n)`` and ``("s", None, state, unit level, None, n)``.

    The cases are grouped first, from ``case_open_counts_idx`` alone (an index-only scan: 134,000
    open of a million in about 25 ms once the table is vacuumed); only those groups are joined to
    their units and summed three ways, so a page reads a few hundred rows, not one per case
    group (joining every open case first took three times as long).
    """
    grouped, params = (
        subtree_cases(scope)
        .filter(state__in=OPEN_STATES)
        .values("unit_id", "category_id", "state", "is_overdue")
        .annotate(n=Count("*"))
        .order_by()
        .query.sql_with_params()
    )
    q = connection.ops.quote_name
    # The province a case lies under for central (or the central unit's own), else its unit.
    central = scope.level == Level.CENTRAL
    bucket = "CASE WHEN u.level = %s THEN u.parent_id ELSE g.unit_id END" if central else "g.unit_id"
    no_id, no_text, no_flag = "CAST(NULL AS BIGINT)", "CAST(NULL AS VARCHAR(32))", "CAST(NULL AS BOOLEAN)"
    # Fixed SQL and the grouped query Django compiled: every value is a parameter.
    sql = f"""
        WITH g AS ({grouped}),
        j AS (
            SELECT {bucket} AS b, g.category_id AS category_id, g.state AS state, u.level AS level,
                   g.is_overdue AS is_overdue, g.n AS n
            FROM g JOIN {q(Unit._meta.db_table)} u ON u.id = g.unit_id
        )
        SELECT 'u', b, {no_text}, {no_text}, is_overdue, SUM(n) FROM j GROUP BY b, is_overdue
        UNION ALL
        SELECT 'c', category_id, {no_text}, {no_text}, is_overdue, SUM(n) FROM j GROUP BY category_id, is_overdue
        UNION ALL
        SELECT 's', {no_id}, state, level, {no_flag}, SUM(n) FROM j GROUP BY state, level
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *([Level.COMMUNE.value] if central else [])])
        return [(*row[:5], int(row[5])) for row in cursor.fetchall()]


def _fill(row: Row, measure: str, totals: Any) -> None:
    if measure == "received":
        row.received += totals.count
    elif measure == "triaged":
        row.triaged = totals.count
        row.triage_p50, row.triage_p90 = totals.percentile(0.5), totals.percentile(0.9)
    else:
        row.responded, row.on_time = totals.count, totals.on_time
        row.response_p50, row.response_p90 = totals.percentile(0.5), totals.percentile(0.9)


def unit_performance(*, scope: Unit, since: dt.date, until: dt.date, with_daily: bool = True) -> Performance:
    """Every dashboard number for ``scope`` and its subtree over ``[since, until]`` (local dates).

    Past days come from the daily rollups once they exist (``routing.rollups``): five queries
    whatever the number of cases; before that, or for a commune, everything is counted live.
    """
    start, end = day_bounds(since, until)
    cases = subtree_cases(scope)
    children = _children(scope)

    through = _uses_rollups(scope, since)
    daily: list[tuple[dt.date, int, int]] = []
    if through is not None:
        total, by_unit, by_category, open_by, daily = _rolled_tables(
            scope, children, since, until, through, with_daily=with_daily
        )
    else:
        bucket = _unit_bucket(scope, children)
        if connection.vendor == "postgresql":
            found_total, by_unit, by_category = _rows_in_one_pass(cases, bucket, start, end)
            total = found_total or Row(key="all")
        else:
            total = _rows(cases, Value("all"), start, end).get("all") or Row(key="all")
            by_unit = _rows(cases, bucket, start, end)
            by_category = _rows(cases, F("category_id"), start, end)
        open_by = _open_by_state_level(cases)
        if with_daily:
            received = _per_day(cases, "submitted_at", start, end)
            responded = _per_day(cases, "responded_at", start, end)
            day = since
            while day <= until:
                daily.append((day, received.get(day, 0), responded.get(day, 0)))
                day += dt.timedelta(days=1)
    total.label = scope.name
    total.unit = scope

    unit_rows = []
    for child in children:
        row = by_unit.get(child.path) or Row(key=child.path, estimated=through is not None)
        row.label, row.unit = child.name, child
        if child.is_active or row.open or row.received or row.responded:
            unit_rows.append(row)
    own = by_unit.get(scope.path) or Row(key=scope.path, estimated=through is not None)
    own.label, own.unit, own.is_own = scope.name, scope, True

    # In the reader's language (``Category.display_name``), as the monitoring page names them.
    names = {
        c.pk: c.display_name
        for c in Category.objects.filter(pk__in=[pk for pk in by_category if pk is not None]).only(
            "name", "name_en"
        )
    }
    category_rows = []
    for pk, row in by_category.items():
        row.label = names.get(pk, "")
        category_rows.append(row)

    return Performance(
        scope=scope,
        since=since,
        until=until,
        total=total,
        units=[own, *_slowest_first(unit_rows)] if scope.level != Level.COMMUNE else [own],
        categories=_slowest_first(category_rows),
        open_by_state_level=open_by,
        daily=daily,
        estimated=through is not None,
    )


def unit_summary(*, scope: Unit, since: dt.date, until: dt.date) -> Performance:
    """Only the headline numbers of ``unit_performance``: the total row and open cases by state and level.

    For the dashboard's live refresh; the per-unit and per-topic tables (and the charts) stay
    as the page was loaded.
    """
    through = _uses_rollups(scope, since)
    if through is not None:
        total, _units, _categories, open_by, _daily = _rolled_tables(
            scope, [], since, until, through, with_daily=False, with_categories=False
        )
    else:
        start, end = day_bounds(since, until)
        cases = subtree_cases(scope)
        total = _rows(cases, Value("all"), start, end).get("all") or Row(key="all")
        open_by = _open_by_state_level(cases)
    total.label, total.unit = scope.name, scope
    return Performance(
        scope=scope,
        since=since,
        until=until,
        total=total,
        units=[],
        categories=[],
        open_by_state_level=open_by,
        estimated=through is not None,
    )


def _open_by_state_level(cases: QuerySet[Case]) -> dict[str, dict[str, int]]:
    open_by: dict[str, dict[str, int]] = {state: {} for state in OPEN_STATES}
    for r in cases.filter(state__in=OPEN_STATES).values("state", "unit__level").annotate(n=Count("pk")):
        open_by[r["state"]][r["unit__level"]] = r["n"]
    return open_by


OPEN_STATE_ORDER = [s for s in CaseState if s in OPEN_STATES]
