"""Detection on the real search engine: the same petitions as the database, and the job's fallback.

The generated traffic of tests/alerts/conftest.py (nine weeks of background in Hà Nội and Hồ Chí
Minh, and the 40-petition ``ngập lụt`` flood burst) is written to the database and indexed; the
engine source must then read what the database source reads.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

import pytest

from alerts import detection, sources
from alerts.detection import Params, Range, Row, baseline_ranges, find_spikes
from alerts.models import Alert
from alerts.services import alerts_detect
from alerts.sources import DatabaseSource, EngineSource
from petitions.models import Category
from routing.models import Case, Level, Unit
from search.elastic import ElasticBackend
from search.monitoring import title_topics
from tests.alerts.conftest import NOW, START, Traffic
from tests.conftest import Tree

#: Topic words of the generated titles, and two that are only words of a title (``Dạy thêm học
#: thêm tràn lan``, ``Chưa nhận được lương hưu``): the database matches those, the engine does not.
TERMS = {"ngập lụt", "hư hỏng", "khu phố", "dạy thêm", "lương hưu"}


def index_all(backend: ElasticBackend) -> None:
    backend.index(list(Case.objects.values_list("pk", flat=True)))
    backend.refresh()


@pytest.fixture
def flooded(traffic: Traffic, tree: Tree, elastic: ElasticBackend) -> Traffic:
    """The background and a flood burst in Hà Noi, in the database and in the index."""
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    index_all(elastic)
    return traffic


def all_ranges() -> list[list[Range]]:
    """The windows detection asks about at ``NOW``, the whole nine weeks, and three ranges at once."""
    recent = [(NOW - dt.timedelta(hours=hours), NOW) for hours in (24, 72)]
    return [
        *([window] for window in recent),
        *(baseline_ranges(NOW, hours, 8) for hours in (24, 72)),
        [(START, NOW)],
        [
            (START, START + dt.timedelta(days=2)),
            (NOW - dt.timedelta(days=9), NOW - dt.timedelta(days=8)),
            recent[0],
        ],
    ]


def facts(row: Row) -> tuple[Any, ...]:
    return (row.pk, row.submitted_at, row.province_id, row.commune_id, row.category_id, row.title)


def asked_counts(tree: Tree) -> list[dict[str, set[int]]]:
    """Places and topics as detection asks for them: everything, one province, some communes."""
    communes = set(Unit.objects.filter(level=Level.COMMUNE).values_list("pk", flat=True))
    topics = set(Category.objects.values_list("pk", flat=True))
    flood = {Category.objects.get(code="environment").pk}
    return [
        {"provinces": {tree.hanoi.pk, tree.hcm.pk}, "communes": communes, "category_ids": topics},
        {"provinces": {tree.hanoi.pk}, "communes": set(), "category_ids": flood},
        {"provinces": set(), "communes": {tree.hoan_kiem.pk, tree.ben_thanh.pk}, "category_ids": topics},
    ]


def test_topic_counts_are_the_databases(flooded: Traffic, elastic: ElasticBackend, tree: Tree) -> None:
    engine, database = EngineSource(elastic), DatabaseSource()
    for ranges in all_ranges():
        for asked in asked_counts(tree):
            counts = engine.category_counts(ranges, **asked)
            assert counts == database.category_counts(ranges, **asked)
            places = asked["provinces"] | asked["communes"]
            assert all(place in places and topic in asked["category_ids"] for place, topic, _k in counts)
        everything = engine.category_counts(ranges, **asked_counts(tree)[0])
        assert everything and sum(
            n for (place, _t, _k), n in everything.items() if place in {tree.hanoi.pk, tree.hcm.pk}
        ) == sum(n for (place, _t, _k), n in everything.items() if place not in {tree.hanoi.pk, tree.hcm.pk})


def test_rows_are_the_databases_with_the_topic_words_of_their_titles(
    flooded: Traffic, elastic: ElasticBackend, tree: Tree, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sources, "ENGINE_PAGE", 150)  # several pages: nothing lost or read twice
    engine, database = EngineSource(elastic), DatabaseSource()
    for ranges in all_ranges():
        for province_ids in (None, {tree.hanoi.pk}, {tree.hcm.pk}, {tree.hanoi.pk, tree.hcm.pk}):
            found = engine.rows(ranges, province_ids=province_ids)
            expected = database.rows(ranges, province_ids=province_ids)
            assert found and sorted(map(facts, found)) == sorted(map(facts, expected))
            assert all(row.topics == title_topics(row.title) for row in found)
    # The whole nine weeks are many pages.
    assert len(engine.rows([(START, NOW)])) > 10 * sources.ENGINE_PAGE


def test_rows_with_a_word_are_the_database_rows_whose_title_carries_it(
    flooded: Traffic, elastic: ElasticBackend, tree: Tree
) -> None:
    engine, database = EngineSource(elastic), DatabaseSource()
    for ranges in all_ranges():
        for province_ids in (None, {tree.hanoi.pk}):
            found = engine.rows(ranges, province_ids=province_ids, terms=TERMS)
            superset = database.rows(ranges, province_ids=province_ids, terms=TERMS)
            carrying = [row for row in superset if title_topics(row.title) & TERMS]
            assert sorted(map(facts, found)) == sorted(map(facts, carrying))
            assert {facts(row) for row in found} <= {facts(row) for row in superset}
    nine_weeks = [(START, NOW)]
    found = engine.rows(nine_weeks, terms=TERMS)
    assert {"ngập lụt", "hư hỏng", "khu phố"} <= {term for row in found for term in row.topics or ()}
    # Words of a title that are no topic of it: the database's superset, which detection then checks.
    assert len(found) < len(database.rows(nine_weeks, terms=TERMS))
    assert engine.rows(nine_weeks, terms={"lương hưu", "dạy thêm"}) == []
    assert engine.rows(nine_weeks, province_ids=set()) == []


def test_the_engine_finds_the_databases_spike_without_segmenting_a_title(
    flooded: Traffic, elastic: ElasticBackend, monkeypatch: pytest.MonkeyPatch
) -> None:
    expected = find_spikes(DatabaseSource(), now=NOW, params=Params())

    def refuse(title: str) -> frozenset[str]:
        raise AssertionError(f"detection segmented {title!r}: the index has its words")

    monkeypatch.setattr(detection, "title_topics", refuse)
    found = find_spikes(EngineSource(elastic), now=NOW, params=Params())
    assert len(found) == 1 and found == expected


def test_places_are_read_from_the_database_once_per_source(
    flooded: Traffic, elastic: ElasticBackend, tree: Tree, django_assert_num_queries: Any
) -> None:
    engine = EngineSource(elastic)
    ranges = baseline_ranges(NOW, 72, 8)
    asked = asked_counts(tree)[1]
    with django_assert_num_queries(1):
        engine.category_counts(ranges, **asked)
        engine.rows(ranges, province_ids={tree.hanoi.pk}, terms=TERMS)
        engine.rows([(NOW - dt.timedelta(hours=72), NOW)])


def test_with_the_engine_configured_a_flood_burst_raises_exactly_one_alert_for_that_province_once(
    flooded: Traffic, tree: Tree, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.SEARCH_BACKEND == "engine"
    asked: list[str] = []
    monkeypatch.setattr(DatabaseSource, "rows", lambda *a, **k: asked.append("rows"))
    monkeypatch.setattr(DatabaseSource, "category_counts", lambda *a, **k: asked.append("counts"))

    report = alerts_detect(now=NOW)
    assert len(report.raised) == 1
    alert = Alert.objects.get()
    assert alert.place == tree.hanoi and alert.unit == tree.hanoi
    assert alert.observed >= 40 and alert.expected < 5 and alert.p_value < 1e-10
    assert "ngập lụt" in [alert.term, *alert.related]

    again = alerts_detect(now=NOW + dt.timedelta(hours=1))
    assert again.raised == [] and again.updated == []
    assert Alert.objects.count() == 1
    assert asked == []  # the database was never read for petitions


def test_with_the_engine_down_the_alert_is_raised_from_the_database_with_a_warning(
    search_engine_down: str, traffic: Traffic, tree: Tree, caplog: pytest.LogCaptureFixture
) -> None:
    traffic.burst(tree.hanoi, end=NOW - dt.timedelta(minutes=5))
    with caplog.at_level(logging.WARNING, logger="alerts.services"):
        report = alerts_detect(now=NOW)
    assert len(report.raised) == 1
    assert Alert.objects.get().place == tree.hanoi
    warnings = [r for r in caplog.records if r.name == "alerts.services" and r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "from the database" in warnings[0].getMessage()
