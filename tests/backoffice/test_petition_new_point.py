"""The officer's petition form keeps the map point: the number boxes (and the map over them)."""

from __future__ import annotations

from django.urls import reverse
from django.utils import timezone

from petitions.models import Petition
from tests.conftest import make_staff
from tests.routing.test_geodata import place_units

URL = reverse("backoffice:backoffice-petition-new")


def _petition(category, **extra):
    return {
        "category": str(category.pk),
        "province": "P01",
        "commune": "W00070",
        "title": "Phản ánh qua điện thoại về tiếng ồn",
        "text": "Người dân gọi điện phản ánh quán karaoke hát to sau 23 giờ.",
        "submitter_name": "Hoàng Văn Long",
        "phone": "0913 222 333",
        "received_via": "phone",
        "received_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
        **extra,
    }


def test_the_officer_form_shows_the_map_and_the_number_boxes(client, tree):
    client.force_login(make_staff(tree.hoan_kiem))
    body = client.get(URL).content.decode()
    assert 'id="point-map"' in body
    assert 'name="latitude"' in body and 'name="longitude"' in body


def test_the_officer_files_a_petition_with_its_point(client, tree, category):
    place_units(tree.hanoi, tree.hoan_kiem)
    client.force_login(make_staff(tree.hoan_kiem))
    point = {"latitude": str(tree.hoan_kiem.latitude), "longitude": str(tree.hoan_kiem.longitude)}
    response = client.post(URL, _petition(category, **point))
    assert response.status_code == 302
    petition = Petition.objects.get()
    assert (petition.latitude, petition.longitude) == (tree.hoan_kiem.latitude, tree.hoan_kiem.longitude)


def test_a_point_outside_viet_nam_is_refused_on_the_officer_form(client, tree, category):
    client.force_login(make_staff(tree.hoan_kiem))
    response = client.post(URL, _petition(category, latitude="48.856600", longitude="2.352200"))
    assert response.status_code == 400
    assert not Petition.objects.exists()
