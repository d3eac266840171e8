"""Monitoring from the engine's aggregations against the database version on the same data.

Every number is compared with ``monitor_database`` on the hand-computed week of tests/conftest.py,
except the percentiles of response times: the engine estimates them (t-digest), where the database
interpolates between the two closest ranks (``percentile_cont``). On three or four values that can
differ a lot, so the week's percentiles are only checked to lie between the two closest ranks; on a
sample whose ranks fall on whole positions both agree exactly.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from petitions.models import Category, Petition
from routing.metrics import percentile
from routing.models import Case
from search.base import Scope, SearchUnavailable
from search.elastic import ElasticBackend
from search.monitoring import Monitoring, MonitorQuery, monitor, monitor_database
from tests.conftest import at, shape

WEEK = {"since": dt.date(2026, 11, 2), "until": dt.date(2026, 11, 8)}
H = 3600.0


def index_all(backend: ElasticBackend) -> None:
    backend.index(list(Case.objects.values_list("pk", flat=True)))
    backend.refresh()


def between_closest_ranks(value: float | None, values: list[float], fraction: float) -> bool:
    if not values:
        return value is None
    position = (len(values) - 1) * fraction
    low, high = values[math.floor(position)], values[math.ceil(position)]
    return value is not None and low - 1e-6 <= value <= high + 1e-6


def assert_same(elastic: Monitoring, database: Monitoring, query: MonitorQuery) -> None:
    """Equal numbers; percentiles between the two closest ranks of the durations (see the module docstring)."""
    assert elastic.volume_by_category == database.volume_by_category
    assert elastic.volume_by_place == database.volume_by_place
    assert elastic.volume_by_place_per_day == database.volume_by_place_per_day
    assert elastic.rising == database.rising
    assert elastic.satisfaction == database.satisfaction
    assert set(elastic.response_by_level) == set(database.response_by_level)
    for level, (count, p50, p90) in elastic.response_by_level.items():
        assert count == database.response_by_level[level][0]
        durations = sorted(
            (case.responded_at - case.submitted_at).total_seconds()
            for case in Case.objects.filter(unit__level=level, responded_at__isnull=False)
            if _in(case, query)
        )
        assert between_closest_ranks(p50, durations, 0.5), (level, p50, durations)
        assert between_closest_ranks(p90, durations, 0.9), (level, p90, durations)


def _in(case: Case, query: MonitorQuery) -> bool:
    start = at(query.since.day, 0)
    end = at(query.until.day, 0) + dt.timedelta(days=1)
    path = case.unit.path
    scope = query.scope
    in_scope = (scope.exact_path is None or path == scope.exact_path) and (
        scope.path_prefix is None or path.startswith(scope.path_prefix)
    )
    assert case.responded_at is not None
    return in_scope and start <= case.responded_at < end


@pytest.fixture
def rated_week(week: dict[str, Case], elastic: ElasticBackend) -> dict[str, Case]:
    """The week with ratings (A and D 4, B 1, G 2) and titles about two topics, indexed."""
    Case.objects.filter(pk__in=[week["A"].pk, week["D"].pk]).update(rating=4)
    Case.objects.filter(pk=week["B"].pk).update(rating=1)
    Case.objects.filter(pk=week["G"].pk).update(rating=2)
    flooding = {"A": "Ngập lụt đường Láng", "C": "Ngập lụt phố Huế", "E": "Ngập lụt sau mưa lớn"}
    for name, title in flooding.items():
        Petition.objects.filter(pk=week[name].petition_id).update(title=title)
    transport = Category.objects.get(code="transport")
    Petition.objects.filter(pk=week["F"].petition_id).update(category=transport)
    Case.objects.filter(pk=week["F"].pk).update(category=transport)  # the case keeps a copy
    index_all(elastic)
    return week


@pytest.mark.parametrize(
    ("scope", "places"),
    [
        ("hanoi", "commune"),
        ("hanoi", "province"),
        ("everything", "province"),
        ("hoan_kiem_officer", "commune"),
        ("cua_nam", "commune"),
        ("hcm", "commune"),
    ],
)
def test_same_numbers_as_the_database(
    rated_week: dict[str, Case], elastic: ElasticBackend, tree: Any, scope: str, places: str
) -> None:
    scopes = {
        "hanoi": Scope(path_prefix=tree.hanoi.path),
        "everything": Scope(path_prefix="/"),
        "hoan_kiem_officer": Scope(exact_path=tree.hoan_kiem.path),
        "cua_nam": Scope(path_prefix=tree.cua_nam.path),
        "hcm": Scope(path_prefix=tree.hcm.path),
    }
    query = MonitorQuery(scope=scopes[scope], places=places, **WEEK)
    assert_same(elastic.monitor(query), monitor_database(query), query)


def test_the_week_in_hanoi_by_hand(rated_week: dict[str, Case], elastic: ElasticBackend, tree: Any) -> None:
    environment = rated_week["A"].petition.category_id
    transport = Category.objects.get(code="transport").pk
    result = elastic.monitor(MonitorQuery(scope=Scope(path_prefix=tree.hanoi.path), places="commune", **WEEK))
    assert list(result.volume_by_category) == [dt.date(2026, 11, day) for day in range(2, 9)]
    assert result.volume_by_category[dt.date(2026, 11, 2)] == {environment: 2}  # A B
    assert result.volume_by_category[dt.date(2026, 11, 4)] == {transport: 1}  # F
    assert result.volume_by_category[dt.date(2026, 11, 6)] == {}
    assert result.volume_by_place == {"W00070": 5}  # all about Hoàn Kiếm; G (HCM) not counted
    assert result.rising[0] == ("ngập lụt", 3, 0)
    assert result.response_by_level["commune"][0] == 3 and result.response_by_level["province"] == (
        0,
        None,
        None,
    )
    assert result.satisfaction == {environment: (3, pytest.approx(3.0))}  # A 4, B 1, D 4; not G


def test_jurisdiction_is_in_the_query(
    rated_week: dict[str, Case], elastic: ElasticBackend, tree: Any
) -> None:
    officer = elastic.monitor(
        MonitorQuery(scope=Scope(exact_path=tree.hoan_kiem.path), places="commune", **WEEK)
    )
    assert sum(sum(day.values()) for day in officer.volume_by_category.values()) == 3  # A B C
    assert officer.volume_by_place == {"W00070": 3}
    assert officer.response_by_level["commune"][0] == 2  # A B, not D (Cửa Nam) nor G (Bến Thành)
    assert sum(rated for rated, _average in officer.satisfaction.values()) == 2

    nobody = elastic.monitor(MonitorQuery(scope=Scope(), **WEEK))
    assert nobody == monitor_database(MonitorQuery(scope=Scope(), **WEEK))
    assert nobody.volume_by_place == {} and nobody.rising == [] and nobody.satisfaction == {}
    assert (
        all(day == {} for day in nobody.volume_by_category.values()) and len(nobody.volume_by_category) == 7
    )
    assert all(value == (0, None, None) for value in nobody.response_by_level.values())


def test_monitor_uses_the_elasticsearch_backend(
    rated_week: dict[str, Case], tree: Any, monkeypatch: Any
) -> None:
    query = MonitorQuery(scope=Scope(path_prefix=tree.hanoi.path), **WEEK)
    monkeypatch.setattr("search.monitoring.monitor_database", lambda q: pytest.fail("database used"))
    assert monitor(query).volume_by_place == {"P01": 5}


def test_rising_topics_come_from_the_engine_and_agree_with_the_database(
    elastic: ElasticBackend, submit: Any, tree: Any
) -> None:
    """Segmented topic words through significant_terms: the same words, counts and order as the database."""
    previous = ["Rác thải ùn ứ ở chợ", "Rác thải chưa thu gom", "Đèn đường hỏng"]
    recent = [
        *["Ngập lụt nghiêm trọng sau mưa lớn"] * 3,
        "Đường ngập lụt, cống thoát nước tắc",
        *["Phòng khám hoạt động không phép"] * 3,  # two words of the same petitions: one topic
        "Rác thải ùn ứ",  # 1 now against 2 before: falling
        "Đèn đường hỏng",  # 1 against 1: not rising
    ]
    for day, titles in ((at(2, 10), previous), (at(9, 10), recent)):
        for title in titles:
            case = submit(title=title).petition.case
            shape(case, submitted_at=day)
    index_all(elastic)
    query = MonitorQuery(
        scope=Scope(path_prefix=tree.hanoi.path), since=dt.date(2026, 11, 9), until=dt.date(2026, 11, 15)
    )
    engine = elastic.monitor(query).rising
    assert engine == monitor_database(query).rising
    terms = [term for term, _now, _before in engine]
    assert terms[0] == "ngập lụt" and engine[0] == ("ngập lụt", 4, 0)
    assert len({"phòng khám", "hoạt động"} & set(terms)) == 1
    assert "rác thải" not in terms and "đèn đường" not in terms and "thoát nước" not in terms  # 1 < minimum 2


def test_percentiles_agree_on_whole_ranks(elastic: ElasticBackend, submit: Any, tree: Any) -> None:
    """41 responses of 1..41 hours: the median and 90th percentile fall on ranks 20 and 36 exactly."""
    for hours in range(1, 42):
        case = submit().petition.case
        shape(case, submitted_at=at(3), responded_at=at(3) + dt.timedelta(hours=hours))
    index_all(elastic)
    query = MonitorQuery(scope=Scope(path_prefix=tree.hanoi.path), **WEEK)
    count, p50, p90 = elastic.monitor(query).response_by_level["commune"]
    assert monitor_database(query).response_by_level["commune"] == (41, 21 * H, 37 * H)
    assert count == 41 and p50 == pytest.approx(21 * H, rel=0.02) and p90 == pytest.approx(37 * H, rel=0.02)
    assert percentile([float(h) for h in range(1, 42)], 0.9) == 37.0


def test_monitor_raises_unavailable_when_the_engine_is_down(search_engine_down: str, case: Case) -> None:
    with pytest.raises(SearchUnavailable):
        ElasticBackend().monitor(MonitorQuery(scope=Scope(path_prefix="/"), **WEEK))


def test_monitor_without_an_index_is_unavailable(elastic_url: str) -> None:
    with pytest.raises(SearchUnavailable):
        ElasticBackend().monitor(MonitorQuery(scope=Scope(path_prefix="/"), **WEEK))


def test_with_nothing_before_every_word_of_two_petitions_is_new_on_both_backends(
    elastic: ElasticBackend, submit: Any, tree: Any
) -> None:
    for title in ["Ngập lụt sau mưa lớn"] * 3 + ["Đèn đường hỏng"] * 2 + ["Rác thải ùn ứ"]:
        shape(submit(title=title).petition.case, submitted_at=at(9, 10))
    index_all(elastic)
    query = MonitorQuery(
        scope=Scope(path_prefix=tree.hanoi.path), since=dt.date(2026, 11, 9), until=dt.date(2026, 11, 15)
    )
    assert (
        elastic.monitor(query).rising
        == monitor_database(query).rising
        == [
            ("ngập lụt", 3, 0),
            ("đèn đường", 2, 0),
        ]
    )


def test_the_monitoring_maps_symbols_are_the_same_on_the_engine_and_in_the_database(
    rated_week: dict[str, Case], tree: Any, client: Any, cast: Any, settings: Any
) -> None:
    """The map of petitions per place (proportional symbols with their drill-down links) on both backends."""
    import json
    from decimal import Decimal

    from django.urls import reverse

    from routing.models import Unit

    Unit.objects.filter(pk=tree.hanoi.pk).update(latitude=Decimal("21.028"), longitude=Decimal("105.854"))
    Unit.objects.filter(pk=tree.hcm.pk).update(latitude=Decimal("10.776"), longitude=Decimal("106.701"))
    client.force_login(cast.central_leader)
    maps = {}
    for backend in ("engine", "database"):
        settings.SEARCH_BACKEND = backend
        page = client.get(reverse("backoffice:backoffice-monitoring"), {**WEEK, "period": "custom"})
        assert page.status_code == 200, backend
        maps[backend] = page.context["place_map"]
        shown = (
            page.content.decode()
            .split('id="data-place-map" type="application/json">')[1]
            .split("</script>")[0]
        )
        assert json.loads(shown) == maps[backend] and maps[backend], backend
    assert maps["engine"] == maps["database"]
    assert [place["code"] for place in maps["engine"]] == [tree.hanoi.code]  # G (HCM) came before the week
    assert all(place["links"] and place["count"] > 0 for place in maps["engine"])
