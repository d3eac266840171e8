"""The case desk's open cases near the case's point (to spot duplicates), and their selector."""

from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import translation

from routing import services
from routing.geodata import EARTH_RADIUS_KM, distance_km, gazetteer
from routing.models import Case, Level
from routing.selectors import NEARBY_LIMIT, cases_nearby

HOAN_KIEM = gazetteer().commune(1, "Phường Hoàn Kiếm")
assert HOAN_KIEM is not None


def _at(north_m: float = 0.0, east_m: float = 0.0) -> dict[str, Decimal]:
    """A point ``north_m`` metres north and ``east_m`` east of Hoàn Kiếm's centre."""
    lat = float(HOAN_KIEM.latitude) + math.degrees(north_m / 1000 / EARTH_RADIUS_KM)
    lon = float(HOAN_KIEM.longitude) + math.degrees(
        east_m / 1000 / EARTH_RADIUS_KM / math.cos(math.radians(float(HOAN_KIEM.latitude)))
    )
    return {"latitude": Decimal(f"{lat:.6f}"), "longitude": Decimal(f"{lon:.6f}")}


def _url(case: Case) -> str:
    """The desk's address in English (the pages under test answer in English)."""
    with translation.override("en"):
        return reverse("backoffice:backoffice-case", args=[case.pk])


def _desk(client: Any, case: Case, query: str = "") -> str:
    response = client.get(_url(case) + query)
    assert response.status_code == 200
    return response.content.decode()


def _markers(body: str) -> list[dict[str, Any]]:
    found = re.search(r'<script id="nearby-points" type="application/json">(.*?)</script>', body, re.S)
    assert found is not None
    return json.loads(found.group(1))


def test_nearby_lists_open_cases_inside_the_radius_nearest_first(submit, cast):
    case = submit(**_at()).petition.case
    far = submit(title="Xa", **_at(north_m=400)).petition.case
    near = submit(title="Gần", **_at(east_m=60)).petition.case
    nearer = submit(title="Gần hơn", **_at(north_m=-20)).petition.case
    submit(title="Không có điểm")  # no point: never nearby
    found = cases_nearby(user=cast.officer, case=case, radius_m=250)
    assert [n.case.pk for n in found] == [nearer.pk, near.pk]
    assert found[0].distance_m == pytest.approx(20, abs=1)
    assert found[1].distance_m == pytest.approx(60, abs=1)
    assert far.pk in [n.case.pk for n in cases_nearby(user=cast.officer, case=case, radius_m=500)]


def test_nearby_leaves_out_closed_cases_and_the_case_itself(submit, cast):
    case = submit(**_at()).petition.case
    rejected = submit(**_at(north_m=30)).petition.case
    services.case_reject(case_id=rejected.pk, actor=cast.officer, reason="Ngoài phạm vi.")
    duplicate = submit(**_at(north_m=40)).petition.case
    services.case_mark_duplicate(case_id=duplicate.pk, actor=cast.officer, original_id=case.pk)
    assert cases_nearby(user=cast.officer, case=case) == []


def test_nearby_never_shows_another_units_case_to_an_officer(submit, cast, tree):
    case = submit(**_at()).petition.case
    theirs = submit(title="Ở phường bên", commune=tree.cua_nam, **_at(north_m=10)).petition.case
    assert theirs.unit_id == tree.cua_nam.pk
    assert cases_nearby(user=cast.officer, case=case) == []
    # A leader of the province reads both communes' cases: there it is.
    assert [n.case.pk for n in cases_nearby(user=cast.province_leader, case=case)] == [theirs.pk]


def test_nearby_is_one_query_however_many_cases_are_near(submit, cast, django_assert_num_queries):
    case = submit(**_at()).petition.case
    for n in range(NEARBY_LIMIT + 5):
        submit(title=f"Phản ánh {n}", **_at(north_m=2 * n + 1))
    with django_assert_num_queries(1):
        found = cases_nearby(user=cast.officer, case=case, radius_m=1000)
    assert len(found) == NEARBY_LIMIT
    assert [round(n.distance_m) for n in found[:3]] == [1, 3, 5]


