"""Dashboard numbers against a hand-computed fixture (the same on SQLite and PostgreSQL)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection

from routing.metrics import percentile, unit_performance
from routing.models import CaseState
from tests.conftest import at, shape

H = 3600.0


def test_percentiles_interpolate_between_ranks_like_percentile_cont():
    assert percentile([], 0.5) is None
    assert percentile([7.0], 0.9) == 7.0
    assert percentile([2.0, 6.0, 24.0], 0.5) == 6.0
    assert percentile([2.0, 6.0, 24.0], 0.9) == pytest.approx(20.4)
    assert percentile([2.0, 6.0, 24.0, 24.0], 0.5) == pytest.approx(15.0)


def test_province_totals_match_the_hand_computed_week(week, tree):
    perf = unit_performance(scope=tree.hanoi, since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 8))
    total = perf.total
    assert (total.open, total.overdue, total.received) == (4, 1, 5)  # B C E F open; A B C E F received
    assert total.triaged == 4  # A B C D (D submitted before the week, triaged in it)
    assert total.triage_p50 == pytest.approx(15 * H)  # [2, 6, 24, 24] h
    assert total.triage_p90 == pytest.approx(24 * H)
    assert (total.responded, total.on_time) == (3, 2)  # A, D on time; B late
    assert total.on_time_rate == pytest.approx(2 / 3)
    assert total.response_p50 == pytest.approx(96 * H)  # [48, 96, 144] h
    assert total.response_p90 == pytest.approx(134.4 * H)


def test_units_roll_up_with_the_slowest_first_and_the_province_own_cases_on_top(week, tree):
    perf = unit_performance(scope=tree.hanoi, since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 8))
    own, slowest, faster = perf.units
    assert own.unit == tree.hanoi and own.is_own
    assert (own.open, own.received, own.responded) == (1, 1, 0)
    assert slowest.unit == tree.cua_nam  # median response 144 h
    assert (slowest.open, slowest.received, slowest.responded, slowest.on_time) == (1, 1, 1, 1)
    assert slowest.response_p50 == pytest.approx(144 * H)
    assert slowest.triage_p50 == pytest.approx(24 * H)
    assert faster.unit == tree.hoan_kiem
    assert (faster.open, faster.overdue, faster.received) == (2, 1, 3)
    assert faster.triage_p50 == pytest.approx(6 * H)  # [2, 6, 24] h
    assert faster.triage_p90 == pytest.approx(20.4 * H)
    assert faster.response_p50 == pytest.approx(72 * H)  # [48, 96] h
    assert faster.response_p90 == pytest.approx(91.2 * H)
    assert faster.on_time_rate == pytest.approx(0.5)


def test_central_sees_provinces_rolled_up_and_each_province_alone_is_consistent(week, tree):
    perf = unit_performance(scope=tree.central, since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 8))
    rows = {row.unit.code: row for row in perf.units}
    assert rows["P01"].received == 5 and rows["P01"].responded == 3 and rows["P01"].on_time == 2
    assert rows["P79"].responded == 1 and rows["P79"].response_p50 == pytest.approx(24 * H)
    assert rows["TW"].is_own and rows["TW"].open == 0
    assert perf.total.responded == 4 and perf.total.on_time == 3
    assert perf.total.response_p50 == pytest.approx(72 * H)  # [24, 48, 96, 144] h


def test_categories_and_open_states_by_level(week, tree, category):
    perf = unit_performance(scope=tree.hanoi, since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 8))
    [topic] = perf.categories
    assert topic.key == category.pk and topic.responded == 3 and topic.received == 5
    assert perf.open_by_state_level[CaseState.SUBMITTED] == {"commune": 1, "province": 1}
    assert perf.open_by_state_level[CaseState.IN_PROGRESS] == {"commune": 1}
    assert perf.open_by_state_level[CaseState.RESPONDED] == {"commune": 1}
    assert topic.label == category.name  # Vietnamese first


def test_topics_are_named_in_the_readers_language(week, tree, category):
    from django.utils import translation

    with translation.override("en"):
        [topic] = unit_performance(
            scope=tree.hanoi, since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 8)
        ).categories
    assert topic.label == category.name_en != category.name


def test_daily_volume_counts_received_and_responded_per_local_day(week, tree):
    perf = unit_performance(scope=tree.hanoi, since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 8))
    by_day = {day.day: (received, responded) for day, received, responded in perf.daily}
    assert len(perf.daily) == 7
    assert by_day == {2: (2, 0), 3: (1, 0), 4: (1, 1), 5: (1, 0), 6: (0, 1), 7: (0, 1), 8: (0, 0)}


def test_a_commune_leader_sees_only_their_commune(week, tree):
    perf = unit_performance(scope=tree.cua_nam, since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 8))
    assert [row.unit for row in perf.units] == [tree.cua_nam]
    assert perf.total.received == 1 and perf.total.responded == 1


def test_an_empty_period_has_no_rates_or_durations(week, tree):
    perf = unit_performance(scope=tree.hanoi, since=dt.date(2026, 10, 1), until=dt.date(2026, 10, 7))
    assert perf.total.received == 0 and perf.total.responded == 0
    assert perf.total.on_time_rate is None and perf.total.response_p50 is None
    assert perf.total.open == 4  # open counts are as of now


def test_the_numbers_never_join_the_petitions_nor_read_closed_history(
    week, tree, django_assert_max_num_queries
):
    # The petitions table holds the texts (the largest table): topics come from the case itself.
    with django_assert_max_num_queries(20) as captured:
        unit_performance(scope=tree.hanoi, since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 8))
    sqls = [query["sql"] for query in captured.captured_queries]
    assert not [sql for sql in sqls if "petitions_petition" in sql]
    if connection.vendor == "postgresql":
        # The total, unit and topic tables in one pass (GROUPING SETS), not nine queries.
        assert sum("GROUPING SETS" in sql for sql in sqls) == 1 and len(sqls) <= 7
    # Counts read open cases or the period's; durations only the period's.
    grouped = [sql for sql in sqls if "GROUP BY" in sql and '"routing_case"' in sql]
    assert grouped
    filters = ('"state" IN', '"submitted_at" >=', '"triaged_at" >=', '"responded_at" >=')
    assert all(any(where in sql.split("WHERE", 1)[-1] for where in filters) for sql in grouped)


def test_a_topic_with_only_old_closed_cases_gets_no_row(week, tree, submit, cast, db):
    from petitions.models import Category

    old_topic = Category.objects.create(code="cu", name="Chủ đề cũ", name_en="Old topic")
    old = submit(category=old_topic).petition.case
    long_ago = at(2) - dt.timedelta(days=300)
    shape(old, state=CaseState.CLOSED, submitted_at=long_ago, closed_at=long_ago, due_at=None)
    perf = unit_performance(scope=tree.hanoi, since=dt.date(2026, 11, 2), until=dt.date(2026, 11, 8))
    assert old_topic.pk not in {row.key for row in perf.categories}
    assert perf.total.received == 5


def test_a_case_carries_its_petitions_category(submit):
    case = submit().petition.case
    case.refresh_from_db()
    assert case.category_id == case.petition.category_id
