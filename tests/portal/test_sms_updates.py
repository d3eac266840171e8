"""Citizens turn SMS updates about their petition off and on from its page."""

from __future__ import annotations

from django.urls import reverse

from notifications.models import Channel, Notification
from routing import services


def _follow(client, case):
    assert (
        client.post("/track/", {"code": case.petition.tracking_code, "phone": "0912345678"}).status_code
        == 302
    )


def url(case):
    return reverse("portal:portal-sms-updates", kwargs={"code": case.petition.tracking_code})


def test_a_citizen_stops_sms_updates_and_no_more_sms_are_written(client, case, cast):
    _follow(client, case)
    page = client.get(reverse("portal:portal-case", args=[case.petition.tracking_code])).content.decode()
    assert "678" in page and "0912" not in page  # only the last digits are shown
    response = client.post(url(case), {"sms": "off"}, follow=True)
    assert response.status_code == 200
    # No email address was given: the citizen is warned that nothing will reach them now.
    assert [m.level_tag for m in response.context["messages"]] == ["warning"]
    case.petition.refresh_from_db()
    assert case.petition.sms_opt_out
    services.case_accept(case_id=case.pk, actor=cast.officer)
    assert not Notification.objects.filter(template="case_accept", channel=Channel.SMS).exists()
    client.post(url(case), {"sms": "on"})
    case.petition.refresh_from_db()
    assert not case.petition.sms_opt_out


def test_without_the_grant_nobody_can_change_it(client, case):
    response = client.post(url(case), {"sms": "off"})
    assert response.status_code in (302, 403, 404)
    case.petition.refresh_from_db()
    assert not case.petition.sms_opt_out


def test_a_bad_choice_changes_nothing_and_says_so(client, case):
    _follow(client, case)
    response = client.post(url(case), {"sms": "maybe"}, follow=True)
    assert [m.level_tag for m in response.context["messages"]] == ["error"]
    case.petition.refresh_from_db()
    assert not case.petition.sms_opt_out
