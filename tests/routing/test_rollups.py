"""Daily rollups (routing.rollups): equal to a recount from the cases, caught up from the events,
and read by the dashboard with the same counts as the live path."""

from __future__ import annotations

import datetime as dt
import itertools
from collections import defaultdict
from typing import Any
from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from config.jobs import JOBS
from routing import metrics
from routing.models import Case, DailyRollup, Level, MonthlyRollup, RollupState
from routing.rollups import (
    BOUNDS,
    HISTOGRAM_BUCKETS,
    _split_months,
    duration_bucket,
    histogram_percentile,
    month_end,
    rollups_catch_up,
    rollups_check,
    rollups_rebuild,
)
from tests.conftest import advance, at, shape

WEEK = (dt.date(2026, 11, 2), dt.date(2026, 11, 8))


def _recount() -> dict[tuple[Any, ...], tuple[int, ...]]:
    """Every rollup row, counted in Python from the cases (independently of the SQL)."""
    rows: dict[tuple[Any, ...], list[int]] = defaultdict(lambda: [0] * (5 + HISTOGRAM_BUCKETS))
    central = Case.objects.model._meta.apps.get_model("routing", "Unit").objects.get(level=Level.CENTRAL)
    for case in Case.objects.select_related("unit", "petition"):
        unit = case.unit
        province = (
            unit.parent_id
            if unit.level == Level.COMMUNE
            else unit.pk
            if unit.level == Level.PROVINCE
            else None
        )
        on_time = int(
            case.responded_at is not None
            and case.resolution_due_at is not None
            and case.responded_at <= case.resolution_due_at
        )
        facts = [
            (
                "received",
                case.submitted_at,
                int(case.responded_at is not None),
                on_time,
                case.rating,
                case.responded_at,
            )
        ]
        if case.triaged_at:
            facts.append(("triaged", case.triaged_at, 0, 0, None, case.triaged_at))
        if case.responded_at:
            facts.append(("responded", case.responded_at, 1, on_time, None, case.responded_at))
        for measure, when, answered, timely, rating, end in facts:
            day = timezone.localdate(when)
            keys = [(central.pk, "u", province or unit.pk), (central.pk, "c", case.category_id or 0)]
            if measure == "received":
                keys.append((central.pk, "p", case.petition.province_id or 0))
            if province is not None:
                keys += [(province, "u", unit.pk), (province, "c", case.category_id or 0)]
            for scope, dim, key in keys:
                row = rows[(day, scope, dim, key, measure)]
                row[0] += 1
                row[1] += answered
                row[2] += timely
                row[3] += rating is not None
                row[4] += rating or 0
                if end is not None:
                    row[5 + duration_bucket((end - case.submitted_at).total_seconds())] += 1
    return {key: tuple(values) for key, values in rows.items()}


def _stored() -> dict[tuple[Any, ...], tuple[int, ...]]:
    stored = {}
    for row in DailyRollup.objects.all():
        key = (row.day, row.scope_id, row.dim, row.key, row.measure)
        stored[key] = (row.count, row.answered, row.on_time, row.rated, row.rating_sum, *row.histogram())
    return stored


def test_buckets_are_log_spaced_and_the_estimate_lands_in_the_true_bucket():
    assert duration_bucket(0) == 0 and duration_bucket(59.9) == 0 and duration_bucket(60) == 1
    assert duration_bucket(120) == 4  # three buckets per doubling
    assert duration_bucket(10**12) == HISTOGRAM_BUCKETS - 1
    assert all(b / a == pytest.approx(2 ** (1 / 3)) for a, b in itertools.pairwise(BOUNDS))
    values = [3600.0 * h for h in (2, 6, 24, 24, 30, 96, 150)]
    histogram = [0] * HISTOGRAM_BUCKETS
    for value in values:
        histogram[duration_bucket(value)] += 1
    for fraction, exact in ((0.5, 24 * 3600.0), (0.9, metrics.percentile(values, 0.9))):
        estimate = histogram_percentile(histogram, fraction)
        assert estimate is not None and exact is not None
        assert duration_bucket(estimate) == duration_bucket(exact)
        assert estimate == pytest.approx(exact, rel=0.26)
    assert histogram_percentile([0] * HISTOGRAM_BUCKETS, 0.5) is None


