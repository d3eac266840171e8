"""The public map of published petitions: consented, answered and located ones, at their commune's point."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from petitions.stats import MapPlace, public_map
from routing import services
from routing.models import Case, Role, Unit
from tests.conftest import Tree, make_staff
from tests.routing.test_geodata import place_units

URL = reverse("portal:portal-statistics")
with translation.override("en"):
    URL_EN = reverse("portal:portal-statistics")


def _answer(case: Case) -> None:
    officer = make_staff(case.unit)
    services.case_accept(case_id=case.pk, actor=officer)
    services.case_submit_response(case_id=case.pk, actor=officer, text="Đã xử lý xong.")
    services.case_approve(case_id=case.pk, actor=make_staff(case.unit, Role.LEADER))


def _near(unit: Unit, north: str, east: str) -> dict[str, Decimal]:
    """A point a few hundred metres from the commune's point: what a citizen would pick."""
    assert unit.latitude is not None and unit.longitude is not None
    return {"latitude": unit.latitude + Decimal(north), "longitude": unit.longitude + Decimal(east)}


def _map_data(response: Any) -> list[dict[str, Any]]:
    found = re.search(
        r'<script id="data-public-map" type="application/json">(.*?)</script>', response.content.decode()
    )
    assert found
    data: list[dict[str, Any]] = json.loads(found.group(1))
    return data


def _world(submit: Any, tree: Tree) -> list[dict[str, Decimal]]:
    """Two published petitions placed in Hoàn Kiếm, one in Bến Thành, and four that must not show."""
    place_units(tree.hanoi, tree.hcm, tree.hoan_kiem, tree.cua_nam, tree.ben_thanh)
    points = [
        _near(tree.hoan_kiem, "0.001234", "0.002345"),
        _near(tree.hoan_kiem, "-0.003456", "0.000987"),
        _near(tree.ben_thanh, "0.002121", "-0.001313"),
    ]
    for point, commune in zip(points, (tree.hoan_kiem, tree.hoan_kiem, tree.ben_thanh), strict=True):
        _answer(submit(commune=commune, consent_publish=True, **point).petition.case)
    # Answered and consented, but with no point: not on the map.
    _answer(submit(commune=tree.hoan_kiem, consent_publish=True).petition.case)
    # Answered with a point, without consent: not on the map.
    hidden = _near(tree.cua_nam, "0.004444", "0.005555")
    _answer(submit(commune=tree.cua_nam, **hidden).petition.case)
    # Consented with a point, not answered yet: not on the map.
    waiting = _near(tree.cua_nam, "-0.006666", "0.007777")
    submit(commune=tree.cua_nam, consent_publish=True, **waiting)
    return [*points, hidden, waiting]


def test_only_consented_answered_and_located_petitions_are_counted_at_their_commune(
    submit: Any, tree: Tree
) -> None:
    _world(submit, tree)
    for unit in (tree.hoan_kiem, tree.ben_thanh):
        unit.refresh_from_db()
    assert public_map() == [
        MapPlace(
            code="W00070",
            name="Phường Hoàn Kiếm",
            province="Thành phố Hà Nội",
            latitude=float(tree.hoan_kiem.latitude),  # type: ignore[arg-type]
            longitude=float(tree.hoan_kiem.longitude),  # type: ignore[arg-type]
            count=2,
        ),
        MapPlace(
            code="W26743",
            name="Phường Bến Thành",
            province="Thành phố Hồ Chí Minh",
            latitude=float(tree.ben_thanh.latitude),  # type: ignore[arg-type]
            longitude=float(tree.ben_thanh.longitude),  # type: ignore[arg-type]
            count=1,
        ),
    ]


def test_the_page_never_carries_a_petitions_own_point(client: Any, submit: Any, tree: Tree) -> None:
    points = _world(submit, tree)
    response = client.get(URL_EN)
    html = response.content.decode()
    assert [(p["code"], p["count"]) for p in _map_data(response)] == [("W00070", 2), ("W26743", 1)]
    assert _map_data(response)[0]["label"] == "Phường Hoàn Kiếm, Thành phố Hà Nội: 2 published petitions"
    assert set(_map_data(response)[0]) == {"code", "lat", "lon", "count", "label"}  # no title, no person
    for point in points:
        for value in (point["latitude"], point["longitude"]):
            # Neither the exact value nor its first four decimals (about 10 m) appear anywhere.
            assert str(value)[:-2] not in html, value
    assert "Phường Cửa Nam" not in html
    # The table alternative, for the keyboard and screen readers.
    assert re.search(
        r'<tr><th scope="row">Phường Hoàn Kiếm</th><td>Thành phố Hà Nội</td><td class="num">2</td></tr>', html
    )
    assert 'role="region" aria-label="Map of published petitions by commune' in html


def test_the_map_is_computed_once_for_both_languages(client: Any, submit: Any, tree: Tree) -> None:
    _world(submit, tree)
    cache.clear()
    with CaptureQueriesContext(connection) as first:
        public_map()
    assert len(first) == 1
    vietnamese = _map_data(client.get(URL))
    with CaptureQueriesContext(connection) as cached:
        public_map()
    assert len(cached) == 0
    english = _map_data(client.get(URL_EN))
    assert [(p["code"], p["lat"], p["lon"], p["count"]) for p in vietnamese] == [
        (p["code"], p["lat"], p["lon"], p["count"]) for p in english
    ]


def test_without_published_points_the_page_says_so_and_loads_no_map(client: Any, tree: Tree) -> None:
    with translation.override("en"):
        html = client.get(URL_EN).content.decode()
    assert "No published petition has a location yet." in html
    assert "data-public-map" not in html and "leaflet" not in html
