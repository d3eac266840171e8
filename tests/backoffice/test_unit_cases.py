"""A unit's case list: leaders drill down into the units below them, read-only."""

from __future__ import annotations

import pytest
from django.urls import reverse


def url(code):
    return reverse("backoffice:backoffice-unit-cases", kwargs={"code": code})


def test_anonymous_users_are_sent_to_sign_in(client, case):
    assert client.get(url("W00070")).status_code == 302


@pytest.mark.parametrize(
    ("who", "code"),
    [
        ("other_officer", "W00070"),
        ("other_commune_leader", "W00070"),
        ("other_province_leader", "W00070"),
        ("officer", "P01"),
        ("province_officer", "W00070"),
        ("leader", "P01"),
        ("outsider", "W00070"),
    ],
)
def test_people_outside_the_units_line_are_refused(client, cast, case, who, code):
    client.force_login(getattr(cast, who))
    assert client.get(url(code)).status_code == 403


def test_a_province_leader_reads_a_communes_list_without_actions(client, cast, case):
    client.force_login(cast.province_leader)
    response = client.get(url("W00070"))
    assert response.status_code == 200
    body = response.content.decode()
    assert case.petition.tracking_code in body
    assert case.petition.phone not in body
    assert "export.csv?unit=W00070" in body


def test_a_central_leader_reads_any_units_list(client, cast, case):
    client.force_login(cast.central_leader)
    assert client.get(url("W00070")).status_code == 200


def test_an_unknown_unit_is_refused_like_a_forbidden_one(client, cast):
    client.force_login(cast.central_leader)
    assert client.get(url("W99999")).status_code == 403


def test_the_list_costs_the_same_queries_for_five_or_sixty_cases(
    client, cast, submit, django_assert_max_num_queries
):
    client.force_login(cast.province_leader)
    for _ in range(5):
        submit()
    with django_assert_max_num_queries(12) as small:
        client.get(url("W00070"))
    for _ in range(55):
        submit()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(url("W00070"))
    assert response.context["page"].paginator.count == 60
