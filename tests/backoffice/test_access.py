"""Every back-office URL refuses anonymous users, people without a unit, and other units' staff."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import advance


def _urls(case, photo_pk=1):
    return [
        ("get", reverse("backoffice:backoffice-inbox")),
        ("get", reverse("backoffice:backoffice-case", args=[case.pk])),
        ("post", reverse("backoffice:backoffice-case-act", args=[case.pk, "accept"])),
        ("post", reverse("backoffice:backoffice-case-note", args=[case.pk])),
        ("get", reverse("backoffice:backoffice-case-photo", args=[case.pk, photo_pk, "thumb"])),
    ]


def test_anonymous_users_are_sent_to_sign_in(client, case):
    for method, url in _urls(case):
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert reverse("backoffice:backoffice-login") in response["Location"]


def test_accounts_without_a_unit_are_refused(client, case, cast):
    client.force_login(cast.outsider)
    for method, url in _urls(case):
        assert getattr(client, method)(url).status_code == 403, url


@pytest.mark.parametrize("who", ["other_officer", "other_commune_leader", "other_province_leader"])
def test_other_units_staff_cannot_see_or_touch_the_case(client, case, cast, who):
    client.force_login(getattr(cast, who))
    assert client.get(reverse("backoffice:backoffice-case", args=[case.pk])).status_code == 404
    response = client.post(
        reverse("backoffice:backoffice-case-act", args=[case.pk, "accept"]),
        {"accept-version": "1", "accept-assignee": str(cast.officer.pk)},
    )
    assert response.status_code == 404
    assert (
        client.post(
            reverse("backoffice:backoffice-case-note", args=[case.pk]), {"note-text": "x"}
        ).status_code
        == 404
    )
    case.refresh_from_db()
    assert case.state == "submitted" and case.version == 1


def test_a_province_leader_reads_a_commune_case_but_cannot_act(client, case, cast):
    client.force_login(cast.province_leader)
    page = client.get(reverse("backoffice:backoffice-case", args=[case.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert case.petition.phone not in body  # contact details only for the handling unit
    assert 'id="action-accept"' not in body
    response = client.post(
        reverse("backoffice:backoffice-case-act", args=[case.pk, "escalate"]),
        {"escalate-version": "1", "escalate-reason": "Thử"},
    )
    assert response.status_code == 403
    assert (
        client.post(
            reverse("backoffice:backoffice-case-note", args=[case.pk]),
            {"note-text": "x", "note-is_public": "0"},
        ).status_code
        == 403
    )


def test_the_inbox_of_another_commune_does_not_list_the_case(client, case, cast):
    client.force_login(cast.other_officer)
    body = client.get(reverse("backoffice:backoffice-inbox") + "?tab=open").content.decode()
    assert case.petition.tracking_code not in body


def test_sign_in_is_locked_after_repeated_failures(client, cast, settings):
    url = reverse("backoffice:backoffice-login")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(url, {"username": "officer", "password": "wrong"})
    response = client.post(url, {"username": "officer", "password": "x-Strong-pass-42"})
    assert response.status_code == 429
    assert "_auth_user_id" not in client.session


def test_sign_in_works_with_the_right_password(client, cast):
    response = client.post(
        reverse("backoffice:backoffice-login"), {"username": "officer", "password": "x-Strong-pass-42"}
    )
    assert response.status_code == 302
    assert client.get(reverse("backoffice:backoffice-inbox")).status_code == 200


def test_photos_are_only_for_the_handling_unit(client, case, cast):
    advance(case, "in_progress", cast)
    client.force_login(cast.province_leader)
    assert (
        client.get(reverse("backoffice:backoffice-case-photo", args=[case.pk, 1, "thumb"])).status_code == 404
    )
