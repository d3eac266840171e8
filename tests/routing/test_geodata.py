"""The units' points from vietnamadminunits: loaded by load_units, and the nearest commune to a point."""

from __future__ import annotations

import math
import random
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command

from routing.geodata import commune_nearest, distance_km, gazetteer, name_key, point_near, spread_km
from routing.models import Level, Unit
from tests.conftest import Tree


def place_units(*units: Unit) -> None:
    """Give test units their real points from the package (never typed by hand)."""
    places = gazetteer()
    for unit in units:
        if unit.level == Level.PROVINCE:
            place = places.province(unit.admin_code)
        else:
            place = places.commune(unit.parent.admin_code, unit.name)
        assert place is not None, unit
        unit.latitude, unit.longitude, unit.area_km2 = place.latitude, place.longitude, place.area_km2
        unit.save()


@pytest.fixture
def placed(tree: Tree) -> Tree:
    place_units(tree.hanoi, tree.hcm, tree.hoan_kiem, tree.cua_nam, tree.ben_thanh)
    return tree


def test_names_match_whatever_vowel_carries_the_tone_mark():
    assert name_key("Xã Thuận Hoà") == name_key("Xã Thuận Hòa")
    assert name_key("Xã Cẩm Giàng") != name_key("Xã Cẩm Giang")
    assert name_key("Phường Văn Miếu - Quốc Tử Giám") == name_key("Phường Văn Miếu Quốc Tử Giám")


def test_the_package_places_every_province_and_commune_of_the_register():
    from vietnam_provinces import Province, Ward

    places = gazetteer()
    assert all(places.province(int(p.code)) for p in Province.iter_all())
    assert all(places.commune(int(w.province_code), w.name) for w in Ward.iter_all())


def test_load_units_fills_every_point_and_a_second_run_changes_nothing(db: Any):
    call_command("load_units", stdout=StringIO(), stderr=StringIO())
    assert not Unit.objects.filter(level__in=[Level.PROVINCE, Level.COMMUNE], latitude__isnull=True).exists()
    assert Unit.objects.get(level=Level.CENTRAL).latitude is None
    hoan_kiem = Unit.objects.get(code="W00070")
    hanoi = hoan_kiem.parent
    # Hoàn Kiếm, the old quarter, lies within a few tens of km of Hà Nội's centre point.
    assert (
        distance_km(*map(float, (hoan_kiem.latitude, hoan_kiem.longitude, hanoi.latitude, hanoi.longitude)))
        < 30
    )
    assert hoan_kiem.area_km2 > 0
    out = StringIO()
    call_command("load_units", stdout=out, stderr=StringIO())
    assert "updated 0, unchanged 3356" in out.getvalue()


def test_load_units_restores_a_point_changed_by_hand(db: Any):
    call_command("load_units", stdout=StringIO(), stderr=StringIO())
    unit = Unit.objects.get(code="W00070")
    original = (unit.latitude, unit.longitude)
    Unit.objects.filter(pk=unit.pk).update(latitude=Decimal("10.000000"))
    out = StringIO()
    call_command("load_units", stdout=out, stderr=StringIO())
    assert "updated 1," in out.getvalue()
    unit.refresh_from_db()
    assert (unit.latitude, unit.longitude) == original


def test_nearest_commune_to_a_commune_centre_is_that_commune(placed: Tree):
    found = commune_nearest(latitude=placed.cua_nam.latitude, longitude=placed.cua_nam.longitude)
    assert found is not None
    assert found.commune == placed.cua_nam
    assert found.distance_km == pytest.approx(0, abs=0.01)


def test_nearest_commune_stays_within_the_chosen_province(placed: Tree):
    point = {"latitude": placed.hoan_kiem.latitude, "longitude": placed.hoan_kiem.longitude}
    assert commune_nearest(**point, province=placed.hanoi).commune == placed.hoan_kiem
    # Bến Thành (Hồ Chí Minh) is 1,100 km away: nothing in that province near the point.
    assert commune_nearest(**point, province=placed.hcm) is None


def test_a_point_far_from_every_commune_suggests_none(placed: Tree):
    # Halfway between Hà Nội and Hồ Chí Minh City, hundreds of km from the test's communes.
    lat = (placed.hoan_kiem.latitude + placed.ben_thanh.latitude) / 2
    lon = (placed.hoan_kiem.longitude + placed.ben_thanh.longitude) / 2
    assert commune_nearest(latitude=lat, longitude=lon) is None


def test_communes_without_coordinates_are_never_suggested(tree: Tree):
    place = gazetteer().commune(1, "Phường Hoàn Kiếm")
    assert commune_nearest(latitude=place.latitude, longitude=place.longitude) is None


def test_inactive_communes_are_never_suggested(placed: Tree):
    Unit.objects.filter(pk=placed.cua_nam.pk).update(is_active=False)
    found = commune_nearest(latitude=placed.cua_nam.latitude, longitude=placed.cua_nam.longitude)
    assert found is not None
    assert found.commune == placed.hoan_kiem


def test_a_point_near_a_centre_lies_at_the_drawn_distance_and_never_beyond_the_radius() -> None:
    assert spread_km(Decimal("3.14")) == pytest.approx(math.sqrt(3.14 / math.pi))
    assert spread_km(None) == 1.0
    rng = random.Random(7)
    for centre in ((21.028511, 105.854200), (10.772100, 106.698300), (8.6, 104.7)):
        for _ in range(200):
            u, v = rng.random(), rng.random()
            lat, lon = point_near(latitude=centre[0], longitude=centre[1], radius_km=2.0, u=u, v=v)
            km = distance_km(centre[0], centre[1], float(lat), float(lon))
            assert km == pytest.approx(2.0 * math.sqrt(u), abs=0.0002)
    # Due north at the full radius.
    lat, lon = point_near(latitude=21.0, longitude=105.0, radius_km=1.0, u=1.0, v=0.0)
    assert lon == Decimal("105.000000") and lat > Decimal("21.0089")
