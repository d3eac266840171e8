"""The leaders' dashboard: who may see it, what it shows, how it drills down, and its cost."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

URL = reverse("backoffice:backoffice-dashboard")
NOVEMBER_WEEK = {"period": "custom", "since": "2026-11-02", "until": "2026-11-08"}


def test_anonymous_users_are_sent_to_sign_in(client, tree):
    response = client.get(URL)
    assert response.status_code == 302 and reverse("backoffice:backoffice-login") in response["Location"]


@pytest.mark.parametrize("who", ["officer", "other_officer", "province_officer", "outsider"])
def test_officers_and_accounts_without_a_unit_are_refused(client, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(URL).status_code == 403


@pytest.mark.parametrize(
    ("who", "unit"),
    [
        ("other_province_leader", "P01"),
        ("other_commune_leader", "W00070"),
        ("leader", "P01"),
        ("province_leader", "P79"),
    ],
)
def test_leaders_cannot_look_outside_their_subtree(client, cast, who, unit):
    client.force_login(getattr(cast, who))
    assert client.get(URL, {"unit": unit}).status_code == 403


def test_a_province_leader_sees_the_hand_computed_numbers(client, cast, week):
    client.force_login(cast.province_leader)
    response = client.get(URL, NOVEMBER_WEEK)
    assert response.status_code == 200
    perf = response.context["perf"]
    assert (perf.total.received, perf.total.responded, perf.total.on_time) == (5, 3, 2)
    body = response.content.decode()
    assert "66,7 %" in body or "66.7 %" in body  # on-time rate, formatted for the language
    assert "4,0" in body or "4.0" in body  # median response 96 h shown as 4.0 days
    # drill down: communes open their case lists, the province's own row too
    assert reverse("backoffice:backoffice-unit-cases", kwargs={"code": "W00073"}) in body
    assert reverse("backoffice:backoffice-unit-cases", kwargs={"code": "P01"}) in body
    assert 'id="data-volume"' in body and 'id="data-on-time"' in body


def test_central_leaders_drill_down_from_the_country_to_a_province(client, cast, week):
    client.force_login(cast.central_leader)
    body = html.unescape(client.get(URL, NOVEMBER_WEEK).content.decode())
    assert "?unit=P01&period=custom&since=2026-11-02&until=2026-11-08" in body
    response = client.get(URL, {"unit": "P01", **NOVEMBER_WEEK})
    assert response.status_code == 200
    assert response.context["scope"].code == "P01"
    assert [u.code for u in response.context["crumbs"]] == ["TW", "P01"]
    assert response.context["perf"].total.received == 5


def test_a_bad_period_is_explained_and_shows_no_numbers(client, cast, week):
    client.force_login(cast.province_leader)
    response = client.get(URL, {"period": "custom", "since": "2026-11-08", "until": "2026-11-02"})
    assert response.status_code == 400
    assert "perf" not in response.context
    assert response.context["period"].non_field_errors()


def test_the_dashboard_costs_the_same_queries_for_ten_or_two_hundred_cases(
    client, cast, submit, django_assert_max_num_queries
):
    client.force_login(cast.province_leader)
    for _ in range(10):
        submit()
    with django_assert_max_num_queries(25) as small:
        client.get(URL)
    for _ in range(190):
        submit()
    with django_assert_max_num_queries(len(small.captured_queries)):
        response = client.get(URL)
    assert response.context["perf"].total.received == 200
