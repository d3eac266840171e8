"""A petition's own point: on the citizen's case page, and on the case desk for the handling unit only."""

from __future__ import annotations

from django.urls import reverse

from routing.geodata import gazetteer

MAP = 'data-point-view="'


def _point() -> dict[str, object]:
    place = gazetteer().commune(1, "Phường Hoàn Kiếm")
    assert place is not None
    return {"latitude": place.latitude, "longitude": place.longitude}


def test_the_citizen_sees_their_point_on_their_case_page(client, submit):
    result = submit(**_point())
    page = client.get(client.get(f"/t/{result.token}/")["Location"]).content.decode()
    point = _point()
    assert f'{MAP}{point["latitude"]},{point["longitude"]}"' in page
    assert "vendor/leaflet/leaflet.js" in page


def test_a_case_page_without_a_point_has_no_map(client, submit):
    result = submit()
    page = client.get(client.get(f"/t/{result.token}/")["Location"]).content.decode()
    assert MAP not in page
    assert "vendor/leaflet/leaflet.js" not in page


def test_the_handling_officer_sees_the_point_on_the_case_desk(client, submit, cast):
    case = submit(**_point()).petition.case
    client.force_login(cast.officer)
    page = client.get(reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    assert MAP in page


def test_a_leader_above_reads_the_case_without_its_point(client, submit, cast):
    case = submit(**_point()).petition.case
    client.force_login(cast.province_leader)
    response = client.get(reverse("backoffice:backoffice-case", args=[case.pk]))
    assert response.status_code == 200
    assert MAP not in response.content.decode()