def test_the_rollup_equals_a_recount_from_the_cases(week):
    rollups_rebuild()
    assert RollupState.objects.get().through == timezone.localdate() - dt.timedelta(days=1)
    assert _stored() == _recount()  # every case of the fixture is in the past
    assert rollups_check() == []


def test_a_case_filed_just_after_local_midnight_counts_on_its_local_day(submit):
    """Hà Nội is UTC+7: 00:30 there is 17:30 UTC the day before. SQLite keeps UTC text, so the
    day bounds must be turned into it (an aware bound compared as text lost these cases)."""
    early, late = submit().petition.case, submit().petition.case
    shape(early, submitted_at=at(3, 0).replace(minute=30), triaged_at=at(3, 1))
    shape(late, submitted_at=at(3, 23).replace(minute=30))
    rollups_rebuild()
    assert _stored() == _recount()
    received = DailyRollup.objects.filter(measure="received", dim="c").values_list("day", "count")
    assert set(received) == {(dt.date(2026, 11, 3), 2)}  # central's row and the province's


def test_the_dashboard_reads_the_rollup_with_the_same_counts_and_estimated_percentiles(week, tree):
    live = metrics.unit_performance(scope=tree.hanoi, since=WEEK[0], until=WEEK[1])
    rollups_rebuild()
    for scope in (tree.hanoi, tree.central):
        live = (
            metrics.unit_performance(scope=scope, since=WEEK[0], until=WEEK[1])
            if scope != tree.hanoi
            else live
        )
        with mock.patch.object(metrics, "_uses_rollups", return_value=None):
            live = metrics.unit_performance(scope=scope, since=WEEK[0], until=WEEK[1])
        rolled = metrics.unit_performance(scope=scope, since=WEEK[0], until=WEEK[1])
        assert rolled.estimated and not live.estimated
        _assert_same_numbers(rolled, live)


def _assert_same_numbers(rolled: metrics.Performance, live: metrics.Performance) -> None:
    assert rolled.daily == live.daily
    assert rolled.open_by_state_level == live.open_by_state_level
    pairs = [(rolled.total, live.total), *zip(rolled.units, live.units, strict=True)]
    pairs += zip(
        sorted(rolled.categories, key=lambda r: str(r.key)),
        sorted(live.categories, key=lambda r: str(r.key)),
        strict=True,
    )
    for a, b in pairs:
        assert (a.label, a.open, a.overdue, a.received, a.triaged, a.responded, a.on_time) == (
            b.label,
            b.open,
            b.overdue,
            b.received,
            b.triaged,
            b.responded,
            b.on_time,
        )
        for name in ("triage_p50", "triage_p90", "response_p50", "response_p90"):
            exact, estimate = getattr(b, name), getattr(a, name)
            assert (exact is None) == (estimate is None)
            if exact is not None:
                assert estimate == pytest.approx(exact, rel=0.26)


def test_a_period_s_whole_months_are_read_from_their_monthly_rows(week, tree):
    """20 October to today: the days of October and of this month from the daily rows, the
    whole month of November (the fixture's week) from its monthly rows."""
    rollups_rebuild()
    november = dt.date(2026, 11, 1)
    assert MonthlyRollup.objects.filter(month=november).exists()
    assert not MonthlyRollup.objects.filter(month=timezone.localdate().replace(day=1)).exists()  # not ended
    since, until = dt.date(2026, 10, 20), timezone.localdate()
    for scope in (tree.hanoi, tree.central):
        with mock.patch.object(metrics, "_uses_rollups", return_value=None):
            live = metrics.unit_performance(scope=scope, since=since, until=until)
        rolled = metrics.unit_performance(scope=scope, since=since, until=until)
        assert rolled.estimated and rolled.total.received == live.total.received > 0
        _assert_same_numbers(rolled, live)
    # The page reads November from its monthly rows: a wrong one shows (and the check finds it).
    MonthlyRollup.objects.filter(month=november, scope=tree.central, dim="u", measure="received").update(
        count=F("count") + 1
    )
    rows = MonthlyRollup.objects.filter(
        month=november, scope=tree.central, dim="u", measure="received"
    ).count()
    rolled = metrics.unit_performance(scope=tree.central, since=since, until=until)
    assert rolled.total.received == live.total.received + rows
    mismatches = rollups_check()
    assert len(mismatches) == rows and all(m.key[:2] == ("month", november) for m in mismatches)
    rollups_catch_up()  # an ended month is summed again when its days are: here, none changed
    rollups_rebuild(since=dt.date(2026, 11, 30))
    assert rollups_check() == []


