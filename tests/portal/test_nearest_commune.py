"""The JSON endpoint that suggests the commune of a point picked on the map, and the centres in communes.json."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import Tree
from tests.routing.test_geodata import place_units

URL = reverse("portal:portal-nearest-commune")


@pytest.fixture
def placed(tree: Tree) -> Tree:
    place_units(tree.hanoi, tree.hcm, tree.hoan_kiem, tree.cua_nam, tree.ben_thanh)
    return tree


def _at(unit, **extra):
    return {"lat": str(unit.latitude), "lon": str(unit.longitude), **extra}


def test_a_point_suggests_its_nearest_commune_with_the_province(client, placed):
    response = client.get(URL, _at(placed.cua_nam))
    assert response.status_code == 200
    data = response.json()
    assert data["commune"] == {
        "code": "W00073",
        "name": "Phường Cửa Nam",
        "province_code": "P01",
        "province_name": "Thành phố Hà Nội",
        "distance_km": 0.0,
    }
    assert data["other_province"] is False


def test_within_the_chosen_province(client, placed):
    data = client.get(URL, _at(placed.hoan_kiem, province="P01")).json()
    assert data["commune"]["code"] == "W00070"
    assert data["other_province"] is False


def test_a_point_outside_the_chosen_province_says_which_province_it_is_near(client, placed):
    data = client.get(URL, _at(placed.ben_thanh, province="P01")).json()
    assert data["commune"]["code"] == "W26743"
    assert data["other_province"] is True


def test_without_unit_coordinates_nothing_is_suggested(client, tree):
    from routing.geodata import gazetteer

    place = gazetteer().commune(1, "Phường Hoàn Kiếm")
    response = client.get(URL, {"lat": str(place.latitude), "lon": str(place.longitude)})
    assert response.status_code == 200
    assert response.json() == {"commune": None}


@pytest.mark.parametrize(
    "query",
    [{}, {"lat": "abc", "lon": "105"}, {"lat": "NaN", "lon": "105.8"}, {"lat": "48.85", "lon": "2.35"}],
)
def test_a_point_that_is_not_a_coordinate_in_viet_nam_is_refused(client, placed, query):
    response = client.get(URL, query)
    assert response.status_code == 400
    assert "error" in response.json()


def test_an_unknown_province_is_ignored(client, placed):
    data = client.get(URL, _at(placed.hoan_kiem, province="P99")).json()
    assert data["commune"]["code"] == "W00070"


def test_communes_json_gives_the_centres_of_the_province_and_its_communes(client, placed):
    data = client.get(reverse("portal:portal-communes", args=["P01"])).json()
    assert data["center"] == {
        "latitude": float(placed.hanoi.latitude),
        "longitude": float(placed.hanoi.longitude),
    }
    centres = {item["code"]: item["center"] for item in data["communes"]}
    assert centres["W00070"] == {
        "latitude": float(placed.hoan_kiem.latitude),
        "longitude": float(placed.hoan_kiem.longitude),
    }


def test_communes_json_without_coordinates_has_empty_centres(client, tree):
    data = client.get(reverse("portal:portal-communes", args=["P01"])).json()
    assert data["center"] is None
    assert all(item["center"] is None for item in data["communes"])


def test_the_submit_form_has_the_map_with_its_name_and_the_number_boxes(client, tree):
    body = client.get(reverse("portal:portal-submit")).content.decode()
    assert 'id="point-map" role="region" aria-label=' in body
    assert 'data-tiles=""' in body  # no tile server in tests: nothing is fetched
    assert 'name="latitude"' in body and 'name="longitude"' in body
    assert "vendor/leaflet/leaflet.js" in body


def test_a_point_in_another_province_is_not_given_a_far_commune_of_the_chosen_one(client, placed):
    """The trial's case: Tây Ninh chosen, a point in central Hồ Chí Minh City (by Bến Thành) was given
    Xã Cần Giuộc, 18 km away in Tây Ninh, and the petition was sent there."""
    from routing.models import Level, Unit
    from tests.routing.test_geodata import place_units

    tay_ninh = Unit.objects.create(
        code="P80", name="Tây Ninh", level=Level.PROVINCE, parent=placed.central, admin_code=80
    )
    can_giuoc = Unit.objects.create(code="W28159", name="Xã Cần Giuộc", level=Level.COMMUNE, parent=tay_ninh)
    place_units(tay_ninh, can_giuoc)
    data = client.get(URL, _at(placed.ben_thanh, province="P80")).json()
    assert data["commune"]["code"] == placed.ben_thanh.code and data["other_province"] is True
    # By a border the chosen province's commune stays the suggestion when about as near.
    data = client.get(URL, _at(can_giuoc, province="P80")).json()
    assert data["commune"]["code"] == "W28159" and data["other_province"] is False
