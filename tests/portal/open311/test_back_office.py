"""A request filed through Open311 reaches the handling unit's officers, and their work shows in GET requests/{id}."""

from __future__ import annotations

from django.urls import reverse

from routing import services
from routing.models import Case
from tests.portal.open311.conftest import BASE, parse


def _status(client, code, key):
    [item] = parse(client.get(f"{BASE}/requests/{code}.json", {"api_key": key}), "json")
    return item


def test_an_open311_request_is_handled_in_the_back_office_and_its_progress_shows(
    client, file_request, api_key, cast
):
    code = file_request()
    case = Case.objects.get(petition__tracking_code=code)

    # The handling unit's officer finds it in the inbox and opens the case desk with the contact details.
    client.force_login(cast.officer)
    assert code in client.get(reverse("backoffice:backoffice-inbox")).content.decode()
    desk = client.get(reverse("backoffice:backoffice-case", args=[case.pk])).content.decode()
    assert code in desk and "Nguyễn Văn An" in desk
    # Another commune's officer does not.
    client.force_login(cast.other_officer)
    assert code not in client.get(reverse("backoffice:backoffice-inbox")).content.decode()
    assert client.get(reverse("backoffice:backoffice-case", args=[case.pk])).status_code == 404
    client.logout()

    before = _status(client, code, api_key)
    assert (before["status"], before["status_notes"]) == ("open", None)

    services.case_accept(case_id=case.pk, actor=cast.officer, assignee=cast.officer)
    accepted = _status(client, code, api_key)
    assert accepted["status"] == "open"
    assert accepted["service_notice"] != before["service_notice"]
    assert accepted["updated_datetime"] >= before["updated_datetime"]
    assert accepted["expected_datetime"] > before["expected_datetime"]  # the resolution deadline

    services.case_submit_response(case_id=case.pk, actor=cast.officer, text="Đã bố trí xe thu gom rác.")
    assert _status(client, code, api_key)["status_notes"] is None  # a draft is not published
    services.case_approve(case_id=case.pk, actor=cast.leader)
    answered = _status(client, code, api_key)
    assert answered["status"] == "closed"
    assert answered["status_notes"] == "Đã bố trí xe thu gom rác."
    assert answered["expected_datetime"] is None
