"""A NUL character anywhere in a request is a 400, never a database error (PostgreSQL refuses U+0000)."""

from __future__ import annotations

import pytest

from petitions.models import Petition
from tests.portal.test_submit_view import _valid


@pytest.mark.parametrize(
    "path",
    [
        "/track/%00/",
        "/t/%00/",
        "/submit/photos/%00/",
        "/units/%00/communes.json",
        "/office/search/?q=%00",
        "/statistics/?category=%00",
        "/open311/v2/requests/%00.json",
        "/open311/v2/tokens/%00.json",
        "/open311/v2/services/%00.json",
        "/open311/v2/requests.json?service_request_id=PA%00",
    ],
)
def test_a_nul_anywhere_in_the_address_is_a_bad_request(client, db, path):
    response = client.get(path)
    assert response.status_code in (400, 404)  # 404: the path did not even match a route


def test_a_nul_in_the_path_is_refused_in_the_open311_format(client, db):
    response = client.get("/open311/v2/services/%00.json")
    assert response.status_code == 400
    assert response.json()[0]["code"] == 400


def test_a_nul_in_a_form_field_refuses_the_submission_and_stores_nothing(client, tree, category):
    response = client.post("/submit/", _valid(tree, category, text="Đèn hỏng\x00 cả tuần"))
    assert response.status_code == 400
    assert not Petition.objects.exists()