def test_the_circle_is_exact_where_the_box_is_not(submit, cast):
    case = submit(**_at()).petition.case
    inside = submit(**_at(north_m=98)).petition.case
    submit(**_at(east_m=103))  # the box would take it; the haversine does not
    found = cases_nearby(user=cast.officer, case=case, radius_m=100)
    assert [n.case.pk for n in found] == [inside.pk]
    point = inside.petition
    assert found[0].distance_m == pytest.approx(
        1000
        * distance_km(
            float(HOAN_KIEM.latitude),
            float(HOAN_KIEM.longitude),
            float(point.latitude),
            float(point.longitude),
        ),
        abs=0.2,
    )


def test_the_desk_lists_nearby_cases_with_their_distance_and_a_duplicate_link(client, submit, cast):
    case = submit(**_at()).petition.case
    near = submit(title="Đèn đường hỏng gần đây", **_at(north_m=118)).petition.case
    client.force_login(cast.officer)
    body = _desk(client, case)
    assert "Open cases nearby" in body
    code = near.petition.tracking_code
    assert (
        '<td data-label="Distance">120 m</td>' in body and code in body and "Đèn đường hỏng gần đây" in body
    )
    assert f"duplicate_of={code}#action-mark_duplicate" in body
    assert _markers(body) == [
        {
            "lat": float(near.petition.latitude),
            "lon": float(near.petition.longitude),
            "code": code,
            "title": "Đèn đường hỏng gần đây",
            "url": _url(near),
        }
    ]
    assert 'data-nearby="nearby-points" data-radius="250"' in body
    # "Mark as duplicate of this" opens the existing action with the code filled in.
    body = _desk(client, case, f"?radius=250&duplicate_of={code}")
    assert f'value="{code}"' in body and 'open id="action-mark_duplicate"' in body


def test_the_radius_is_chosen_from_the_offered_ones(client, submit, cast):
    case = submit(**_at()).petition.case
    submit(title="Cách bốn trăm mét", **_at(north_m=400))
    client.force_login(cast.officer)
    assert "Cách bốn trăm mét" not in _desk(client, case)
    body = _desk(client, case, "?radius=500")
    assert "Cách bốn trăm mét" in body and '<option value="500" selected>' in body
    # Anything else falls back to 250 m.
    for wrong in ("?radius=100000", "?radius=abc", "?radius=-1"):
        body = _desk(client, case, wrong)
        assert "Cách bốn trăm mét" not in body and '<option value="250" selected>' in body


def test_the_desk_of_a_case_without_a_point_has_no_nearby_section(client, case, cast):
    client.force_login(cast.officer)
    assert "Open cases nearby" not in _desk(client, case)


def test_an_officer_of_another_unit_cannot_open_the_desk_with_a_radius(client, submit, cast):
    case = submit(**_at()).petition.case
    client.force_login(cast.other_officer)
    url = reverse("backoffice:backoffice-case", args=[case.pk])
    assert client.get(url + "?radius=1000").status_code == 404
    client.force_login(cast.other_province_leader)
    assert client.get(url + "?radius=1000").status_code == 404


def test_a_leader_above_reads_the_case_without_its_nearby_cases(client, submit, cast):
    case = submit(**_at()).petition.case
    submit(title="Gần đây", **_at(north_m=50))
    client.force_login(cast.province_leader)
    body = _desk(client, case)
    assert "Open cases nearby" not in body and "nearby-points" not in body


def test_the_map_marks_only_the_readers_own_units_cases(client, submit, cast, tree):
    at_province = submit(title="Gửi thành phố", target_level=Level.PROVINCE, **_at()).petition.case
    assert at_province.unit_id == tree.hanoi.pk
    own = submit(title="Cũng gửi thành phố", target_level=Level.PROVINCE, **_at(north_m=30)).petition.case
    commune = submit(title="Ở phường", **_at(north_m=60)).petition.case
    client.force_login(cast.province_leader)
    body = _desk(client, at_province)
    assert own.petition.tracking_code in body and commune.petition.tracking_code in body
    assert [m["code"] for m in _markers(body)] == [own.petition.tracking_code]


def test_the_desk_makes_as_many_queries_with_many_nearby_cases_as_with_one(client, submit, cast):
    case = submit(**_at()).petition.case
    submit(title="Phản ánh gần 0", **_at(north_m=10))
    client.force_login(cast.officer)
    _desk(client, case)
    with CaptureQueriesContext(connection) as one:
        _desk(client, case)
    for n in range(1, 8):
        submit(title=f"Phản ánh gần {n}", **_at(north_m=10 + 10 * n))
    with CaptureQueriesContext(connection) as eight:
        body = _desk(client, case)
    assert body.count("Phản ánh gần") >= 8
    assert len(eight) == len(one)
