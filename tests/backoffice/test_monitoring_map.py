"""The monitoring page's map: proportional symbols at the places' points, from the tiles' own numbers."""

from __future__ import annotations

import json
import re
from typing import Any

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from tests.backoffice.test_monitoring_page import URL, URL_EN, WEEK
from tests.conftest import Cast, Tree
from tests.routing.test_geodata import place_units

PERIOD = "period=custom&since=2026-11-02&until=2026-11-08"


def _places(response: Any, name: str) -> list[dict[str, Any]]:
    found = re.search(
        rf'<script id="{name}" type="application/json">(.*?)</script>', response.content.decode()
    )
    assert found, name
    places: list[dict[str, Any]] = json.loads(found.group(1))
    return places


def _place_all(tree: Tree) -> None:
    place_units(tree.hanoi, tree.hcm, tree.hoan_kiem, tree.cua_nam, tree.ben_thanh)


def test_the_central_leader_sees_each_province_with_petitions_at_its_point(
    client, cast: Cast, week, tree: Tree
):
    _place_all(tree)
    tree.hanoi.refresh_from_db()
    client.force_login(cast.central_leader)
    response = client.get(URL_EN, WEEK)
    places = _places(response, "data-place-map")
    # Hồ Chí Minh had no petitions in the week: a tile with 0, no symbol.
    assert places == [
        {
            "code": "P01",
            "name": "Thành phố Hà Nội",
            "lat": float(tree.hanoi.latitude),
            "lon": float(tree.hanoi.longitude),
            "count": 6,
            "label": "Thành phố Hà Nội: 6 petitions",
            "links": [
                {"href": f"{URL_EN}?unit=P01&{PERIOD}", "text": "Public opinion in this place"},
                {
                    "href": reverse("backoffice:backoffice-unit-cases", args=["P01"])
                    + "?since=2026-11-02&until=2026-11-08",
                    "text": "Cases at this unit",
                },
            ],
        }
    ]
    html = response.content.decode()
    assert (
        'role="region" aria-label="Map of petitions per place; the list below has the same numbers and links"'
        in html
    )
    assert 'class="symbol-map" hidden' in html  # shown by its script only


def test_a_province_leader_sees_the_communes_of_the_province_only(client, cast: Cast, week, tree: Tree):
    _place_all(tree)
    tree.hoan_kiem.refresh_from_db()
    client.force_login(cast.province_leader)
    places = _places(client.get(URL, WEEK), "data-place-map")
    assert [(p["code"], p["count"], p["lat"], p["lon"]) for p in places] == [
        ("W00070", 5, float(tree.hoan_kiem.latitude), float(tree.hoan_kiem.longitude))
    ]
    monitoring, cases = (link["href"] for link in places[0]["links"])
    assert monitoring == f"{URL}?unit=W00070&{PERIOD}"
    assert client.get(monitoring).status_code == 200
    assert client.get(cases).status_code == 200


def test_the_symbols_follow_the_tiles_and_are_sized_by_the_page(client, cast: Cast, submit, tree: Tree):
    _place_all(tree)
    for _n in range(3):
        submit(commune=tree.cua_nam)
    submit(commune=tree.hoan_kiem)
    client.force_login(cast.province_leader)
    places = _places(client.get(URL), "data-place-map")
    # Most first; the script draws areas proportional to the counts.
    assert [(p["name"], p["count"]) for p in places] == [("Phường Cửa Nam", 3), ("Phường Hoàn Kiếm", 1)]


def test_without_points_there_is_no_map_and_the_tiles_stay(client, cast: Cast, week):
    client.force_login(cast.central_leader)
    html = client.get(URL, WEEK).content.decode()
    assert "data-place-map" not in html and "leaflet" not in html
    assert 'class="tile-name">Thành phố Hà Nội</span>' in html


def test_the_map_costs_no_query_of_its_own(client, cast: Cast, submit, tree: Tree):
    client.force_login(cast.central_leader)
    submit()
    with CaptureQueriesContext(connection) as unplaced:
        client.get(URL)
    _place_all(tree)
    submit(commune=tree.ben_thanh)
    with CaptureQueriesContext(connection) as placed:
        response = client.get(URL)
    assert len(_places(response, "data-place-map")) == 2
    assert len(placed) == len(unplaced)