def test_a_period_splits_into_days_whole_months_and_days_without_gaps_or_overlaps():
    def days(first: dt.date, last: dt.date) -> list[dt.date]:
        return [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]

    for first in days(dt.date(2025, 12, 20), dt.date(2026, 3, 3)):
        for last in days(first, dt.date(2026, 4, 2)):
            (h1, h2), (m1, m2), (t1, t2) = _split_months(first, last)
            covered = days(h1, h2) + days(t1, t2)
            for month in _months_from(m1, m2):
                covered += days(month, month_end(month))
            assert sorted(covered) == days(first, last), (first, last)


def _months_from(first: dt.date, last: dt.date) -> list[dt.date]:
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month_end(month) + dt.timedelta(days=1)
    return months


def test_a_commune_and_a_period_after_the_rollup_are_counted_live(week, tree):
    rollups_rebuild()
    assert not metrics.unit_performance(scope=tree.hoan_kiem, since=WEEK[0], until=WEEK[1]).estimated
    today = timezone.localdate()
    assert not metrics.unit_performance(scope=tree.hanoi, since=today, until=today).estimated


def test_the_rolled_dashboard_takes_a_fixed_number_of_queries(week, tree, django_assert_max_num_queries):
    rollups_rebuild()
    # children, subtree units, state, rollup groups, rollup per day, central unit, live days, open now, names
    for scope in (tree.hanoi, tree.central):
        with django_assert_max_num_queries(9):
            metrics.unit_performance(scope=scope, since=WEEK[0], until=timezone.localdate())
        with django_assert_max_num_queries(5):
            metrics.unit_summary(scope=scope, since=WEEK[0], until=timezone.localdate())


def test_check_finds_a_change_made_without_an_event_and_the_command_exits_non_zero(week):
    call_command("rollups", "--rebuild")
    call_command("rollups", "--check")
    responded = Case.objects.get(pk=week["A"].pk).responded_at
    Case.objects.filter(pk=week["A"].pk).update(responded_at=responded + dt.timedelta(days=1))
    with pytest.raises(CommandError) as failed:
        call_command("rollups", "--check")
    assert failed.value.returncode == 1
    call_command("rollups", "--rebuild", "--since", "2026-11-01")
    call_command("rollups", "--check")


def test_the_catch_up_rebuilds_the_past_days_that_events_touched(week, cast):
    rollups_catch_up()  # the first run rebuilds everything
    advance(week["C"], "responded", cast)  # submitted 3 November: its cohort is answered now
    assert rollups_check() != []
    report = rollups_catch_up()
    # Events of the last 15 minutes are read again (a transaction may have committed late): the fixture's too.
    assert report.events >= 3 and report.cases >= 1 and report.days >= 1 and not report.full_rebuild
    assert rollups_check() == []
    through = RollupState.objects.get().through
    assert _stored() == {key: value for key, value in _recount().items() if key[0] <= through}


def test_the_catch_up_is_a_periodic_job():
    assert JOBS["routing.rollups"] == "routing.rollups.rollups_job"
    from django.conf import settings

    assert any(entry["task"] == "routing.rollups" for entry in settings.CELERY_BEAT_SCHEDULE.values())
